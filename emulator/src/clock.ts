/**
 * Time as a dependency: the emulator reads time only from a Clock, so tests drive idle exits,
 * resource expiry and fault delays without waiting. Any object with these methods will do (the
 * server's fake clock, for one).
 */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  sleep(ms: number): Promise<void>;
}

/** A clock tests move by hand; `POST /_emulator/clock/advance` moves it over HTTP. */
export interface ManualClock extends Clock {
  advance(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

export function isManualClock(clock: Clock): clock is ManualClock {
  return 'advance' in clock && typeof (clock as ManualClock).advance === 'function';
}

/** A clock that moves only through `advance`, waking sleepers in order. */
export function createManualClock(startMs = Date.UTC(2026, 0, 1)): ManualClock {
  let current = startMs;
  const sleepers: { wakeAt: number; resolve: () => void }[] = [];
  return {
    now: () => current,
    sleep(ms) {
      return new Promise((resolve) => sleepers.push({ wakeAt: current + Math.max(0, ms), resolve }));
    },
    async advance(ms) {
      const until = current + ms;
      sleepers.sort((a, b) => a.wakeAt - b.wakeAt);
      while (sleepers.length > 0 && sleepers[0]!.wakeAt <= until) {
        const sleeper = sleepers.shift()!;
        current = Math.max(current, sleeper.wakeAt);
        sleeper.resolve();
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
      current = until;
    },
  };
}
