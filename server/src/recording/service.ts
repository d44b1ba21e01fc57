import { randomUUID } from 'node:crypto';
import {
  AppErrorCode,
  MAX_RECORDING_SECONDS,
  MAX_TOKEN_SECONDS,
  TokenGenerateInput,
  type ParsedRecordingStartInput,
  type Recording,
  type RecordingFile,
  type RecordingQueryOutput,
  type RecordingStartOutput,
  type RecordingStopOutput,
  type RecordingState,
} from '@agora-backend/shared';
import type { z } from 'zod';
import type { RecordingListInput, RecordingQueryInput, RecordingStopInput, RecordingUpdateInput, RecordingUpdateLayoutInput } from '@agora-backend/shared';
import { AgoraApiError, AgoraError, type AgoraClient, type StorageConfig } from '../agora/index.js';
import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import { ACTIVE_STATES, UidTakenError, type RecordingRecord, type RecordingStore, type StoredError, type StoredFile } from '../store/index.js';
import type { TokenIssuer } from '../tokens/index.js';
import type { EventBus } from '../events/index.js';
import { AppError } from '../errors.js';
import { buildStartParams, toAgoraLayout } from './agora-request.js';
import { isTerminal, stateFromAgoraStatus } from './state.js';
import { allocateUid } from './uid-allocator.js';

/** Extra token lifetime beyond the recording's maximum, so the token never ends the recording. */
const TOKEN_MARGIN_SECONDS = 600;

export interface RecordingServiceOptions {
  store: RecordingStore;
  agora: AgoraClient;
  tokens: TokenIssuer;
  clock: Clock;
  logger: Logger;
  storage: StorageConfig;
  uidRange: { min: number; max: number };
  defaultMaxDurationSeconds: number;
  /** Where stored events are published for watchers. */
  bus?: EventBus;
  /** Called once Agora returned a sid: the poller takes over from here. */
  onStarted?: (record: RecordingRecord) => void;
  /** Called when a recording reaches stopped or failed: its poller can go. */
  onEnded?: (record: RecordingRecord) => void;
}

type Parsed<T extends z.ZodType> = z.output<T>;

/** Stored files as clients see them (times as Dates). */
export function toFiles(files: StoredFile[]): RecordingFile[] {
  return files.map((file) => ({
    fileName: file.fileName,
    ...(file.trackType ? { trackType: file.trackType } : {}),
    ...(file.uid !== undefined ? { uid: file.uid } : {}),
    ...(file.mixedAllUser !== undefined ? { mixedAllUser: file.mixedAllUser } : {}),
    ...(file.isPlayable !== undefined ? { isPlayable: file.isPlayable } : {}),
    ...(file.sliceStartTime !== undefined ? { sliceStartTime: new Date(file.sliceStartTime) } : {}),
  }));
}

/** The client-facing view of a stored recording. */
export function toRecording(record: RecordingRecord): Recording {
  return {
    id: record.id,
    channel: record.channel,
    uid: record.uid,
    mode: record.mode,
    owner: record.owner,
    state: record.state,
    resourceId: record.resourceId,
    sid: record.sid,
    agoraStatus: record.agoraStatus,
    files: toFiles(record.files),
    uploadingStatus: record.uploadingStatus,
    maxDurationSeconds: record.maxDurationSeconds,
    fileNamePrefix: record.fileNamePrefix,
    lastError: record.lastError,
    createdAt: new Date(record.createdAt),
    startedAt: record.startedAt === null ? null : new Date(record.startedAt),
    updatedAt: new Date(record.updatedAt),
    stoppedAt: record.stoppedAt === null ? null : new Date(record.stoppedAt),
  };
}

function describeError(error: unknown): StoredError {
  if (error instanceof AgoraApiError) {
    return { message: error.message, agora: { httpStatus: error.httpStatus, code: error.code, reason: error.reason } };
  }
  if (error instanceof AgoraError || error instanceof AppError) return { message: error.message };
  return { message: 'internal error' };
}

const notFound = () => new AppError(AppErrorCode.RECORDING_NOT_FOUND, 'No such recording');

/** Who is asking: only a recording's owner, or an admin, sees it. Others get NOT_FOUND. */
export interface Viewer {
  id: string;
  admin: boolean;
}

/**
 * Recording orchestration (docs/architecture.md, "A recording"): uid allocation, acquire → start with the intent recorded
 * first, idempotent stop, and reconciliation for the watchdog.
 */
