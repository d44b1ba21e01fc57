import type { Clock } from '../clock.js';
import { signedPath, type LinkSigner, type RecordingStorage } from '../storage/index.js';

/**
 * Links to a task's objects in the bucket (a recording's media, a transcription's captions): every
 * kind lists its prefix through the same storage and hands out the same expiring links.
 */

/** Content types by extension (also what the embedded file server sends). */
const CONTENT_TYPES: Record<string, string> = {
  m3u8: 'application/vnd.apple.mpegurl',
  ts: 'video/mp2t',
  mp4: 'video/mp4',
  jpg: 'image/jpeg',
  vtt: 'text/vtt; charset=utf-8',
};

/** A file name's extension, lower case ('' when it has none). */
export const extensionOf = (fileName: string) => /\.([a-z0-9]+)$/i.exec(fileName)?.[1]?.toLowerCase() ?? '';

/** The content type of an object by its extension (also what the embedded file server sends). */
export function contentTypeOf(fileName: string): string {
  return CONTENT_TYPES[extensionOf(fileName)] ?? 'application/octet-stream';
}

/** How the caller wants links: how long they last, and the origin it reached us at. */
export interface LinkRequest {
  expiresInSeconds: number;
  origin: string;
  clock: Clock;
  signer?: LinkSigner | undefined;
}

/** An object's link (absolute, as the caller reached us), its expiry or why there is none, and a playlist's playback link. */
export async function linkObject(storage: RecordingStorage, link: LinkRequest, key: string) {
  const absolute = (url: string) => (url.startsWith('/') ? `${link.origin}${url}` : url);
  const made = await storage.link(key, link.expiresInSeconds);
  const url = made.url === null ? null : absolute(made.url);
  // A bucket's playlist plays through our signed folder link, which redirects each object.
  let playbackUrl: string | null = null;
  if (key.endsWith('.m3u8') && url !== null) {
    if (storage.kind === 'embedded') playbackUrl = url;
    else if (link.signer) playbackUrl = absolute(signedPath(link.signer, link.clock, key, link.expiresInSeconds).url);
  }
  return {
    url,
    urlExpiresAt: made.url === null ? null : new Date(made.expiresAt),
    unavailableReason: made.url === null ? made.reason : null,
    playbackUrl,
  };
}
