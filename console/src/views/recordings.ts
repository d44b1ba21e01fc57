import type { Recording, RecordingState } from '@agora-backend/shared';
import { failureText, formatDuration, formatTime, h, show } from '../dom.js';
import { describe } from '../errors.js';
import { api } from '../session.js';
import { findForm } from '../forms.js';
import { startForm } from './start-form.js';
import { listFilters, listTable } from './task-list.js';

const STATES: RecordingState[] = ['starting', 'recording', 'stopping', 'stopped', 'failed'];

/** The registry's recordings, filtered and paged, refreshed every few seconds; and the start form. */
export function recordingsPage(root: HTMLElement, params = new URLSearchParams()): () => void {
  const { channel, state, fields } = listFilters(STATES, params);
  const body = h('tbody');
  const status = h('p', { role: 'status', 'aria-live': 'polite' });
  const more = h('button', { type: 'button', class: 'secondary', hidden: true }, 'Next page');
  let cursor: string | undefined;

  async function load(append = false) {
    try {
      const page = await api().recording.list.query({
        ...(channel.value ? { channel: channel.value } : {}),
        ...(state.value ? { state: state.value as RecordingState } : {}),
        ...(append && cursor ? { cursor } : {}),
        limit: 20,
      });
      cursor = page.nextCursor ?? undefined;
      more.hidden = cursor === undefined;
      const rows = page.items.map(row);
      if (append) body.append(...rows);
      else show(body, ...rows);
      status.textContent = body.children.length === 0 ? 'No recordings yet.' : '';
    } catch (error) {
      status.textContent = describe(error);
    }
  }
  more.addEventListener('click', () => void load(true));
  const filters = findForm('recordings', 'Recording id', fields, () => void load());
  show(
    root,
    h('h1', {}, 'Recordings'),
    filters,
    listTable(['Recording', 'Channel', 'Mode', 'State', 'Created', 'Duration', 'Ended', 'Files', 'Why it failed'], body),
    status,
    more,
    // The list first (what an operator looks for); the form below it.
    startForm(),
  );
  void load();
  // "Live": the first page is read again every 3 s (more pages stay as they are until asked for).
  const timer = setInterval(() => {
    if (!cursor || body.children.length <= 20) void load();
  }, 3_000);
  return () => clearInterval(timer);
}

function row(recording: Recording): HTMLTableRowElement {
  return h(
    'tr',
    { 'data-recording': recording.id },
    h('td', {}, h('a', { href: `#/recordings/${recording.id}` }, h('code', {}, recording.id.slice(0, 12)))),
    h('td', {}, recording.channel),
    h('td', {}, recording.mode),
    h('td', { class: `state state-${recording.state}` }, recording.state),
    h('td', {}, formatTime(recording.createdAt)),
    h('td', {}, formatDuration(recording.startedAt, recording.stoppedAt)),
    h('td', {}, formatTime(recording.stoppedAt)),
    h('td', {}, recording.files.length),
    h('td', { class: 'reason' }, recording.state === 'failed' ? failureText(recording.lastError) : ''),
  );
}
