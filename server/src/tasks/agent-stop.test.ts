import { describe, expect, it } from 'vitest';
import { localLeases, type Leases } from '../cluster/types.js';
import { systemClock } from '../clock.js';
import { createSilentLogger } from '../logger.js';
import { createAgentStopper, type AgentTaskRecord, type StopPatch } from './agent-stop.js';
import { createClaims } from './claims.js';

const tick = () => new Promise((resolve) => setImmediate(resolve));
const settle = async () => {
  for (let turn = 0; turn < 5; turn++) await tick();
};
const isTerminal = (state: string) => state === 'stopped' || state === 'failed';

/** Agora's 404 for the agent (gone, or a failover). */
const notFound = new Error('404');

/** Two instances (C serves the user, A polls the task) on one registry row and one set of leases. */
function twoInstances() {
  let row = {
    id: 't1',
    agentId: 'agent1',
    state: 'running',
    notFoundSince: null,
    notFoundLastAt: null,
    version: 1,
  } as unknown as AgentTaskRecord;
  const held = new Set<string>();
  const leases: Leases = {
    ...localLeases,
    tryAcquire: (key) => Promise.resolve(held.has(key) ? false : (held.add(key), true)),
    release: (key) => Promise.resolve(void held.delete(key)),
  };
  const leaves: string[] = [];
  const answers: (() => void)[] = [];
  const failures: ((error: Error) => void)[] = [];
  const queries: string[] = [];
  const stopper = (name: string) =>
    createAgentStopper<AgentTaskRecord, { raw: unknown }, StopPatch>({
      kind: 'transcription',
      leave: () => {
        leaves.push(name);
        return new Promise<void>((resolve, reject) => {
          answers.push(resolve);
          failures.push(reject);
        });
      },
      query: () => {
        queries.push(name);
        return Promise.reject(notFound);
      },
      isNotFound: (error) => error === notFound,
      patchOf: () => ({}),
      move: (_record, decide) => {
        const patch = decide(row);
        if (patch) row = { ...row, ...patch, version: row.version + 1 };
        return Promise.resolve(row);
      },
      read: () => Promise.resolve(row),
      isTerminal,
      clock: systemClock,
      logger: createSilentLogger(),
      notFound: { failoverWindowMs: 90_000, maxGapMs: 75_000 },
      claims: createClaims('leave', leases),
    });
  return { a: stopper('A'), c: stopper('C'), row: () => row, leaves, queries, answers, failures };
}

describe('a leave is never sent for an agent another instance has stopped', () => {
  // As recordings (recording/stop.test.ts): the poller resent the leave of a `stopping` row it had
  // read while another instance's leave was in flight, after that leave had ended the task.
  it("the poller's resend of a stopping row read while another instance's leave was in flight", async () => {
    const { a, c, row, leaves, answers } = twoInstances();
    const user = c.stop(row(), 'api');
    await tick();
    const polled = row(); // `stopping`, read by A's poller
    expect(polled.state).toBe('stopping');
    answers[0]!();
    expect((await user).record.state).toBe('stopped');
    await tick();
    const after = a.resend(polled, {});
    await settle();
    expect(leaves).toEqual(['C']);
    for (const answer of answers.slice(1)) answer();
    expect((await after).state).toBe('stopped');
  });

  it('after a leave answered 404, the poller asks with a query and sends no leave to an agent still not found', async () => {
    const { a, c, row, leaves, queries, failures } = twoInstances();
    const user = c.stop(row(), 'api');
    await tick();
    failures[0]!(notFound);
    expect((await user).record).toMatchObject({ state: 'stopping', notFoundSince: expect.any(Number) as unknown });
    await tick();
    const polled = a.resend(row(), {});
    await settle();
    expect(leaves).toEqual(['C']);
    for (const fail of failures.slice(1)) fail(notFound);
    expect((await polled).state).toBe('stopping');
    expect(queries).toEqual(['C', 'A']);
  });
});
