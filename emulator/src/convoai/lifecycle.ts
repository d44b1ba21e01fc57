import type { World } from '../world.js';
import { cutTurns, greet, hearUser, interrupted, memoryOf, pendingTurns } from './conversation.js';
import {
  CONVO_END_MESSAGES,
  CONVO_LIFETIME_MS,
  EXPIRE_WARNING_MS,
  type ConvoAgent,
  type ConvoEndReason,
  type ConvoStatus,
  type FailureModule,
} from './types.js';

/**
 * How a Conversational AI agent moves with time — starting, running (and its greeting), the
 * token's expiry, idle exit, the 72-hour cap, a graceful stop — and the notices each step sends
 * (productId 17). Brought up to date lazily, on every call and on the notifier's tick.
 */

export const CONVO_PRODUCT_ID = 17;

export const convoActive = (agent: ConvoAgent) => agent.endedAt === undefined;
const seconds = (ms: number) => Math.floor(ms / 1000);

export function convoStatusOf(world: World, agent: ConvoAgent, now: number): ConvoStatus {
  if (!convoActive(agent)) return agent.endReason === 'failed' || agent.endReason === 'token' ? 'FAILED' : 'STOPPED';
  if (agent.stoppingUntil !== undefined) return 'STOPPING';
  return now - agent.createdAt < world.timing.statusStepMs ? 'STARTING' : 'RUNNING';
}

/** What query's `message` says: why it ended, or that it runs. */
export function messageOf(agent: ConvoAgent): string {
  if (agent.failure) return `${agent.failure.module}: ${agent.failure.message}`;
  return agent.endReason ? CONVO_END_MESSAGES[agent.endReason] : 'OK';
}

/** One notice: the agent and its channel, `labels` when the join set any, then the event's fields. */
export function notifyConvo(world: World, agent: ConvoAgent, eventType: number, payload: Record<string, unknown>, at: number) {
  world.notifier.emit({
    eventType,
    serviceType: 0,
    cname: agent.channel,
    uid: agent.uid,
    sid: agent.agentId,
    sequence: 0,
    at,
    details: { msgName: `convoai_${eventType}` },
    product: {
      productId: CONVO_PRODUCT_ID,
      envelopeSid: false,
      payload: {
        agent_id: agent.agentId,
        channel: agent.channel,
        ...(Object.keys(agent.labels).length > 0 ? { labels: agent.labels } : {}),
        ...payload,
      },
    },
  });
}

/** With enable_metrics, notice 111 for each turn over by `upTo`, in turn order. */
function announceTurns(world: World, agent: ConvoAgent, upTo: number) {
  if (!agent.profile.metrics) return;
  for (let turn = agent.turns[agent.turnsAnnounced]; turn && turn.end.end_at <= upTo; turn = agent.turns[agent.turnsAnnounced]) {
    agent.turnsAnnounced++;
    notifyConvo(
      world,
      agent,
      111,
      { turn_id: turn.turnId, start_at: turn.start.start_at, end_at: turn.end.end_at, metrics: turn.metrics },
      turn.end.end_at,
    );
  }
}

/** The end: pending turns cut, then 111 for them (metrics on), 110 (a failure), 102 and 103 with the conversation. */
export function endConvoAgent(world: World, agent: ConvoAgent, at: number, reason: ConvoEndReason) {
  const failed = reason === 'failed' || reason === 'token';
  const llm = agent.failure?.module === 'llm';
  cutTurns(
    agent,
    at,
    failed
      ? {
          type: 'error',
          metadata: { reason: llm ? 'LLM_REQUEST_ERR' : 'INTERNAL_ERR', details: messageOf({ ...agent, endReason: reason }) },
        }
      : interrupted('api_leave'),
  );
  announceTurns(world, agent, at);
  agent.endedAt = at;
  agent.endReason = reason;
  agent.stoppingUntil = undefined;
  const status = convoStatusOf(world, agent, at);
  if (failed)
    notifyConvo(
      world,
      agent,
      110,
      {
        module: agent.failure?.module ?? 'rtc',
        code: reason === 'token' ? 'TOKEN_EXPIRED' : 'FATAL_ERROR',
        message: messageOf(agent),
        timestamp: at,
      },
      at,
    );
  const span = { start_ts: seconds(agent.createdAt), stop_ts: seconds(at) };
  notifyConvo(world, agent, 102, { ...span, status, message: messageOf(agent) }, at);
  notifyConvo(world, agent, 103, { ...span, contents: memoryOf(agent) }, at);
}

