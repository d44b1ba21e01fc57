import type { FakeClock } from '../clock.js';

/**
 * Settles a promise whose work sleeps on a fake clock: whenever nothing but sleeps is left, time
 * jumps to the next wake-up. Real I/O (a local HTTP server, nock) still runs in real time.
 * Returns the promise's outcome and every sleep duration the clock saw.
 */
export async function drive<T>(clock: FakeClock, promise: Promise<T>, maxSteps = 1_000): Promise<T> {
  const state = { settled: false };
  promise.then(
    () => (state.settled = true),
    () => (state.settled = true),
  );
  for (let step = 0; !state.settled; step++) {
    if (step > maxSteps) throw new Error(`drive: still pending after ${maxSteps} steps`);
    const wakeAt = clock.nextWakeAt();
    if (wakeAt === undefined) await new Promise((resolve) => setTimeout(resolve, 2));
    else await clock.advance(Math.max(0, wakeAt - clock.now()));
  }
  return promise;
}

/** A fake clock that also records each sleep's duration, to assert back-off sequences. */
export function recordSleeps(clock: FakeClock): { clock: FakeClock; sleeps: number[] } {
  const sleeps: number[] = [];
  return {
    sleeps,
    clock: {
      ...clock,
      sleep: (ms, signal) => {
        sleeps.push(ms);
        return clock.sleep(ms, signal);
      },
    },
  };
}
