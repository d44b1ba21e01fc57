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
  /**
   * A start with no sid that this process is not running was interrupted (its server died): with
   * several instances it is settled after this long (another one may still be starting it; a
   * start with its retries takes under a minute, and Agora's resource lasts 5 minutes). With one
   * instance it is settled at once. Default 60 s.
   */
  abandonStartAfterMs?: number;
  /** Spacing between recordings adopted in one sweep, so a restart does not burst Agora's rate limit. */
  adoptionSpacingMs?: number;
  /**
   * Keeps a running recording in line with Agora. Default: query it now. With pollers: make sure
   * its poller runs (the poller queries), so the watchdog adds no upstream calls of its own.
   */
  track?: (record: RecordingRecord, delayMs: number) => unknown;
  /** Across instances, one sweeps at a time: the holder of the "watchdog" lease. */
  leases?: Leases;
  /** Told what the watchdog did (for metrics). */
  onAction?: (action: 'max_duration_stop' | 'start_settled') => void;
}

/**
 * Keeps the registry honest (docs/architecture.md, "A recording"): stops recordings past their max duration, and at start-up
 * and every interval reconciles each recording the registry believes active with Agora, so nothing
 * runs unseen and nothing is reported running after it ended.
 */
export function createWatchdog(options: WatchdogOptions) {
  const { service, store, clock, logger } = options;
  const abandonAfter = options.leases ? (options.abandonStartAfterMs ?? 60_000) : 0;
  const spacing = options.adoptionSpacingMs ?? 200;
  const controller = new AbortController();
  let loop: Promise<void> | undefined;

  /** A start with no sid: settled once it cannot be running anywhere any more. */
  async function settleStart(record: RecordingRecord, now: number): Promise<void> {
    if (service.isStarting(record.id) || now - record.createdAt < abandonAfter) return;
    await service.abandon(
      record,
      'the start was interrupted before Agora returned a sid; if Agora did start it, it ends by itself after maxIdleSeconds with nobody publishing',
    );
    options.onAction?.('start_settled');
  }

  async function check(record: RecordingRecord, now: number, delayMs: number): Promise<void> {
    if (!record.sid) return settleStart(record, now);
    const deadline = (record.startedAt ?? record.createdAt) + record.maxDurationSeconds * 1000;
    if (now >= deadline && record.state !== 'stopping') {
      logger.info({ recordingId: record.id }, 'max duration reached: stopping');
      await service.stopRecord(record, 'poll');
      options.onAction?.('max_duration_stop');
      return;
    }
    await (options.track ? options.track(record, delayMs) : service.reconcile(record));
  }

  async function sweep(): Promise<void> {
    if (!(await (options.leases ?? localLeases).tryAcquire('watchdog'))) return;
    const active = await store.listActive();
    const now = clock.now();
    await Promise.allSettled(
      active.map(async (record, index) => {
        try {
          await check(record, now, index * spacing);
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
