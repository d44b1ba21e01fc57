import { setMaxListeners } from 'node:events';
import type { RecordingStatusEvent } from '@agora-backend/shared';
import type { AgoraClient, StorageConfig } from '../agora/index.js';
import type { Clock } from '../clock.js';
import type { Leases } from '../cluster/types.js';
import { createInMemoryBus, type EventBus } from '../events/index.js';
import type { Logger } from '../logger.js';
import type { RecordingEvent, RecordingStore } from '../store/index.js';
import type { TokenIssuer } from '../tokens/index.js';
import type { WebhookChange } from './webhook-change.js';
import { createPollers } from './poller.js';
import { createRecordingService, toFiles, type Viewer } from './service.js';
import { watchRecordingEvents } from './watch.js';
import { createWatchdog } from './watchdog.js';

export interface RecordingSettings {
  storage: StorageConfig;
  uidRange: { min: number; max: number };
  defaultMaxDurationSeconds: number;
  watchdogIntervalMs: number;
  /** POLL_INTERVAL_SECONDS: how often each active recording is queried (default 30 s). */
  pollIntervalMs?: number;
  /** How long after the sid the poller confirms the start (Agora: about 5 s). */
  confirmDelayMs?: number;
}

export interface RecordingRuntimeDeps {
  store: RecordingStore;
  agora: AgoraClient;
  tokens: TokenIssuer;
  clock: Clock;
  logger: Logger;
  bus?: EventBus;
  leases?: Leases;
}

function toStatusEvent(event: RecordingEvent): RecordingStatusEvent {
  return {
    id: event.recordingId,
    state: event.state,
    agoraStatus: event.agoraStatus,
    files: toFiles(event.files),
    at: new Date(event.at),
    source: event.source,
  };
}

/**
 * Everything Cloud Recording needs at run time, wired together: the service, one poller per
 * active recording, the watchdog, and the event bus watchers listen on.
 */
export function createRecordingRuntime(settings: RecordingSettings, deps: RecordingRuntimeDeps) {
  const { store, clock, logger } = deps;
  const bus = deps.bus ?? createInMemoryBus();
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
    uidRange: settings.uidRange,
    defaultMaxDurationSeconds: settings.defaultMaxDurationSeconds,
    bus,
    onStarted: (record) => void pollers.ensure(record, 'confirm'),
    // Wakes the poller, which finds the recording ended and exits. After the current I/O turn, so
    // the poller's registry read does not hold up the answer to whoever ended the recording.
    onEnded: (record) => void setImmediate(() => pollers.kick(record.id)),
  });
  const pollers = createPollers({
    reconcile: (record) => service.reconcile(record),
    load: (id) => store.get(id),
    clock,
    logger,
    intervalMs: settings.pollIntervalMs ?? 30_000,
    confirmDelayMs: settings.confirmDelayMs ?? 5_000,
    ...(deps.leases ? { leases: deps.leases } : {}),
  });
  const watchdog = createWatchdog({
    service,
    store,
    clock,
    logger,
    intervalMs: settings.watchdogIntervalMs,
    track: (record) => pollers.ensure(record, 'immediate'),
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
      const events = watchRecordingEvents({
        store,
        bus,
        recordingId: id,
        afterId: lastEventId === undefined ? undefined : Number(lastEventId),
        signal: AbortSignal.any([signal, shutdown.signal]),
      });
      return (async function* () {
        for await (const event of events) yield { eventId: event.id, event: toStatusEvent(event) };
      })();
    },
    /** Applies what an Agora webhook said; "poll now" wakes the recording's poller. */
    async applyWebhook(sid: string, change: WebhookChange) {
      if (change.pollNow) {
        const record = await store.findBySid(sid);
        if (record) pollers.kick(record.id);
        return;
      }
      await service.applyWebhook(sid, change);
    },
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
