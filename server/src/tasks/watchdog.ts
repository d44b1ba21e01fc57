import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import { localLeases, type Leases } from '../cluster/types.js';
import type { TaskRecord } from '../store/index.js';

/** What the watchdog needs of a kind's service. */
export interface SettlingService<R> {
  /** Whether this process is starting the task right now (it gets its Agora id any moment). */
  isStarting(id: string): boolean;
  /** A start that never got its Agora id and is not running anywhere any more: find or fail it. */
  settleStart(record: R): Promise<unknown>;
}

export interface WatchdogOptions<R extends TaskRecord> {
  /** The kind, for logs ("recording", "transcription"). */
  kind: string;
  /** The lease whose holder settles interrupted starts (one instance at a time). */
  settleLease: string;
  /** Agora has named the task (a sid, an agent id): there is something to poll. */
  started: (record: R) => boolean;
  /** A deadline of the task has passed (max duration, token expiry): its poller stops it. */
  pastDeadline?: ((record: R, now: number) => boolean) | undefined;
  service: SettlingService<R>;
  store: { listActive(): Promise<R[]> };
  clock: Clock;
  logger: Logger;
  intervalMs: number;
  /**
   * A start with no Agora id that this process is not running was interrupted (its server died): with
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
  adopt: (record: R, delayMs: number, cap: number) => unknown;
  /** Wakes this instance's poller of the recording, if it runs here (a deadline has passed). */
  wake: (id: string) => void;
  /** How many recordings this instance polls now, and letting go of some (more than its share). */
  polled: { count(): number; shed(count: number): void };
  /** Across instances: who settles interrupted starts (`settleLease`), and how many share the work. */
  leases?: Leases;
  /** Told what the watchdog did (for metrics). */
  onAction?: (action: 'max_duration_stop' | 'start_settled') => void;
}

/**
 * Keeps the registry honest for one kind of task (docs/architecture.md, "A recording"): wakes the
 * poller of a task past its deadline (the poller stops it), and at start-up and every interval
 * hands each task the registry believes active to a poller, so nothing runs unseen and nothing
 * is reported running after it ended.
 */
export function createWatchdog<R extends TaskRecord>(options: WatchdogOptions<R>) {
  const { service, store, clock, logger, started: isStarted } = options;
  const abandonAfter = options.leases ? (options.abandonStartAfterMs ?? 60_000) : 0;
  const spacing = options.adoptionSpacingMs ?? 200;
  const controller = new AbortController();
  let loop: Promise<void> | undefined;

  /** A start with no Agora id: settled once it cannot be running anywhere any more. */
  async function settleStart(record: R, now: number): Promise<void> {
    if (service.isStarting(record.id) || now - record.createdAt < abandonAfter) return;
    await service.settleStart(record);
    options.onAction?.('start_settled');
  }

  /**
   * Every instance sweeps: each adopts active recordings nobody polls, up to its fair share of
   * them (active ÷ live instances), and lets go of what it holds beyond that share, so the work
   * spreads after an instance dies or joins. Interrupted starts are settled by one instance (the
   * holder of `settleLease`).
   */
  async function sweep(): Promise<void> {
    const leases = options.leases ?? localLeases;
    const settles = await leases.tryAcquire(options.settleLease);
    const active = await store.listActive();
    const now = clock.now();
    const started = active.filter(isStarted);
    const cap = Math.ceil(started.length / (await leases.members()));
    if (options.polled.count() > cap + 1) options.polled.shed(options.polled.count() - cap);
    const settling = settles
      ? active
          .filter((record) => !isStarted(record))
          .map((record) => settleStart(record, now).catch((error: unknown) => warn(record, error)))
      : [];
    if (options.pastDeadline) for (const record of started) if (options.pastDeadline(record, now)) options.wake(record.id);
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

  function warn(record: R, error: unknown): void {
    logger.warn(
      { [`${options.kind}Id`]: record.id, err: error instanceof Error ? error.message : String(error) },
      `watchdog could not check a ${options.kind}`,
    );
  }

  return {
    sweep,
    /** First sweep now (start-up reconciliation), then one every interval. */
    start() {
      loop ??= (async () => {
        while (!controller.signal.aborted) {
          // A sweep that fails (the registry is unreachable) is tried again next interval.
          await sweep().catch((error: unknown) =>
            logger.warn({ err: error instanceof Error ? error.message : String(error) }, `${options.kind} watchdog sweep failed`),
          );
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
