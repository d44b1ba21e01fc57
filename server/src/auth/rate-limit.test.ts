import { describe, expect, it } from 'vitest';
import type { Clock } from '../clock.js';
import { createTokenBuckets } from './rate-limit.js';

function manualClock(start = 1_000_000) {
  let now = start;
  const clock: Clock = { now: () => now, sleep: () => Promise.resolve() };
  return { clock, advance: (ms: number) => (now += ms) };
}

describe('token buckets', () => {
  it('allows the capacity at once, then says how long to wait, and refills over time', () => {
    const { clock, advance } = manualClock();
    const limiter = createTokenBuckets({ perMinute: 60, capacity: 2, clock });
    expect([limiter.take('a'), limiter.take('a')]).toEqual([0, 0]);
    expect(limiter.take('a')).toBe(1000);
    advance(500);
    expect(limiter.take('a')).toBe(500);
    advance(500);
    expect(limiter.take('a')).toBe(0);
    // Keys are independent.
    expect(limiter.take('b')).toBe(0);
  });

  it('forgets the least recently used key past maxKeys, and keeps one in use', () => {
    const { clock, advance } = manualClock();
    const limiter = createTokenBuckets({ perMinute: 1, capacity: 1, clock, maxKeys: 2 });
    expect(limiter.take('busy')).toBe(0);
    advance(1_000);
    expect(limiter.take('idle')).toBe(0);
    advance(1_000);
    // 'busy' is used again (a refusal is a use too): 'idle' is now the least recent.
    expect(limiter.take('busy')).toBeGreaterThan(0);
    expect(limiter.take('new')).toBe(0);
    // 'idle' was forgotten, so it starts full; 'busy' was kept, so it is still empty.
    expect(limiter.take('busy')).toBeGreaterThan(0);
    expect(limiter.take('idle')).toBe(0);
  });
});
