import type { ConvoAgent, ConvoProfile, HistoryEntry, Turn, TurnStartType } from './types.js';

/**
 * The emulated conversation (README, "Conversational AI"): no audio, no network, the same answer
 * for the same input. Someone's speech, `speak` and `think` each make a turn whose timestamps and
 * latency segments come from the text; the reply is derived from the text and the agent's model.
 * A turn is planned whole when it starts (its playback end included) and cut short by whatever
 * interrupts it.
 */

/** FNV-1a: the seed of a turn's latencies. */
function hash(text: string): number {
  let value = 0x811c9dc5;
  for (const char of text) value = Math.imul(value ^ char.charCodeAt(0), 0x01000193) >>> 0;
  return value;
}

/** What starts the pipeline: a voice (ASR, LLM, TTS), a text to think about (LLM, TTS), or a text to say (TTS). */
type Input = 'voice' | 'think' | 'say';

/** Segment latencies in Agora's names: text LLMs report ttft/ftfs/tts, multimodal ones ttfa. */
export function latencies(profile: ConvoProfile, text: string, input: Input): Turn['metrics'] {
  const h = hash(text);
  const spread = (shift: number, range: number) => (h >>> shift) % range;
  const segments: { name: string; latency: number }[] = [{ name: 'algorithm_processing', latency: 10 + spread(0, 10) }];
  if (input === 'voice') segments.push({ name: 'asr_ttlw', latency: 150 + spread(3, 60) });
  if (input !== 'say' && profile.multimodal) segments.push({ name: 'llm_ttfa', latency: 320 + spread(6, 120) });
  if (input !== 'say' && !profile.multimodal)
    segments.push({ name: 'llm_ttft', latency: 240 + spread(9, 120) }, { name: 'llm_ftfs', latency: 90 + spread(12, 60) });
  if (input === 'say' || !profile.multimodal) segments.push({ name: 'tts_ttfb', latency: 110 + spread(15, 50) });
  segments.push({ name: 'transport', latency: 30 + spread(20, 20) });
  return { e2e_latency_ms: segments.reduce((sum, segment) => sum + segment.latency, 0), segmented_latency_ms: segments };
}

/** How long the agent talks to say `text` (about 15 characters a second). */
export const playbackMs = (text: string) => Math.max(600, Buffer.byteLength(text) * 60);

/** The agent's answer: the text heard, prefixed with the model that "wrote" it. */
export function replyTo(profile: ConvoProfile, text: string): string {
  return `${profile.model ? `[${profile.model}] ` : ''}You said: ${text.trim()}`;
}

/** Turns not over at `at`: the one under way and any queued after it. */
export const pendingTurns = (agent: ConvoAgent, at: number) => agent.turns.filter((turn) => turn.end.end_at > at);

/** What the agent does at `at`: nothing, waiting for its pipeline, or talking. */
export function phaseOf(agent: ConvoAgent, at: number): 'listening' | 'thinking' | 'speaking' {
  const turn = pendingTurns(agent, at)[0];
  if (!turn) return 'listening';
  return at < turn.playbackAt ? 'thinking' : 'speaking';
}

/** Ends every pending turn at `at` (a queued one at its start), interrupted or in error. */
export function cutTurns(agent: ConvoAgent, at: number, end: Pick<Turn['end'], 'type' | 'metadata'>) {
  for (const turn of pendingTurns(agent, at)) turn.end = { end_at: Math.max(at, turn.start.start_at), ...end };
}

export const interrupted = (causedBy: 'start_of_speech' | 'api_speak' | 'api_interrupt' | 'api_leave') => ({
  type: 'interrupted' as const,
  metadata: causedBy === 'api_speak' || causedBy === 'api_interrupt' ? { caused_by: causedBy, transport: 'http' } : { caused_by: causedBy },
});

/** When a turn queued behind the pending ones may start. */
const afterPending = (agent: ConvoAgent, at: number) => Math.max(at, ...pendingTurns(agent, at).map((turn) => turn.end.end_at));

interface TurnPlan {
  startAt: number;
  type: TurnStartType;
  metadata: Record<string, unknown>;
  /** What the agent will say (its playback length); undefined: it says nothing (ignored). */
  says: string | undefined;
  /** Seeds the latencies. */
  input: Input;
  seed: string;
  /** Time before the pipeline starts (the user still speaking). */
  leadMs: number;
  interruptable: boolean;
}

function addTurn(agent: ConvoAgent, plan: TurnPlan): Turn {
  const metrics = latencies(agent.profile, plan.seed, plan.input);
  const playbackAt = plan.startAt + plan.leadMs + metrics.e2e_latency_ms;
  const end: Turn['end'] =
    plan.says === undefined
      ? { end_at: plan.startAt + plan.leadMs, type: 'ignored', metadata: { caused_by: 'disable' } }
      : { end_at: playbackAt + playbackMs(plan.says), type: 'ok', metadata: { playback_duration_ms: playbackMs(plan.says) } };
  const turn: Turn = {
    turnId: agent.turns.length + 1,
    start: { start_at: plan.startAt, type: plan.type, metadata: plan.metadata },
    playbackAt,
    end,
    interruptable: plan.interruptable,
    metrics,
  };
  agent.turns.push(turn);
  return turn;
}

