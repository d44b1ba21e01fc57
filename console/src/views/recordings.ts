import { RecordingStartInput, type Recording, type RecordingState } from '@agora-backend/shared';
import { field, formatTime, h, show } from '../dom.js';
import { describe, issuesOf, showIssues } from '../errors.js';
import { api } from '../session.js';

const STATES: RecordingState[] = ['starting', 'recording', 'stopping', 'stopped', 'failed'];

/** The registry's recordings, filtered and paged, refreshed every few seconds; and the start form. */
export function recordingsPage(root: HTMLElement): () => void {
  const channel = h('input', { name: 'channel', type: 'search', autocomplete: 'off' });
  const state = h('select', { name: 'state' }, h('option', { value: '' }, 'any'), ...STATES.map((value) => h('option', { value }, value)));
  const body = h('tbody');
  const status = h('p', { role: 'status', 'aria-live': 'polite' });
  const more = h('button', { type: 'button', class: 'secondary', hidden: true }, 'Next page');
  let cursor: string | undefined;

  async function load(append = false) {
    try {
      const page = await api().recording.list.query({ ...(channel.value ? { channel: channel.value } : {}), ...(state.value ? { state: state.value as RecordingState } : {}), ...(append && cursor ? { cursor } : {}), limit: 20 });
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
  const filters = h('form', { class: 'filters', role: 'search', onsubmit: (event) => (event.preventDefault(), void load()) }, field('Channel', channel), field('State', state), h('button', { type: 'submit' }, 'Filter'));
  show(
    root,
    h('h1', {}, 'Recordings'),
    startForm(),
    h('h2', {}, 'In the registry'),
    filters,
    h('div', { class: 'table-wrap' }, h('table', {}, h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Recording'), h('th', { scope: 'col' }, 'Channel'), h('th', { scope: 'col' }, 'Mode'), h('th', { scope: 'col' }, 'State'), h('th', { scope: 'col' }, 'Created'))), body)),
    status,
    more,
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
  );
}

/** The start form: checked with the shared schema first, then the server's field errors beside the fields. */
function startForm(): HTMLFormElement {
  const channel = h('input', { name: 'channel', required: true, autocomplete: 'off' });
  const uid = h('input', { name: 'uid', inputmode: 'numeric', autocomplete: 'off' });
  const mode = h('select', { name: 'mode' }, ...['mix', 'individual', 'web'].map((value) => h('option', { value }, value)));
  const mp4 = h('input', { name: 'fileTypes', type: 'checkbox' });
  const pageUrl = h('input', { name: 'pageUrl', type: 'url', autocomplete: 'off' });
  const snapshots = h('input', { name: 'snapshots', inputmode: 'numeric', autocomplete: 'off' });
  const channelType = h('select', { name: 'channelType' }, h('option', { value: 'communication' }, 'communication'), h('option', { value: 'live' }, 'live broadcast'));
  const streamTypes = h('select', { name: 'streamTypes' }, ...['audio_and_video', 'audio', 'video'].map((value) => h('option', { value }, value.replaceAll('_', ' '))));
  const maxDuration = h('input', { name: 'maxDurationSeconds', inputmode: 'numeric', autocomplete: 'off' });
  const maxIdle = h('input', { name: 'maxIdleSeconds', inputmode: 'numeric', autocomplete: 'off' });
  const formError = h('p', { class: 'error', role: 'alert' });
  const form = h('form', { 'aria-label': 'Start a recording' }, h('h2', {}, 'Start a recording'), field('Channel', channel), field('Recorder uid (optional)', uid), field('Mode', mode), field('Channel profile (individual, mix)', channelType), field('Streams (individual, mix)', streamTypes),
    h('label', {}, h('span', {}, mp4, ' also MP4 (mix, web)'), h('span', { class: 'field-error', 'data-error-for': 'fileTypes' })),
    field('Page URL (web)', pageUrl), field('Snapshot every … seconds (individual)', snapshots), field('Longest recording in seconds (optional)', maxDuration), field('End after … seconds with nobody publishing (individual, mix)', maxIdle), h('button', { type: 'submit' }, 'Start'), formError);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const input = {
      channel: channel.value,
      mode: mode.value,
      ...(uid.value ? { uid: uid.value } : {}),
      ...(mode.value === 'web' ? {} : { channelType: channelType.value, streamTypes: streamTypes.value }),
      ...(mp4.checked ? { fileTypes: ['hls', 'mp4'] } : {}),
      ...(pageUrl.value ? { pageUrl: pageUrl.value } : {}),
      ...(snapshots.value ? { snapshots: { intervalSeconds: Number(snapshots.value) } } : {}),
      ...(maxDuration.value ? { maxDurationSeconds: Number(maxDuration.value) } : {}),
      ...(maxIdle.value ? { maxIdleSeconds: Number(maxIdle.value) } : {}),
    };
    const checked = RecordingStartInput.safeParse(input);
    if (!checked.success) {
      formError.textContent = showIssues(form, checked.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message }))).join('; ');
      return;
    }
    formError.textContent = '';
    showIssues(form, []);
    api().recording.start.mutate(input as never).then(
      (started) => (location.hash = `#/recordings/${started.id}`),
      (error: unknown) => (formError.textContent = [describe(error), ...showIssues(form, issuesOf(error))].filter(Boolean).join('; ')),
    );
  });
  return form;
}
