import { h } from './dom.js';

/**
 * Plays an HLS playlist in a <video>: natively where the browser can (Safari), else through
 * hls.js, loaded only then (its own chunk, so the console's first load stays small).
 */
export function attachPlayer(
  parent: HTMLElement,
  url: string,
  contentType: string,
  label = 'Recording playback',
  id?: string,
): HTMLVideoElement {
  const video = h('video', { controls: true, muted: true, preload: 'metadata', width: 640, 'aria-label': label, ...(id ? { id } : {}) });
  parent.replaceChildren(video);
  if (video.canPlayType(contentType) !== '') {
    video.src = url;
    return video;
  }
  void import('hls.js').then(({ default: Hls }) => {
    if (!Hls.isSupported()) {
      parent.append(h('p', {}, 'This browser cannot play HLS; download the files below.'));
      return;
    }
    const hls = new Hls();
    hls.loadSource(url);
    hls.attachMedia(video);
    video.dataset.engine = 'hls.js';
  });
  return video;
}
