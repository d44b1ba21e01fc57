import { describe, expect, it } from 'vitest';
import type { RecordingRecord } from '../store/index.js';
import { notFoundPatch } from './observe.js';

const rule = { failoverWindowMs: 90_000, maxGapMs: 75_000 };
const row = (notFoundSince: number | null, notFoundLastAt: number | null) => ({ notFoundSince, notFoundLastAt }) as RecordingRecord;

describe('what a 404 from Agora means', () => {
  it('starts a run, keeps it while 404s keep coming, and ends the recording only past the failover window', () => {
    expect(notFoundPatch(row(null, null), 1_000, rule)).toEqual({ notFoundSince: 1_000, notFoundLastAt: 1_000 });
    expect(notFoundPatch(row(1_000, 31_000), 61_000, rule)).toEqual({ notFoundLastAt: 61_000 });
    expect(notFoundPatch(row(1_000, 61_000), 91_000, rule)).toEqual({ state: 'stopped', stoppedAt: 91_000, notFoundLastAt: 91_000 });
  });

  it('does not join two failovers separated by a silence into one end', () => {
    // 404s from 0 to 20 s, then nothing heard for 80 s (calls failing otherwise), then 404 again.
    expect(notFoundPatch(row(0, 20_000), 100_000, rule)).toEqual({ notFoundSince: 100_000, notFoundLastAt: 100_000 });
  });
});
