import { setMaxListeners } from 'node:events';
import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import { localLeases, type Leases } from '../cluster/types.js';

/** What a poller needs to know of a task (a recording, a transcription). */
export interface PolledTask {
  id: string;
}

export interface PollerOptions<R extends PolledTask> {
  /** Queries Agora once and stores the outcome (the service's reconcile). */
  reconcile(record: R): Promise<R>;
  /** Reads the latest record (another path may have stopped it). */
  load(id: string): Promise<R | undefined>;
  /** The task has ended: nothing more to poll. */
  ended: (record: R) => boolean;
  /** Agora has named the task (a sid, an agent id): there is something to ask about. */
  started: (record: R) => boolean;
  /** Still coming up (Agora said "starting"): ask again after confirmDelayMs, not a whole interval. */
  settling?: (record: R) => boolean;
  clock: Clock;
  logger: Logger;
  intervalMs: number;
  /** Agora: confirm a start with a query about 5 s after the sid (docs/agora.md, "Endpoints"). */
  confirmDelayMs: number;
  /** Across instances, only the holder of a recording's lease polls it. */
  leases?: Leases;
}

/**
 * Exactly one upstream poller per active task in this process, shared by every watcher and the
 * watchdog. It lives as long as the task is active, not as long as someone watches.
 */
export function createPollers<R extends PolledTask>(options: PollerOptions<R>) {
  const { ended } = options;
  const { clock, logger } = options;
  const running = new Map<string, { wake: () => void; done: Promise<void> }>();
  const claiming = new Set<string>();
  const leases = options.leases ?? localLeases;
  const leaseKey = (id: string) => `poll:${id}`;
  const stopAll = new AbortController();
  // Every running poller listens on it: one listener per recording is expected, not a leak.
  setMaxListeners(0, stopAll.signal);
  const stopped = () => stopAll.signal.aborted;

  async function run(id: string, firstDelayMs: number, wakeSignal: { wake: () => void }) {
    let delay = firstDelayMs;
    while (!stopped()) {
      const interrupt = new AbortController();
      wakeSignal.wake = () => interrupt.abort();
      const onStop = () => interrupt.abort();
      stopAll.signal.addEventListener('abort', onStop, { once: true });
      if (delay > 0) await clock.sleep(delay, interrupt.signal).catch(() => undefined);
      stopAll.signal.removeEventListener('abort', onStop);
      if (stopped()) return;
      const record = await options.load(id);
      if (!record || ended(record)) return;
      delay = options.intervalMs;
      try {
        const after = await options.reconcile(record);
        if (ended(after)) return;
        if (options.settling?.(after)) delay = options.confirmDelayMs;
      } catch (error) {
        logger.warn({ taskId: id, err: error instanceof Error ? error.message : String(error) }, 'poll failed; trying again next interval');
      }
    }
  }

  return {
    /**
     * Starts the recording's poller unless one runs. `immediate` (adoption after a restart)
     * queries after `delayMs` (the watchdog spaces adoptions out); otherwise the first query
     * confirms the start after confirmDelayMs.
     */
    async ensure(record: R, mode: 'confirm' | 'immediate' = 'confirm', delayMs = 0): Promise<void> {
      if (running.has(record.id) || claiming.has(record.id) || ended(record) || !options.started(record) || stopped()) return;
      claiming.add(record.id);
      try {
        // Another instance may poll it already: then it is theirs until they die.
        if (!(await leases.tryAcquire(leaseKey(record.id))) || stopped()) return;
      } finally {
        claiming.delete(record.id);
      }
      const firstDelay = mode === 'immediate' ? delayMs : options.confirmDelayMs;
      const handle = { wake: (): void => undefined, done: Promise.resolve() };
      handle.done = run(record.id, firstDelay, handle).finally(() => {
        running.delete(record.id);
        void leases.release(leaseKey(record.id)).catch(() => undefined);
      });
      running.set(record.id, handle);
    },
    /** Polls now instead of at the next interval (a webhook said something changed). */
    kick(id: string) {
      running.get(id)?.wake();
    },
    count: () => running.size,
    has: (id: string) => running.has(id),
    async close() {
      stopAll.abort();
      await Promise.all([...running.values()].map((handle) => handle.done));
    },
  };
}

export type Pollers<R extends PolledTask> = ReturnType<typeof createPollers<R>>;
