import { AgentSpeakInput, watchAgent, type AgentMessage, type AgentStatusEvent } from '@agora-backend/client';
import { failureText, field, formatTime, h, show } from '../dom.js';
import { describe, showIssues } from '../errors.js';
import { onCheckedSubmit, wireStop } from '../forms.js';
import { api } from '../session.js';

const ENDED = new Set(['stopped', 'failed']);

/**
 * One agent: its live state (agent.watch), its conversation as it grows (agent.history, then each
 * message the watch streams), a box to make it speak, Interrupt and Stop.
 */
export function agentPage(root: HTMLElement, id: string): () => void {
  const state = h('span', { class: 'state', id: 'agent-state', role: 'status', 'aria-live': 'polite' }, '…');
  const transcript = h('ol', { class: 'transcript', 'aria-label': 'Transcript', 'aria-live': 'polite' });
  const message = h('p', { class: 'error', role: 'alert' });
  const why = h('p', { class: 'error', id: 'failure-reason', hidden: true });
  const stop = h('button', { type: 'button', id: 'stop' }, 'Stop');
  const interrupt = h('button', { type: 'button', class: 'secondary', id: 'interrupt' }, 'Interrupt');
  const details = h('dl');
  const lines = new Map<number, HTMLLIElement>();
  let ended = false;
  const isEnded = () => ended;

  /** A message into the transcript, in its place by seq, each once. */
  function addMessage(said: AgentMessage) {
    if (lines.has(said.seq)) return;
    const item = h(
      'li',
      { 'data-role': said.role, 'data-seq': said.seq, title: formatTime(said.seenAt) },
      h('strong', {}, said.role === 'assistant' ? 'Agent' : said.role === 'user' ? 'User' : said.role),
      ': ',
      h('span', { class: 'said' }, said.content),
    );
    const after = [...lines.keys()].filter((seq) => seq > said.seq).sort((a, b) => a - b)[0];
    if (after === undefined) transcript.append(item);
    else lines.get(after)!.before(item);
    lines.set(said.seq, item);
  }

  function showState(now: string, error: Parameters<typeof failureText>[0]) {
    state.textContent = now;
    state.className = `state state-${now}`;
    ended = ENDED.has(now);
    why.hidden = now !== 'failed' || !error;
    why.textContent = now === 'failed' && error ? `Why it failed: ${failureText(error)}` : '';
    stop.hidden = ended;
    interrupt.hidden = ended;
    speakForm.hidden = ended;
  }

  function onEvent(event: AgentStatusEvent) {
    showState(event.state, event.lastError);
    if (event.message) addMessage(event.message);
  }

  /** The kept conversation (the server reads Agora's history first while the agent runs). */
  async function readHistory() {
    try {
      const kept = await api().agent.history.query({ id });
      kept.messages.forEach(addMessage);
    } catch (error) {
      message.textContent = describe(error);
    }
  }

  const text = h('input', { name: 'text', autocomplete: 'off', placeholder: 'What the agent should say' });
  const speakError = h('p', { class: 'error', role: 'alert' });
  const speakForm = h(
    'form',
    { 'aria-label': 'Make it speak' },
    field('Make it say', text),
    h('button', { type: 'submit' }, 'Say'),
    speakError,
  );
  onCheckedSubmit(
    speakForm,
    speakError,
    AgentSpeakInput,
    () => ({ id, text: text.value }),
    (input) => api().agent.speak.mutate(input),
    () => {
      text.value = '';
      showIssues(speakForm, []);
      void readHistory();
    },
  );
  interrupt.addEventListener('click', () => {
    message.textContent = '';
    api()
      .agent.interrupt.mutate({ id })
      .then(
        () => void readHistory(),
        (error: unknown) => (message.textContent = describe(error)),
      );
  });
  const confirmStop = wireStop(stop, message, () => api().agent.stop.mutate({ id }), 'agent');

  api()
    .agent.get.query({ id })
    .then(
      (agent) => {
        show(
          details,
          h('dt', {}, 'Channel'),
          h('dd', {}, agent.channel),
          h('dt', {}, 'Profile'),
          h('dd', {}, agent.profile),
          h('dt', {}, 'Agent uid'),
          h('dd', {}, agent.uid),
          h('dt', {}, 'Listens to'),
          h('dd', {}, agent.remoteUids.join(', ') || '–'),
          h('dt', {}, 'Agora agent'),
          h('dd', {}, agent.agentId ?? '–'),
          h('dt', {}, 'Started'),
          h('dd', {}, formatTime(agent.startedAt)),
        );
        showState(agent.state, agent.lastError);
      },
      (error: unknown) => (message.textContent = describe(error)),
    );
  show(
    root,
    h('h1', {}, 'Agent ', h('code', {}, id)),
    h('p', {}, 'State: ', state, ' ', interrupt, ' ', stop, confirmStop),
    why,
    details,
    message,
    h('h2', {}, 'Transcript'),
    transcript,
    speakForm,
  );
  // What was said before this page opened, then each state and message live.
  void readHistory();
  const live = watchAgent(api(), id, {
    onEvent,
    onEnd: () => void readHistory(),
    onError: (error) => (message.textContent = describe(error)),
  });
  // Agora's history between polls: read it again every 3 s while the agent runs.
  const timer = setInterval(() => {
    if (!isEnded()) void readHistory();
  }, 3_000);
  return () => {
    live.stop();
    clearInterval(timer);
  };
}
