import { AGENT_MAX_SECONDS, MAX_TOKEN_SECONDS, type AgentStatusEvent } from '@agora-backend/shared';
import type { AgentProfiles } from '../agent-profiles.js';
import type { AgoraClient } from '../agora/index.js';
import type { AgentEvent, AgentRecord, Registry, StoredError } from '../store/index.js';
import { createTaskRuntime, type TaskKind, type TaskRuntimeDeps, type TaskSettings } from '../tasks/runtime.js';
import type { TokenIssuer } from '../tokens/index.js';
import { createAgentService, type AgentService } from './service.js';
import { isTerminal } from './state.js';

export interface AgentSettings extends TaskSettings {
  uidRange: { min: number; max: number };
  /** The server's agent profiles (AGENT_PROFILES_FILE / AGENT_PROFILES). */
  profiles: AgentProfiles;
  /** How long each agent token lasts (default 24 h); renewed through update before it runs out. */
  tokenSeconds?: number;
  /** Renew this long before the token runs out (default 10 min). */
  tokenRefreshMarginMs?: number;
  /** How often a running agent's history is read while someone watches it (default 2 s). */
  watchedHistoryMs?: number;
}

export interface AgentRuntimeDeps extends TaskRuntimeDeps<AgentEvent> {
  /** The registry: its `agents` table, and the recorders' and transcription bots' uids. */
  registry: Registry;
  agora: AgoraClient;
  tokens: TokenIssuer;
}

/** Stop an agent this long before Agora's 72-hour cap ends it, rather than let it be dropped. */
const CAP_MARGIN_MS = 60_000;

export const agentTopic = (event: AgentEvent) => event.agentTaskId;

function toStatusEvent(event: AgentEvent): AgentStatusEvent {
  return {
    id: event.agentTaskId,
    state: event.state,
    agoraStatus: event.agoraStatus,
    at: new Date(event.at),
    source: event.source,
    lastError: event.lastError,
    message: event.message && { ...event.message, seenAt: new Date(event.message.seenAt) },
  };
}

/** Whether the agent is about to reach Agora's 72-hour cap. */
const pastCap = (record: AgentRecord, now: number) =>
  record.agentId !== null &&
  record.state !== 'stopping' &&
  now >= (record.startedAt ?? record.createdAt) + AGENT_MAX_SECONDS * 1000 - CAP_MARGIN_MS;

/** Conversational AI agents as a kind of task: their table, states, events as clients see them, and their service. */
export function agentKind(
  settings: AgentSettings,
  deps: AgentRuntimeDeps,
): TaskKind<AgentRecord, AgentEvent, AgentService, AgentStatusEvent> {
  const store = deps.registry.agents;
  return {
    kind: 'agent',
    settleLease: 'agent-watchdog',
    table: store,
    topic: agentTopic,
    isTerminal,
    started: (record) => record.agentId !== null,
    settling: (record) => record.state === 'starting',
    deadline: { passed: pastCap, reason: "Agora's 72-hour cap is near" },
    toStatusEvent,
    // Its messages reach watchers as they are said, not at the next poll (every 30 s or more).
    follow: (service) => ({
      everyMs: settings.watchedHistoryMs ?? 2_000,
      readable: (record) => record.state === 'running' && record.agentId !== null,
      read: (record, call) => service.readHistory(record, call),
    }),
    createService: (hooks) =>
      createAgentService({
        store,
        agora: deps.agora,
        tokens: deps.tokens,
        clock: deps.clock,
        logger: deps.logger,
        profiles: settings.profiles,
        uidRange: settings.uidRange,
        tokenSeconds: settings.tokenSeconds ?? MAX_TOKEN_SECONDS,
        tokenRefreshMarginMs: settings.tokenRefreshMarginMs ?? 600_000,
        otherBots: [deps.registry.recordings, deps.registry.transcriptions],
        notFound: hooks.notFound,
        bus: hooks.bus,
        onStarted: hooks.onStarted,
        startSettleMs: hooks.startSettleMs,
        onEnded: hooks.onEnded,
        leases: hooks.leases,
      }),
  };
}

/**
 * Everything Conversational AI agents need at run time: the task runtime (tasks/runtime.ts) on
 * the agents' kind, plus what Agora's notices (productId 17) change.
 */
export function createAgentRuntime(settings: AgentSettings, deps: AgentRuntimeDeps) {
  const runtime = createTaskRuntime(agentKind(settings, deps), settings, deps);
  const { service } = runtime;
  return {
    ...runtime,
    /**
     * A Conversational AI notice (docs/agora.md): never taken on its word, the agent is queried
     * now. Why it failed is kept whenever it comes; 104 renews the token; 103 keeps the history.
     */
    async applyWebhook(
      agentId: string,
      notice: { failure?: StoredError | undefined; expiring?: boolean; history?: { role: string; content: string }[] | undefined },
    ) {
      let record = await deps.registry.agents.findByAgentId(agentId);
      if (!record) return;
      if (notice.history) await service.keepHistory(record, notice.history);
      if (notice.failure) record = await service.recordFailure(record, notice.failure);
      if (notice.expiring) record = await service.refreshToken(record);
      await runtime.pollNow(record);
    },
  };
}

export type AgentRuntime = ReturnType<typeof createAgentRuntime>;
