import { describe, expect, it } from 'vitest';
import { createFakeClock } from '../clock.js';
import { localLeases, type Leases } from '../cluster/types.js';
import { createSilentLogger } from '../logger.js';
import { createPollers } from './poller.js';
import { createWatchdog } from '../recording/watchdog.js';
import type { RecordingService } from '../recording/service.js';
import type { RecordingTable } from '../store/index.js';

interface Task {
  id: string;
}

/** Leases as seen from one instance of a cluster: the keys in `theirs` are another instance's. */
function clusterLeases(theirs: Set<string>): Leases {
  return { ...localLeases, tryAcquire: (key) => Promise.resolve(!theirs.has(key)) };
}

function pollersWith(leases: Leases) {
  const clock = createFakeClock();
  const polled: string[] = [];
  const pollers = createPollers<Task>({
    reconcile: (task) => {
      polled.push(task.id);
      return Promise.resolve(task);
    },
    load: (id) => Promise.resolve({ id }),
    ended: () => false,
    started: () => true,
    clock,
    logger: createSilentLogger(),
    intervalMs: 2_000,
    confirmDelayMs: 2_000,
    leases,
    handoverMs: 2_000,
  });
  return { pollers, clock, polled };
}

describe('adoption up to a fair share', () => {
  // The sweep offers every active task at once. Tasks other instances poll used to fill the share
  // while their leases were being asked for, so the tasks after them in the list were never
  // adopted: after a kill or a lost lease session, recordings went unpolled for many intervals.
  it('adopts the tasks nobody polls up to the share, whatever their place in the list', async () => {
    const tasks = Array.from({ length: 6 }, (_, index) => ({ id: `t${index}` }));
    const { pollers, clock } = pollersWith(clusterLeases(new Set(['poll:t0', 'poll:t1', 'poll:t2'])));
    await Promise.all(tasks.map((task, index) => pollers.ensure(task, 'adopt', index * 200, 3)));
    expect(pollers.count()).toBe(3);
    expect(['t3', 't4', 't5'].every((id) => pollers.has(id))).toBe(true);
    await clock.advance(0);
    await pollers.close();
  });

  it('never adopts more than the share, even when every lease is free', async () => {
    const tasks = Array.from({ length: 6 }, (_, index) => ({ id: `t${index}` }));
    const { pollers } = pollersWith(clusterLeases(new Set()));
    await Promise.all(tasks.map((task) => pollers.ensure(task, 'adopt', 0, 4)));
    expect(pollers.count()).toBe(4);
    await pollers.close();
  });

  // A sweep spaced adoptions by a task's place in the list of every active task, those polled
  // elsewhere included: with 100 active, an adopted task near the end waited 20 s for its poll.
  it("the recordings' watchdog spaces out only the tasks it adopts", async () => {
    const records = Array.from({ length: 12 }, (_, index) => ({
      id: `t${index}`,
      sid: `sid${index}`,
      state: 'recording',
      createdAt: 0,
      startedAt: 0,
      maxDurationSeconds: 3_600,
    }));
    const theirs = new Set(records.slice(0, 9).map((record) => `poll:${record.id}`));
    const leases = { ...clusterLeases(theirs), members: () => Promise.resolve(1) };
    const { pollers, clock, polled } = pollersWith(leases);
    const watchdog = createWatchdog({
      service: {} as RecordingService,
      store: { listActive: () => Promise.resolve(records) } as unknown as RecordingTable,
      clock,
      logger: createSilentLogger(),
      intervalMs: 2_000,
      adopt: (record, delayMs, cap) => pollers.ensure(record, 'adopt', delayMs, cap),
      wake: () => undefined,
      polled: pollers,
      leases,
    });
    await watchdog.sweep();
    expect(pollers.count()).toBe(3);
    // The handover (one interval, 2 s) covers the spacing of three adoptions: all polled by then.
    await clock.advance(2_000);
    expect(polled.sort()).toEqual(['t10', 't11', 't9']);
    await pollers.close();
  });
});
