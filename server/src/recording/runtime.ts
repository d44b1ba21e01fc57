import { setMaxListeners } from 'node:events';
import type { RecordingStatusEvent } from '@agora-backend/shared';
import type { AgoraClient, StorageConfig } from '../agora/index.js';
import type { Clock } from '../clock.js';
import type { Leases } from '../cluster/types.js';
import { createInMemoryBus, recordingTopic, type EventBus } from '../events/index.js';
import type { Logger } from '../logger.js';
import type { RecordingEvent, RecordingRecord, Registry } from '../store/index.js';
import type { LinkSigner, RecordingStorage } from '../storage/index.js';
import type { TokenIssuer } from '../tokens/index.js';
import type { WebhookChange } from './webhook-change.js';
import { createPollers } from '../tasks/poller.js';
import { reportFailure } from '../tasks/failure.js';
import { createRecordingService, toFiles } from './service.js';
import type { Viewer } from '../tasks/views.js';
import { registryLog, streamEvents } from '../tasks/watch.js';
import { isTerminal } from './state.js';
import { createWatchdog, pastMaxDuration } from './watchdog.js';

export interface RecordingSettings {
  storage: StorageConfig;
  uidRange: { min: number; max: number };
  defaultMaxDurationSeconds: number;
  watchdogIntervalMs: number;
  /** POLL_INTERVAL_SECONDS: how often each active recording is queried (default 30 s). */
  pollIntervalMs?: number;
  /** How long after the sid the poller confirms the start (Agora: about 5 s). */
  confirmDelayMs?: number;
  /** How long Agora's 404s must last before a recording counts as gone (default 90 s). */
  failoverWindowMs?: number;
  /** A start with no sid that is running nowhere is settled after this long (default: Agora's 5-minute resource lifetime). */
  startSettleMs?: number;
}

export interface RecordingRuntimeDeps {
  /** The registry: its recordings' table, and the webhook notices seen. */
  registry: Registry;
  agora: AgoraClient;
  tokens: TokenIssuer;
  clock: Clock;
  logger: Logger;
  bus?: EventBus;
  leases?: Leases;
  /** Where recordings are read back from (recording.files). */
  files?: RecordingStorage | undefined;
  /** Signs this server's /files links. */
  linkSigner?: LinkSigner | undefined;
  /** Told what the watchdog did (metrics). */
  onWatchdogAction?: (action: 'max_duration_stop' | 'start_settled') => void;
  /** Told after each poll how long it came after the previous one of that recording (metrics). */
  onPolled?: (gapMs: number) => void;
  /** Told each failure's reason (metrics). */
  onFailed?: ((reason: string) => void) | undefined;
}

/** How long notice ids are remembered: far beyond Agora's resends and the freshness window. */
const NOTICE_MEMORY_MS = 7 * 24 * 3_600_000;

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

/**
 * Everything Cloud Recording needs at run time, wired together: the service, one poller per
 * active recording, the watchdog, and the event bus watchers listen on.
 */
