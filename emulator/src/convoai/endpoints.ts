import { randomInt } from 'node:crypto';
import { agentListReply, isRecord } from '../replies.js';
import type { Reply } from '../types.js';
import { isActive, type World } from '../world.js';
import { agentActive } from '../stt/lifecycle.js';
import { newAgentId } from '../stt/endpoints.js';
import { finishedTurns, interruptAgent, memoryOf, sayText, think as thinkAbout } from './conversation.js';
import { convoActive, convoStatusOf, leaveConvoAgent, listensTo, messageOf, refreshConvoAgent, refreshConvoAgents } from './lifecycle.js';
import { checkAgentToken } from './token.js';
import { CONVO_STATES, TURN_RETENTION_MS, type ConvoAgent, type ConvoAgentView, type ConvoProfile, type ConvoStatus } from './types.js';
import { detailFor, JoinRequest, SpeakRequest, ThinkRequest, UpdateRequest, type JoinRequest as Join } from './validation.js';

/**
 * Conversational AI v2's endpoints (README, "Conversational AI"): join, leave, update, query,
 * list, speak, interrupt, think, history, turns. Errors answer `{detail, reason}`.
 */

export const convoError = (status: number, reason: string, detail: string): Reply => ({ status, body: { detail, reason } });
const invalid = (detail: string) => convoError(400, 'InvalidRequest', detail);
const notFound = (agentId: string, why = 'not found') => convoError(404, 'TaskNotFound', `agent ${agentId} ${why}`);
const seconds = (ms: number) => Math.floor(ms / 1000);

/** Who called: Basic reaches every channel; `agora token=` only its token's channel. */
export interface Access {
  channel: string | undefined;
}
const forbidden = (channel: string) => convoError(401, 'Unauthorized', `the Authorization token is not for channel "${channel}"`);

const answer = (world: World, agent: ConvoAgent) => ({
  agent_id: agent.agentId,
  create_ts: seconds(agent.createdAt),
  status: convoStatusOf(world, agent, world.clock.now()),
});

/** `{{name}}` placeholders filled from template_variables (one level: values are not expanded). */
const fill = (text: string, variables: Record<string, string> | undefined) =>
  text.replace(/\{\{\s*([A-Za-z0-9_]+)\s*\}\}/g, (whole, name: string) => variables?.[name] ?? whole);

const stringParam = (params: Record<string, unknown> | undefined, key: string) =>
  typeof params?.[key] === 'string' ? params[key] : undefined;

function profileOf(request: Join): ConvoProfile {
  const p = request.properties;
  const multimodal = p.mllm?.enable === true || p.advanced_features?.enable_mllm === true;
  const greeting = multimodal ? p.mllm?.greeting_message : p.llm?.greeting_message;
  const farewell = p.parameters?.farewell_config;
  return {
    remoteUids: p.remote_rtc_uids,
    greeting: greeting === undefined || greeting === '' ? undefined : fill(greeting, p.llm?.template_variables),
    greetingInterruptable: p.llm?.greeting_configs?.interruptable ?? true,
    model: stringParam(multimodal ? p.mllm?.params : p.llm?.params, 'model'),
    customVendor: p.llm?.vendor === 'custom',
    multimodal,
    maxHistory: p.llm?.max_history ?? 32,
    interruptionEnabled: p.interruption?.enable ?? true,
    disabledStrategy: p.interruption?.disabled_config?.strategy ?? 'append',
    gracefulMs: farewell?.graceful_enabled === true ? (farewell.graceful_timeout_seconds ?? 30) * 1000 : undefined,
    rtm: p.advanced_features?.enable_rtm === true,
    metrics: p.parameters?.enable_metrics === true,
  };
}

/** Who holds `uid` in `channel` now: another agent, a bot or recorder, or a user. */
function uidHolder(world: World, channel: string, uid: string): string | undefined {
  for (const agent of world.convoAgents.values())
    if (convoActive(agent) && agent.channel === channel && agent.uid === uid) return `agent ${agent.agentId}`;
  for (const agent of world.agents.values())
    if (agentActive(agent) && agent.channel === channel && agent.pubBotUid === uid) return 'a Speech-to-Text bot';
  for (const task of world.tasks.values()) if (isActive(task) && task.cname === channel && task.uid === uid) return 'a recording';
  // An audience member holds its uid too, though it does not publish.
  if (world.publishers.get(channel)?.has(uid) || world.channel.channels.get(channel)?.users.has(uid)) return 'a user';
  return undefined;
}