/** The assistant's entry; with llm.vendor custom, when it is heard. */
function said(agent: ConvoAgent, content: string, turn: Turn): HistoryEntry {
  return agent.profile.customVendor
    ? { role: 'assistant', content, speech_start_ms: turn.playbackAt, speech_end_ms: turn.end.end_at }
    : { role: 'assistant', content };
}

/** The greeting, once, when the agent starts running. */
export function greet(agent: ConvoAgent, at: number, greeting: string, interruptable: boolean) {
  const turn = addTurn(agent, {
    startAt: at,
    type: 'greeting',
    metadata: { greeting_nth: 1 },
    says: greeting,
    input: 'say',
    seed: greeting,
    leadMs: 0,
    interruptable,
  });
  agent.history.push(said(agent, greeting, turn));
}

/**
 * A user speaks from `at` for `durationMs`: it interrupts an interruptable turn (start of
 * speech); otherwise, with interruption off, it waits its turn (append) or gets no answer (ignore).
 */
export function hearUser(agent: ConvoAgent, at: number, text: string, durationMs: number) {
  const busy = pendingTurns(agent, at);
  const mayInterrupt = agent.profile.interruptionEnabled && busy.every((turn) => turn.interruptable);
  if (busy.length > 0 && mayInterrupt) cutTurns(agent, at, interrupted('start_of_speech'));
  const ignored = busy.length > 0 && !mayInterrupt && agent.profile.disabledStrategy === 'ignore';
  const startAt = busy.length > 0 && !mayInterrupt && !ignored ? afterPending(agent, at) : at;
  const reply = replyTo(agent.profile, text);
  const metadata = { speech_duration_ms: durationMs, interrupt_duration_ms: 160 };
  const turn = addTurn(agent, {
    startAt,
    type: 'voice_input',
    metadata,
    says: ignored ? undefined : reply,
    input: 'voice',
    seed: text,
    leadMs: durationMs,
    interruptable: true,
  });
  const delay = turn.metrics.segmented_latency_ms[0]!.latency;
  agent.history.push(
    agent.profile.customVendor
      ? { role: 'user', content: text, speech_start_ms: at, speech_end_ms: at + durationMs, speech_algorithmic_delay: delay }
      : { role: 'user', content: text },
  );
  if (!ignored) agent.history.push(said(agent, reply, turn));
}

/** `speak`: false when the text was dropped (IGNORE while the agent is busy). */
export function sayText(
  agent: ConvoAgent,
  at: number,
  request: { text: string; priority: 'INTERRUPT' | 'APPEND' | 'IGNORE'; interruptable: boolean },
): boolean {
  const busy = pendingTurns(agent, at).length > 0;
  if (busy && request.priority === 'IGNORE') return false;
  if (busy && request.priority === 'INTERRUPT') cutTurns(agent, at, interrupted('api_speak'));
  const startAt = request.priority === 'APPEND' ? afterPending(agent, at) : at;
  const turn = addTurn(agent, {
    startAt,
    type: 'api_speak',
    metadata: { transport: 'http' },
    says: request.text,
    input: 'say',
    seed: request.text,
    leadMs: 0,
    interruptable: request.interruptable,
  });
  agent.history.push(said(agent, request.text, turn));
  return true;
}

/**
 * `think`: the text is the user's; what happens depends on what the agent is doing (the request's
 * on_*_action). Answers what was done.
 */
export function think(
  agent: ConvoAgent,
  at: number,
  request: {
    text: string;
    on_listening_action: 'inject' | 'interrupt' | 'ignore';
    on_thinking_action: 'interrupt' | 'ignore';
    on_speaking_action: 'interrupt' | 'ignore';
    interruptable: boolean;
  },
): 'answered' | 'injected' | 'ignored' {
  const phase = phaseOf(agent, at);
  const action =
    phase === 'listening' ? request.on_listening_action : phase === 'thinking' ? request.on_thinking_action : request.on_speaking_action;
  if (action === 'ignore') return 'ignored';
  agent.history.push({ role: 'user', content: request.text });
  if (action === 'inject') return 'injected';
  cutTurns(agent, at, interrupted('api_interrupt'));
  const reply = replyTo(agent.profile, request.text);
  const turn = addTurn(agent, {
    startAt: at,
    type: 'api_speak',
    metadata: { transport: 'http', action: 'think' },
    says: reply,
    input: 'think',
    seed: request.text,
    leadMs: 0,
    interruptable: request.interruptable,
  });
  agent.history.push(said(agent, reply, turn));
  return 'answered';
}

/** `interrupt`: whatever the agent says or prepares stops now. Answers whether anything did. */
export function interruptAgent(agent: ConvoAgent, at: number): boolean {
  const busy = pendingTurns(agent, at).length > 0;
  cutTurns(agent, at, interrupted('api_interrupt'));
  return busy;
}

/** The memory `history` answers: the last max_history messages. */
export const memoryOf = (agent: ConvoAgent) => agent.history.slice(-agent.profile.maxHistory);

/** Turns over by `at`, as Agora's turns endpoint shows them. */
export function finishedTurns(agent: ConvoAgent, at: number) {
  return agent.turns
    .filter((turn) => turn.end.end_at <= at)
    .map((turn) => ({
      agent_id: agent.agentId,
      channel: agent.channel,
      turn_id: turn.turnId,
      start: turn.start,
      end: turn.end,
      metrics: turn.metrics,
    }));
}
