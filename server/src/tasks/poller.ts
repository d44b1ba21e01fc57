import { setMaxListeners } from 'node:events';
import type { RequestPriority } from '../agora/index.js';
import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import { localLeases, type Leases } from '../cluster/types.js';

/** What a poller needs to know of a task (a recording, a transcription). */
export interface PolledTask {
  id: string;
}

/** How one poll's upstream calls are made: aborted when the lease is lost or the task ends. */
export interface PollCall {
  signal: AbortSignal;
  /** `user` for the confirmation of a start (a caller is waiting for it), else `background`. */
  priority: RequestPriority;
}

export interface PollerOptions<R extends PolledTask> {
  /** Queries Agora once and stores the outcome (the service's reconcile). */
  reconcile(record: R, call: PollCall): Promise<R>;
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
  /** Across instances, only the holder of a task's lease polls it. */
  leases?: Leases;
  /**
   * With several instances: how long a poller adopted from another instance waits before its
   * first call, so that whatever the previous holder was doing when it lost the lease is over
   * (docs/architecture.md, "Several instances"). Default 0.
   */
  handoverMs?: number;
  /** Told after each poll how long it came after the previous one (metrics: the longest gap). */
  onPolled?: (gapMs: number) => void;
}

/** Read through a call: a signal's state changes across awaits, which narrowing does not know. */
const isAborted = (signal: AbortSignal) => signal.aborted;

interface Running {
  wake: () => void;
  /** Ends this poller (the task ended, or this instance sheds it). */
  end: AbortController;
  done: Promise<void>;
}

/**
 * Exactly one upstream poller per active task in the cluster, shared by every watcher and the
 * watchdog. It lives as long as the task is active and this instance holds the task's lease: it
 * re-checks the lease before every poll, and stops at once when the lease session is lost.
 */
export function createPollers<R extends PolledTask>(options: PollerOptions<R>) {
  const { ended, clock, logger } = options;
  const running = new Map<string, Running>();
  const claiming = new Set<string>();
  const leases = options.leases ?? localLeases;
  const leaseKey = (id: string) => `poll:${id}`;
  const stopAll = new AbortController();
  // Every running poller listens on it: one listener per task is expected, not a leak.
  setMaxListeners(0, stopAll.signal);

  async function run(id: string, firstDelayMs: number, handle: Running, session: AbortSignal) {
    const signal = AbortSignal.any([stopAll.signal, session, handle.end.signal]);
    // A function, not the property: it changes across every await below.
    const aborted = () => signal.aborted;
    let delay = firstDelayMs;
    let priority: RequestPriority = 'user';
    let lastPollAt: number | undefined;
    while (!aborted()) {
      const interrupt = new AbortController();
      handle.wake = () => interrupt.abort();
      if (delay > 0) await clock.sleep(delay, AbortSignal.any([interrupt.signal, signal])).catch(() => undefined);
      if (aborted()) return;
      delay = options.intervalMs;
      try {
        const record = await options.load(id);
        if (!record || ended(record)) return;
        // Fencing: act only under a lease proven held now, not one remembered from before.
        if (!(await leases.verify(leaseKey(id)))) {
          logger.warn({ taskId: id }, 'lease not held any more: this instance stops polling the task');
          return;
        }
        if (aborted()) return;
        const now = clock.now();
        if (lastPollAt !== undefined) options.onPolled?.(now - lastPollAt);
        lastPollAt = now;
        const after = await options.reconcile(record, { signal, priority });
        if (ended(after)) return;
        priority = 'background';
        if (options.settling?.(after)) {
          delay = options.confirmDelayMs;
          priority = 'user';
        }
      } catch (error) {
        if (aborted()) return;
        logger.warn({ taskId: id, err: error instanceof Error ? error.message : String(error) }, 'poll failed; trying again next interval');
      }
    }
  }

  return {
    /**
     * Starts the task's poller unless one runs. `confirm`: a start this instance made, confirmed
     * after confirmDelayMs. `now`: a start this instance made that already needs a call (a stop
     * asked during the start). `adopt`: a task another instance may have held, first called after
     * `delayMs` (the watchdog spaces adoptions out) and at least the handover time. With `cap`,
     * adopts only while this instance polls fewer tasks than that (its fair share).
     */
    async ensure(record: R, mode: 'confirm' | 'now' | 'adopt' = 'confirm', delayMs = 0, cap = Number.POSITIVE_INFINITY): Promise<void> {
      if (running.has(record.id) || claiming.has(record.id) || ended(record) || !options.started(record) || stopAll.signal.aborted) return;
      if (running.size >= cap) return;
      claiming.add(record.id);
      const session = leases.signal();
      try {
        // Another instance may poll it already: then it is theirs until they die or shed it.
        if (!(await leases.tryAcquire(leaseKey(record.id))) || isAborted(stopAll.signal) || isAborted(session)) return;
      } finally {
        claiming.delete(record.id);
      }
      // The share is counted again once the lease is ours: offers made at once (webhooks, a sweep)
      // must not take more places than the share. Nothing awaits between this check and taking it.
      if (running.size >= cap) {
        void leases.release(leaseKey(record.id)).catch(() => undefined);
        return;
      }
      const firstDelay = { confirm: options.confirmDelayMs, now: 0, adopt: Math.max(delayMs, options.handoverMs ?? 0) }[mode];
      const handle: Running = { wake: () => undefined, end: new AbortController(), done: Promise.resolve() };
      handle.done = run(record.id, firstDelay, handle, session).finally(() => {
        if (running.get(record.id) === handle) running.delete(record.id);
        void leases.release(leaseKey(record.id)).catch(() => undefined);
      });
      running.set(record.id, handle);
    },
    /** Polls now instead of at the next interval (a webhook said something changed). */
    kick(id: string) {
      running.get(id)?.wake();
    },
    /** The task has ended: its poller goes, and a poll of it still waiting for the rate budget is dropped. */
    end(id: string) {
      running.get(id)?.end.abort();
    },
    /** Lets go of `count` tasks (more than this instance's fair share), for other instances to adopt. */
    shed(count: number) {
      for (const handle of [...running.values()].slice(0, Math.max(0, count))) handle.end.abort();
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
