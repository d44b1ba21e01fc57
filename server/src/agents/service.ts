import {
  AppErrorCode,
  type Agent,
  type AgentActionOutput,
  type AgentHistoryOutput,
  type AgentProfilesOutput,
  type AgentQueryOutput,
  type AgentStartOutput,
  type AgentStopOutput,
  type AgentTurnsOutput,
  type ParsedAgentStartInput,
} from '@agora-backend/shared';
import { redactProfile } from '../agent-profiles.js';
import type { AgentCallOptions } from '../agora/index.js';
import type { Leases } from '../cluster/types.js';
import type { EventBus } from '../events/index.js';
import { AppError } from '../errors.js';
import { ACTIVE_AGENT_STATES, type AgentEvent, type AgentRecord, type StoredError } from '../store/index.js';
import { createClaims } from '../tasks/claims.js';
import type { NotFoundRule } from '../tasks/not-found.js';
import type { ChangeSource } from '../tasks/transitions.js';
import { mayView, queryAnswer, stopAnswer, type Viewer } from '../tasks/views.js';
import { createConversationKeeper, toTurn } from './conversation.js';
import { createAgentRecovery } from './recover.js';
import { createAgentStarter, type AgentStartSettings } from './start.js';
import { createAgentStopper } from './stop.js';
import { isTerminal } from './state.js';
import { createAgentTransitions } from './transitions.js';
import { agentNotFound, toAgent } from './views.js';

export interface AgentServiceOptions extends AgentStartSettings {
  bus: EventBus<AgentEvent>;
  notFound: NotFoundRule;
  /** Renew an agent's token this long before it runs out. */
  tokenRefreshMarginMs: number;
  onEnded?: ((record: AgentRecord) => void) | undefined;
  startSettleMs?: number;
  leases?: Leases | undefined;
}

/** The changes `agent.update` sends. */
export interface AgentChanges {
  id: string;
  systemMessages?: { role: string; content: string }[] | undefined;
  llmParams?: Record<string, unknown> | undefined;
}

/**
 * Conversational AI agents (docs/agents.md): the procedures' entry points, built like
 * transcriptions' — an intent row before join, transitions for every change, a stop that reports
 * `stopped` only once Agora confirms it — plus the agent's token renewed through `update` and
 * the conversation kept in the registry.
 */
