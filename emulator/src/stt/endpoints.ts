import { randomBytes } from 'node:crypto';
import { agentListReply } from '../replies.js';
import type { Reply } from '../types.js';
import { checkRecorderToken } from '../token-check.js';
import { isActive, type World } from '../world.js';
import { agentActive, endAgent, notifyAgent, persistCaptions, refreshAgent, refreshAgents, statusOf } from './lifecycle.js';
import { AGENT_STATUSES, type Agent, type AgentView } from './types.js';
import { detailFor, JoinRequest, UPDATE_MASK_FIELDS, UpdateRequest, type JoinRequest as Join } from './validation.js';
import { planCaptions } from './captions.js';

/**
 * Speech-to-Text 7.x's endpoints (README, "Speech-to-Text"): join, query, update, leave, list.
 * Errors answer `{reason, detail}` (query: `{message, agent_id, create_ts, status: "FAILED"}`).
 */

export const sttError = (status: number, reason: string, detail: string): Reply => ({ status, body: { reason, detail } });
const invalid = (detail: string) => sttError(400, 'invalid parameter', detail);
const seconds = (ms: number) => Math.floor(ms / 1000);

/** Agent ids look like Agora's: 26 upper-case letters and digits. */
export function newAgentId(): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  return [...randomBytes(26)].map((byte) => alphabet[byte % alphabet.length]).join('');
}

const answer = (world: World, agent: Agent) => ({
  agent_id: agent.agentId,
  create_ts: seconds(agent.createdAt),
  status: statusOf(world, agent, world.clock.now()),
});

/** An agent answers for a while after it ended (its final state), then it is gone. */
function findAgent(world: World, agentId: string): Agent | undefined {
  const agent = world.agents.get(agentId);
  if (!agent) return undefined;
  refreshAgent(world, agent);
  if (agent.endedAt !== undefined && world.clock.now() - agent.endedAt >= world.timing.agentRetentionMs) return undefined;
  return agent;
}

function uidTaken(world: World, channel: string, uid: string): string | undefined {
  for (const agent of world.agents.values())
    if (agentActive(agent) && agent.channel === channel && agent.pubBotUid === uid) return `agent ${agent.agentId}`;
  for (const agent of world.convoAgents.values())
    if (agent.endedAt === undefined && agent.channel === channel && agent.uid === uid) return `Conversational AI agent ${agent.agentId}`;
  for (const task of world.tasks.values()) if (isActive(task) && task.cname === channel && task.uid === uid) return 'a recording';
  // An audience member holds its uid too, though it does not publish.
  if (world.publishers.get(channel)?.has(uid) || world.channel.channels.get(channel)?.users.has(uid)) return 'a user';
  return undefined;
}

function newAgent(world: World, request: Join): Agent {
  const now = world.clock.now();
  const rtc = request.rtcConfig;
  const storage = request.captionConfig?.storage;
  return {
    agentId: newAgentId(),
    name: request.name,
    channel: rtc.channelName,
    pubBotUid: rtc.pubBotUid,
    languages: request.languages,
    translations: request.translateConfig?.languages ?? [],
    subscribeAudioUids: rtc.subscribeAudioUids && !rtc.subscribeAudioUids.includes('all') ? new Set(rtc.subscribeAudioUids) : undefined,
    unsubscribeAudioUids: rtc.unSubscribeAudioUids && new Set(rtc.unSubscribeAudioUids),
    maxIdleMs: request.maxIdleTime * 1000,
    createdAt: now,
    idleSince: (world.publishers.get(rtc.channelName)?.size ?? 0) > 0 ? undefined : now,
    endedAt: undefined,
    endReason: undefined,
    sequenceId: -1,
    captions: storage && {
      vendor: storage.vendor,
      region: storage.region,
      bucket: storage.bucket,
      prefix: storage.fileNamePrefix ?? [],
      sliceMs: request.captionConfig!.sliceDuration * 1000,
    },
    cues: [],
    announced: new Set(),
    uploading: Promise.resolve(),
    uploadFailed: false,
  };
}

export function join(world: World, body: Record<string, unknown>): Reply {
  const parsed = JoinRequest.safeParse(body);
  if (!parsed.success) return invalid(detailFor(parsed.error));
  const request = parsed.data;
  const rtc = request.rtcConfig;
  const now = world.clock.now();
  // The App Certificate is always on here: the bot needs a token for its channel and uid.
  const verdict = checkRecorderToken({
    token: rtc.pubBotToken,
    appId: world.appId,
    appCertificate: world.appCertificate,
    cname: rtc.channelName,
    uid: rtc.pubBotUid,
    nowMs: now,
  });
  if (!verdict.ok) return sttError(400, 'invalid token', `rtcConfig.pubBotToken: ${verdict.reason}`);
  refreshAgents(world, now);
  for (const other of world.agents.values()) {
    if (agentActive(other) && other.channel === rtc.channelName && other.name === request.name) {
      return sttError(409, 'task conflict', `an agent named "${request.name}" already runs in channel "${rtc.channelName}"`);
    }
  }
  const holder = uidTaken(world, rtc.channelName, rtc.pubBotUid);
  if (holder)
    return sttError(409, 'uid conflict', `rtcConfig.pubBotUid ${rtc.pubBotUid} is used by ${holder} in channel "${rtc.channelName}"`);
  const agent = newAgent(world, request);
  world.agents.set(agent.agentId, agent);
  notifyAgent(world, agent, 101, { start_ts: seconds(now) }, now);
  void persistCaptions(world, agent, now);
  return { status: 200, body: answer(world, agent) };
}

