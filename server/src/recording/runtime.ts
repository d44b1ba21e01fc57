import type { RecordingStatusEvent } from '@agora-backend/shared';
import type { AgoraClient, StorageConfig } from '../agora/index.js';
import { recordingTopic } from '../events/index.js';
import type { RecordingEvent, RecordingRecord, Registry } from '../store/index.js';
import type { LinkSigner, RecordingStorage } from '../storage/index.js';
import { createTaskRuntime, type TaskKind, type TaskRuntimeDeps, type TaskSettings } from '../tasks/runtime.js';
import type { TokenIssuer } from '../tokens/index.js';
import type { WebhookChange } from './webhook-change.js';
import { createRecordingService, toFiles, type RecordingService } from './service.js';
import { isTerminal } from './state.js';
import { pastMaxDuration, recordingWatch } from './watchdog.js';

export interface RecordingSettings extends TaskSettings {
  storage: StorageConfig;
  uidRange: { min: number; max: number };
  defaultMaxDurationSeconds: number;
}

export interface RecordingRuntimeDeps extends TaskRuntimeDeps<RecordingEvent> {
  /** The registry: its recordings' table, and the webhook notices seen. */
  registry: Registry;
  agora: AgoraClient;
  tokens: TokenIssuer;
  /** Where recordings are read back from (recording.files). */
  files?: RecordingStorage | undefined;
  /** Signs this server's /files links. */
  linkSigner?: LinkSigner | undefined;
}

/** How long notice ids are remembered: far beyond Agora's resends and the freshness window. */
export const NOTICE_MEMORY_MS = 7 * 24 * 3_600_000;

function toStatusEvent(event: RecordingEvent): RecordingStatusEvent {
  return {
    id: event.recordingId,
    state: event.state,
    agoraStatus: event.agoraStatus,
    files: toFiles(event.files),
    at: new Date(event.at),
    source: event.source,
    lastError: event.lastError,
  };
}

/** Cloud Recording as a kind of task: its table, its states, its events as clients see them, and its service. */
export function recordingKind(
  settings: RecordingSettings,
  deps: RecordingRuntimeDeps,
): TaskKind<RecordingRecord, RecordingEvent, RecordingService, RecordingStatusEvent> {
  const store = deps.registry.recordings;
  return {
    ...recordingWatch,
    table: store,
    topic: recordingTopic,
    isTerminal,
    deadline: { passed: pastMaxDuration, reason: 'max duration reached', action: 'max_duration_stop' },
    toStatusEvent,
    createService: (hooks) =>
      createRecordingService({
        store,
        agora: deps.agora,
        tokens: deps.tokens,
        clock: deps.clock,
        logger: deps.logger,
        storage: settings.storage,
        files: deps.files,
        linkSigner: deps.linkSigner,
        uidRange: settings.uidRange,
        publishers: deps.publishers,
        defaultMaxDurationSeconds: settings.defaultMaxDurationSeconds,
        failoverWindowMs: hooks.notFound.failoverWindowMs,
        notFoundMaxGapMs: hooks.notFound.maxGapMs,
        bus: hooks.bus,
        leases: hooks.leases,
        onStarted: hooks.onStarted,
        onEnded: hooks.onEnded,
      }),
  };
}

/**
 * Everything Cloud Recording needs at run time: the task runtime (tasks/runtime.ts) on the
 * recordings' kind, plus what Agora's recording notices change.
 */
export function createRecordingRuntime(settings: RecordingSettings, deps: RecordingRuntimeDeps) {
  const runtime = createTaskRuntime(recordingKind(settings, deps), settings, deps);
  const { service } = runtime;
  return {
    ...runtime,
    /**
     * Applies what an Agora webhook said. What would end a recording is confirmed with Agora first:
     * "poll now" wakes its poller (or, where none runs here, queries once).
     */
    async applyWebhook(sid: string, change: WebhookChange) {
      const { pollNow, ...rest } = change;
      if (Object.keys(rest).length > 0) await service.applyWebhook(sid, rest);
      if (!pollNow) return;
      const record = await deps.registry.recordings.findBySid(sid);
      if (record) await runtime.pollNow(record);
    },
    /** Remembers a webhook notice id in the registry for a week; false for one seen before. */
    rememberNotice: (noticeId: string) => deps.registry.rememberNotice(noticeId, deps.clock.now(), NOTICE_MEMORY_MS),
  };
}

export type RecordingRuntime = ReturnType<typeof createRecordingRuntime>;
