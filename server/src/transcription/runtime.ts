import { setMaxListeners } from 'node:events';
import { MAX_TOKEN_SECONDS, type TranscriptionStatusEvent } from '@agora-backend/shared';
import type { AgoraClient, StorageConfig } from '../agora/index.js';
import type { Clock } from '../clock.js';
import { localLeases, type Leases } from '../cluster/types.js';
import { createInMemoryBus, type EventBus } from '../events/index.js';
import type { Logger } from '../logger.js';
import type { Viewer } from '../recording/index.js';
import type { LinkSigner, RecordingStorage } from '../storage/index.js';
import type { RecordingStore, StoredError, TranscriptionEvent, TranscriptionRecord } from '../store/index.js';
import { reportFailure } from '../tasks/failure.js';
import { createPollers } from '../tasks/poller.js';
import { registryLog, streamEvents } from '../tasks/watch.js';
import type { TokenIssuer } from '../tokens/index.js';
import { createTranscriptionService } from './service.js';
import { isTerminal } from './state.js';

export interface TranscriptionSettings {
  storage: StorageConfig;
  uidRange: { min: number; max: number };
  watchdogIntervalMs: number;
  pollIntervalMs?: number;
  confirmDelayMs?: number;
  failoverWindowMs?: number;
  startSettleMs?: number;
}

export interface TranscriptionRuntimeDeps {
  /** The registry: its `transcriptions` tables, and its recordings' uids. */
  store: RecordingStore;
  agora: AgoraClient;
  tokens: TokenIssuer;
  clock: Clock;
  logger: Logger;
  bus?: EventBus<TranscriptionEvent> | undefined;
  leases?: Leases | undefined;
  files?: RecordingStorage | undefined;
  linkSigner?: LinkSigner | undefined;
  /** Told each failure's reason (metrics). */
  onFailed?: ((reason: string) => void) | undefined;
}

/** Stop a bot this long before its token (24 h, not renewable) runs out, rather than let Agora drop it. */
const TOKEN_MARGIN_MS = 600_000;

export const transcriptionTopic = (event: TranscriptionEvent) => event.transcriptionId;

function toStatusEvent(event: TranscriptionEvent): TranscriptionStatusEvent {
  return { id: event.transcriptionId, state: event.state, agoraStatus: event.agoraStatus, at: new Date(event.at), source: event.source, lastError: event.lastError };
}

/**
 * Everything Real-Time Transcription needs at run time: the service, one poller per active
 * transcription, a watchdog sweep, and the bus watchers listen on.
 */
export function createTranscriptionRuntime(settings: TranscriptionSettings, deps: TranscriptionRuntimeDeps) {
  const { clock, logger } = deps;
  const store = deps.store.transcriptions;
  const bus = deps.bus ?? createInMemoryBus<TranscriptionEvent>(transcriptionTopic);
  const leases = deps.leases ?? localLeases;
  const shutdown = new AbortController();
  setMaxListeners(0, shutdown.signal);
  const intervalMs = settings.pollIntervalMs ?? 30_000;
  const service = createTranscriptionService({
    store,
    recordings: deps.store,
    agora: deps.agora,
    tokens: deps.tokens,
    clock,
    logger,
    storage: settings.storage,
    uidRange: settings.uidRange,
    notFound: { failoverWindowMs: settings.failoverWindowMs ?? 90_000, maxGapMs: 2.5 * intervalMs },
    bus,
    files: deps.files,
    linkSigner: deps.linkSigner,
    onStarted: (record) => void pollers.ensure(record, record.state === 'stopping' ? 'immediate' : 'confirm'),
    startSettleMs: deps.leases ? (settings.startSettleMs ?? 60_000) : 0,
    onEnded: (record) => {
      if (record.state === 'failed') reportFailure(logger, 'transcription', record, deps.onFailed);
      setImmediate(() => pollers.kick(record.id));
    },
  });
  const pollers = createPollers<TranscriptionRecord>({
    reconcile: (record) => service.reconcile(record),
    load: (id) => store.get(id),
    ended: (record) => isTerminal(record.state),
    started: (record) => record.agentId !== null,
    // A notice (101) may wake the poller before the agent is up: confirm again soon, not in 30 s.
    settling: (record) => record.state === 'starting',
    clock,
    logger,
    intervalMs,
    confirmDelayMs: settings.confirmDelayMs ?? 5_000,
    leases,
  });
  async function check(record: TranscriptionRecord, now: number, delayMs: number) {
    if (!record.agentId) {
      if (service.mayStillJoin(record)) return;
      await service.recover(record);
      return;
    }
    const tokenEnds = (record.startedAt ?? record.createdAt) + MAX_TOKEN_SECONDS * 1000 - TOKEN_MARGIN_MS;
    if (now >= tokenEnds && record.state !== 'stopping') {
      logger.info({ transcriptionId: record.id }, "the bot's token is about to expire: stopping");
      await service.stopRecord(record, 'poll');
      return;
    }
    await pollers.ensure(record, 'immediate', delayMs);
  }

  /** Adopts every active transcription into a poller, settles interrupted starts, stops bots whose token runs out. */
  async function sweep() {
    if (!(await leases.tryAcquire('transcription-watchdog'))) return;
    const active = await store.listActive();
    const now = clock.now();
    await Promise.allSettled(
      active.map((record, index) =>
        check(record, now, index * 200).catch((error: unknown) => {
          logger.warn({ transcriptionId: record.id, err: error instanceof Error ? error.message : String(error) }, 'watchdog could not check a transcription');
        }),
      ),
    );
  }

  let loop: Promise<void> | undefined;
  return {
    service,
    pollers,
    bus,
    sweep,
    start() {
      loop ??= (async () => {
        while (!shutdown.signal.aborted) {
          await sweep();
          await clock.sleep(settings.watchdogIntervalMs, shutdown.signal).catch(() => undefined);
        }
      })();
    },
    async watch(id: string, lastEventId: string | undefined, signal: AbortSignal, viewer: Viewer) {
      await service.visible(id, viewer);
      const afterId = lastEventId === undefined ? undefined : Number(lastEventId);
      return streamEvents({ log: registryLog(store, isTerminal), bus, taskId: id, isTerminal, afterId, signal: AbortSignal.any([signal, shutdown.signal]) }, toStatusEvent);
    },
    /** The transcription's whole event log, oldest first (transcription.history). */
    async history(id: string, viewer: Viewer) {
      await service.visible(id, viewer);
      const events = await store.eventsAfter(id, 0);
      return { id, events: events.map((event) => ({ eventId: String(event.id), ...toStatusEvent(event) })) };
    },
    /**
     * An STT notice (docs/agora.md, "Webhooks"): never taken on its word; the transcription is
     * queried now. Why it failed (a 102 FAILED) is kept whenever it comes, even after the end.
     */
    async applyWebhook(agentId: string, failure?: StoredError) {
      let record = await store.findByAgentId(agentId);
      if (record && failure) record = await service.recordFailure(record, failure);
      if (!record || isTerminal(record.state)) return;
      if (pollers.has(record.id)) pollers.kick(record.id);
      else await service.reconcile(record);
    },
    endWatches: () => shutdown.abort(),
    async close() {
      shutdown.abort();
      await loop;
      await pollers.close();
    },
  };
}

export type TranscriptionRuntime = ReturnType<typeof createTranscriptionRuntime>;
