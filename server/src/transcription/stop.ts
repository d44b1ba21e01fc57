import { isAgentNotFound, type AgoraClient, type CallOptions } from '../agora/index.js';
import { untilSettled, type Claims } from '../tasks/claims.js';
import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import { storedErrorOf } from '../tasks/failure.js';
import type { TranscriptionRecord } from '../store/index.js';
import { notFoundPatch, type NotFoundRule } from '../tasks/not-found.js';
import type { ChangeSource } from '../tasks/transitions.js';
import { agentPatch, isTerminal } from './state.js';
import type { TranscriptionTransitions } from './transitions.js';

export interface TranscriptionOutcome {
  record: TranscriptionRecord;
  /** It had already ended (idle exit, an earlier stop, a failure) before this stop, or never started. */
  alreadyStopped: boolean;
}

export interface TranscriptionStopperOptions {
  agora: AgoraClient;
  clock: Clock;
  logger: Logger;
  transitions: TranscriptionTransitions;
  notFound: NotFoundRule;
  /** One leave in flight per transcription, cluster-wide. */
  claims: Claims;
}

/**
 * Asking Agora about an agent and stopping it, reporting only what is true: `stopped` once Agora
 * accepted the leave or says the agent has ended, or once its 404s outlast the failover window;
 * otherwise the row stays `stopping` and the poller sends the leave again.
 */
export function createTranscriptionStopper(options: TranscriptionStopperOptions) {
  const { agora, clock, logger, transitions } = options;

  /** One query; a 404 only ends the transcription once it has lasted past the failover window. */
  async function observe(
    record: TranscriptionRecord,
    source: ChangeSource,
    call: CallOptions = {},
  ): Promise<{ record: TranscriptionRecord; raw: unknown }> {
    if (!record.agentId) return { record, raw: null };
    try {
      const agent = await agora.stt.query(record.agentId, call);
      return { record: await transitions.move(record, (current) => agentPatch(current, agent, clock.now()), source), raw: agent.raw };
    } catch (error) {
      if (!isAgentNotFound(error)) throw error;
      return {
        record: await transitions.move(record, (current) => notFoundPatch(current, clock.now(), options.notFound), source),
        raw: null,
      };
    }
  }

  async function keepStopping(record: TranscriptionRecord, error: unknown, source: ChangeSource): Promise<TranscriptionOutcome> {
    logger.warn(
      { transcriptionId: record.id, err: error instanceof Error ? error.message : String(error) },
      'leave not confirmed yet; it will be sent again',
    );
    return { record: await transitions.move(record, () => ({ lastError: storedErrorOf(error) }), source), alreadyStopped: false };
  }

  /** Sends the leave once and records what it proves (the caller holds the leave claim). */
  async function attempt(
    record: TranscriptionRecord,
    source: ChangeSource,
    sent?: Promise<void>,
    call: CallOptions = {},
  ): Promise<TranscriptionOutcome> {
    try {
      await (sent ?? agora.stt.leave(record.agentId!, { signal: call.signal }));
    } catch (error) {
      if (!isAgentNotFound(error)) return keepStopping(record, error, source);
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
    logger.info({ transcriptionId: record.id }, 'transcription stopped');
    return { record: stopped, alreadyStopped: false };
  }

  return {
    observe,
    /** For the poller: sends a pending leave again, unless a leave of it is in flight (here or elsewhere). */
    async resend(record: TranscriptionRecord, call: CallOptions): Promise<TranscriptionRecord> {
      return (await options.claims.run(record.id, () => attempt(record, 'poll', undefined, call)))?.record ?? record;
    },
    /** Stops a transcription (idempotent): writes `stopping` while the leave is in flight. */
    async stop(record: TranscriptionRecord, source: ChangeSource): Promise<TranscriptionOutcome> {
      if (isTerminal(record.state)) return { record, alreadyStopped: true };
      // No agent to leave (the service settles such rows before calling here).
      if (!record.agentId) return { record, alreadyStopped: false };
      const agentId = record.agentId;
      const outcome = await options.claims.run(record.id, async () => {
        const sent = agora.stt.leave(agentId);
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

export type TranscriptionStopper = ReturnType<typeof createTranscriptionStopper>;
