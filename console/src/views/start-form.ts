import { RecordingStartInput } from '@agora-backend/shared';
import { field, h, uidList } from '../dom.js';
import { afterStart, onCheckedSubmit } from '../forms.js';
import { api } from '../session.js';

const input = (name: string, extra: Record<string, string> = {}) => h('input', { name, autocomplete: 'off', ...extra });
const select = (name: string, options: [string, string][]) =>
  h('select', { name }, ...options.map(([value, label]) => h('option', { value }, label)));

/** Every control of the start form, by the input field it fills. */
function controls() {
  return {
    channel: input('channel', { required: 'required' }),
    uid: input('uid', { inputmode: 'numeric' }),
    mode: select('mode', [
      ['mix', 'mix'],
      ['individual', 'individual'],
      ['web', 'web'],
    ]),
    channelType: select('channelType', [
      ['communication', 'communication'],
      ['live', 'live broadcast'],
    ]),
    streamTypes: select('streamTypes', [
      ['audio_and_video', 'audio and video'],
      ['audio', 'audio'],
      ['video', 'video'],
    ]),
    mp4: h('input', { name: 'fileTypes', type: 'checkbox' }),
    audioUids: input('subscribeAudioUids', { placeholder: '123, 456' }),
    videoUids: input('subscribeVideoUids', { placeholder: '123, 456' }),
    layout: select('layout', [
      ['', 'default (floating)'],
      ['floating', 'floating'],
      ['adaptive', 'adaptive'],
      ['vertical', 'vertical'],
    ]),
    bigUid: input('maxResolutionUid'),
    pageUrl: input('pageUrl', { type: 'url' }),
    width: input('videoWidth', { inputmode: 'numeric', placeholder: '1280' }),
    height: input('videoHeight', { inputmode: 'numeric', placeholder: '720' }),
    snapshots: input('snapshots', { inputmode: 'numeric' }),
    maxDuration: input('maxDurationSeconds', { inputmode: 'numeric' }),
    maxIdle: input('maxIdleSeconds', { inputmode: 'numeric' }),
  };
}
type Controls = ReturnType<typeof controls>;
type Mode = 'individual' | 'mix' | 'web';

/** The modes each option is for (the others are hidden, and not sent); unlisted: every mode. */
const MODES: Partial<Record<keyof Controls, readonly Mode[]>> = {
  channelType: ['individual', 'mix'],
  streamTypes: ['individual', 'mix'],
  mp4: ['mix', 'web'],
  audioUids: ['individual', 'mix'],
  videoUids: ['individual', 'mix'],
  layout: ['mix'],
  bigUid: ['mix'],
  pageUrl: ['web'],
  width: ['web'],
  height: ['web'],
  snapshots: ['individual'],
  maxIdle: ['individual', 'mix'],
};

/** Whether the control `key` belongs to the form's current mode. */
const inMode = (c: Controls, key: keyof Controls) => MODES[key]?.includes(c.mode.value as Mode) ?? true;

/** What the form says, as recording.start's input (only what was filled in, for the chosen mode). */
function readInput(c: Controls): Record<string, unknown> {
  const text = (key: keyof Controls) => (inMode(c, key) ? (c[key] as HTMLInputElement).value : '');
  const number = (key: keyof Controls, name: string) => (text(key) ? { [name]: Number(text(key)) } : {});
  return {
    channel: c.channel.value,
    mode: c.mode.value,
    ...(c.uid.value ? { uid: c.uid.value } : {}),
    ...(inMode(c, 'channelType') ? { channelType: c.channelType.value, streamTypes: c.streamTypes.value } : {}),
    ...(inMode(c, 'mp4') && c.mp4.checked ? { fileTypes: ['hls', 'mp4'] } : {}),
    ...(text('audioUids') ? { subscribeAudioUids: uidList(text('audioUids')) } : {}),
    ...(text('videoUids') ? { subscribeVideoUids: uidList(text('videoUids')) } : {}),
    ...(text('layout') ? { layout: { layout: text('layout'), ...(text('bigUid') ? { maxResolutionUid: text('bigUid') } : {}) } } : {}),
    ...(text('pageUrl') ? { pageUrl: text('pageUrl') } : {}),
    ...number('width', 'videoWidth'),
    ...number('height', 'videoHeight'),
    ...(text('snapshots') ? { snapshots: { intervalSeconds: Number(text('snapshots')) } } : {}),
    ...number('maxDuration', 'maxDurationSeconds'),
    ...number('maxIdle', 'maxIdleSeconds'),
  };
}

/**
 * The start form: only the chosen mode's fields (the rarer ones folded under "More options"),
 * checked with the shared schema first, then the server's field errors beside the fields.
 */
export function startForm(): HTMLFormElement {
  const c = controls();
  const formError = h('p', { class: 'error', role: 'alert' });
  const labelled = (key: keyof Controls, label: HTMLLabelElement) => {
    label.dataset.control = key;
    return label;
  };
  const mp4 = h('label', {}, h('span', {}, c.mp4, ' also MP4'), h('span', { class: 'field-error', 'data-error-for': 'fileTypes' }));
  const form = h(
    'form',
    { 'aria-label': 'Start a recording' },
    h('h2', {}, 'Start a recording'),
    field('Channel', c.channel),
    field('Mode', c.mode),
    labelled('pageUrl', field('Page URL', c.pageUrl)),
    labelled('mp4', mp4),
    labelled('layout', field('Layout', c.layout)),
    labelled('bigUid', field('Big window uid (vertical layout)', c.bigUid)),
    labelled('snapshots', field('Snapshot every … seconds', c.snapshots)),
    h(
      'details',
      { class: 'more' },
      h('summary', {}, 'More options'),
      field('Recorder uid (optional)', c.uid),
      labelled('channelType', field('Channel profile', c.channelType)),
      labelled('streamTypes', field('Streams', c.streamTypes)),
      labelled('audioUids', field('Record only the audio of uids', c.audioUids)),
      labelled('videoUids', field('Record only the video of uids', c.videoUids)),
      labelled('width', field('Page width', c.width)),
      labelled('height', field('Page height', c.height)),
      field('Longest recording in seconds (optional)', c.maxDuration),
      labelled('maxIdle', field('End after … seconds with nobody publishing', c.maxIdle)),
    ),
    h('button', { type: 'submit' }, 'Start'),
    formError,
  );
  const showMode = () =>
    form
      .querySelectorAll<HTMLLabelElement>('label[data-control]')
      .forEach((label) => (label.hidden = !inMode(c, label.dataset.control as keyof Controls)));
  c.mode.addEventListener('change', showMode);
  showMode();
  onCheckedSubmit(
    form,
    formError,
    RecordingStartInput,
    () => readInput(c),
    (input) => api().recording.start.mutate(input),
    (started) => afterStart(form, started, `#/recordings/${started.id}`, 'recording'),
  );
  return form;
}
