import { AgentStartInput, type Agent, type AgentProfileView, type AgentState } from '@agora-backend/shared';
import { failureText, field, formatTime, h, uidList } from '../dom.js';
import { onCheckedSubmit } from '../forms.js';
import { api } from '../session.js';
import { taskListPage } from './task-list.js';

const STATES: AgentState[] = ['starting', 'running', 'stopping', 'stopped', 'failed'];
const input = (name: string, extra: Record<string, string> = {}) => h('input', { name, autocomplete: 'off', ...extra });

/** What the start form says, as agent.start's input (only what was filled in; the profile decides the rest). */
function readStart(form: {
  channel: HTMLInputElement;
  profile: HTMLSelectElement;
  remoteUids: HTMLInputElement;
  greeting: HTMLInputElement;
  idle: HTMLInputElement;
}) {
  return {
    channel: form.channel.value,
    ...(form.profile.value.trim() ? { profile: form.profile.value.trim() } : {}),
    ...(form.remoteUids.value ? { remoteUids: uidList(form.remoteUids.value) } : {}),
    ...(form.greeting.value ? { greeting: form.greeting.value } : {}),
    ...(form.idle.value ? { idleTimeoutSeconds: Number(form.idle.value) } : {}),
  };
}

/** A profile as the select names it: its name, and what it is when the server says. */
const profileLabel = (profile: AgentProfileView) =>
  [profile.name, profile.description ?? [profile.kind, profile.model].filter(Boolean).join(', ')].filter(Boolean).join(' — ');

/**
 * Fills the profile select from agent.profiles (the safe views: never a key), keeping the choice;
 * until it answers (or if it fails) `default` stays the one choice.
 */
async function loadProfiles(select: HTMLSelectElement): Promise<void> {
  try {
    const { profiles } = await api().agent.profiles.query();
    if (profiles.length === 0) return;
    const chosen = select.value;
    select.replaceChildren(...profiles.map((profile) => h('option', { value: profile.name }, profileLabel(profile))));
    select.value = profiles.some((profile) => profile.name === chosen) ? chosen : profiles[0]!.name;
  } catch {
    // Keep `default`: agent.start names what is wrong if it is not there.
  }
}

/** Starts an agent from one of the server's profiles (agent.profiles lists their safe views). */
function startForm(): HTMLFormElement {
  const controls = {
    channel: input('channel', { required: 'required' }),
    profile: h('select', { name: 'profile' }, h('option', { value: 'default' }, 'default')),
    remoteUids: input('remoteUids', { placeholder: '100', inputmode: 'numeric' }),
    greeting: input('greeting', { placeholder: 'Hello! How can I help?' }),
    idle: input('idleTimeoutSeconds', { inputmode: 'numeric' }),
  };
  const formError = h('p', { class: 'error', role: 'alert' });
  const form = h(
    'form',
    { 'aria-label': 'Start an agent' },
    h('h2', {}, 'Start an agent'),
    field('Channel', controls.channel),
    field('Profile', controls.profile),
    field('Listen to uid', controls.remoteUids),
    field('Greeting (if the profile allows it)', controls.greeting),
    field('End after … seconds with nobody to listen to (0: never)', controls.idle),
    h('button', { type: 'submit' }, 'Start'),
    formError,
  );
  onCheckedSubmit(
    form,
    formError,
    AgentStartInput,
    () => readStart(controls),
    (input) => api().agent.start.mutate(input),
    (started) => (location.hash = `#/agents/${started.id}`),
  );
  void loadProfiles(controls.profile);
  return form;
}

function row(agent: Agent): HTMLTableRowElement {
  return h(
    'tr',
    { 'data-agent': agent.id },
    h('td', {}, h('a', { href: `#/agents/${agent.id}` }, h('code', {}, agent.id.slice(0, 12)))),
    h('td', {}, agent.channel),
    h('td', {}, agent.profile),
    h('td', { class: `state state-${agent.state}` }, agent.state),
    h('td', {}, formatTime(agent.createdAt)),
    h('td', {}, formatTime(agent.stoppedAt)),
    h('td', { class: 'reason' }, agent.state === 'failed' ? failureText(agent.lastError) : ''),
  );
}

/** The registry's agents, refreshed every few seconds; and the start form. */
export function agentsPage(root: HTMLElement, params = new URLSearchParams()): () => void {
  return taskListPage(root, params, {
    list: 'agents',
    title: 'Agents',
    idLabel: 'Agent id',
    states: STATES,
    columns: ['Agent', 'Channel', 'Profile', 'State', 'Created', 'Ended', 'Why it failed'],
    read: (filters) => api().agent.list.query({ ...filters, limit: 20 }),
    row,
    empty: 'No agents yet.',
    form: startForm(),
  });
}
