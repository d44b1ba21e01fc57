import { mergeFiles } from './files.js';
import { AgoraApiError, type AgoraClient, type CallOptions, type QueryResult } from '../agora/index.js';
import type { Clock } from '../clock.js';
import type { RecordingPatch, RecordingRecord } from '../store/index.js';
import { isTerminal, stateFromAgoraStatus } from './state.js';
import { notFoundPatch, type NotFoundRule } from '../tasks/not-found.js';
import { failure, failureOr } from '../tasks/failure.js';

export { notFoundPatch, type NotFoundRule } from '../tasks/not-found.js';
import type { ChangeSource, Transitions } from './transitions.js';

/** Agora's service answered 404 for the session ("failed to find worker"), not its gateway. */
export const isSessionNotFound = (error: unknown): error is AgoraApiError =>
  error instanceof AgoraApiError && error.httpStatus === 404 && error.code !== undefined;

/** Status 20 with no error notice before it: all Agora's query says of a failure. */
const EXITED_ABNORMALLY = failure('Agora reported status 20: the recording exited abnormally', 'exited_abnormally', 'query');

/** The row after a successful query: Agora's status, files, the 404 clock reset, and why it failed. */
export function queryPatch(current: RecordingRecord, result: QueryResult, now: number): RecordingPatch {
  const reported = stateFromAgoraStatus(result.status);
  // A stop in progress stays "stopping" until Agora says the task has exited.
  const state = current.state === 'stopping' && !isTerminal(reported) ? 'stopping' : reported;
  return {
    state,
    agoraStatus: result.status,
    files: mergeFiles(current.files, result.files),
    notFoundSince: null,
    notFoundLastAt: null,
    ...(isTerminal(state) ? { stoppedAt: now } : {}),
    // An error notice that came first says more than the status: it is kept.
    ...(state === 'failed' ? { lastError: failureOr(current.lastError, EXITED_ABNORMALLY) } : {}),
  };
}

/**
 * Asks Agora how a recording is and records the answer through a transition. A 404 never ends a
 * recording at once: only one that outlasts the failover window does.
 */
export function createObserver(options: { agora: AgoraClient; clock: Clock; transitions: Transitions; notFound: NotFoundRule }) {
  const { agora, clock, transitions } = options;
  return async function observe(
    record: RecordingRecord,
    source: ChangeSource,
    call: CallOptions = {},
  ): Promise<{ record: RecordingRecord; raw: unknown }> {
    if (!record.sid || !record.resourceId) return { record, raw: null };
    try {
      const result = await agora.query(
        { resourceId: record.resourceId, sid: record.sid, mode: record.mode, cname: record.channel, uid: record.uid },
        { ...call, failoverBackoff: false },
      );
      return { record: await transitions.move(record, (current) => queryPatch(current, result, clock.now()), source), raw: result.raw };
    } catch (error) {
      if (!isSessionNotFound(error)) throw error;
      return {
        record: await transitions.move(record, (current) => notFoundPatch(current, clock.now(), options.notFound), source),
        raw: null,
      };
    }
  };
}

export type Observe = ReturnType<typeof createObserver>;
