import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import { localLeases, type Leases } from '../cluster/types.js';
import type { RecordingRecord, RecordingTable } from '../store/index.js';
import type { RecordingService } from './service.js';

export interface WatchdogOptions {
  service: RecordingService;
  store: RecordingTable;
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
   * Makes sure the recording's poller runs somewhere: here, if no instance polls it and this one
   * is below `cap` (its fair share); the poller queries, and stops it past its max duration.
   */
  adopt: (record: RecordingRecord, delayMs: number, cap: number) => unknown;
  /** Wakes this instance's poller of the recording, if it runs here (a deadline has passed). */
  wake: (id: string) => void;
  /** How many recordings this instance polls now, and letting go of some (more than its share). */
  polled: { count(): number; shed(count: number): void };
  /** Across instances: who settles interrupted starts (the "watchdog" lease), and how many share the work. */
  leases?: Leases;
  /** Told what the watchdog did (for metrics). */
  onAction?: (action: 'max_duration_stop' | 'start_settled') => void;
}

/** Whether a recording has run past its max duration (the poller holding it stops it). */
export function pastMaxDuration(record: RecordingRecord, now: number): boolean {
  return record.sid !== null && record.state !== 'stopping' && now >= (record.startedAt ?? record.createdAt) + record.maxDurationSeconds * 1000;
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

  /**
   * Every instance sweeps: each adopts active recordings nobody polls, up to its fair share of
   * them (active ÷ live instances), and lets go of what it holds beyond that share, so the work
   * spreads after an instance dies or joins. Interrupted starts are settled by one instance (the
   * holder of the "watchdog" lease); nothing here calls Agora itself.
   */
  async function sweep(): Promise<void> {
    const leases = options.leases ?? localLeases;
    const settles = await leases.tryAcquire('watchdog');
    const active = await store.listActive();
    const now = clock.now();
    const started = active.filter((record) => record.sid !== null);
    const cap = Math.ceil(started.length / (await leases.members()));
    if (options.polled.count() > cap + 1) options.polled.shed(options.polled.count() - cap);
    const settling = settles ? active.filter((record) => !record.sid).map((record) => settleStart(record, now).catch((error: unknown) => warn(record, error))) : [];
    for (const record of started) if (pastMaxDuration(record, now)) options.wake(record.id);
    // One at a time, counting only what was taken: a recording another instance holds does not
    // use up this instance's share (they were all tried at once before, and the first few, held
    // elsewhere, kept the rest from ever being tried).
    // Spaced out by how many this sweep adopts, not by a task's place in the list (which counts
    // tasks other instances poll: the 100th waited 20 s).
    let adopted = 0;
    for (const record of started) {
      if (options.polled.count() >= cap) break;
      const before = options.polled.count();
      await Promise.resolve(options.adopt(record, adopted * spacing, cap)).catch((error: unknown) => warn(record, error));
      if (options.polled.count() > before) adopted++;
    }
    await Promise.all(settling);
  }

  function warn(record: RecordingRecord, error: unknown): void {
    logger.warn({ recordingId: record.id, err: error instanceof Error ? error.message : String(error) }, 'watchdog could not check a recording');
  }

  return {
    sweep,
    /** First sweep now (start-up reconciliation), then one every interval. */
    start() {
      loop ??= (async () => {
        while (!controller.signal.aborted) {
          // A sweep that fails (the registry is unreachable) is tried again next interval.
          await sweep().catch((error: unknown) => logger.warn({ err: error instanceof Error ? error.message : String(error) }, 'watchdog sweep failed'));
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
