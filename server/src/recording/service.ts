import type { z } from 'zod';
import type {
  ParsedRecordingStartInput,
  Recording,
  RecordingFilesInput,
  RecordingFilesOutput,
  RecordingListInput,
  RecordingQueryInput,
  RecordingQueryOutput,
  RecordingStartOutput,
  RecordingState,
  RecordingStopInput,
  RecordingStopOutput,
  RecordingUpdateInput,
  RecordingUpdateLayoutInput,
} from '@agora-backend/shared';
import { AppErrorCode } from '@agora-backend/shared';
import type { CallOptions } from '../agora/index.js';
import type { Leases } from '../cluster/types.js';
import { createClaims } from '../tasks/claims.js';
import { AppError } from '../errors.js';
import type { EventBus } from '../events/index.js';
import { ACTIVE_STATES, type RecordingRecord, type StoredError, type StoredFile } from '../store/index.js';
import { failure } from '../tasks/failure.js';
import { mayView, type Viewer } from '../tasks/views.js';
import { toAgoraLayout } from './agora-request.js';
import { createUnlinkedStorage, type LinkSigner, type RecordingStorage } from '../storage/index.js';
import { listRecordingObjects, mergeFiles } from './files.js';
import { createObserver } from './observe.js';
import { createRecordingStarter, type RecordingStartSettings } from './start.js';
import { isTerminal } from './state.js';
import { createRecordingStopper } from './stop.js';
import { createRecordingTransitions } from './transitions.js';
import { recordingNotFound, toFiles, toRecording, toStopOutput } from './views.js';
import { startWithWarnings } from '../tasks/start-warnings.js';

export { toFiles, toRecording } from './views.js';

/** Agora's failover lasts up to about 90 s (a migration): only a 404 that outlasts it is the end. */
export const DEFAULT_FAILOVER_WINDOW_MS = 90_000;

export interface RecordingServiceOptions extends RecordingStartSettings {
  /** How long Agora's 404s must last before they count as "the recording is gone". */
  failoverWindowMs?: number;
  /** The longest silence between two 404s of one run (default 2.5 poll intervals). */
  notFoundMaxGapMs?: number;
  /** Where stored events are published for watchers. */
  bus?: EventBus;
  /** Where the files are read back from (recording.files); none: every link says why not. */
  files?: RecordingStorage | undefined;
  /** Signs this server's /files links (playlists of a bucket play through them). */
  linkSigner?: LinkSigner | undefined;
  /** With several instances: one stop in flight per recording, cluster-wide. */
  leases?: Leases | undefined;
  /** Called once Agora returned a sid: the poller takes over from here. */
  onStarted?: (record: RecordingRecord) => void;
  /** Called when a recording reaches stopped or failed: its poller can go. */
  onEnded?: (record: RecordingRecord) => void;
}

type Parsed<T extends z.ZodType> = z.output<T>;

/** States in the order a recording passes them: a webhook only ever moves one forward. */
const STATE_RANK: Record<RecordingState, number> = { starting: 0, recording: 1, stopping: 2, stopped: 3, failed: 3 };

/**
 * Recording orchestration (docs/architecture.md, "A recording"): the procedures' entry points,
 * built from the starter, the stopper, the observer and the transitions that all row changes go
 * through.
 */
