import { TranscriptionStartInput, type Transcription, type TranscriptionState } from '@agora-backend/shared';
import { failureText, field, formatDuration, formatTime, h, uidList } from '../dom.js';
import { afterStart, onCheckedSubmit } from '../forms.js';
import { api } from '../session.js';
import { taskListPage } from './task-list.js';

const STATES: TranscriptionState[] = ['starting', 'running', 'stopping', 'stopped', 'failed'];
const input = (name: string, extra: Record<string, string> = {}) => h('input', { name, autocomplete: 'off', ...extra });

/** What the start form says, as transcription.start's input (only what was filled in). */
function readStart(form: {
  channel: HTMLInputElement;
  languages: HTMLInputElement;
  targets: HTMLInputElement;
  speakers: HTMLInputElement;
  captions: HTMLInputElement;
  maxIdle: HTMLInputElement;
}) {
  const languages = uidList(form.languages.value);
  const targets = uidList(form.targets.value);
  return {
    channel: form.channel.value,
    languages,
    // Translation from the first spoken language: what a form can say simply.
    ...(targets.length > 0 && languages[0] ? { translate: [{ source: languages[0], targets }] } : {}),
    ...(form.speakers.value ? { subscribeUids: uidList(form.speakers.value) } : {}),
    ...(form.captions.checked ? {} : { captions: false as const }),
    ...(form.maxIdle.value ? { maxIdleSeconds: Number(form.maxIdle.value) } : {}),
  };
}

function startForm(): HTMLFormElement {
  const controls = {
    channel: input('channel', { required: 'required' }),
    languages: input('languages', { value: 'en-US', placeholder: 'en-US, es-ES' }),
    targets: input('translate', { placeholder: 'fr-FR, de-DE' }),
    speakers: input('subscribeUids', { placeholder: '123, 456' }),
    captions: h('input', { name: 'captions', type: 'checkbox', checked: true }),
    maxIdle: input('maxIdleSeconds', { inputmode: 'numeric' }),
  };
  const formError = h('p', { class: 'error', role: 'alert' });
  const form = h(
    'form',
    { 'aria-label': 'Start a transcription' },
    h('h2', {}, 'Start a transcription'),
    field('Channel', controls.channel),
    field('Spoken languages (up to 4)', controls.languages),
    field('Translate the first one into', controls.targets),
    field('Only these speakers (uids, optional)', controls.speakers),
    h(
      'label',
      {},
      h('span', {}, controls.captions, ' caption files in the bucket'),
      h('span', { class: 'field-error', 'data-error-for': 'captions' }),
    ),
    field('End after … seconds with nobody in the channel (0: never)', controls.maxIdle),
    h('button', { type: 'submit' }, 'Start'),
    formError,
  );
  onCheckedSubmit(
    form,
    formError,
    TranscriptionStartInput,
    () => readStart(controls),
    (input) => api().transcription.start.mutate(input),
    (started) => afterStart(form, started, `#/transcriptions/${started.id}`, 'transcription'),
  );
  return form;
}

function row(transcription: Transcription): HTMLTableRowElement {
  return h(
    'tr',
    { 'data-transcription': transcription.id },
    h('td', {}, h('a', { href: `#/transcriptions/${transcription.id}` }, h('code', {}, transcription.id.slice(0, 12)))),
    h('td', {}, transcription.channel),
    h('td', {}, transcription.languages.join(', ')),
    h('td', { class: `state state-${transcription.state}` }, transcription.state),
    h('td', {}, formatTime(transcription.createdAt)),
    h('td', {}, formatDuration(transcription.startedAt, transcription.stoppedAt)),
    h('td', {}, formatTime(transcription.stoppedAt)),
    h('td', { class: 'reason' }, transcription.state === 'failed' ? failureText(transcription.lastError) : ''),
  );
}

/** The registry's transcriptions, refreshed every few seconds; and the start form. */
export function transcriptionsPage(root: HTMLElement, params = new URLSearchParams()): () => void {
  return taskListPage(root, params, {
    list: 'transcriptions',
    title: 'Transcriptions',
    idLabel: 'Transcription id',
    states: STATES,
    columns: ['Transcription', 'Channel', 'Languages', 'State', 'Created', 'Duration', 'Ended', 'Why it failed'],
    read: (filters) => api().transcription.list.query({ ...filters, limit: 20 }),
    row,
    empty: 'No transcriptions yet.',
    form: startForm(),
  });
}