/** A uid for `"0"`: one nobody in the channel holds. */
function freeUid(world: World, channel: string): string {
  for (;;) {
    const uid = String(randomInt(100_000, 2 ** 31));
    if (!uidHolder(world, channel, uid)) return uid;
  }
}

export function join(world: World, body: Record<string, unknown>, access: Access): Reply {
  const parsed = JoinRequest.safeParse(body);
  if (!parsed.success) return invalid(detailFor(parsed.error));
  const request = parsed.data;
  const p = request.properties;
  if (access.channel !== undefined && access.channel !== p.channel) return forbidden(p.channel);
  const now = world.clock.now();
  const rtm = p.advanced_features?.enable_rtm === true;
  const token = checkAgentToken({
    token: p.token,
    appId: world.appId,
    appCertificate: world.appCertificate,
    channel: p.channel,
    uid: p.agent_rtc_uid,
    rtm,
    nowMs: now,
  });
  if (!token.ok) return invalid(`properties.token ${token.reason}`);
  refreshConvoAgents(world, now);
  // Names are unique per App among agents that have not ended (README, "Conversational AI").
  const namesake = [...world.convoAgents.values()].find((agent) => convoActive(agent) && agent.name === request.name);
  if (namesake)
    return {
      status: 409,
      body: { detail: `an agent named "${request.name}" is already running`, reason: 'TaskConflict', ...answer(world, namesake) },
    };
  const holder = p.agent_rtc_uid === '0' ? undefined : uidHolder(world, p.channel, p.agent_rtc_uid);
  if (holder)
    return convoError(409, 'TaskConflict', `properties.agent_rtc_uid ${p.agent_rtc_uid} is used by ${holder} in channel "${p.channel}"`);
  const agent: ConvoAgent = {
    agentId: newAgentId(),
    name: request.name,
    channel: p.channel,
    uid: p.agent_rtc_uid === '0' ? freeUid(world, p.channel) : p.agent_rtc_uid,
    labels: p.labels ?? {},
    profile: profileOf(request),
    properties: structuredClone(p),
    createdAt: now,
    tokenExpiresAt: token.expiresAt,
    expiryWarned: undefined,
    idleMs: (p.idle_timeout ?? 30) * 1000,
    idleSince: undefined,
    stoppingUntil: undefined,
    endedAt: undefined,
    endReason: undefined,
    failure: undefined,
    joinedAnnounced: false,
    turnsAnnounced: 0,
    greeted: false,
    history: [],
    turns: [],
  };
  const present = [...(world.publishers.get(p.channel) ?? [])].some((uid) => listensTo(agent, uid));
  agent.idleSince = present ? undefined : now;
  world.convoAgents.set(agent.agentId, agent);
  refreshConvoAgent(world, agent, now);
  return { status: 200, body: answer(world, agent) };
}

/** An agent this caller may see: known (an ended one for a while), in a channel it may reach. */
function findAgent(
  world: World,
  agentId: string,
  access: Access,
  inFailover: boolean,
  keepMs = world.timing.agentRetentionMs,
): ConvoAgent | Reply {
  const agent = inFailover ? undefined : world.convoAgents.get(agentId);
  if (!agent) return notFound(agentId);
  refreshConvoAgent(world, agent);
  if (agent.endedAt !== undefined && world.clock.now() - agent.endedAt >= keepMs) return notFound(agentId);
  if (access.channel !== undefined && access.channel !== agent.channel) return forbidden(agent.channel);
  return agent;
}

/** An agent that has not ended; `running` also refuses one still starting (or stopping). */
function liveAgent(world: World, agentId: string, access: Access, inFailover: boolean, running: boolean): ConvoAgent | Reply {
  const agent = findAgent(world, agentId, access, inFailover);
  if (!('agentId' in agent)) return agent;
  const status = convoStatusOf(world, agent, world.clock.now());
  if (!convoActive(agent)) return notFound(agentId, `has exited (${status})`);
  if (running && status !== 'RUNNING') return convoError(400, 'InvalidRequest', `agent ${agentId} is ${status}; it must be RUNNING`);
  return agent;
}

export function query(world: World, agentId: string, access: Access, inFailover: boolean): Reply {
  const agent = findAgent(world, agentId, access, inFailover);
  if (!('agentId' in agent)) return agent;
  const status = convoStatusOf(world, agent, world.clock.now());
  return {
    status: 200,
    body: {
      message: messageOf(agent),
      start_ts: seconds(agent.createdAt),
      stop_ts: agent.endedAt === undefined ? 0 : seconds(agent.endedAt),
      name: agent.name,
      status,
      agent_id: agent.agentId,
    },
  };
}

