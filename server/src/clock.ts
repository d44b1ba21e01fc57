/**
 * Time as a dependency (docs/architecture.md, "Conventions"): everything that waits or reads the time takes a Clock, so
 * tests drive back-off, expiry and polling without sleeping for real.
 */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  /** Resolves after `ms`; rejects with the signal's reason when aborted first. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

function abortReason(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new DOMException('The operation was aborted', 'AbortError');
}

/** The real clock. */
export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) {
        reject(abortReason(signal));
        return;
      }
      const onAbort = (event: Event) => {
        clearTimeout(timer);
        reject(abortReason(event.target as AbortSignal));
      };
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      signal?.addEventListener('abort', onAbort, { once: true });
    }),
};

export interface FakeClock extends Clock {
  /** Moves time forward, resolving every sleep that falls due, in order. */
  advance(ms: number): Promise<void>;
  /** Moves time forward until no sleeper is left or `maxMs` has passed. */
  runAll(maxMs?: number): Promise<void>;
  /** How many sleeps are waiting. */
  pendingSleeps(): number;
  /** When the earliest sleep is due, if any. */
  nextWakeAt(): number | undefined;
}

interface Sleeper {
  wakeAt: number;
  seq: number;
  resolve: () => void;
}

/** A manual clock for tests: time moves only through `advance`. */
export function createFakeClock(startMs = Date.UTC(2026, 0, 1)): FakeClock {
  let current = startMs;
  let seq = 0;
  const sleepers: Sleeper[] = [];

  // Lets promise chains that a wake-up starts run before the next sleeper is considered.
  const flushMicrotasks = async () => {
    for (let i = 0; i < 20; i++) await Promise.resolve();
    await new Promise<void>((resolve) => setImmediate(resolve));
  };

  const nextDue = (until: number) => {
    let best: Sleeper | undefined;
    for (const sleeper of sleepers) {
      if (sleeper.wakeAt > until) continue;
      if (!best || sleeper.wakeAt < best.wakeAt || (sleeper.wakeAt === best.wakeAt && sleeper.seq < best.seq)) {
        best = sleeper;
      }
    }
    return best;
  };

  return {
    now: () => current,
    sleep(ms, signal) {
      return new Promise<void>((resolve, reject) => {
        if (signal?.aborted) {
          reject(abortReason(signal));
          return;
        }
        const sleeper: Sleeper = { wakeAt: current + Math.max(0, ms), seq: seq++, resolve };
        sleepers.push(sleeper);
        signal?.addEventListener(
          'abort',
          () => {
            const index = sleepers.indexOf(sleeper);
            if (index >= 0) sleepers.splice(index, 1);
            reject(abortReason(signal));
          },
          { once: true },
        );
      });
    },
    async advance(ms) {
      const target = current + ms;
      await flushMicrotasks();
      for (let due = nextDue(target); due; due = nextDue(target)) {
        sleepers.splice(sleepers.indexOf(due), 1);
        current = Math.max(current, due.wakeAt);
        due.resolve();
        await flushMicrotasks();
      }
      current = target;
      await flushMicrotasks();
    },
    async runAll(maxMs = 24 * 3_600_000) {
      const limit = current + maxMs;
      await flushMicrotasks();
      while (sleepers.length > 0) {
        const due = nextDue(limit);
        if (!due) break;
        await this.advance(due.wakeAt - current);
      }
    },
    pendingSleeps: () => sleepers.length,
    nextWakeAt: () => nextDue(Number.POSITIVE_INFINITY)?.wakeAt,
  };
}
