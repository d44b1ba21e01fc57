import type { World } from '../world.js';
import { writeCaptions } from './captions.js';
import { AGENT_LIFETIME_MS, END_MESSAGES, type Agent, type AgentEndReason, type AgentStatus } from './types.js';

/**
 * How an agent moves with time — starting, running, idle exit, the 72-hour lifetime, the end —
 * and the Speech-to-Text notices each step sends (productId 20). Brought up to date lazily, on
 * every call and on the notifier's tick, like recording tasks.
 */

export const STT_PRODUCT_ID = 20;

export const agentActive = (agent: Agent) => agent.endedAt === undefined;

const seconds = (ms: number) => Math.floor(ms / 1000);

export function statusOf(world: World, agent: Agent, now: number): AgentStatus {
  if (!agentActive(agent))
    return agent.endReason === 'rtc' || agent.endReason === 'asr' || agent.endReason === 'translation' ? 'FAILED' : 'STOPPED';
  return now - agent.createdAt < world.timing.statusStepMs ? 'STARTING' : 'RUNNING';
}

export function notifyAgent(world: World, agent: Agent, eventType: number, payload: Record<string, unknown>, at = world.clock.now()) {
  world.notifier.emit({
    eventType,
    serviceType: 0,
    cname: agent.channel,
    uid: agent.pubBotUid,
    sid: agent.agentId,
    sequence: 0,
    at,
    details: { msgName: `stt_${eventType}` },
    product: { productId: STT_PRODUCT_ID, payload: { agent_id: agent.agentId, channel: agent.channel, ...payload } },
  });
}

/** Uploads the captions as they are at `now`, then announces new playlists (200) and, after the end, the last upload (201/202). */
export function persistCaptions(world: World, agent: Agent, now: number): Promise<unknown> {
  if (!agent.captions) return Promise.resolve();
  const prefix = agent.captions.prefix.length > 0 ? `${agent.captions.prefix.join('/')}/` : '';
  const write = agent.uploading
    .then(async () => {
      const playlists = await writeCaptions(world.storageDir, agent, now);
      for (const playlist of playlists) {
        if (agent.announced.has(playlist)) continue;
        agent.announced.add(playlist);
        notifyAgent(world, agent, 200, { file_name: `${prefix}${playlist}`, file_creation_ts: now, message: 'm3u8 file uploaded' }, now);
      }
    })
    .catch(() => {
      agent.uploadFailed = true;
    });
  agent.uploading = write;
  world.pendingWrites.add(write);
  void write.finally(() => world.pendingWrites.delete(write));
  return write;
}

export function endAgent(world: World, agent: Agent, at: number, reason: AgentEndReason) {
  agent.endedAt = at;
  agent.endReason = reason;
  const status = statusOf(world, agent, at);
  notifyAgent(world, agent, 102, { start_ts: seconds(agent.createdAt), stop_ts: seconds(at), status, message: END_MESSAGES[reason] }, at);
  if (!agent.captions) return;
  const main = `${agent.captions.prefix.length > 0 ? `${agent.captions.prefix.join('/')}/` : ''}${agent.agentId}_${agent.channel}.m3u8`;
  void persistCaptions(world, agent, at).then(() => {
    if (agent.uploadFailed)
      notifyAgent(
        world,
        agent,
        202,
        {
          succeed_file_list: [],
          failed_file_list: [{ file_name: main, file_creation_ts: at, message: 'upload failed' }],
          message: 'upload finished with failures',
        },
        at,
      );
    else notifyAgent(world, agent, 201, { file_name: main, file_creation_ts: at, message: 'all files uploaded' }, at);
  });
}

/** Brings an agent up to `now`: its lifetime, then its idle time. */
export function refreshAgent(world: World, agent: Agent, now = world.clock.now()) {
  if (!agentActive(agent)) return;
  if (now - agent.createdAt >= AGENT_LIFETIME_MS) {
    endAgent(world, agent, agent.createdAt + AGENT_LIFETIME_MS, 'lifetime');
    return;
  }
  if (agent.maxIdleMs > 0 && agent.idleSince !== undefined && now - agent.idleSince >= agent.maxIdleMs) {
    endAgent(world, agent, agent.idleSince + agent.maxIdleMs, 'idle');
  }
}

export function refreshAgents(world: World, now = world.clock.now()) {
  for (const agent of world.agents.values()) refreshAgent(world, agent, now);
}

/** Someone started or stopped publishing in `channel`: start or clear its agents' idle countdown. */
export function onAgentPresenceChange(world: World, channel: string) {
  const now = world.clock.now();
  const present = (world.publishers.get(channel)?.size ?? 0) > 0;
  for (const agent of world.agents.values()) {
    if (agent.channel !== channel) continue;
    refreshAgent(world, agent, now);
    if (!agentActive(agent)) continue;
    if (present) agent.idleSince = undefined;
    else agent.idleSince ??= now;
  }
}

function hears(agent: Agent, uid: string): boolean {
  if (agent.unsubscribeAudioUids?.has(uid)) return false;
  return !agent.subscribeAudioUids || agent.subscribeAudioUids.has(uid);
}

/**
 * Speech in a channel (control API): each running agent that subscribes to `uid` recognises it —
 * the text as given, translations as `[target] text` — and uploads its captions. No audio is
 * processed. Returns the agents that heard it.
 */
export function speak(
  world: World,
  channel: string,
  speech: { uid: string; text: string; durationMs: number; language?: string | undefined },
): string[] {
  const now = world.clock.now();
  const heard: string[] = [];
  for (const agent of world.agents.values()) {
    refreshAgent(world, agent, now);
    if (agent.channel !== channel || statusOf(world, agent, now) !== 'RUNNING' || !hears(agent, speech.uid)) continue;
    const language = speech.language ?? agent.languages[0]!;
    const translations = new Map<string, string>();
    for (const pair of agent.translations)
      if (pair.source === language) for (const target of pair.target) translations.set(target, `[${target}] ${speech.text}`);
    agent.cues.push({ at: now, durationMs: speech.durationMs, uid: speech.uid, language, text: speech.text, translations });
    void persistCaptions(world, agent, now);
    heard.push(agent.agentId);
  }
  return heard;
}
