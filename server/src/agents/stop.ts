import { isConversationalAgentNotFound, type AgentCallOptions, type AgoraClient } from '../agora/index.js';
import { untilSettled, type Claims } from '../tasks/claims.js';
import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import { storedErrorOf } from '../tasks/failure.js';
import type { AgentRecord } from '../store/index.js';
import { notFoundPatch, type NotFoundRule } from '../tasks/not-found.js';
import type { ChangeSource } from '../tasks/transitions.js';
import type { ConversationKeeper } from './conversation.js';
import { agentPatch, isTerminal } from './state.js';
import type { AgentTransitions } from './transitions.js';

export interface AgentOutcome {
  record: AgentRecord;
  /** It had already ended (idle exit, an earlier stop, a failure) before this stop, or never started. */
  alreadyStopped: boolean;
}

/**
 * Asking Agora about an agent and stopping it, reporting only what is true: `stopped` once Agora
 * accepted the leave or says the agent has ended, or once its 404s outlast the failover window;
 * otherwise the row stays `stopping` and the poller sends the leave again. Just before a leave the
 * conversation is read once more: Agora answers `history` only while the agent runs.
 */
export function createAgentStopper(options: {
  agora: AgoraClient;
  clock: Clock;
  logger: Logger;
  transitions: AgentTransitions;
  notFound: NotFoundRule;
  conversation: ConversationKeeper;
  /** One leave in flight per agent, cluster-wide. */
  claims: Claims;
}) {
  const { agora, clock, logger, transitions } = options;

  /** One query; a 404 only ends the agent once it has lasted past the failover window. */
  async function observe(record: AgentRecord, source: ChangeSource, call: AgentCallOptions = {}) {
    if (!record.agentId) return { record, raw: null as unknown };
    try {
      const agent = await agora.convoai.query(record.agentId, call);
      return { record: await transitions.move(record, (current) => agentPatch(current, agent, clock.now()), source), raw: agent.raw };
    } catch (error) {
      if (!isConversationalAgentNotFound(error)) throw error;
      return {
        record: await transitions.move(record, (current) => notFoundPatch(current, clock.now(), options.notFound), source),
        raw: null as unknown,
      };
    }
  }

  async function keepStopping(record: AgentRecord, error: unknown, source: ChangeSource): Promise<AgentOutcome> {
    logger.warn(
      { agentTaskId: record.id, err: error instanceof Error ? error.message : String(error) },
      'leave not confirmed yet; it will be sent again',
    );
    return { record: await transitions.move(record, () => ({ lastError: storedErrorOf(error) }), source), alreadyStopped: false };
  }

  /** The last read of the conversation before the agent goes: a failure here never holds up the leave. */
  async function lastHistory(record: AgentRecord, source: ChangeSource, call: AgentCallOptions = {}) {
    try {
      await options.conversation.readHistory(record, source, call);
    } catch (error) {
      logger.debug(
        { agentTaskId: record.id, err: error instanceof Error ? error.message : String(error) },
        'history not read before leave',
      );
    }
  }

  /** Sends the leave once and records what it proves (the caller holds the leave claim). */
  async function attempt(
    record: AgentRecord,
    source: ChangeSource,
    sent?: Promise<void>,
    call: AgentCallOptions = {},
  ): Promise<AgentOutcome> {
    try {
      await (sent ?? agora.convoai.leave(record.agentId!, { signal: call.signal }));
    } catch (error) {
      if (!isConversationalAgentNotFound(error)) return keepStopping(record, error, source);
      // A 404 is not proof (a failover answers it too): ask whether the agent lives.
      try {
        const observed = await observe(record, source, call);
        return { record: observed.record, alreadyStopped: isTerminal(observed.record.state) };
      } catch (queryError) {
        return keepStopping(record, queryError, source);
      }
    }
    const stopped = await transitions.move(
      record,
      () => ({ state: 'stopped', agoraStatus: 'STOPPED', stoppedAt: clock.now(), notFoundSince: null, notFoundLastAt: null }),
      source,
    );
    logger.info({ agentTaskId: record.id }, 'agent stopped');
    return { record: stopped, alreadyStopped: false };
  }

  return {
    observe,
    /** For the poller: sends a pending leave again, unless a leave of it is in flight (here or elsewhere). */
    async resend(record: AgentRecord, call: AgentCallOptions): Promise<AgentRecord> {
      return (await options.claims.run(record.id, () => attempt(record, 'poll', undefined, call)))?.record ?? record;
    },
    /** Stops an agent (idempotent): writes `stopping` while the leave is in flight. */
    async stop(record: AgentRecord, source: ChangeSource): Promise<AgentOutcome> {
      if (isTerminal(record.state)) return { record, alreadyStopped: true };
      if (!record.agentId) return { record, alreadyStopped: false };
      const agentId = record.agentId;
      const outcome = await options.claims.run(record.id, async () => {
        if (record.state === 'running') await lastHistory(record, source);
        const sent = agora.convoai.leave(agentId);
        sent.catch(() => undefined); // awaited in attempt(); this only keeps an early rejection handled
        const stopping = await untilSettled(
          sent,
          transitions.move(record, () => ({ state: 'stopping' }), source),
        );
        if (isTerminal(stopping.state)) return { record: stopping, alreadyStopped: true };
        return attempt(stopping, source, sent);
      });
      if (outcome) return outcome;
      // Another leave of it is in flight (here or on another instance): it reports through the row.
      const stopping = record.state === 'stopping' ? record : await transitions.move(record, () => ({ state: 'stopping' }), source);
      return { record: stopping, alreadyStopped: false };
    },
  };
}

export type AgentStopper = ReturnType<typeof createAgentStopper>;