export function leave(world: World, agentId: string, access: Access, inFailover: boolean): Reply {
  const agent = findAgent(world, agentId, access, inFailover);
  if (!('agentId' in agent)) return agent;
  // Leaving an agent that has ended changes nothing while it is still known.
  if (convoActive(agent)) leaveConvoAgent(world, agent, world.clock.now());
  return { status: 200, body: {} };
}

export function update(world: World, agentId: string, body: Record<string, unknown>, access: Access, inFailover: boolean): Reply {
  const agent = liveAgent(world, agentId, access, inFailover, false);
  if (!('agentId' in agent)) return agent;
  const parsed = UpdateRequest.safeParse(body);
  if (!parsed.success) return invalid(detailFor(parsed.error));
  const changes = parsed.data.properties;
  const now = world.clock.now();
  if (changes?.token !== undefined) {
    const token = checkAgentToken({
      token: changes.token,
      appId: world.appId,
      appCertificate: world.appCertificate,
      channel: agent.channel,
      uid: agent.uid,
      rtm: agent.profile.rtm,
      nowMs: now,
    });
    if (!token.ok) return invalid(`properties.token ${token.reason}`);
    agent.tokenExpiresAt = token.expiresAt;
  }
  const stored = agent.properties;
  const section = (key: 'llm' | 'mllm') => {
    const current = stored[key];
    const next = isRecord(current) ? { ...current } : {};
    stored[key] = next;
    return next;
  };
  // llm.params and mllm.params replace what was there; they are not merged.
  if (changes?.llm?.system_messages !== undefined) section('llm').system_messages = changes.llm.system_messages;
  if (changes?.llm?.params !== undefined) section('llm').params = changes.llm.params;
  if (changes?.mllm?.params !== undefined) section('mllm').params = changes.mllm.params;
  const params = agent.profile.multimodal ? changes?.mllm?.params : changes?.llm?.params;
  if (params !== undefined) agent.profile.model = stringParam(params, 'model');
  return { status: 200, body: answer(world, agent) };
}

/** `{agent_id, channel, start_ts}`: what speak, think and interrupt answer. */
const acknowledged = (agent: ConvoAgent): Reply => ({
  status: 200,
  body: { agent_id: agent.agentId, channel: agent.channel, start_ts: seconds(agent.createdAt) },
});

export function speak(world: World, agentId: string, body: Record<string, unknown>, access: Access, inFailover: boolean): Reply {
  const agent = liveAgent(world, agentId, access, inFailover, true);
  if (!('agentId' in agent)) return agent;
  if (agent.profile.multimodal) return invalid('speak is not supported for an agent using mllm');
  const parsed = SpeakRequest.safeParse(body);
  if (!parsed.success) return invalid(detailFor(parsed.error));
  sayText(agent, world.clock.now(), parsed.data);
  return acknowledged(agent);
}

export function think(world: World, agentId: string, body: Record<string, unknown>, access: Access, inFailover: boolean): Reply {
  const agent = liveAgent(world, agentId, access, inFailover, true);
  if (!('agentId' in agent)) return agent;
  const parsed = ThinkRequest.safeParse(body);
  if (!parsed.success) return invalid(detailFor(parsed.error));
  thinkAbout(agent, world.clock.now(), parsed.data);
  return acknowledged(agent);
}

export function interrupt(world: World, agentId: string, access: Access, inFailover: boolean): Reply {
  const agent = liveAgent(world, agentId, access, inFailover, false);
  if (!('agentId' in agent)) return agent;
  interruptAgent(agent, world.clock.now());
  return acknowledged(agent);
}

export function history(world: World, agentId: string, access: Access, inFailover: boolean): Reply {
  const agent = liveAgent(world, agentId, access, inFailover, false);
  if (!('agentId' in agent)) return agent;
  return {
    status: 200,
    body: {
      agent_id: agent.agentId,
      start_ts: seconds(agent.createdAt),
      status: convoStatusOf(world, agent, world.clock.now()),
      contents: memoryOf(agent),
    },
  };
}

/** A whole number query parameter from `min`, or its default; NaN when malformed. */
function wholeParam(search: URLSearchParams, name: string, fallback: number, min: number): number {
  const text = search.get(name);
  if (text === null) return fallback;
  return /^\d{1,15}$/.test(text) && Number(text) >= min ? Number(text) : Number.NaN;
}