export function createRecordingRuntime(settings: RecordingSettings, deps: RecordingRuntimeDeps) {
  const { clock, logger, registry } = deps;
  const store = registry.recordings;
  const bus = deps.bus ?? createInMemoryBus(recordingTopic);
  const shutdown = new AbortController();
  // Each watcher listens on it (through AbortSignal.any): thousands are expected.
  setMaxListeners(0, shutdown.signal);
  const service = createRecordingService({
    store,
    agora: deps.agora,
    tokens: deps.tokens,
    clock,
    logger,
    storage: settings.storage,
    files: deps.files,
    linkSigner: deps.linkSigner,
    uidRange: settings.uidRange,
    defaultMaxDurationSeconds: settings.defaultMaxDurationSeconds,
    ...(settings.failoverWindowMs !== undefined ? { failoverWindowMs: settings.failoverWindowMs } : {}),
    // A run of 404s survives a couple of failed polls, not a silence of several intervals.
    notFoundMaxGapMs: 2.5 * (settings.pollIntervalMs ?? 30_000),
    bus,
    leases: deps.leases,
    // A stop asked for while the start was in flight is sent at once; otherwise confirm in ~5 s.
    onStarted: (record) => void pollers.ensure(record, record.state === 'stopping' ? 'now' : 'confirm'),
    // Ends the poller (and drops a poll of it still waiting for the rate budget). After the
    // current I/O turn, so that the answer to whoever ended the recording goes first.
    onEnded: (record) => {
      if (record.state === 'failed') reportFailure(logger, 'recording', record, deps.onFailed);
      setImmediate(() => pollers.end(record.id));
    },
  });
  const intervalMs = settings.pollIntervalMs ?? 30_000;
  const pollers = createPollers<RecordingRecord>({
    // The instance that polls a recording is the one that stops it at its max duration.
    reconcile: async (record, call) => {
      if (!pastMaxDuration(record, clock.now())) return service.reconcile(record, call);
      logger.info({ recordingId: record.id }, 'max duration reached: stopping');
      deps.onWatchdogAction?.('max_duration_stop');
      return (await service.stopRecord(record, 'poll')).record;
    },
    load: (id) => store.get(id),
    ended: (record) => isTerminal(record.state),
    started: (record) => record.sid !== null,
    clock,
    logger,
    intervalMs,
    confirmDelayMs: settings.confirmDelayMs ?? 5_000,
    ...(deps.leases ? { leases: deps.leases, handoverMs: intervalMs } : {}),
    ...(deps.onPolled ? { onPolled: deps.onPolled } : {}),
  });
  // A notice that reached another instance: poll now, if the recording is polled here.
  bus.onPoke?.((id) => pollers.kick(id));
  const watchdog = createWatchdog({
    service,
    store,
    clock,
    logger,
    intervalMs: settings.watchdogIntervalMs,
    ...(settings.startSettleMs !== undefined ? { abandonStartAfterMs: settings.startSettleMs } : {}),
    adopt: (record, delayMs, cap) => pollers.ensure(record, 'adopt', delayMs, cap),
    wake: (id) => pollers.kick(id),
    polled: pollers,
    ...(deps.onWatchdogAction ? { onAction: deps.onWatchdogAction } : {}),
    ...(deps.leases ? { leases: deps.leases } : {}),
  });

  return {
    service,
    pollers,
    bus,
    /** Starts the watchdog; its first sweep adopts every recording the registry believes active. */
    start: () => watchdog.start(),
    sweep: () => watchdog.sweep(),
    async watch(id: string, lastEventId: string | undefined, signal: AbortSignal, viewer: Viewer) {
      await service.visible(id, viewer);
      const afterId = lastEventId === undefined ? undefined : Number(lastEventId);
      return streamEvents({ log: registryLog(store, isTerminal), bus, taskId: id, isTerminal, afterId, signal: AbortSignal.any([signal, shutdown.signal]) }, toStatusEvent);
    },
    /** The recording's whole event log, oldest first (recording.history): a finished one's too. */
    async history(id: string, viewer: Viewer) {
      await service.visible(id, viewer);
      const events = await store.eventsAfter(id, undefined);
      return { id, events: events.map((event) => ({ eventId: String(event.id), ...toStatusEvent(event) })) };
    },
    /**
     * Applies what an Agora webhook said. What would end a recording is confirmed with Agora first:
     * "poll now" wakes its poller (or, where none runs here, queries once).
     */
    async applyWebhook(sid: string, change: WebhookChange) {
      const { pollNow, ...rest } = change;
      if (Object.keys(rest).length > 0) await service.applyWebhook(sid, rest);
      if (!pollNow) return;
      const record = await store.findBySid(sid);
      if (!record) return;
      // Only the instance that polls a recording calls Agora about it: here, or adopt it if nobody does.
      if (pollers.has(record.id)) pollers.kick(record.id);
      else await pollers.ensure(record, 'adopt', 0);
      // Polled by another instance: tell it.
      if (!pollers.has(record.id)) bus.poke?.(record.id);
    },
    /** Remembers a webhook notice id in the registry for a week; false for one seen before. */
    rememberNotice: (noticeId: string) => registry.rememberNotice(noticeId, clock.now(), NOTICE_MEMORY_MS),
    /** Ends every watch stream (at shutdown, so SSE and WebSocket streams let connections close). */
    endWatches: () => shutdown.abort(),
    /** Ends every watch stream, then stops the watchdog and pollers. */
    async close() {
      shutdown.abort();
      await watchdog.close();
      await pollers.close();
    },
  };
}

export type RecordingRuntime = ReturnType<typeof createRecordingRuntime>;
