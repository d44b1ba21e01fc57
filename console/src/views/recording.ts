import { watchRecording, type RecordingObject, type RecordingStatusEvent } from '@agora-backend/client';
import { failureText, formatTime, h, show } from '../dom.js';
import { describe } from '../errors.js';
import { followTask, wireStop } from '../forms.js';
import { api } from '../session.js';
import { presenceWindow } from './presence-window.js';
import { attachPlayer } from '../player.js';
import { recordingControls } from './recording-controls.js';

/** One recording: its live timeline (recording.watch), its files with a player, and stop. */
export function recordingPage(root: HTMLElement, id: string): () => void {
  const state = h('span', { class: 'state', id: 'recording-state', role: 'status', 'aria-live': 'polite' }, '…');
  const timeline = h('ol', { class: 'timeline', 'aria-label': 'Status timeline' });
  const files = h('ul', { class: 'files', 'aria-label': 'Files' });
  const player = h('div', { class: 'player' });
  const message = h('p', { class: 'error', role: 'alert' });
  const whoWasHere = presenceWindow(() => api().recording.get.query({ id }));
  const why = h('p', { class: 'error', id: 'failure-reason', hidden: true });
  /** A failed task says why, in Agora's words where it gave any. */
  const showWhy = (failed: boolean, error: Parameters<typeof failureText>[0]) => {
    why.hidden = !failed || !error;
    why.textContent = failed && error ? `Why it failed: ${failureText(error)}` : '';
  };
  const stop = h('button', { type: 'button', id: 'stop' }, 'Stop');
  const details = h('dl');
  const controls = h('div');
  const gallery = h('div', { class: 'gallery', 'aria-label': 'Snapshots' });
  let shownFiles = '';
  let ended = false;
  const players = new Map<string, HTMLElement>();

  /**
   * A player per playlist (individual mode has one per uid and track). Once the recording has
   * ended each is loaded again, so it plays the final playlist from the start, not the live edge.
   */
  function showPlayers(playlists: RecordingObject[]) {
    for (const [index, file] of playlists.entries()) {
      const holder = players.get(file.key) ?? h('figure', { class: 'playlist', 'data-playlist': file.fileName });
      if (!players.has(file.key) || (ended && holder.dataset.final !== 'true')) {
        const label = `Playback of ${file.fileName}${file.trackType ? ` (${file.trackType}${file.uid ? `, uid ${file.uid}` : ''})` : ''}`;
        const video = attachPlayer(holder, file.playbackUrl!, file.contentType, label, index === 0 ? 'player' : undefined);
        holder.append(h('figcaption', {}, label));
        if (ended) {
          holder.dataset.final = 'true';
          video.dataset.final = 'true';
        }
        players.set(file.key, holder);
        player.append(holder);
      }
    }
  }

  async function refreshFiles() {
    try {
      const listed = await api().recording.files.query({ id });
      const names = listed.files.map((file) => file.key).join('\n');
      if (names === shownFiles) return;
      shownFiles = names;
      show(files, ...listed.files.filter((file) => file.kind !== 'snapshot').map(fileItem));
      showPlayers(listed.files.filter((file) => file.playbackUrl !== null));
      const snapshots = listed.files.filter((file) => file.kind === 'snapshot' && file.url);
      show(
        gallery,
        ...snapshots.map((file) =>
          h(
            'a',
            { href: file.url!, download: file.fileName },
            h('img', { class: 'snapshot', src: file.url!, alt: `Snapshot ${file.fileName}`, loading: 'lazy', width: 160, height: 90 }),
          ),
        ),
      );
    } catch (error) {
      message.textContent = describe(error);
    }
  }
  const shownEvents = new Set<string>();
  /** One event into the timeline (the registry's history first, then the live ones, each once). */
  function onEvent(event: RecordingStatusEvent, eventId: string) {
    if (shownEvents.has(eventId)) return;
    shownEvents.add(eventId);
    state.textContent = event.state;
    state.className = `state state-${event.state}`;
    if (event.state === 'stopped' || event.state === 'failed') whoWasHere.closeAtEnd();
    timeline.append(
      h(
        'li',
        { 'data-state': event.state, 'data-event': eventId },
        h('strong', {}, event.state),
        ` · ${event.source} · Agora status ${event.agoraStatus ?? '–'} · ${formatTime(event.at)}`,
        event.state === 'failed' && event.lastError ? ` · ${failureText(event.lastError)}` : '',
      ),
    );
    showWhy(event.state === 'failed', event.lastError);
    stop.hidden = event.state === 'stopped' || event.state === 'failed';
    if (stop.hidden) controls.replaceChildren();
    if (stop.hidden && !ended) {
      ended = true;
      shownFiles = ''; // read the files again: the players switch to the final playlists
    }
    void refreshFiles();
  }
  const confirmStop = wireStop(stop, message, () => api().recording.stop.mutate({ id }), 'recording');
  api()
    .recording.get.query({ id })
    .then(
      (recording) => {
        show(
          details,
          h('dt', {}, 'Channel'),
          h('dd', {}, recording.channel),
          h('dt', {}, 'Mode'),
          h('dd', {}, recording.mode),
          h('dt', {}, 'Recorder uid'),
          h('dd', {}, recording.uid),
          h('dt', {}, 'Started'),
          h('dd', {}, formatTime(recording.startedAt)),
        );
        if (recording.state !== 'stopped' && recording.state !== 'failed') show(controls, recordingControls(recording));
        whoWasHere.load(recording);
        showWhy(recording.state === 'failed', recording.lastError);
      },
      (error: unknown) => (message.textContent = describe(error)),
    );
  show(
    root,
    h('h1', {}, 'Recording ', h('code', {}, id)),
    h('p', {}, 'State: ', state, ' ', stop, confirmStop),
    why,
    details,
    message,
    controls,
    h('h2', {}, 'Timeline'),
    timeline,
    h('h2', {}, 'Files'),
    player,
    gallery,
    files,
    whoWasHere.section,
  );
  // The whole history from the registry first (a finished recording's too), then live events.
  const stopFollowing = followTask(
    () => api().recording.history.query({ id }),
    (handlers) => watchRecording(api(), id, handlers),
    onEvent,
    (error) => (message.textContent = describe(error)),
  );
  // Segments and snapshots land in the bucket between status changes: look again every 3 s.
  const timer = setInterval(() => void refreshFiles(), 3_000);
  return () => {
    stopFollowing();
    clearInterval(timer);
  };
}

function fileItem(file: RecordingObject): HTMLLIElement {
  const label = `${file.kind} · ${file.fileName}${file.size === null ? '' : ` · ${file.size} bytes`}`;
  if (!file.url) return h('li', {}, label, ` (no link: ${file.unavailableReason ?? 'unknown'})`);
  return h(
    'li',
    { 'data-kind': file.kind },
    h('a', { href: file.url, download: file.fileName }, label),
    file.kind === 'mp4'
      ? h('div', {}, h('video', { src: file.url, controls: true, preload: 'metadata', width: 320, 'aria-label': `MP4 ${file.fileName}` }))
      : null,
  );
}