export function createRecordingService(options: RecordingServiceOptions) {
  const { store, agora, clock, logger } = options;
  const notFound = {
    failoverWindowMs: options.failoverWindowMs ?? DEFAULT_FAILOVER_WINDOW_MS,
    maxGapMs: options.notFoundMaxGapMs ?? 75_000,
  };
  const transitions = createRecordingTransitions({ store, clock, bus: options.bus, onEnded: options.onEnded });
  const startsInFlight = new Set<string>();
  const starter = createRecordingStarter({ ...options, transitions, startsInFlight, bus: options.bus, onStarted: options.onStarted });
  const stopper = createRecordingStopper({
    agora,
    clock,
    logger,
    transitions,
    notFound,
    startsInFlight,
    claims: createClaims('stop', options.leases),
  });
  const startLook = {
    clock,
    logger,
    consequence: "the recording writes nothing until someone does, and a stop before then ends with Agora's 435 (no recorded data)",
  };
  const observe = createObserver({ agora, clock, transitions, notFound });
  const files = options.files ?? createUnlinkedStorage('no storage is configured for reading recordings back');

  async function find(input: { id: string } | { resourceId: string; sid: string }, viewer: Viewer): Promise<RecordingRecord> {
    const record = 'id' in input ? await store.get(input.id) : await store.findBySession(input.resourceId, input.sid);
    // Someone else's recording answers exactly as a missing one: ids reveal nothing.
    if (!record || !mayView(viewer, record.owner)) throw recordingNotFound();
    return record;
  }

  return {
    /** Starts a recording: uid allocation, recorder token, acquire, start. */
    start: (input: ParsedRecordingStartInput, owner: string): Promise<RecordingStartOutput> =>
      // A web page recording records the page, not the channel's publishers: no look there.
      startWithWarnings({ ...startLook, lookup: input.mode === 'web' ? undefined : options.publishers }, input.channel, () =>
        starter.start(input, owner),
      ),

    /** Current status from Agora (a 404 keeps the stored state until it outlasts the failover window). */
    async query(input: Parsed<typeof RecordingQueryInput>, viewer: Viewer): Promise<RecordingQueryOutput> {
      let record = await find(input, viewer);
      let raw: unknown = null;
      if (ACTIVE_STATES.includes(record.state)) ({ record, raw } = await observe(record, 'api'));
      return {
        id: record.id,
        state: record.state,
        agoraStatus: record.agoraStatus,
        files: toFiles(record.files),
        updatedAt: new Date(record.updatedAt),
        lastError: record.lastError,
        raw,
      };
    },

    /** Stops a recording: `stopped` once Agora confirms it, else `stopping` (and the server keeps at it). */
    async stop(input: Parsed<typeof RecordingStopInput>, viewer: Viewer): Promise<RecordingStopOutput> {
      const record = await find(input, viewer);
      if ('channel' in input && (input.channel !== record.channel || (input.uid !== undefined && input.uid !== record.uid)))
        throw recordingNotFound();
      const outcome = await stopper.stop(record, 'api');
      return toStopOutput(outcome.record, outcome.alreadyStopped);
    },

    /** For the watchdog: a recording past its max duration. */
    stopRecord: (record: RecordingRecord, source: 'api' | 'poll') => stopper.stop(record, source),

    /** Every object of the recording in the bucket, each with a link that expires. */
    async files(input: Parsed<typeof RecordingFilesInput>, viewer: Viewer, origin: string): Promise<RecordingFilesOutput> {
      const record = await find(input, viewer);
      return listRecordingObjects(record, files, { expiresInSeconds: input.expiresInSeconds, origin, clock, signer: options.linkSigner });
    },

    async get(id: string, viewer: Viewer): Promise<Recording> {
      return toRecording(await find({ id }, viewer));
    },

    async list(input: Parsed<typeof RecordingListInput>, viewer: Viewer) {
      const page = await store.list({ ...input, ...(viewer.admin ? {} : { owner: viewer.id }) });
      return { items: page.items.map(toRecording), nextCursor: page.nextCursor };
    },

    async update(input: Parsed<typeof RecordingUpdateInput>, viewer: Viewer) {
      const record = await requireRunning(await find(input, viewer));
      const { id: _id, paused, ...lists } = input;
      const hasLists = [lists.subscribeAudioUids, lists.unsubscribeAudioUids, lists.subscribeVideoUids, lists.unsubscribeVideoUids].some(
        (list) => list !== undefined,
      );
      if (record.mode === 'web' ? hasLists : paused !== undefined) {
        throw new AppError(
          AppErrorCode.RECORDING_MODE_MISMATCH,
          record.mode === 'web' ? 'web recordings take paused, not subscription lists' : 'paused is only for web recordings',
        );
      }
      await agora.update({
        resourceId: record.resourceId!,
        sid: record.sid!,
        mode: record.mode,
        cname: record.channel,
        uid: record.uid,
        clientRequest:
          record.mode === 'web'
            ? { webRecordingConfig: { onhold: paused ?? false } }
            : {
                streamSubscribe: {
                  ...(lists.subscribeAudioUids || lists.unsubscribeAudioUids
                    ? {
                        audioUidList: {
                          ...(lists.subscribeAudioUids ? { subscribeAudioUids: lists.subscribeAudioUids } : {}),
                          ...(lists.unsubscribeAudioUids ? { unSubscribeAudioUids: lists.unsubscribeAudioUids } : {}),
                        },
                      }
                    : {}),
                  ...(lists.subscribeVideoUids || lists.unsubscribeVideoUids
                    ? {
                        videoUidList: {
                          ...(lists.subscribeVideoUids ? { subscribeVideoUids: lists.subscribeVideoUids } : {}),
                          ...(lists.unsubscribeVideoUids ? { unSubscribeVideoUids: lists.unsubscribeVideoUids } : {}),
                        },
                      }
                    : {}),
                },
              },
      });
      return { id: record.id, updatedAt: new Date(clock.now()) };
    },

    async updateLayout(input: Parsed<typeof RecordingUpdateLayoutInput>, viewer: Viewer) {
      const record = await requireRunning(await find(input, viewer));
      if (record.mode !== 'mix') throw new AppError(AppErrorCode.RECORDING_MODE_MISMATCH, 'updateLayout is only for mix recordings');
      await agora.updateLayout({
        resourceId: record.resourceId!,
        sid: record.sid!,
        cname: record.channel,
        uid: record.uid,
        clientRequest: toAgoraLayout(input.layout),
      });
      return { id: record.id, updatedAt: new Date(clock.now()) };
    },

    /**
     * For the pollers: bring one active recording in line with Agora. A stopping one gets its stop
     * sent again until Agora confirms it.
     */
    async reconcile(record: RecordingRecord, call: CallOptions = {}): Promise<RecordingRecord> {
      if (record.state === 'stopping' && record.sid) return stopper.resend(record, call);
      return (await observe(record, 'poll', call)).record;
    },

    /** Checks that the viewer may see the recording (for watch). */
    async visible(id: string, viewer: Viewer): Promise<RecordingRecord> {
      return find({ id }, viewer);
    },

    /**
     * A non-final change an Agora webhook reported (docs/agora.md, "Webhooks"): it only moves a
     * recording forward. Ends are never taken from a notice: the runtime confirms them with a query.
     */
    async applyWebhook(
      sid: string,
      patch: { state?: RecordingState; agoraStatus?: number; files?: StoredFile[]; lastError?: StoredError },
    ): Promise<RecordingRecord | undefined> {
      let record = await store.findBySid(sid);
      // Why it is failing is kept whenever it comes, even after the end (notices arrive in any order).
      if (record && patch.lastError) record = await transitions.move(record, () => ({ lastError: patch.lastError }), 'webhook');
      if (!record || isTerminal(record.state)) return record;
      return transitions.move(
        record,
        (current) => ({
          ...(patch.state !== undefined && !isTerminal(patch.state) && STATE_RANK[patch.state] > STATE_RANK[current.state]
            ? { state: patch.state }
            : {}),
          ...(patch.agoraStatus !== undefined && !isTerminal(current.state) ? { agoraStatus: patch.agoraStatus } : {}),
          ...(patch.files !== undefined && patch.files.length > 0 ? { files: mergeFiles(current.files, patch.files) } : {}),
        }),
        'webhook',
      );
    },

    /** For the watchdog: a start that never got a sid and is not running anywhere any more. */
    async settleStart(record: RecordingRecord): Promise<RecordingRecord> {
      const reason =
        'the start was interrupted before Agora returned a sid; if Agora did start it, it ends by itself after maxIdleSeconds with nobody publishing';
      return transitions.move(
        record,
        () => ({ state: 'failed', stoppedAt: clock.now(), lastError: failure(reason, 'start_interrupted', 'rule') }),
        'poll',
      );
    },

    /** Whether this process is starting the recording right now. */
    isStarting: (id: string) => startsInFlight.has(id),
  };

  async function requireRunning(record: RecordingRecord): Promise<RecordingRecord> {
    if (!ACTIVE_STATES.includes(record.state) || !record.sid || !record.resourceId) {
      throw new AppError(AppErrorCode.RECORDING_ENDED, `recording ${record.id} is ${record.state}; it can no longer be changed`);
    }
    return Promise.resolve(record);
  }
}

export type RecordingService = ReturnType<typeof createRecordingService>;
