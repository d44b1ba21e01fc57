import { mergeFiles } from './files.js';
import type { AgoraClient, CallOptions, StopResult } from '../agora/index.js';
import { untilSettled, type Claims } from '../tasks/claims.js';
import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import type { RecordingPatch, RecordingRecord } from '../store/index.js';
import { isSessionNotFound, notFoundPatch, queryPatch, type NotFoundRule } from './observe.js';
import { isTerminal } from './state.js';
import type { ChangeSource, Transitions } from './transitions.js';
import { storedErrorOf } from '../tasks/failure.js';

export interface StopOutcome {
  record: RecordingRecord;
  /** Agora had already ended it (idle exit, an earlier stop) before this stop, or it had never started. */
  alreadyStopped: boolean;
}

export interface StopperOptions {
  agora: AgoraClient;
  clock: Clock;
  logger: Logger;
  transitions: Transitions;
  notFound: NotFoundRule;
  /** Recordings whose start is still running in this process (they get their sid any moment). */
  startsInFlight: ReadonlySet<string>;
  /** One stop in flight per recording, cluster-wide. */
  claims: Claims;
}

interface AttemptOptions {
  /** After a 404: stop again if a query finds the task alive (not on the second pass). */
  mayStopAgain?: boolean;
  /** The stop request, already sent. */
  sent?: Promise<StopResult>;
  call?: CallOptions;
}

/** A stop Agora answered with files (or "nothing recorded"): the task is gone. */
function stoppedPatch(result: Extract<StopResult, { alreadyStopped: false }>, current: RecordingRecord, now: number): RecordingPatch {
  return {
    state: 'stopped',
    stoppedAt: now,
    files: mergeFiles(current.files, result.files),
    uploadingStatus: result.uploadingStatus ?? null,
    notFoundSince: null,
    notFoundLastAt: null,
  };
}

/**
 * Stopping that reports only what is true: `stopped` once Agora confirms the task is gone (a stop
 * answer, code 49, or a 404 that outlasts the failover window); otherwise the row stays `stopping`
 * and the recording's poller sends the stop again until Agora confirms it.
 */