export function createAgentService(options: AgentServiceOptions) {
  const { store, agora, clock, logger } = options;
  const conversation = createConversationKeeper({ store, agora, clock, logger, bus: options.bus });

  /** After the end: the turns are read into the registry (Agora keeps them 7 days, we keep them). */
  async function keepTurns(record: AgentRecord): Promise<AgentRecord> {
    if (record.turnsComplete || !record.agentId) return record;
    await conversation.readTurns(record);
    return transitions.move(record, () => ({ turnsComplete: true }), 'poll');
  }

  const transitions = createAgentTransitions({
    store,
    clock,
    bus: options.bus,
    onEnded: (record) => {
      options.onEnded?.(record);
      keepTurns(record).catch((error: unknown) => {
        logger.warn({ agentTaskId: record.id, err: error instanceof Error ? error.message : String(error) }, 'turns not read yet');
      });
    },
  });
  const startsInFlight = new Set<string>();
  const recovery = createAgentRecovery({ store, agora, clock, logger, transitions, onAdopted: options.onStarted });
  const starter = createAgentStarter({ ...options, transitions, startsInFlight, recovery });
  const stopper = createAgentStopper({
    agora,
    clock,
    logger,
    transitions,
    notFound: options.notFound,
    conversation,
    claims: createClaims('agent-leave', options.leases),
  });

  async function find(id: string, viewer: Viewer): Promise<AgentRecord> {
    const record = await store.get(id);
    // Someone else's answers exactly as a missing one: ids reveal nothing.
    if (!record || !mayView(viewer, record.owner)) throw agentNotFound();
    return record;
  }

  /** The agent, running, with Agora's id: what speak, think, interrupt and update need. */
  async function running(id: string, viewer: Viewer): Promise<AgentRecord & { agentId: string }> {
    const record = await find(id, viewer);
    if (record.state !== 'running' || record.agentId === null)
      throw new AppError(AppErrorCode.AGENT_ENDED, `agent ${record.id} is ${record.state}; it cannot be spoken to or changed now`);
    return { ...record, agentId: record.agentId };
  }

  const mayStillJoin = (record: AgentRecord) =>
    startsInFlight.has(record.id) || clock.now() - record.createdAt < (options.startSettleMs ?? 0);

  async function stopRecord(record: AgentRecord, source: 'api' | 'poll') {
    if (!record.agentId && mayStillJoin(record)) {
      return { record: await transitions.move(record, () => ({ state: 'stopping' }), source), alreadyStopped: false };
    }
    return stopper.stop(record.agentId ? record : await recovery.recover(record), source);
  }

  /** A new token through Agora's update (before the current one runs out, or on notice 104). */
  async function refreshToken(record: AgentRecord, call: AgentCallOptions = {}): Promise<AgentRecord> {
    if (record.state !== 'running' || !record.agentId) return record;
    const { token, expiresAt } = options.tokens.issueAgent({
      channel: record.channel,
      uid: record.uid,
      expireSeconds: options.tokenSeconds,
    });
    await agora.convoai.update(record.agentId, { properties: { token } }, call);
    logger.info({ agentTaskId: record.id, tokenExpiresAt: new Date(expiresAt).toISOString() }, "agent's token renewed");
    return transitions.move(record, () => ({ tokenExpiresAt: expiresAt }), 'poll');
  }

  const tokenDue = (record: AgentRecord) =>
    record.tokenExpiresAt !== null && clock.now() >= record.tokenExpiresAt - options.tokenRefreshMarginMs;

  /** Reads the history now; a failure is logged, never thrown (the poll goes on). */
  async function readHistory(record: AgentRecord, source: ChangeSource, call: AgentCallOptions = {}) {
    try {
      await conversation.readHistory(record, source, call);
    } catch (error) {
      logger.debug({ agentTaskId: record.id, err: error instanceof Error ? error.message : String(error) }, 'history not read');
    }
  }

  return {
    /** Every profile's safe view (redactProfile), by name: never a key. */
    profiles(): AgentProfilesOutput {
      const views = [...options.profiles.values()].map(redactProfile).sort((a, b) => a.name.localeCompare(b.name));
      return { profiles: views };
    },
    start: (input: ParsedAgentStartInput, owner: string): Promise<AgentStartOutput> => starter.start(input, owner),

    /** Current state from Agora (a 404 keeps the stored state until it outlasts the failover window). */
    async query(id: string, viewer: Viewer): Promise<AgentQueryOutput> {
      return queryAnswer(await find(id, viewer), ACTIVE_AGENT_STATES, (record) => stopper.observe(record, 'api'));
    },

    async stop(id: string, viewer: Viewer): Promise<AgentStopOutput> {
      return stopAnswer(id, await stopRecord(await find(id, viewer), 'api'));
    },

    stopRecord,

    async get(id: string, viewer: Viewer): Promise<Agent> {
      return toAgent(await find(id, viewer));
    },

    async list(
      input: { channel?: string | undefined; state?: Agent['state'] | undefined; cursor?: string | undefined; limit: number },
      viewer: Viewer,
    ) {
      const page = await store.list({ ...input, ...(viewer.admin ? {} : { owner: viewer.id }) });
      return { items: page.items.map(toAgent), nextCursor: page.nextCursor };
    },

    /** New system messages or LLM params (`llmParams` replaces the stored params whole: Agora does not merge). */
    async update(input: AgentChanges, viewer: Viewer) {
      const record = await running(input.id, viewer);
      await agora.convoai.update(record.agentId, {
        properties: {
          llm: {
            ...(input.systemMessages ? { system_messages: input.systemMessages } : {}),
            ...(input.llmParams ? { params: input.llmParams } : {}),
          },
        },
      });
      return { id: record.id, updatedAt: new Date(clock.now()) };
    },

    async speak(
      input: { id: string; text: string; priority?: 'INTERRUPT' | 'APPEND' | 'IGNORE' | undefined; interruptable?: boolean | undefined },
      viewer: Viewer,
    ): Promise<AgentActionOutput> {
      const record = await running(input.id, viewer);
      await agora.convoai.speak(record.agentId, {
        text: input.text,
        ...(input.priority ? { priority: input.priority } : {}),
        ...(input.interruptable !== undefined ? { interruptable: input.interruptable } : {}),
      });
      await readHistory(record, 'api');
      return { id: record.id, at: new Date(clock.now()) };
    },

    async interrupt(id: string, viewer: Viewer): Promise<AgentActionOutput> {
      const record = await running(id, viewer);
      await agora.convoai.interrupt(record.agentId);
      return { id: record.id, at: new Date(clock.now()) };
    },

    async think(
      input: {
        id: string;
        text: string;
        onListening?: 'inject' | 'interrupt' | 'ignore' | undefined;
        onThinking?: 'interrupt' | 'ignore' | undefined;
        onSpeaking?: 'interrupt' | 'ignore' | undefined;
        interruptable?: boolean | undefined;
      },
      viewer: Viewer,
    ): Promise<AgentActionOutput> {
      const record = await running(input.id, viewer);
      await agora.convoai.think(record.agentId, {
        text: input.text,
        ...(input.onListening ? { on_listening_action: input.onListening } : {}),
        ...(input.onThinking ? { on_thinking_action: input.onThinking } : {}),
        ...(input.onSpeaking ? { on_speaking_action: input.onSpeaking } : {}),
        ...(input.interruptable !== undefined ? { interruptable: input.interruptable } : {}),
      });
      await readHistory(record, 'api');
      return { id: record.id, at: new Date(clock.now()) };
    },

    /** The conversation from the registry (read from Agora first while the agent runs): answered after the end too. */
    async history(id: string, viewer: Viewer): Promise<AgentHistoryOutput> {
      const record = await find(id, viewer);
      if (record.state === 'running') await readHistory(record, 'api');
      const messages = await store.conversation.messages(record.id);
      return {
        id: record.id,
        state: record.state,
        messages: messages.map((message) => ({
          seq: message.seq,
          role: message.role,
          content: message.content,
          seenAt: new Date(message.seenAt),
        })),
      };
    },

    /** The turns with their latencies, from the registry once the agent has ended (read from Agora then, once). */
    async turns(id: string, viewer: Viewer): Promise<AgentTurnsOutput> {
      let record = await find(id, viewer);
      if (isTerminal(record.state) && !record.turnsComplete) record = await keepTurns(record);
      const turns = await store.conversation.turns(record.id);
      return { id: record.id, complete: record.turnsComplete, turns: turns.map(toTurn) };
    },

    /** For the pollers: a stopping agent gets its leave sent again; others are queried, their token renewed when due and their history read. */
    async reconcile(record: AgentRecord, call: AgentCallOptions = {}): Promise<AgentRecord> {
      if (record.state === 'stopping' && record.agentId) return stopper.resend(record, call);
      let current = (await stopper.observe(record, 'poll', call)).record;
      if (current.state !== 'running') return current;
      if (tokenDue(current)) current = await refreshToken(current, call);
      await readHistory(current, 'poll', call);
      return current;
    },

    /** Reads the history now, for watchers (tasks/follow.ts); a failure is logged, never thrown. */
    readHistory: (record: AgentRecord, call: AgentCallOptions = {}) => readHistory(record, 'poll', call),

    /** Agora's 104 ("agent expire"): the token is renewed now. */
    refreshToken,

    /** A 103 notice's history, kept like a read of Agora's. */
    keepHistory: (record: AgentRecord, contents: { role: string; content: string }[]) => conversation.merge(record, contents, 'webhook'),

    visible: (id: string, viewer: Viewer) => find(id, viewer),

    /** Keeps why an agent failed (a notice said), whatever its state. */
    recordFailure: (record: AgentRecord, failure: StoredError) =>
      transitions.move(
        record,
        // 102 (FAILED) follows 110, which named the module: the 110's reason is kept.
        (current) => (current.lastError?.from === 'notice' && failure.reason === 'agent_failed' ? undefined : { lastError: failure }),
        'webhook',
      ),

    settleStart: (record: AgentRecord) => recovery.recover(record),
    isStarting: (id: string) => startsInFlight.has(id),
    mayStillJoin,
  };
}

export type AgentService = ReturnType<typeof createAgentService>;