export function createRecordingService(options: RecordingServiceOptions) {
  const { store, agora, clock, logger } = options;

  async function transition(record: RecordingRecord, patch: Parameters<RecordingStore['update']>[1], source: 'poll' | 'api' | 'webhook') {
    const now = clock.now();
    const updated = await store.update(record.id, patch, now);
    if (!updated) throw notFound();
    const changed =
      updated.state !== record.state ||
      updated.agoraStatus !== record.agoraStatus ||
      JSON.stringify(updated.files) !== JSON.stringify(record.files);
    if (changed) {
      const event = await store.appendEvent({ recordingId: updated.id, at: now, state: updated.state, agoraStatus: updated.agoraStatus, files: updated.files, source });
      options.bus?.publish(event);
      if (isTerminal(updated.state) && !isTerminal(record.state)) options.onEnded?.(updated);
    }
    return updated;
  }

  async function find(input: { id: string } | { resourceId: string; sid: string }, viewer: Viewer): Promise<RecordingRecord> {
    const record = 'id' in input ? await store.get(input.id) : await store.findBySession(input.resourceId, input.sid);
    // Someone else's recording answers exactly as a missing one: ids reveal nothing.
    if (!record || (!viewer.admin && record.owner !== viewer.id)) throw notFound();
    return record;
  }

  async function startOnce(input: ParsedRecordingStartInput, owner: string, uid: string, allocated: boolean): Promise<RecordingStartOutput> {
    const maxDurationSeconds = Math.min(input.maxDurationSeconds ?? options.defaultMaxDurationSeconds, MAX_RECORDING_SECONDS);
    const id = randomUUID().replaceAll('-', '');
    const now = clock.now();
    const record: RecordingRecord = {
      id,
      channel: input.channel,
      uid,
      mode: input.mode,
      owner,
      state: 'starting',
      resourceId: null,
      sid: null,
      agoraStatus: null,
      files: [],
      uploadingStatus: null,
      options: input,
      // Letters and digits only (docs/agora.md, "Storage"): one folder per recording.
      fileNamePrefix: `recordings/${id}`,
      maxDurationSeconds,
      lastError: null,
      createdAt: now,
      startedAt: null,
      updatedAt: now,
      stoppedAt: null,
    };
    // The intent is on disk before Agora hears of it: a crash from here on leaves a row the
    // watchdog finds, never a recording nobody knows about.
    try {
      await store.insert(record);
    } catch (error) {
      if (error instanceof UidTakenError && !allocated) {
        throw new AppError(AppErrorCode.UID_CONFLICT, `uid ${uid} is already recording channel "${input.channel}"; choose another uid or leave it out`);
      }
      throw error;
    }
    // Acquire goes out now; the watchers' "starting" event and the recorder token are done while
    // it is in flight (the intent row above is what crash recovery needs, and it is written).
    const acquiring = agora.acquire({ cname: input.channel, uid, clientRequest: { scene: input.mode === 'web' ? 1 : 0 } });
    acquiring.catch(() => undefined); // awaited below; this only keeps an early rejection handled
    let resourceId: string | null = null;
    try {
      options.bus?.publish(await store.appendEvent({ recordingId: id, at: now, state: 'starting', agoraStatus: null, files: [], source: 'api' }));
      const token = input.mode === 'web' ? undefined : options.tokens.issue(
        TokenGenerateInput.parse({
          kind: 'rtc',
          channel: input.channel,
          uid,
          role: 'publisher',
          // Agora cannot renew the recorder's token: it must outlive the longest recording.
          expireSeconds: Math.min(MAX_TOKEN_SECONDS, maxDurationSeconds + TOKEN_MARGIN_SECONDS),
        }),
      ).token;
      ({ resourceId } = await acquiring);
      const storage: StorageConfig = { ...options.storage, fileNamePrefix: record.fileNamePrefix.split('/') };
      const started = await agora.start(
        buildStartParams({ input, resourceId, uid, token: token ?? '', storage, maxDurationSeconds }),
      );
      const startedAt = clock.now();
      // resourceId and sid in one write: a row with a resourceId but no sid is no more
      // recoverable than one without (Agora can only be asked about a recording by its sid).
      const updated = await store.update(id, { resourceId, sid: started.sid, startedAt }, startedAt);
      if (updated) options.onStarted?.(updated);
      logger.info({ recordingId: id, channel: input.channel, uid, mode: input.mode }, 'recording started');
      return {
        id,
        channel: input.channel,
        uid,
        mode: input.mode,
        resourceId,
        sid: started.sid,
        state: updated?.state ?? 'starting',
        startedAt: new Date(startedAt),
        maxDurationSeconds,
      };
    } catch (error) {
      // The resourceId stays on the failed row: Agora's support asks for it.
      await transition({ ...record }, { state: 'failed', lastError: describeError(error), stoppedAt: clock.now(), ...(resourceId ? { resourceId } : {}) }, 'api');
      throw error;
    }
  }

  return {
    /** Starts a recording: uid allocation, recorder token, acquire, start. */
    async start(input: ParsedRecordingStartInput, owner: string): Promise<RecordingStartOutput> {
      // A uid the caller chose: the registry's unique index refuses one already recording the
      // channel (UID_CONFLICT before any Agora call), so there is nothing to read first.
      if (input.uid !== undefined) return startOnce(input, owner, input.uid, false);
      // A random uid from a range of millions is almost never taken, so the channel's active uids
      // are read only after a collision (a small RECORDER_UID range then fills in from that set).
      // Agora answers 53 when a task outside our registry holds the uid: pick another (docs/agora.md, "Errors and retries").
      let taken: Set<string> | undefined;
      for (let attempt = 0; ; attempt++) {
        const uid = allocateUid(options.uidRange, taken ?? new Set());
        if (uid === undefined) throw new AppError(AppErrorCode.UID_CONFLICT, 'no free recorder uid left in RECORDER_UID_MIN..RECORDER_UID_MAX');
        try {
          return await startOnce(input, owner, uid, true);
        } catch (error) {
          const retryable = error instanceof UidTakenError || (error instanceof AgoraApiError && error.code === 53);
          if (!retryable || attempt >= 2) throw error;
          taken ??= await store.activeUids(input.channel);
          taken.add(uid);
        }
      }
    },

    /** Current status from Agora (a transient 404 keeps the stored state: Agora may be failing over). */
    async query(input: Parsed<typeof RecordingQueryInput>, viewer: Viewer): Promise<RecordingQueryOutput> {
      let record = await find(input, viewer);
      let raw: unknown = null;
      if (ACTIVE_STATES.includes(record.state) && record.sid && record.resourceId) {
        try {
          const result = await agora.query(
            { resourceId: record.resourceId, sid: record.sid, mode: record.mode, cname: record.channel, uid: record.uid },
            { failoverBackoff: false },
          );
          raw = result.raw;
          const state = record.state === 'stopping' ? 'stopping' : stateFromAgoraStatus(result.status);
          record = await transition(record, { state, agoraStatus: result.status, files: result.files }, 'api');
        } catch (error) {
          if (!(error instanceof AgoraApiError && error.httpStatus === 404)) throw error;
          // Not "stopped" yet: the watchdog rides out the failover window before concluding that.
        }
      }
      return { id: record.id, state: record.state, agoraStatus: record.agoraStatus, files: toFiles(record.files), updatedAt: new Date(record.updatedAt), raw };
    },

    /** Stops a recording. Idempotent: one Agora already ended reports `alreadyStopped: true`. */
    async stop(input: Parsed<typeof RecordingStopInput>, viewer: Viewer): Promise<RecordingStopOutput> {
      const record = await find(input, viewer);
      if ('channel' in input && (input.channel !== record.channel || (input.uid !== undefined && input.uid !== record.uid))) throw notFound();
      return this.stopRecord(record, 'api');
    },

    async stopRecord(record: RecordingRecord, source: 'api' | 'poll'): Promise<RecordingStopOutput> {
      const stoppedView = (current: RecordingRecord, alreadyStopped: boolean): RecordingStopOutput => ({
        id: current.id,
        state: 'stopped',
        files: toFiles(current.files),
        uploadingStatus: current.uploadingStatus,
        alreadyStopped,
      });
      if (isTerminal(record.state) || !record.sid || !record.resourceId) {
        const current = isTerminal(record.state) ? record : await transition(record, { state: 'failed', stoppedAt: clock.now() }, source);
        return stoppedView(current, true);
      }
      // The stop goes out first and "stopping" is written while it is in flight: a crash in
      // between leaves the row "recording", and the watchdog's query then finds it stopped.
      const stopCall = agora.stop({ resourceId: record.resourceId, sid: record.sid, mode: record.mode, cname: record.channel, uid: record.uid });
      stopCall.catch(() => undefined); // awaited below; this only keeps an early rejection handled
      const stopping = await transition(record, { state: 'stopping' }, source);
      try {
        const result = await stopCall;
        const now = clock.now();
        if (result.alreadyStopped) {
          return stoppedView(await transition(stopping, { state: 'stopped', stoppedAt: now }, source), true);
        }
        const files = result.files.length > 0 ? result.files : stopping.files;
        const updated = await transition(stopping, { state: 'stopped', stoppedAt: now, files, uploadingStatus: result.uploadingStatus ?? null }, source);
        logger.info({ recordingId: record.id, files: files.length }, 'recording stopped');
        return stoppedView(updated, false);
      } catch (error) {
        // Back to where it was: the recording may still run, and a later stop must try again.
        await transition(stopping, { state: record.state, lastError: describeError(error) }, source);
        throw error;
      }
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
        throw new AppError(AppErrorCode.RECORDING_MODE_MISMATCH, record.mode === 'web' ? 'web recordings take paused, not subscription lists' : 'paused is only for web recordings');
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
                    ? { audioUidList: { ...(lists.subscribeAudioUids ? { subscribeAudioUids: lists.subscribeAudioUids } : {}), ...(lists.unsubscribeAudioUids ? { unSubscribeAudioUids: lists.unsubscribeAudioUids } : {}) } }
                    : {}),
                  ...(lists.subscribeVideoUids || lists.unsubscribeVideoUids
                    ? { videoUidList: { ...(lists.subscribeVideoUids ? { subscribeVideoUids: lists.subscribeVideoUids } : {}), ...(lists.unsubscribeVideoUids ? { unSubscribeVideoUids: lists.unsubscribeVideoUids } : {}) } }
                    : {}),
                },
              },
      });
      return { id: record.id, updatedAt: new Date(clock.now()) };
    },

    async updateLayout(input: Parsed<typeof RecordingUpdateLayoutInput>, viewer: Viewer) {
      const record = await requireRunning(await find(input, viewer));
      if (record.mode !== 'mix') throw new AppError(AppErrorCode.RECORDING_MODE_MISMATCH, 'updateLayout is only for mix recordings');
      await agora.updateLayout({ resourceId: record.resourceId!, sid: record.sid!, cname: record.channel, uid: record.uid, clientRequest: toAgoraLayout(input.layout) });
      return { id: record.id, updatedAt: new Date(clock.now()) };
    },

    /**
     * For the watchdog: bring one active recording in line with Agora. Rides out the failover
     * window (query's 5/10/15 s back-off) before concluding a 404 means the task ended.
     */
    async reconcile(record: RecordingRecord): Promise<RecordingRecord> {
      if (!record.sid || !record.resourceId) return record;
      try {
        const result = await agora.query({ resourceId: record.resourceId, sid: record.sid, mode: record.mode, cname: record.channel, uid: record.uid });
        const state = record.state === 'stopping' ? 'stopping' : stateFromAgoraStatus(result.status);
        return await transition(record, { state, agoraStatus: result.status, files: result.files }, 'poll');
      } catch (error) {
        if (error instanceof AgoraApiError && error.httpStatus === 404 && error.code !== undefined) {
          logger.info({ recordingId: record.id }, 'Agora no longer knows the recording: it ended');
          return transition(record, { state: 'stopped', stoppedAt: clock.now() }, 'poll');
        }
        throw error;
      }
    },

    /** Checks that the viewer may see the recording (for watch). */
    async visible(id: string, viewer: Viewer): Promise<RecordingRecord> {
      return find({ id }, viewer);
    },

    /**
     * A change an Agora webhook reported (docs/agora.md, "Webhooks"). Polling stays the source of truth: this
     * only moves a recording forward, never back from an end the poller already saw.
     */
    async applyWebhook(sid: string, patch: { state?: RecordingState; agoraStatus?: number; files?: StoredFile[] }): Promise<RecordingRecord | undefined> {
      const record = await store.findBySid(sid);
      if (!record || isTerminal(record.state)) return record;
      const next: Parameters<RecordingStore['update']>[1] = {};
      if (patch.state !== undefined) next.state = patch.state;
      if (patch.agoraStatus !== undefined) next.agoraStatus = patch.agoraStatus;
      if (patch.files !== undefined && patch.files.length > 0) next.files = patch.files;
      if (patch.state !== undefined && isTerminal(patch.state)) next.stoppedAt = clock.now();
      return transition(record, next, 'webhook');
    },

    /** For the watchdog: a recording whose start never got a sid (the server died in between). */
    async abandon(record: RecordingRecord, reason: string): Promise<RecordingRecord> {
      return transition(record, { state: 'failed', stoppedAt: clock.now(), lastError: { message: reason } }, 'poll');
    },
  };

  async function requireRunning(record: RecordingRecord): Promise<RecordingRecord> {
    if (!ACTIVE_STATES.includes(record.state) || !record.sid || !record.resourceId) {
      throw new AppError(AppErrorCode.RECORDING_ENDED, `recording ${record.id} is ${record.state}; it can no longer be changed`);
    }
    return Promise.resolve(record);
  }
}

export type RecordingService = ReturnType<typeof createRecordingService>;
export type { RecordingState };
