import type { Clock } from '../clock.js';

/**
 * Agora allows 10 requests per second per App ID (docs/agora.md, "Hosts, authentication and rate limits"), then answers 429. A RateBudget
 * hands out permission to send; callers wait their turn instead of failing. The PostgreSQL
 * deployment swaps in a cluster-wide one with the same interface.
 */
export interface RateBudget {
  /**
   * Resolves when one request may be sent (rejects if `signal` aborts first), with a function to
   * call once its answer (or failure) is in: the slot stays taken until then plus the window.
   */
  take(signal?: AbortSignal): Promise<(() => void) | undefined>;
}

export interface SlidingWindowOptions {
  /** Requests allowed in any window. */
  limit: number;
  windowMs: number;
  clock: Clock;
}

/**
 * At most `limit` requests in any `windowMs` as Agora counts them, first come first served. A
 * request arrives at Agora some time between being granted and being answered, so a slot is held
 * from the grant until its answer plus the window: then no window of arrivals can hold more than
 * `limit`, however slow the network or our event loop (a restart, a GC pause). A sliding window
 * rather than a token bucket: a bucket refilling at 10/s with a burst of 10 lets 20 through in one
 * second.
 */
export function createSlidingWindowBudget({ limit, windowMs, clock }: SlidingWindowOptions): RateBudget {
  /** Held slots: when each one's answer came (Infinity while in flight). */
  const held: { answeredAt: number }[] = [];
  const queue: { resolve: (done: () => void) => void; reject: (error: Error) => void; signal: AbortSignal | undefined }[] = [];
  let pumping = false;
  let wake: (() => void) | undefined;

  const grant = () => {
    const slot = { answeredAt: Number.POSITIVE_INFINITY };
    held.push(slot);
    return () => {
      slot.answeredAt = clock.now();
      wake?.();
    };
  };

  /** 0 when a slot is free now, else how long until one frees (Infinity: when an answer comes). */
  const waitTime = (): number => {
    const now = clock.now();
    for (let index = held.length - 1; index >= 0; index--) if (now - held[index]!.answeredAt >= windowMs) held.splice(index, 1);
    if (held.length < limit) return 0;
    return Math.min(...held.map((slot) => slot.answeredAt + windowMs - now));
  };

  const pump = async () => {
    pumping = true;
    try {
      while (queue.length > 0) {
        const head = queue[0]!;
        if (head.signal?.aborted) {
          queue.shift();
          continue;
        }
        const waitMs = waitTime();
        if (waitMs === 0) {
          queue.shift();
          head.resolve(grant());
          continue;
        }
        // Until a slot's window runs out, or an answer arrives (which starts a slot's window).
        const controller = new AbortController();
        wake = () => controller.abort();
        await clock.sleep(Number.isFinite(waitMs) ? waitMs : windowMs, controller.signal).catch(() => undefined);
        wake = undefined;
      }
    } finally {
      pumping = false;
    }
  };

  return {
    take(signal) {
      if (signal?.aborted) return Promise.reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
      if (queue.length === 0 && waitTime() === 0) return Promise.resolve(grant());
      return new Promise<() => void>((resolve, reject) => {
        const entry = { resolve, reject, signal };
        queue.push(entry);
        signal?.addEventListener(
          'abort',
          () => {
            const index = queue.indexOf(entry);
            if (index >= 0) queue.splice(index, 1);
            reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
          },
          { once: true },
        );
        if (!pumping) void pump();
      });
    },
  };
}

/** No limit: for tests of other behaviour, and for callers that budget elsewhere. */
export const unlimitedBudget: RateBudget = { take: () => Promise.resolve(undefined) };
