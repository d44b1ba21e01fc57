import type { Clock } from '../clock.js';

/**
 * Who waits for a request: `user` for what a caller waits on (start, stop, update, the first
 * confirmation of a start), `background` for the pollers' routine queries. Users go first, and
 * background requests never take the last slots of a window (`backgroundLimit`).
 */
export type RequestPriority = 'user' | 'background';

/**
 * Agora allows 10 requests per second per App ID (docs/agora.md, "Hosts, authentication and rate
 * limits"), then answers 429. A RateBudget hands out permission to send; callers wait their turn
 * instead of failing. The PostgreSQL deployment swaps in a cluster-wide one with the same interface.
 */
export interface RateBudget {
  /**
   * Resolves when one request may be sent (rejects if `signal` aborts first), with a function to
   * call once its answer (or failure) is in: the slot stays taken until then plus the window.
   * Default priority: `user`.
   */
  take(signal?: AbortSignal, priority?: RequestPriority): Promise<(() => void) | undefined>;
}

/**
 * How many of a window's `limit` slots background requests may hold: a quarter (at least one) is
 * kept for what callers wait on, so a caller's stop never queues behind the pollers
 * (8 per second → 6 for polls, 10 → 7).
 */
export function backgroundLimit(limit: number): number {
  return Math.max(1, limit - Math.ceil(limit / 4));
}

/** The counting half of a budget: a slot now (its release), or how long until one may free. */
export type SlotSource = (priority: RequestPriority) => (() => void) | number | Promise<(() => void) | number>;

interface Waiter {
  resolve: (done: () => void) => void;
  reject: (error: Error) => void;
  signal: AbortSignal | undefined;
}

const abortReason = (signal: AbortSignal) => (signal.reason instanceof Error ? signal.reason : new Error('aborted'));

/**
 * The waiting half of a budget: callers queue by priority (users first, each class first come,
 * first served, which makes the pollers' turn a round robin), one pump asks the source for slots,
 * and an aborted caller (a poll of a task that has ended) leaves the queue at once.
 * `maxSleepMs` bounds a wait when the source cannot say how long (a slot still in flight).
 */
export function createQueuedBudget(source: SlotSource, clock: Clock, maxSleepMs: number): RateBudget & { wake(): void } {
  const queues: Record<RequestPriority, Waiter[]> = { user: [], background: [] };
  let pumping = false;
  let wake: (() => void) | undefined;
  /** A wake-up that came while the pump was not asleep (asking the source): it must not sleep then. */
  let woken = false;
  const wakePump = () => {
    woken = true;
    wake?.();
  };
  /** Whether a wake-up came since the last call. */
  const takeWake = () => {
    const was = woken;
    woken = false;
    return was;
  };

  const next = (): { waiter: Waiter; priority: RequestPriority } | undefined => {
    for (const priority of ['user', 'background'] as const) {
      const queue = queues[priority];
      while (queue.length > 0 && queue[0]!.signal?.aborted) queue.shift();
      if (queue.length > 0) return { waiter: queue[0]!, priority };
    }
    return undefined;
  };

  const pump = async () => {
    pumping = true;
    try {
      for (let head = next(); head; head = next()) {
        takeWake();
        let outcome: (() => void) | number;
        try {
          outcome = await source(head.priority);
        } catch (error) {
          queues[head.priority].shift();
          head.waiter.reject(error instanceof Error ? error : new Error(String(error)));
          continue;
        }
        if (typeof outcome === 'function') {
          const release = outcome;
          const index = queues[head.priority].indexOf(head.waiter);
          if (index < 0) {
            release(); // it left the queue (aborted) while the source answered
            continue;
          }
          queues[head.priority].splice(index, 1);
          head.waiter.resolve(() => {
            release();
            wakePump();
          });
          continue;
        }
        // Until a slot's window runs out, an answer arrives, or a caller comes in ahead.
        if (takeWake()) continue;
        const controller = new AbortController();
        wake = () => controller.abort();
        await clock.sleep(Math.min(outcome, maxSleepMs), controller.signal).catch(() => undefined);
        wake = undefined;
      }
    } finally {
      pumping = false;
    }
  };

  return {
    wake: wakePump,
    take(signal, priority = 'user') {
      if (signal?.aborted) return Promise.reject(abortReason(signal));
      return new Promise<() => void>((resolve, reject) => {
        // The listener goes once the wait is over: a poller's signal lives for hours of polls.
        const onAbort = () => {
          const index = queues[priority].indexOf(waiter);
          if (index < 0) return;
          queues[priority].splice(index, 1);
          reject(abortReason(signal!));
        };
        const waiter: Waiter = {
          resolve: (done) => {
            signal?.removeEventListener('abort', onAbort);
            resolve(done);
          },
          reject: (error) => {
            signal?.removeEventListener('abort', onAbort);
            reject(error);
          },
          signal,
        };
        queues[priority].push(waiter);
        signal?.addEventListener('abort', onAbort, { once: true });
        if (!pumping) void pump();
        else if (priority === 'user') wakePump();
      });
    },
  };
}

export interface SlidingWindowOptions {
  /** Requests allowed in any window. */
  limit: number;
  windowMs: number;
  clock: Clock;
}

/**
 * At most `limit` requests in any `windowMs` as Agora counts them (background ones at most
 * `backgroundLimit(limit)`). A request arrives at Agora some time between being granted and being
 * answered, so a slot is held from the grant until its answer plus the window: then no window of
 * arrivals can hold more than `limit`, however slow the network or our event loop (a restart, a GC
 * pause). A sliding window rather than a token bucket: a bucket refilling at 10/s with a burst of
 * 10 lets 20 through in one second.
 */
export function createSlidingWindowBudget({ limit, windowMs, clock }: SlidingWindowOptions): RateBudget {
  /** Held slots: when each one's answer came (Infinity while in flight). */
  const held: { answeredAt: number }[] = [];
  const limits: Record<RequestPriority, number> = { user: limit, background: backgroundLimit(limit) };
  const source: SlotSource = (priority) => {
    const now = clock.now();
    for (let index = held.length - 1; index >= 0; index--) if (now - held[index]!.answeredAt >= windowMs) held.splice(index, 1);
    if (held.length < limits[priority]) {
      const slot = { answeredAt: Number.POSITIVE_INFINITY };
      held.push(slot);
      return () => {
        slot.answeredAt = clock.now();
      };
    }
    // The (held.length - limit + 1)-th slot to free is the one this request waits for.
    const frees = held.map((slot) => slot.answeredAt + windowMs - now).sort((a, b) => a - b);
    return Math.max(1, frees[held.length - limits[priority]]!);
  };
  // An in-flight slot frees a window after its answer, which wakes the pump: wait up to a window.
  return createQueuedBudget(source, clock, windowMs);
}

/** No limit: for tests of other behaviour, and for callers that budget elsewhere. */
export const unlimitedBudget: RateBudget = { take: () => Promise.resolve(undefined) };
