import { describe, expect, it } from 'vitest';
import type { AgoraClient, StopResult } from '../agora/index.js';
import { systemClock } from '../clock.js';
import { createSilentLogger } from '../logger.js';
import type { RecordingRecord } from '../store/index.js';
import { createClaims } from '../tasks/claims.js';
import { createRecordingStopper } from './stop.js';
import type { Transitions } from './transitions.js';

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('one stop in flight per recording', () => {
  // The stop request goes out while "stopping" is written. When that write failed (a registry
  // session lost), the claim was given back at once with the request still in flight, and a
  // second stop (the caller's retry, on another instance in the cluster soak) went to Agora too.
  it('keeps the claim until the stop it sent is answered, even when the registry write fails', async () => {
    const answers: ((result: StopResult) => void)[] = [];
    const agora = {
      stop: () => new Promise<StopResult>((resolve) => answers.push(resolve)),
    } as unknown as AgoraClient;
    let writes = 0;
    const transitions: Transitions = {
      move: (record, decide) => {
        writes++;
        if (writes === 1) return Promise.reject(new Error('Connection terminated unexpectedly'));
        return Promise.resolve({ ...record, ...decide(record) });
      },
    };
    const stopper = createRecordingStopper({
      agora,
      clock: systemClock,
      logger: createSilentLogger(),
      transitions,
      notFound: { failoverWindowMs: 90_000, maxGapMs: 75_000 },
      startsInFlight: new Set(),
      claims: createClaims('stop'),
    });
    const record = {
      id: 'r1',
      sid: 'sid1',
      resourceId: 'res1',
      mode: 'mix',
      channel: 'room',
      uid: '1',
      state: 'recording',
      files: [],
    } as unknown as RecordingRecord;

    const first = stopper.stop(record, 'api');
    first.catch(() => undefined);
    await tick();
    // The caller retries while the first request is still on its way.
    const second = stopper.stop(record, 'api');
    await tick();
    expect(answers).toHaveLength(1);
    for (const answer of answers)
      answer({ alreadyStopped: false, resourceId: 'res1', sid: 'sid1', files: [], noRecordedData: false, uploadTimedOut: false, raw: {} });
    await expect(first).rejects.toThrow('Connection terminated');
    expect((await second).record.state).toBe('stopping');
  });
});
