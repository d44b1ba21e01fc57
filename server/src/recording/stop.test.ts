import { describe, expect, it } from 'vitest';
import { AgoraApiError, type AgoraClient, type StopResult } from '../agora/index.js';
import { localLeases, type Leases } from '../cluster/types.js';
import { systemClock } from '../clock.js';
import { createSilentLogger } from '../logger.js';
import type { RecordingRecord } from '../store/index.js';
import { createClaims } from '../tasks/claims.js';
import { createRecordingStopper } from './stop.js';
import type { Transitions } from './transitions.js';

const tick = () => new Promise((resolve) => setImmediate(resolve));
/** Long enough for a stop to take its claim and send its request. */
const settle = async () => {
  for (let turn = 0; turn < 5; turn++) await tick();
};

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
      read: () => Promise.resolve(undefined),
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

const answered: StopResult = {
  alreadyStopped: false,
  resourceId: 'res1',
  sid: 'sid1',
  files: [],
  noRecordedData: false,
  uploadTimedOut: false,
  raw: {},
};

/**
 * Two instances (C serves the user, A polls the recording) on one registry row and one set of
 * leases, as in the cluster: each with its own stopper and claims, every stop request counted.
 */
function twoInstances() {
  let row = {
    id: 'r1',
    sid: 'sid1',
    resourceId: 'res1',
    mode: 'mix',
    channel: 'room',
    uid: '1',
    state: 'recording',
    files: [],
    notFoundSince: null,
    notFoundLastAt: null,
    version: 1,
  } as unknown as RecordingRecord;
  const transitions: Transitions = {
    // The registry's compare-and-set, as the row sees it: `decide` runs on the row as it is now.
    move: (_record, decide) => {
      const patch = decide(row);
      if (patch) row = { ...row, ...patch, version: row.version + 1 };
      return Promise.resolve(row);
    },
    read: () => Promise.resolve(row),
  };
  const held = new Set<string>();
  const leases: Leases = {
    ...localLeases,
    tryAcquire: (key) => Promise.resolve(held.has(key) ? false : (held.add(key), true)),
    release: (key) => Promise.resolve(void held.delete(key)),
  };
  const stops: string[] = [];
  const queries: string[] = [];
  /** What Agora's query answers (default: the task is gone). */
  let query: () => Promise<unknown> = () =>
    Promise.reject(new AgoraApiError({ endpoint: 'query', httpStatus: 404, code: 404, reason: 'failed to find worker' }));
  const answers: ((result: StopResult) => void)[] = [];
  const failures: ((error: Error) => void)[] = [];
  const stopper = (name: string) =>
    createRecordingStopper({
      agora: {
        query: () => {
          queries.push(name);
          return query();
        },
        stop: () => {
          stops.push(name);
          return new Promise<StopResult>((resolve, reject) => {
            answers.push(resolve);
            failures.push(reject);
          });
        },
      } as unknown as AgoraClient,
      clock: systemClock,
      logger: createSilentLogger(),
      transitions,
      notFound: { failoverWindowMs: 90_000, maxGapMs: 75_000 },
      startsInFlight: new Set(),
      claims: createClaims('stop', leases),
    });
  return {
    a: stopper('A'),
    c: stopper('C'),
    row: () => row,
    stops,
    queries,
    answers,
    failures,
    answerQueries: (answer: () => Promise<unknown>) => (query = answer),
  };
}

describe('a stop is never sent for a recording another instance has stopped', () => {
  // The cluster soak's double actor: a user's stop through C wrote "stopping"; A, which polls the
  // recording, read that row and went to resend the stop; by the time A took the stop claim, C's
  // stop had been answered, written "stopped" and the claim given back, and A sent a second stop
  // (195 ms after the user's) from the row it had read.
  it("the poller's resend of a stopping row read while another instance's stop was in flight", async () => {
    const { a, c, row, stops, answers } = twoInstances();
    const user = c.stop(row(), 'api');
    await tick();
    expect(row().state).toBe('stopping');
    const polled = row(); // A's poller loads the row (the webhook that Agora sends on the stop woke it)
    answers[0]!(answered);
    expect((await user).record.state).toBe('stopped');
    await tick(); // C's claim is given back
    const after = a.resend(polled, {});
    await settle();
    expect(stops).toEqual(['C']);
    for (const answer of answers.slice(1)) answer(answered);
    expect((await after).state).toBe('stopped');
  });

  it("the poller's deadline stop from a row read before another instance's stop", async () => {
    const { a, c, row, stops, answers } = twoInstances();
    const polled = row(); // A's poller loads the row: active, past its max duration
    const user = c.stop(row(), 'api');
    await tick();
    answers[0]!(answered);
    expect((await user).record.state).toBe('stopped');
    await tick();
    const outcome = a.stop(polled, 'poll');
    await settle();
    expect(stops).toEqual(['C']);
    for (const answer of answers.slice(1)) answer(answered);
    expect(await outcome).toMatchObject({ record: { state: 'stopped' }, alreadyStopped: true });
  });

  it('a stop that failed is still sent again by the poller (the row says stopping, nobody holds the claim)', async () => {
    const { a, c, row, stops, answers, failures } = twoInstances();
    const user = c.stop(row(), 'api');
    await tick();
    failures[0]!(new Error('Agora answered 503'));
    expect((await user).record.state).toBe('stopping');
    await tick();
    const resent = a.resend(row(), {});
    await settle();
    expect(stops).toEqual(['C', 'A']);
    answers[1]!(answered);
    expect((await resent).state).toBe('stopped');
  });

  // The soak's double actor reproduced (seed 7): a user's stop through C of a recording Agora had
  // already ended (its idle exit) was answered 404, and C's query 404 too, so the row stayed
  // `stopping` for the failover window; D, which polled it, sent the stop again 1.9 s later.
  const gone: StopResult = { alreadyStopped: true, httpStatus: 404, code: 404, reason: 'failed to find worker' };

  it('after a stop answered 404, the poller asks with a query, and sends no stop to a task still not found', async () => {
    const { a, c, row, stops, queries, answers } = twoInstances();
    const user = c.stop(row(), 'api');
    await tick();
    answers[0]!(gone);
    expect((await user).record).toMatchObject({ state: 'stopping', notFoundSince: expect.any(Number) as unknown });
    await tick();
    const polled = a.resend(row(), {});
    await settle();
    expect(stops).toEqual(['C']);
    for (const answer of answers.slice(1)) answer(gone);
    expect((await polled).state).toBe('stopping');
    expect(queries).toEqual(['C', 'A']);
  });

  it('after a stop answered 404, the poller stops the task once a query finds it alive (a failover that ended)', async () => {
    const { a, c, row, stops, answers, answerQueries } = twoInstances();
    const user = c.stop(row(), 'api');
    await tick();
    answers[0]!(gone);
    await user;
    await tick();
    answerQueries(() => Promise.resolve({ status: 5, files: [], raw: {} }));
    const polled = a.resend(row(), {});
    await settle();
    expect(stops).toEqual(['C', 'A']);
    answers[1]!(answered);
    expect((await polled).state).toBe('stopped');
  });
});
