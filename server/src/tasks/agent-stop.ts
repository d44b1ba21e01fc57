import type { CallOptions } from '../agora/index.js';
import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import type { StoredError, TaskRecord } from '../store/index.js';
import { untilSettled, type Claims } from './claims.js';
import { storedErrorOf } from './failure.js';
import { notFoundPatch, type NotFoundPatch, type NotFoundRule } from './not-found.js';
import type { ChangeSource } from './transitions.js';

/** A task Agora runs as an agent (a transcription bot, a Conversational AI agent): its id once join answered. */
export interface AgentTaskRecord extends TaskRecord {
  agentId: string | null;
}

/** The changes a stop makes itself: `stopping`, its error, the end, the 404 clock. */
export type StopPatch = Omit<NotFoundPatch, 'state'> & {
  state?: 'stopping' | 'stopped';
  agoraStatus?: string;
  lastError?: StoredError | null;
};

export interface AgentOutcome<R> {
  record: R;
  /** It had already ended (idle exit, an earlier stop, a failure) before this stop, or never started. */
  alreadyStopped: boolean;
}

/** What one kind says of its agents: how to leave and query one, and what a query answer means for its row. */
export interface AgentStopperOptions<R extends AgentTaskRecord, A extends { raw: unknown }, P> {
  /** `transcription`, `agent`: in log lines (`<kind>Id`, `<kind> stopped`). */
  kind: string;
  leave(agentId: string, call: CallOptions): Promise<void>;
  query(agentId: string, call: CallOptions): Promise<A>;
  /** Agora's service does not know the agent (not a gateway's wrong route). */
  isNotFound(error: unknown): boolean;
  /** What the answer means for the row (only forward). */
  patchOf(current: R, answer: A, now: number): P;
  move: (record: R, decide: (current: R) => P | StopPatch | undefined, source: ChangeSource) => Promise<R>;
  /**
   * The row as the registry has it now: read once the leave claim is held, since the row the
   * caller decided on may be older than another instance's whole stop (a second leave otherwise).
   */
  read: (id: string) => Promise<R | undefined>;
  isTerminal: (state: R['state']) => boolean;
  clock: Clock;
  logger: Logger;
  notFound: NotFoundRule;
  /** One leave in flight per task, cluster-wide. */
  claims: Claims;
  /** Runs just before the leave of a running task (a last read of what Agora forgets at the end). */
  beforeLeave?: ((record: R, source: ChangeSource) => Promise<void>) | undefined;
  /**
   * Ask once after an accepted leave how the agent ended: Agora accepts the leave of an agent that
   * has already failed, and the row must then say failed, not stopped. A failed query changes nothing.
   */
  queryAfterLeave?: boolean | undefined;
}

/**
 * Asking Agora about an agent and stopping it, reporting only what is true (docs/architecture.md,
 * "A transcription"): `stopped` once Agora accepted the leave or says the agent has ended, or once
 * its 404s outlast the failover window; otherwise the row stays `stopping` and the poller sends the
 * leave again.
 */
