import type { Recording } from '@agora-backend/client';
import { field, h, uidList } from '../dom.js';
import { refusal, showIssues } from '../errors.js';
import { api } from '../session.js';

/** What a running recording can change: pause (web), subscriptions (individual, mix), layout (mix). */
export function recordingControls(recording: Recording): HTMLElement {
  const section = h('section', { 'aria-label': 'Change the recording' }, h('h2', {}, 'Change'));
  if (recording.mode === 'web') section.append(pauseControls(recording.id));
  else section.append(subscriptionForm(recording.id));
  if (recording.mode === 'mix') section.append(layoutForm(recording.id));
  return section;
}

/** Sends a change; the form shows the server's field errors, or "Done". */
function submit(form: HTMLFormElement, status: HTMLElement, call: () => Promise<unknown>) {
  status.textContent = '';
  showIssues(form, []);
  call().then(
    () => (status.textContent = 'Done.'),
    (error: unknown) => (status.textContent = refusal(form, error)),
  );
}

function pauseControls(id: string): HTMLElement {
  const status = h('p', { role: 'status' });
  const form = h('form', { 'aria-label': 'Pause or resume' });
  const change = (paused: boolean) => () => submit(form, status, () => api().recording.update.mutate({ id, paused }));
  form.append(
    h('button', { type: 'button', onclick: change(true) }, 'Pause'),
    h('button', { type: 'button', class: 'secondary', onclick: change(false) }, 'Resume'),
    status,
  );
  return form;
}

function subscriptionForm(id: string): HTMLFormElement {
  const audio = h('input', { name: 'unsubscribeAudioUids', autocomplete: 'off', placeholder: '123, 456' });
  const video = h('input', { name: 'unsubscribeVideoUids', autocomplete: 'off', placeholder: '123, 456' });
  const status = h('p', { role: 'status' });
  const form = h(
    'form',
    { 'aria-label': 'Subscriptions' },
    field('Stop recording the audio of uids', audio),
    field('Stop recording the video of uids', video),
    h('button', { type: 'submit' }, 'Update subscriptions'),
    status,
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const changes = {
      ...(audio.value ? { unsubscribeAudioUids: uidList(audio.value) } : {}),
      ...(video.value ? { unsubscribeVideoUids: uidList(video.value) } : {}),
    };
    submit(form, status, () => api().recording.update.mutate({ id, ...changes }));
  });
  return form;
}

function layoutForm(id: string): HTMLFormElement {
  const layout = h('select', { name: 'layout' }, ...['floating', 'adaptive', 'vertical'].map((value) => h('option', { value }, value)));
  const big = h('input', { name: 'maxResolutionUid', autocomplete: 'off' });
  const status = h('p', { role: 'status' });
  const form = h(
    'form',
    { 'aria-label': 'Layout' },
    field('Layout', layout),
    field('Big window uid (vertical)', big),
    h('button', { type: 'submit' }, 'Change layout'),
    status,
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const chosen = { layout: layout.value as 'floating', ...(big.value ? { maxResolutionUid: big.value } : {}) };
    submit(form, status, () => api().recording.updateLayout.mutate({ id, layout: chosen }));
  });
  return form;
}
