import { describe, expect, it } from 'vitest';
import { createInMemoryBus } from '../events/index.js';
import { createWatchHub, type EventLog, type WatchDelivery, type WatchSink } from './watch.js';

interface Event {
  id: number;
  task: string;
  state: 'starting' | 'running' | 'stopped';
}

const isTerminal = (state: Event['state']) => state === 'stopped';

/**
 * A log in memory. `hold` makes the next reads wait until `release`: reading what the log holds
 * when they are called (`snapshot`, an event published meanwhile is not in it) or when released.
 */
function memoryLog() {
  const events: Event[] = [];
  let gate: { done: Promise<void>; snapshot: boolean } | undefined;
  let open: (() => void) | undefined;
  async function read<T>(compute: () => T): Promise<T> {
    if (!gate) return compute();
    if (gate.snapshot) {
      const value = compute();
      await gate.done;
      return value;
    }
    await gate.done;
    return compute();
  }
  const ofTask = (task: string) => events.filter((event) => event.task === task);
  const log: EventLog<Event> & { failing?: Error } = {
    latestEvent: (task) =>
      read(() => {
        if (log.failing) throw log.failing;
        return ofTask(task).at(-1);
      }),
    eventsAfter: (task, afterId) => read(() => ofTask(task).filter((event) => event.id > afterId)),
    hasEnded: (task) =>
      read(() => {
        const latest = ofTask(task).at(-1);
        return !latest || isTerminal(latest.state);
      }),
  };
  return {
    log,
    events,
    hold: (snapshot = false) => (gate = { done: new Promise((resolve) => (open = resolve)), snapshot }),
    release: () => {
      gate = undefined;
      open?.();
    },
  };
}

/** A sink that records what it was given. */
function recorder() {
  const got: { deliveries: WatchDelivery<string>[]; ended: boolean; error: unknown } = { deliveries: [], ended: false, error: undefined };
  const sink: WatchSink<string> = {
    event: (delivery) => got.deliveries.push(delivery),
    end: () => (got.ended = true),
    fail: (error) => (got.error = error),
  };
  return { sink, got, ids: () => got.deliveries.map((delivery) => delivery.id) };
}