export function turns(world: World, agentId: string, search: URLSearchParams, access: Access): Reply {
  const pageIndex = wholeParam(search, 'page_index', 1, 1);
  if (Number.isNaN(pageIndex)) return invalid('page_index must be a whole number from 1');
  const pageSize = wholeParam(search, 'page_size', 50, 1);
  if (Number.isNaN(pageSize)) return invalid('page_size must be a whole number from 1');
  const agent = findAgent(world, agentId, access, false, TURN_RETENTION_MS);
  if (!('agentId' in agent)) return agent;
  const all = finishedTurns(agent, world.clock.now());
  const totalPages = Math.max(1, Math.ceil(all.length / pageSize));
  return {
    status: 200,
    body: {
      agent_id: agent.agentId,
      name: agent.name,
      channel: agent.channel,
      total_turn_count: all.length,
      pagination: { page_index: pageIndex, total_pages: totalPages, is_last_page: pageIndex >= totalPages },
      turns: all.slice((pageIndex - 1) * pageSize, pageIndex * pageSize),
    },
  };
}

const STATE_NUMBERS = new Map<string, ConvoStatus>(
  Object.entries(CONVO_STATES).map(([status, number]) => [String(number), status as ConvoStatus]),
);

function readListQuery(search: URLSearchParams, now: number, access: Access) {
  const states = (search.get('state') ?? '2').split(',').map((item) => item.trim());
  const wanted = new Set<ConvoStatus>();
  for (const state of states) {
    const status = STATE_NUMBERS.get(state);
    if (!status) return invalid('state must be state numbers separated by commas (0, 1, 2, 3, 4 or 6)');
    wanted.add(status);
  }
  const time = (name: string, fallback: number) => {
    const text = search.get(name);
    return text === null ? fallback : /^\d{1,12}(\.\d+)?$/.test(text) ? Number(text) : Number.NaN;
  };
  const from = time('from_time', seconds(now) - 7_200);
  if (Number.isNaN(from)) return invalid('from_time must be Unix seconds');
  const to = time('to_time', seconds(now));
  if (Number.isNaN(to)) return invalid('to_time must be Unix seconds');
  const limit = wholeParam(search, 'limit', 20, 1);
  if (Number.isNaN(limit)) return invalid('limit must be a whole number from 1');
  const channel = search.get('channel') ?? access.channel;
  if (access.channel !== undefined && channel !== access.channel) return forbidden(channel ?? '');
  return { wanted, from, to, limit, channel, cursor: search.get('cursor') ?? '' };
}

export function list(world: World, search: URLSearchParams, access: Access): Reply {
  const now = world.clock.now();
  const read = readListQuery(search, now, access);
  if ('status' in read) return read;
  refreshConvoAgents(world, now);
  const matching = [...world.convoAgents.values()]
    .filter((agent) => agent.endedAt === undefined || now - agent.endedAt < world.timing.agentRetentionMs)
    .filter(
      (agent) =>
        seconds(agent.createdAt) >= read.from &&
        seconds(agent.createdAt) <= read.to &&
        (read.channel === undefined || agent.channel === read.channel),
    )
    .filter((agent) => read.wanted.has(convoStatusOf(world, agent, now)))
    .sort((a, b) => a.createdAt - b.createdAt || a.agentId.localeCompare(b.agentId));
  // The cursor is the agent the page starts with.
  const start = read.cursor === '' ? 0 : matching.findIndex((agent) => agent.agentId === read.cursor);
  if (start < 0) return invalid(`cursor ${read.cursor} is not an agent of this listing`);
  const page = matching.slice(start, start + read.limit);
  const next = matching[start + read.limit];
  const items = page.map((agent) => ({
    start_ts: seconds(agent.createdAt),
    status: convoStatusOf(world, agent, now),
    agent_id: agent.agentId,
  }));
  return agentListReply(items, next?.agentId ?? '', matching.length);
}

export function convoAgentView(world: World, agent: ConvoAgent): ConvoAgentView {
  const now = world.clock.now();
  refreshConvoAgent(world, agent, now);
  return {
    agentId: agent.agentId,
    name: agent.name,
    channel: agent.channel,
    uid: agent.uid,
    status: convoStatusOf(world, agent, now),
    labels: agent.labels,
    createdAt: agent.createdAt,
    endedAt: agent.endedAt,
    endReason: agent.endReason,
    message: messageOf(agent),
    tokenExpiresAt: agent.tokenExpiresAt,
    properties: structuredClone(agent.properties),
    history: [...agent.history],
    turns: agent.turns.length,
  };
}