export function createAgentStopper<R extends AgentTaskRecord, A extends { raw: unknown }, P>(options: AgentStopperOptions<R, A, P>) {
  const { clock, logger, move, isTerminal } = options;
  const idKey = `${options.kind}Id`;

  /** One query; a 404 only ends the task once it has lasted past the failover window. */
  async function observe(record: R, source: ChangeSource, call: CallOptions = {}): Promise<{ record: R; raw: unknown }> {
    if (!record.agentId) return { record, raw: null };
    try {
      const answer = await options.query(record.agentId, call);
      return { record: await move(record, (current) => options.patchOf(current, answer, clock.now()), source), raw: answer.raw };
    } catch (error) {
      if (!options.isNotFound(error)) throw error;
      return { record: await move(record, (current) => notFoundPatch(current, clock.now(), options.notFound), source), raw: null };
    }
  }

  async function keepStopping(record: R, error: unknown, source: ChangeSource): Promise<AgentOutcome<R>> {
    logger.warn(
      { [idKey]: record.id, err: error instanceof Error ? error.message : String(error) },
      'leave not confirmed yet; it will be sent again',
    );
    return { record: await move(record, () => ({ lastError: storedErrorOf(error) }), source), alreadyStopped: false };
  }

  /** Sends the leave once and records what it proves (the caller holds the leave claim). */
  async function attempt(record: R, source: ChangeSource, sent?: Promise<void>, call: CallOptions = {}): Promise<AgentOutcome<R>> {
    try {
      await (sent ?? options.leave(record.agentId!, { signal: call.signal }));
    } catch (error) {
      if (!options.isNotFound(error)) return keepStopping(record, error, source);
      // A 404 is not proof (a failover answers it too): ask whether the agent lives.
      try {
        const observed = await observe(record, source, call);
        return { record: observed.record, alreadyStopped: isTerminal(observed.record.state) };
      } catch (queryError) {
        return keepStopping(record, queryError, source);
      }
    }
    if (options.queryAfterLeave) {
      try {
        const answer = await options.query(record.agentId!, call);
        const ended = await move(record, (current) => options.patchOf(current, answer, clock.now()), source);
        if (isTerminal(ended.state)) {
          logger.info({ [idKey]: record.id, state: ended.state }, `${options.kind} ended`);
          // Failed before the leave: it had ended already.
          return { record: ended, alreadyStopped: ended.state !== 'stopped' };
        }
        record = ended;
      } catch {
        // Not known yet (a 404, a 5xx): the accepted leave is proof enough of the end.
      }
    }
    const stopped = await move(
      record,
      () => ({ state: 'stopped', agoraStatus: 'STOPPED', stoppedAt: clock.now(), notFoundSince: null, notFoundLastAt: null }),
      source,
    );
    logger.info({ [idKey]: record.id }, `${options.kind} stopped`);
    return { record: stopped, alreadyStopped: false };
  }

  return {
    observe,
    /** For the poller: sends a pending leave again, unless a leave of it is in flight (here or elsewhere). */
    async resend(record: R, call: CallOptions): Promise<R> {
      const outcome = await options.claims.run(record.id, async () => {
        const current = (await options.read(record.id)) ?? record;
        // Stopped meanwhile (another instance's stop ended while this poll read the row): nothing to send.
        if (isTerminal(current.state)) return { record: current, alreadyStopped: true };
        // The last leave was answered 404 (gone, or a failover): it is sent again only once a
        // query finds the agent alive, not at every poll.
        if (current.notFoundSince !== null) {
          let observed: R;
          try {
            observed = (await observe(current, 'poll', call)).record;
          } catch (error) {
            return keepStopping(current, error, 'poll');
          }
          if (isTerminal(observed.state) || observed.notFoundSince !== null)
            return { record: observed, alreadyStopped: isTerminal(observed.state) };
          return attempt(observed, 'poll', undefined, call);
        }
        return attempt(current, 'poll', undefined, call);
      });
      return outcome?.record ?? record;
    },
    /** Stops the task (idempotent): writes `stopping` while the leave is in flight. */
    async stop(record: R, source: ChangeSource): Promise<AgentOutcome<R>> {
      if (isTerminal(record.state)) return { record, alreadyStopped: true };
      // No agent to leave (the service settles such rows before calling here).
      if (!record.agentId) return { record, alreadyStopped: false };
      const agentId = record.agentId;
      const outcome = await options.claims.run(record.id, async () => {
        // Another stop may have ended it since `record` was read: a second leave is never sent for an ended row.
        const current = (await options.read(record.id)) ?? record;
        if (isTerminal(current.state)) return { record: current, alreadyStopped: true };
        if (options.beforeLeave && current.state === 'running') await options.beforeLeave(current, source);
        const sent = options.leave(agentId, {});
        sent.catch(() => undefined); // awaited in attempt(); this only keeps an early rejection handled
        const stopping = await untilSettled(
          sent,
          move(current, () => ({ state: 'stopping' }), source),
        );
        if (isTerminal(stopping.state)) return { record: stopping, alreadyStopped: true };
        return attempt(stopping, source, sent);
      });
      if (outcome) return outcome;
      // Another leave of it is in flight (here or on another instance): it reports through the row.
      const stopping = record.state === 'stopping' ? record : await move(record, () => ({ state: 'stopping' }), source);
      return { record: stopping, alreadyStopped: false };
    },
  };
}