export function query(world: World, agentId: string, inFailover: boolean): Reply {
  const agent = inFailover ? undefined : findAgent(world, agentId);
  if (!agent) return { status: 404, body: { message: 'agent not found', agent_id: agentId, create_ts: null, status: 'FAILED' } };
  return { status: 200, body: { message: 'OK', ...answer(world, agent) } };
}

export function leave(world: World, agentId: string, inFailover: boolean): Reply {
  const agent = inFailover ? undefined : findAgent(world, agentId);
  if (!agent) return sttError(404, 'not found', `no agent ${agentId}`);
  // Leaving an agent that has already left changes nothing (README, "Deviations").
  if (agentActive(agent)) endAgent(world, agent, world.clock.now(), 'left');
  return { status: 200, body: {} };
}

/** `sequenceId` must grow and `updateMask` must name what the body changes. */
function readUpdateQuery(search: URLSearchParams, agent: Agent): { sequenceId: number; mask: Set<string> } | Reply {
  const sequenceText = search.get('sequenceId');
  const maskText = search.get('updateMask');
  if (sequenceText === null || !/^\d{1,15}$/.test(sequenceText)) return invalid('sequenceId is required: a whole number from 0');
  if (maskText === null || maskText.trim() === '') return invalid('updateMask is required: the fields to update, comma-separated');
  const sequenceId = Number(sequenceText);
  if (sequenceId <= agent.sequenceId) return invalid(`sequenceId must be greater than the previous update's (${agent.sequenceId})`);
  const mask = new Set(maskText.split(',').map((field) => field.trim()));
  const unknown = [...mask].find((field) => !UPDATE_MASK_FIELDS.has(field));
  if (unknown !== undefined) return invalid(`updateMask names ${unknown}, which cannot be updated`);
  return { sequenceId, mask };
}

export function update(world: World, agentId: string, search: URLSearchParams, body: Record<string, unknown>): Reply {
  const agent = findAgent(world, agentId);
  if (!agent) return sttError(404, 'not found', `no agent ${agentId}`);
  if (!agentActive(agent)) return sttError(400, 'invalid operation', `agent ${agentId} has stopped`);
  const read = readUpdateQuery(search, agent);
  if (!('sequenceId' in read)) return read;
  const parsed = UpdateRequest.safeParse(body);
  if (!parsed.success) return invalid(detailFor(parsed.error));
  const request = parsed.data;
  const { mask } = read;
  if (mask.has('languages') && request.languages) agent.languages = request.languages;
  if (mask.has('rtcConfig.subscribeAudioUids') && request.rtcConfig?.subscribeAudioUids) {
    const uids = request.rtcConfig.subscribeAudioUids;
    agent.subscribeAudioUids = uids.includes('all') ? undefined : new Set(uids);
  }
  if (mask.has('translateConfig.enable') && request.translateConfig?.enable === false) agent.translations = [];
  if (mask.has('translateConfig.languages') && request.translateConfig?.languages && request.translateConfig.enable !== false)
    agent.translations = request.translateConfig.languages;
  agent.sequenceId = read.sequenceId;
  return { status: 200, body: answer(world, agent) };
}

export function list(world: World, search: URLSearchParams): Reply {
  const now = world.clock.now();
  const number = (name: string, fallback: number) => {
    const text = search.get(name);
    return text === null ? fallback : /^\d{1,15}$/.test(text) ? Number(text) : Number.NaN;
  };
  const state = search.get('state') ?? '2';
  if (!/^[0-6]$/.test(state)) return invalid('state must be one digit from 0 to 6');
  const from = number('from_time', seconds(now) - 86_400);
  const to = number('to_time', seconds(now));
  const limit = number('limit', 20);
  if ([from, to, limit].some(Number.isNaN) || limit < 1)
    return invalid('from_time, to_time and limit must be whole numbers (limit at least 1)');
  const channel = search.get('channel');
  const cursor = search.get('cursor') ?? '';
  refreshAgents(world, now);
  const matching = [...world.agents.values()]
    .filter(
      (agent) => seconds(agent.createdAt) >= from && seconds(agent.createdAt) <= to && (channel === null || agent.channel === channel),
    )
    .filter((agent) => statusOf(world, agent, now) === AGENT_STATUSES[Number(state)])
    .sort((a, b) => a.createdAt - b.createdAt || a.agentId.localeCompare(b.agentId));
  const start = cursor === '' ? 0 : matching.findIndex((agent) => agent.agentId === cursor) + 1;
  const page = matching.slice(start, start + limit);
  const more = start + limit < matching.length;
  const items = page.map((agent) => ({ start_ts: seconds(agent.createdAt), status: statusOf(world, agent, now), agent_id: agent.agentId }));
  return agentListReply(items, more ? page[page.length - 1]!.agentId : '', matching.length);
}

export function agentView(world: World, agent: Agent): AgentView {
  const now = world.clock.now();
  refreshAgent(world, agent, now);
  return {
    agentId: agent.agentId,
    name: agent.name,
    channel: agent.channel,
    pubBotUid: agent.pubBotUid,
    status: statusOf(world, agent, now),
    languages: agent.languages,
    translations: agent.translations,
    subscribeAudioUids: agent.subscribeAudioUids && [...agent.subscribeAudioUids],
    createdAt: agent.createdAt,
    endedAt: agent.endedAt,
    endReason: agent.endReason,
    cues: agent.cues.length,
    files: planCaptions(agent, now).flatMap((track) => [track.playlist, ...track.slices.map((slice) => slice.name)]),
  };
}
