import { watchTranscription, type CaptionObject, type TranscriptionStatusEvent } from '@agora-backend/client';
import { failureText, formatTime, h, show } from '../dom.js';
import { describe } from '../errors.js';
import { followTask, wireStop } from '../forms.js';
import { api } from '../session.js';
import { presenceWindow } from './presence-window.js';

/** A WebVTT slice's cues as text lines (`<v 100>Hello` → `100: Hello`), timestamps and header left out. */
export function cueLines(vtt: string): string[] {
  return vtt
    .split(/\r?\n\r?\n/)
    .map((block) => block.split(/\r?\n/))
    .filter((lines) => lines.some((line) => line.includes('-->')))
    .map((lines) =>
      lines
        .slice(lines.findIndex((line) => line.includes('-->')) + 1)
        .filter(Boolean)
        .join(' '),
    )
    .map((text) => text.replace(/^<v ([^>]+)>/, '$1: '));
}

/** One transcription: its live timeline (transcription.watch), its captions as text, its files, and stop. */
export function transcriptionPage(root: HTMLElement, id: string): () => void {
  const state = h('span', { class: 'state', id: 'transcription-state', role: 'status', 'aria-live': 'polite' }, '…');
  const timeline = h('ol', { class: 'timeline', 'aria-label': 'Status timeline' });
  const captions = h('ol', { class: 'captions', 'aria-label': 'Captions', 'aria-live': 'polite' });
  const files = h('ul', { class: 'files', 'aria-label': 'Caption files' });
  const message = h('p', { class: 'error', role: 'alert' });
  const whoWasHere = presenceWindow(() => api().transcription.get.query({ id }));
  const why = h('p', { class: 'error', id: 'failure-reason', hidden: true });
  /** A failed task says why, in Agora's words where it gave any. */
  const showWhy = (failed: boolean, error: Parameters<typeof failureText>[0]) => {
    why.hidden = !failed || !error;
    why.textContent = failed && error ? `Why it failed: ${failureText(error)}` : '';
  };
  const stop = h('button', { type: 'button', id: 'stop' }, 'Stop');
  const details = h('dl');
  let shown: string | undefined;

  /** The files, and the transcription's own captions read from its slices (not the translations). */
  async function refreshFiles() {
    try {
      const listed = await api().transcription.files.query({ id });
      const signature = listed.files.map((file) => `${file.key}:${file.size ?? ''}`).join('\n');
      if (signature === shown) return;
      shown = signature;
      show(files, ...listed.files.map(fileItem));
      if (listed.files.length === 0) show(files, h('li', {}, listed.unavailableReason ?? 'No caption files yet.'));
      const slices = listed.files.filter((file) => file.kind === 'captions' && file.language === null && file.url);
      const texts = await Promise.all(slices.map(async (file) => (await fetch(file.url!)).text()));
      show(captions, ...texts.flatMap(cueLines).map((line) => h('li', {}, line)));
    } catch (error) {
      message.textContent = describe(error);
    }
  }
  const shownEvents = new Set<string>();
  /** One event into the timeline (the registry's history first, then the live ones, each once). */
  function onEvent(event: TranscriptionStatusEvent, eventId: string) {
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
        ` · ${event.source} · Agora ${event.agoraStatus ?? '–'} · ${formatTime(event.at)}`,
        event.state === 'failed' && event.lastError ? ` · ${failureText(event.lastError)}` : '',
      ),
    );
    showWhy(event.state === 'failed', event.lastError);
    stop.hidden = event.state === 'stopped' || event.state === 'failed';
    void refreshFiles();
  }
  const confirmStop = wireStop(stop, message, () => api().transcription.stop.mutate({ id }), 'transcription');
  api()
    .transcription.get.query({ id })
    .then(
      (t) => {
        show(
          details,
          h('dt', {}, 'Channel'),
          h('dd', {}, t.channel),
          h('dt', {}, 'Languages'),
          h('dd', {}, t.languages.join(', ')),
          h('dt', {}, 'Bot uid'),
          h('dd', {}, t.uid),
          h('dt', {}, 'Agent'),
          h('dd', {}, t.agentId ?? '–'),
          h('dt', {}, 'Started'),
          h('dd', {}, formatTime(t.startedAt)),
        );
        showWhy(t.state === 'failed', t.lastError);
        whoWasHere.load(t);
      },
      (error: unknown) => (message.textContent = describe(error)),
    );
  show(
    root,
    h('h1', {}, 'Transcription ', h('code', {}, id)),
    h('p', {}, 'State: ', state, ' ', stop, confirmStop),
    why,
    details,
    message,
    h('h2', {}, 'Timeline'),
    timeline,
    h('h2', {}, 'Captions'),
    captions,
    h('h2', {}, 'Files'),
    files,
    whoWasHere.section,
  );
  // The whole history from the registry first (a finished transcription's too), then live events.
  const stopFollowing = followTask(
    () => api().transcription.history.query({ id }),
    (handlers) => watchTranscription(api(), id, handlers),
    onEvent,
    (error) => (message.textContent = describe(error)),
  );
  // Captions land in the bucket between status changes: look again every 3 s.
  const timer = setInterval(() => void refreshFiles(), 3_000);
  return () => {
    stopFollowing();
    clearInterval(timer);
  };
}

function fileItem(file: CaptionObject): HTMLLIElement {
  const label = `${file.kind}${file.language ? ` (${file.language})` : ''} · ${file.fileName}${file.size === null ? '' : ` · ${file.size} bytes`}`;
  if (!file.url) return h('li', {}, label, ` (no link: ${file.unavailableReason ?? 'unknown'})`);
  return h('li', { 'data-kind': file.kind }, h('a', { href: file.url, download: file.fileName }, label));
}