function setup() {
  const memory = memoryLog();
  const bus = createInMemoryBus<Event>((event) => event.task);
  const shutdown = new AbortController();
  let mapped = 0;
  const follows: string[] = [];
  let released = 0;
  const hub = createWatchHub<Event, string>({
    log: memory.log,
    bus,
    isTerminal,
    toClient: (event) => {
      mapped++;
      return `${event.task}:${event.state}`;
    },
    until: shutdown.signal,
    follow: (task) => {
      follows.push(task);
      return () => released++;
    },
  });
  let nextId = 1;
  /** Logs an event, then publishes it, as the registry and the kinds do. */
  const emit = (task: string, state: Event['state']) => {
    const event = { id: nextId++, task, state };
    memory.events.push(event);
    bus.publish(event);
    return event;
  };
  return { memory, bus, shutdown, hub, emit, mapped: () => mapped, follows, released: () => released };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('createWatchHub', () => {
  it('gives the current state, then live events: one mapping and one delivery object per event for every watcher', async () => {
    const t = setup();
    t.emit('a', 'starting');
    const watchers = Array.from({ length: 50 }, () => recorder());
    for (const watcher of watchers) t.hub.open('a', undefined, watcher.sink);
    await settle();
    expect(watchers.every((watcher) => watcher.got.deliveries.length === 1)).toBe(true);
    expect(t.bus.listenerCount('a')).toBe(1);
    expect(t.hub.count('a')).toBe(50);

    const before = t.mapped();
    t.emit('a', 'running');
    expect(t.mapped() - before).toBe(1);
    const live = watchers.map((watcher) => watcher.got.deliveries[1]);
    expect(new Set(live).size).toBe(1);
    expect(live[0]).toEqual({ id: 2, value: 'a:running' });
  });

  it('listens before it reads the log: an event published meanwhile comes after the backlog, once, with no gap', async () => {
    const t = setup();
    t.emit('a', 'starting');
    // The read sees the log as it was: the event published during it comes from the bus.
    t.memory.hold(true);
    const missed = recorder();
    t.hub.open('a', undefined, missed.sink);
    t.emit('a', 'running');
    t.memory.release();
    await settle();
    expect(missed.ids()).toEqual([1, 2]);

    // The read sees the event published during it: it is not given twice.
    t.memory.hold();
    const twice = recorder();
    t.hub.open('a', undefined, twice.sink);
    t.emit('a', 'running');
    t.memory.release();
    await settle();
    expect(twice.ids()).toEqual([3]);
    t.emit('a', 'stopped');
    expect(twice.ids()).toEqual([3, 4]);
    expect(missed.ids()).toEqual([1, 2, 3, 4]);
    expect(twice.got.ended).toBe(true);
  });

  it('resumes after an id with exactly what came after it, and starts over after an id the log never reached', async () => {
    const t = setup();
    for (const state of ['starting', 'running', 'running', 'running'] as const) t.emit('a', state);
    const resumed = recorder();
    t.hub.open('a', 2, resumed.sink);
    const reset = recorder();
    t.hub.open('a', 99, reset.sink);
    await settle();
    expect(resumed.ids()).toEqual([3, 4]);
    expect(reset.ids()).toEqual([4]);
    t.emit('a', 'stopped');
    expect(resumed.ids()).toEqual([3, 4, 5]);
    expect(reset.ids()).toEqual([4, 5]);
  });

  it('ends after a terminal state, and at once when resuming after the end of a finished task', async () => {
    const t = setup();
    t.emit('a', 'starting');
    const watcher = recorder();
    t.hub.open('a', undefined, watcher.sink);
    await settle();
    t.emit('a', 'stopped');
    expect(watcher.got.ended).toBe(true);
    expect(t.bus.listenerCount()).toBe(0);
    expect(t.released()).toBe(1);

    const late = recorder();
    t.hub.open('a', 2, late.sink);
    await settle();
    expect(late.got).toEqual({ deliveries: [], ended: true, error: undefined });
    const fresh = recorder();
    t.hub.open('a', undefined, fresh.sink);
    await settle();
    expect(fresh.ids()).toEqual([2]);
    expect(fresh.got.ended).toBe(true);
    expect(t.bus.listenerCount()).toBe(0);
    expect(t.hub.count()).toBe(0);
  });

  it('closes without telling the sink, and leaves no listener or follow behind, even closed while reading', async () => {
    const t = setup();
    t.emit('a', 'starting');
    const open = recorder();
    const watch = t.hub.open('a', undefined, open.sink);
    await settle();
    t.memory.hold();
    const reading = recorder();
    const early = t.hub.open('a', undefined, reading.sink);
    early.close();
    watch.close();
    watch.close();
    t.memory.release();
    await settle();
    t.emit('a', 'running');
    expect(open.ids()).toEqual([1]);
    expect(reading.got).toEqual({ deliveries: [], ended: false, error: undefined });
    expect(t.bus.listenerCount()).toBe(0);
    expect(t.follows).toEqual(['a', 'a']);
    expect(t.released()).toBe(2);
  });

  it('ends every watch at shutdown, those still reading their backlog once it is delivered', async () => {
    const t = setup();
    t.emit('a', 'starting');
    const live = recorder();
    t.hub.open('a', undefined, live.sink);
    await settle();
    t.memory.hold();
    const reading = recorder();
    t.hub.open('a', undefined, reading.sink);
    t.shutdown.abort();
    expect(live.got.ended).toBe(true);
    t.memory.release();
    await settle();
    expect(reading.ids()).toEqual([1]);
    expect(reading.got.ended).toBe(true);
    expect(t.bus.listenerCount()).toBe(0);
  });

  it("fails a watch whose log cannot be read, and one whose sink throws, without the task's other watchers noticing", async () => {
    const t = setup();
    t.emit('a', 'starting');
    t.memory.log.failing = new Error('registry down');
    const failed = recorder();
    t.hub.open('a', undefined, failed.sink);
    await settle();
    expect(failed.got.error).toBe(t.memory.log.failing);
    expect(t.bus.listenerCount()).toBe(0);
    t.memory.log.failing = undefined;

    const good = recorder();
    const broken = recorder();
    broken.sink.event = (delivery) => {
      if (delivery.id > 1) throw new Error('socket gone');
      broken.got.deliveries.push(delivery);
    };
    t.hub.open('a', undefined, broken.sink);
    t.hub.open('a', undefined, good.sink);
    await settle();
    t.emit('a', 'running');
    expect((broken.got.error as Error).message).toBe('socket gone');
    expect(good.ids()).toEqual([1, 2]);
    expect(t.hub.count('a')).toBe(1);
  });
});