export function createRecordingStopper(options: StopperOptions) {
  const { agora, clock, logger, transitions } = options;
  const session = (row: RecordingRecord) => ({
    resourceId: row.resourceId!,
    sid: row.sid!,
    mode: row.mode,
    cname: row.channel,
    uid: row.uid,
  });

  /** A 404 from stop is not proof: ask with a query whether the task lives, and stop it again if it does. */
  async function confirmGone(row: RecordingRecord, source: ChangeSource, mayStopAgain: boolean, call: CallOptions): Promise<StopOutcome> {
    try {
      const result = await agora.query(session(row), { ...call, failoverBackoff: false });
      const observed = await transitions.move(row, (current) => queryPatch(current, result, clock.now()), source);
      if (isTerminal(observed.state) || !mayStopAgain) return { record: observed, alreadyStopped: isTerminal(observed.state) };
      // The failover is over and the task runs: stop it now.
      return await attempt(observed, source, { mayStopAgain: false, call });
    } catch (error) {
      if (!isSessionNotFound(error)) return keepStopping(row, error, source);
      const record = await transitions.move(row, (current) => notFoundPatch(current, clock.now(), options.notFound), source);
      if (!isTerminal(record.state))
        logger.info(
          { recordingId: row.id },
          'Agora answers 404 (failover or gone); the stop stays pending until that outlasts the failover window',
        );
      return { record, alreadyStopped: isTerminal(record.state) };
    }
  }

  async function keepStopping(row: RecordingRecord, error: unknown, source: ChangeSource): Promise<StopOutcome> {
    logger.warn(
      { recordingId: row.id, err: error instanceof Error ? error.message : String(error) },
      'stop not confirmed yet; it will be sent again',
    );
    return { record: await transitions.move(row, () => ({ lastError: storedErrorOf(error) }), source), alreadyStopped: false };
  }

  /**
   * The row as it is now, read once the claim is held: the row the caller decided on may be older
   * than another instance's whole stop (sent, answered, written `stopped`, claim given back), and a
   * stop sent from it would be a second one (the cluster soak's double actor: a user's stop on one
   * instance, then the poller's resend of the `stopping` row it had read meanwhile).
   */
  async function reread(row: RecordingRecord): Promise<RecordingRecord> {
    return (await transitions.read(row.id)) ?? row;
  }

  /** Sends the stop once and records what it proves (the caller holds the recording's stop claim). */
  async function attempt(
    row: RecordingRecord,
    source: ChangeSource,
    { mayStopAgain = true, sent, call = {} }: AttemptOptions = {},
  ): Promise<StopOutcome> {
    let result: StopResult;
    try {
      result = await (sent ?? agora.stop(session(row), { signal: call.signal }));
    } catch (error) {
      return keepStopping(row, error, source);
    }
    if (!result.alreadyStopped) {
      const record = await transitions.move(row, (current) => stoppedPatch(result, current, clock.now()), source);
      logger.info({ recordingId: row.id, files: record.files.length }, 'recording stopped');
      return { record, alreadyStopped: false };
    }
    // Code 49: Agora is already ending it (an earlier stop, idle exit). That is Agora's word.
    if (result.code === 49) {
      return {
        record: await transitions.move(
          row,
          () => ({ state: 'stopped', stoppedAt: clock.now(), notFoundSince: null, notFoundLastAt: null }),
          source,
        ),
        alreadyStopped: true,
      };
    }
    return confirmGone(row, source, mayStopAgain, call);
  }

  return {
    /** For the poller: sends a pending stop again, unless a stop of it is in flight (here or elsewhere). */
    async resend(row: RecordingRecord, call: CallOptions): Promise<RecordingRecord> {
      const outcome = await options.claims.run(row.id, async () => {
        const current = await reread(row);
        // Stopped meanwhile (another instance's stop ended while this poll read the row): nothing to send.
        if (isTerminal(current.state)) return { record: current, alreadyStopped: true };
        // The last stop was answered 404 (gone, or a failover): a stop is sent again only once a
        // query finds the task alive, not at every poll (another instance's 404'd stop was
        // followed by this poller's, within an interval: the soak's double actor, seed 7).
        if (current.notFoundSince !== null) return confirmGone(current, 'poll', true, call);
        return attempt(current, 'poll', { call });
      });
      return outcome?.record ?? row;
    },
    /** Stops a recording (idempotent): the first call writes "stopping", then asks Agora. */
    async stop(record: RecordingRecord, source: ChangeSource): Promise<StopOutcome> {
      if (isTerminal(record.state)) return { record, alreadyStopped: true };
      if (!record.sid || !record.resourceId) {
        // Its start runs in this process: it stops the recording as soon as it has the sid.
        if (options.startsInFlight.has(record.id))
          return { record: await transitions.move(record, () => ({ state: 'stopping' }), source), alreadyStopped: false };
        const reason = 'the start was interrupted before Agora returned a sid; nothing can be stopped';
        return {
          record: await transitions.move(
            record,
            () => ({ state: 'failed', stoppedAt: clock.now(), lastError: { message: reason, reason: 'start_interrupted', from: 'rule' } }),
            source,
          ),
          alreadyStopped: true,
        };
      }
      const outcome = await options.claims.run(record.id, async () => {
        // Another stop may have ended it since `record` was read (the poller's deadline stop, a
        // user's stop on another instance): a second stop is never sent for an ended row.
        const current = await reread(record);
        if (isTerminal(current.state)) return { record: current, alreadyStopped: true };
        // The stop request goes out before "stopping" is written (a crash in between leaves the row
        // active, and the poller's next look finds it stopped); the write happens while it is in flight.
        const sent = agora.stop(session(current));
        sent.catch(() => undefined); // awaited in attempt(); this only keeps an early rejection handled
        const stopping = await untilSettled(
          sent,
          transitions.move(current, () => ({ state: 'stopping' }), source),
        );
        if (isTerminal(stopping.state)) return { record: stopping, alreadyStopped: true };
        return attempt(stopping, source, { sent });
      });
      if (outcome) return outcome;
      // Another stop of it is in flight (here or on another instance): it reports through the row.
      const stopping = record.state === 'stopping' ? record : await transitions.move(record, () => ({ state: 'stopping' }), source);
      return { record: stopping, alreadyStopped: false };
    },
  };
}

export type Stopper = ReturnType<typeof createRecordingStopper>;
