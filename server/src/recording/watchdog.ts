import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import { localLeases, type Leases } from '../cluster/types.js';
import type { RecordingRecord, RecordingStore } from '../store/index.js';
import type { RecordingService } from './service.js';

export interface WatchdogOptions {
  service: RecordingService;
  store: RecordingStore;
  clock: Clock;
  logger: Logger;
  intervalMs: number;
  /** A start that has no sid after this long was interrupted (the server died mid-start). */
  abandonStartAfterMs?: number;
  /**
   * Keeps a running recording in line with Agora. Default: query it now. With pollers: make sure
   * its poller runs (the poller queries), so the watchdog adds no upstream calls of its own.
   */
  track?: (record: RecordingRecord) => unknown;
  /** Across instances, one sweeps at a time: the holder of the "watchdog" lease. */
  leases?: Leases;
}

/**
 * Keeps the registry honest (docs/architecture.md, "A recording"): stops recordings past their max duration, and at start-up
 * and every interval reconciles each recording the registry believes active with Agora, so nothing
 * runs unseen and nothing is reported running after it ended.
 */
export function createWatchdog(options: WatchdogOptions) {
  const { service, store, clock, logger } = options;
  const abandonAfter = options.abandonStartAfterMs ?? 120_000;
  const controller = new AbortController();
  let loop: Promise<void> | undefined;

  async function sweep(): Promise<void> {
    if (!(await (options.leases ?? localLeases).tryAcquire('watchdog'))) return;
    const active = await store.listActive();
    const now = clock.now();
    await Promise.allSettled(
      active.map(async (record) => {
        try {
          if (!record.sid) {
            if (now - record.createdAt >= abandonAfter) {
              await service.abandon(record, 'interrupted before Agora confirmed the start; if Agora started it, it ends after maxIdleSeconds');
            }
            return;
          }
          const deadline = (record.startedAt ?? record.createdAt) + record.maxDurationSeconds * 1000;
          if (now >= deadline) {
            logger.info({ recordingId: record.id }, 'max duration reached: stopping');
            await service.stopRecord(record, 'poll');
            return;
          }
          await (options.track ? options.track(record) : service.reconcile(record));
        } catch (error) {
          logger.warn({ recordingId: record.id, err: error instanceof Error ? error.message : String(error) }, 'watchdog could not check a recording');
        }
      }),
    );
  }

  return {
    sweep,
    /** First sweep now (start-up reconciliation), then one every interval. */
    start() {
      loop ??= (async () => {
        while (!controller.signal.aborted) {
          await sweep();
          await clock.sleep(options.intervalMs, controller.signal).catch(() => undefined);
        }
      })();
    },
    async close() {
      controller.abort();
      await loop;
    },
  };
}