/** The next thing time does to an agent, if anything: which end and when. */
function nextEnd(agent: ConvoAgent): { at: number; reason: ConvoEndReason } {
  const candidates: { at: number; reason: ConvoEndReason }[] = [
    { at: agent.createdAt + CONVO_LIFETIME_MS, reason: 'lifetime' },
    { at: agent.tokenExpiresAt, reason: 'token' },
  ];
  if (agent.idleMs > 0 && agent.idleSince !== undefined) candidates.push({ at: agent.idleSince + agent.idleMs, reason: 'idle' });
  if (agent.stoppingUntil !== undefined) candidates.push({ at: agent.stoppingUntil, reason: 'left' });
  return candidates.reduce((first, candidate) => (candidate.at < first.at ? candidate : first));
}

/** Brings an agent up to `now`: running (101, greeting), the token warning (104), then its end. */
export function refreshConvoAgent(world: World, agent: ConvoAgent, now = world.clock.now()) {
  if (!convoActive(agent)) return;
  const end = nextEnd(agent);
  const runningAt = agent.createdAt + world.timing.statusStepMs;
  if (!agent.joinedAnnounced && runningAt <= now && runningAt < end.at) {
    agent.joinedAnnounced = true;
    notifyConvo(world, agent, 101, { start_ts: seconds(agent.createdAt), status: 'RUNNING' }, runningAt);
  }
  if (!agent.greeted && agent.joinedAnnounced && agent.profile.greeting !== undefined) {
    agent.greeted = true;
    greet(agent, runningAt, agent.profile.greeting, agent.profile.greetingInterruptable);
  }
  const warnAt = agent.tokenExpiresAt - EXPIRE_WARNING_MS;
  if (agent.expiryWarned !== agent.tokenExpiresAt && warnAt <= now && warnAt < end.at) {
    agent.expiryWarned = agent.tokenExpiresAt;
    notifyConvo(
      world,
      agent,
      104,
      { expire_ts: seconds(agent.tokenExpiresAt), message: 'token privilege will expire' },
      Math.max(warnAt, agent.createdAt),
    );
  }
  announceTurns(world, agent, Math.min(now, end.at));
  if (end.at <= now) endConvoAgent(world, agent, end.at, end.reason);
}

export function refreshConvoAgents(world: World, now = world.clock.now()) {
  for (const agent of world.convoAgents.values()) refreshConvoAgent(world, agent, now);
}

/** Whether the agent listens to `uid` (remote_rtc_uids; "*" is everyone). */
export const listensTo = (agent: ConvoAgent, uid: string) =>
  agent.profile.remoteUids.includes('*') || agent.profile.remoteUids.includes(uid);

/** Someone started or stopped publishing in `channel`: start or clear its agents' idle countdown. */
export function onConvoPresenceChange(world: World, channel: string) {
  const now = world.clock.now();
  const present = [...(world.publishers.get(channel) ?? [])];
  for (const agent of world.convoAgents.values()) {
    if (agent.channel !== channel) continue;
    refreshConvoAgent(world, agent, now);
    if (!convoActive(agent)) continue;
    if (present.some((uid) => listensTo(agent, uid))) agent.idleSince = undefined;
    else agent.idleSince ??= now;
  }
}

/**
 * Speech in a channel (control API): each running agent that listens to `uid` hears it as a user
 * message and answers. A speaker counts as present: the idle countdown restarts. Returns the
 * agents that heard it.
 */
export function convoHear(world: World, channel: string, speech: { uid: string; text: string; durationMs: number }): string[] {
  const now = world.clock.now();
  const heard: string[] = [];
  for (const agent of world.convoAgents.values()) {
    refreshConvoAgent(world, agent, now);
    if (agent.channel !== channel || convoStatusOf(world, agent, now) !== 'RUNNING' || !listensTo(agent, speech.uid)) continue;
    if (agent.idleSince !== undefined) agent.idleSince = now;
    hearUser(agent, now, speech.text, speech.durationMs);
    heard.push(agent.agentId);
  }
  return heard;
}

/** A fatal error (control API): notice 110, then the agent ends FAILED with the module's message. */
export function failConvoAgent(world: World, agent: ConvoAgent, module: FailureModule, message: string | undefined) {
  refreshConvoAgent(world, agent);
  if (!convoActive(agent)) return;
  agent.failure = { module, message: message ?? `fatal ${module} error` };
  endConvoAgent(world, agent, world.clock.now(), 'failed');
}

/** `leave`: at once, or (graceful farewell) once the current turn is over, within the timeout. */
export function leaveConvoAgent(world: World, agent: ConvoAgent, now: number) {
  const pending = pendingTurns(agent, now);
  if (agent.profile.gracefulMs !== undefined && pending.length > 0) {
    agent.stoppingUntil ??= Math.min(pending[pending.length - 1]!.end.end_at, now + agent.profile.gracefulMs);
    return;
  }
  endConvoAgent(world, agent, now, 'left');
}
