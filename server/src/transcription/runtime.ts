import { setMaxListeners } from 'node:events';
import { MAX_TOKEN_SECONDS, type TranscriptionStatusEvent } from '@agora-backend/shared';
import type { AgoraClient, StorageConfig } from '../agora/index.js';
import type { Clock } from '../clock.js';
import { localLeases, type Leases } from '../cluster/types.js';
import { createInMemoryBus, type EventBus } from '../events/index.js';
import type { Logger } from '../logger.js';
import type { Viewer } from '../tasks/views.js';
import type { LinkSigner, RecordingStorage } from '../storage/index.js';
import type { Registry, StoredError, TranscriptionEvent, TranscriptionRecord } from '../store/index.js';
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
  /** The registry: its `transcriptions` table, and its recordings' uids. */
  registry: Registry;
  agora: AgoraClient;
  tokens: TokenIssuer;
  clock: Clock;
  logger: Logger;
  bus?: EventBus<TranscriptionEvent> | undefined;
  leases?: Leases | undefined;
  /** Told after each poll how long it came after the previous one of that transcription (metrics). */
  onPolled?: (gapMs: number) => void;
  files?: RecordingStorage | undefined;
  linkSigner?: LinkSigner | undefined;
  /** Told each failure's reason (metrics). */
  onFailed?: ((reason: string) => void) | undefined;
}

/** Between two transcriptions one sweep adopts, so that a restart does not burst Agora's rate limit. */
const ADOPTION_SPACING_MS = 200;

/** Stop a bot this long before its token (24 h, not renewable) runs out, rather than let Agora drop it. */
const TOKEN_MARGIN_MS = 600_000;

/** Whether the bot's token is about to run out (then it is stopped rather than dropped by Agora). */
function tokenRunsOut(record: TranscriptionRecord, now: number): boolean {
  return record.agentId !== null && record.state !== 'stopping' && now >= (record.startedAt ?? record.createdAt) + MAX_TOKEN_SECONDS * 1000 - TOKEN_MARGIN_MS;
}

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
  const store = deps.registry.transcriptions;
  const bus = deps.bus ?? createInMemoryBus<TranscriptionEvent>(transcriptionTopic);
  const leases = deps.leases ?? localLeases;
  const shutdown = new AbortController();
  setMaxListeners(0, shutdown.signal);
  const intervalMs = settings.pollIntervalMs ?? 30_000;
  const service = createTranscriptionService({
    store,
    recordings: deps.registry.recordings,
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
    onStarted: (record) => void pollers.ensure(record, record.state === 'stopping' ? 'now' : 'confirm'),
    startSettleMs: deps.leases ? (settings.startSettleMs ?? 60_000) : 0,
    onEnded: (record) => {
      if (record.state === 'failed') reportFailure(logger, 'transcription', record, deps.onFailed);
      setImmediate(() => pollers.end(record.id));
    },
    leases: deps.leases,
  });
  const pollers = createPollers<TranscriptionRecord>({
    // The instance that polls a bot is the one that stops it before its token runs out.
    reconcile: async (record, call) => {
      if (!tokenRunsOut(record, clock.now())) return service.reconcile(record, call);
      logger.info({ transcriptionId: record.id }, "the bot's token is about to expire: stopping");
      return (await service.stopRecord(record, 'poll')).record;
    },
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
    ...(deps.leases ? { handoverMs: intervalMs } : {}),
    ...(deps.onPolled ? { onPolled: deps.onPolled } : {}),
  });
  // A notice that reached another instance: poll now, if the transcription is polled here.
  bus.onPoke?.((id) => pollers.kick(id));
  /**
   * Every instance sweeps: adopts active transcriptions nobody polls, up to its fair share, and
   * lets go of what it holds beyond it; one instance (the "transcription-watchdog" lease) settles
   * interrupted starts. Bots whose token runs out are stopped by the instance polling them.
   */
  async function sweep() {
    const settles = await leases.tryAcquire('transcription-watchdog');
    const active = await store.listActive();
    const now = clock.now();
    const joined = active.filter((record) => record.agentId !== null);
    const cap = Math.ceil(joined.length / (await leases.members()));
    if (pollers.count() > cap + 1) pollers.shed(pollers.count() - cap);
    const warn = (record: TranscriptionRecord, error: unknown) =>
      logger.warn({ transcriptionId: record.id, err: error instanceof Error ? error.message : String(error) }, 'watchdog could not check a transcription');
    const recovering = settles ? active.filter((record) => !record.agentId && !service.mayStillJoin(record)).map((record) => service.recover(record).catch((error: unknown) => warn(record, error))) : [];
    for (const record of joined) if (tokenRunsOut(record, now)) pollers.kick(record.id);
    // One at a time, counting only what was taken (as the recordings' watchdog does).
    let adopted = 0;
    for (const record of joined) {
      if (pollers.count() >= cap) break;
      const before = pollers.count();
      await pollers.ensure(record, 'adopt', adopted * ADOPTION_SPACING_MS, cap).catch((error: unknown) => warn(record, error));
      if (pollers.count() > before) adopted++;
    }
    await Promise.all(recovering);
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
          // A sweep that fails (the registry is unreachable) is tried again next interval.
          await sweep().catch((error: unknown) => logger.warn({ err: error instanceof Error ? error.message : String(error) }, 'transcription sweep failed'));
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
      // Only the instance that polls a transcription calls Agora about it: here, or adopt it if nobody does.
      if (pollers.has(record.id)) pollers.kick(record.id);
      else await pollers.ensure(record, 'adopt', 0);
      // Polled by another instance: tell it.
      if (!pollers.has(record.id)) bus.poke?.(record.id);
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
