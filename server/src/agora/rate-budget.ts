import type { Clock } from '../clock.js';

/**
 * Agora allows 10 requests per second per App ID (docs/agora.md, "Hosts, authentication and rate limits"), then answers 429. A RateBudget
 * hands out permission to send; callers wait their turn instead of failing. The PostgreSQL
 * deployment swaps in a cluster-wide one with the same interface.
 */
export interface RateBudget {
  /** Resolves when one request may be sent; rejects if `signal` aborts first. */
  take(signal?: AbortSignal): Promise<void>;
}

export interface SlidingWindowOptions {
  /** Requests allowed in any window. */
  limit: number;
  windowMs: number;
  clock: Clock;
}

/**
 * At most `limit` requests in any `windowMs`, first come first served. A sliding window rather than
 * a token bucket: a bucket refilling at 10/s with a burst of 10 lets 20 through in one second.
 */
export function createSlidingWindowBudget({ limit, windowMs, clock }: SlidingWindowOptions): RateBudget {
  /** Send times of the last `limit` requests, oldest first. */
  const sent: number[] = [];
  const queue: { resolve: () => void; reject: (error: Error) => void; signal: AbortSignal | undefined }[] = [];
  let pumping = false;

  const tryTake = (): number => {
    const now = clock.now();
    while (sent.length > 0 && now - sent[0]! >= windowMs) sent.shift();
    if (sent.length < limit) {
      sent.push(now);
      return 0;
    }
    return sent[0]! + windowMs - now;
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
        const waitMs = tryTake();
        if (waitMs === 0) {
          queue.shift();
          head.resolve();
        } else {
          await clock.sleep(waitMs);
        }
      }
    } finally {
      pumping = false;
    }
  };

  return {
    take(signal) {
      if (signal?.aborted) return Promise.reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
      if (queue.length === 0 && tryTake() === 0) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
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
export const unlimitedBudget: RateBudget = { take: () => Promise.resolve() };
