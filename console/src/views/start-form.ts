import { RecordingStartInput } from '@agora-backend/shared';
import { field, h, uidList } from '../dom.js';
import { onCheckedSubmit } from '../forms.js';
import { api } from '../session.js';

const input = (name: string, extra: Record<string, string> = {}) => h('input', { name, autocomplete: 'off', ...extra });
const select = (name: string, options: [string, string][]) => h('select', { name }, ...options.map(([value, label]) => h('option', { value }, label)));

/** Every control of the start form, by the input field it fills. */
function controls() {
  return {
    channel: input('channel', { required: 'required' }),
    uid: input('uid', { inputmode: 'numeric' }),
    mode: select('mode', [['mix', 'mix'], ['individual', 'individual'], ['web', 'web']]),
    channelType: select('channelType', [['communication', 'communication'], ['live', 'live broadcast']]),
    streamTypes: select('streamTypes', [['audio_and_video', 'audio and video'], ['audio', 'audio'], ['video', 'video']]),
    mp4: h('input', { name: 'fileTypes', type: 'checkbox' }),
    audioUids: input('subscribeAudioUids', { placeholder: '123, 456' }),
    videoUids: input('subscribeVideoUids', { placeholder: '123, 456' }),
    layout: select('layout', [['', 'default (floating)'], ['floating', 'floating'], ['adaptive', 'adaptive'], ['vertical', 'vertical']]),
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

/** What the form says, as recording.start's input (only what was filled in). */
function readInput(c: Controls): Record<string, unknown> {
  const number = (control: HTMLInputElement, name: string) => (control.value ? { [name]: Number(control.value) } : {});
  return {
    channel: c.channel.value,
    mode: c.mode.value,
    ...(c.uid.value ? { uid: c.uid.value } : {}),
    ...(c.mode.value === 'web' ? {} : { channelType: c.channelType.value, streamTypes: c.streamTypes.value }),
    ...(c.mp4.checked ? { fileTypes: ['hls', 'mp4'] } : {}),
    ...(c.audioUids.value ? { subscribeAudioUids: uidList(c.audioUids.value) } : {}),
    ...(c.videoUids.value ? { subscribeVideoUids: uidList(c.videoUids.value) } : {}),
    ...(c.layout.value ? { layout: { layout: c.layout.value, ...(c.bigUid.value ? { maxResolutionUid: c.bigUid.value } : {}) } } : {}),
    ...(c.pageUrl.value ? { pageUrl: c.pageUrl.value } : {}),
    ...number(c.width, 'videoWidth'),
    ...number(c.height, 'videoHeight'),
    ...(c.snapshots.value ? { snapshots: { intervalSeconds: Number(c.snapshots.value) } } : {}),
    ...number(c.maxDuration, 'maxDurationSeconds'),
    ...number(c.maxIdle, 'maxIdleSeconds'),
  };
}

/** The start form: checked with the shared schema first, then the server's field errors beside the fields. */
export function startForm(): HTMLFormElement {
  const c = controls();
  const formError = h('p', { class: 'error', role: 'alert' });
  const form = h('form', { 'aria-label': 'Start a recording' }, h('h2', {}, 'Start a recording'),
    field('Channel', c.channel), field('Recorder uid (optional)', c.uid), field('Mode', c.mode),
    field('Channel profile (individual, mix)', c.channelType), field('Streams (individual, mix)', c.streamTypes),
    h('label', {}, h('span', {}, c.mp4, ' also MP4 (mix, web)'), h('span', { class: 'field-error', 'data-error-for': 'fileTypes' })),
    field('Record only the audio of uids (individual, mix)', c.audioUids), field('Record only the video of uids (individual, mix)', c.videoUids),
    field('Layout (mix)', c.layout), field('Big window uid (mix, vertical layout)', c.bigUid),
    field('Page URL (web)', c.pageUrl), field('Page width (web)', c.width), field('Page height (web)', c.height),
    field('Snapshot every … seconds (individual)', c.snapshots), field('Longest recording in seconds (optional)', c.maxDuration),
    field('End after … seconds with nobody publishing (individual, mix)', c.maxIdle), h('button', { type: 'submit' }, 'Start'), formError);
  onCheckedSubmit(form, formError, RecordingStartInput, () => readInput(c), (input) => api().recording.start.mutate(input), (started) => (location.hash = `#/recordings/${started.id}`));
  return form;
}
