import type { BusEvent, EventBus } from '../events/index.js';

/** A task's event log as a watcher reads it (the registry's append-only log). */
export interface EventLog<E extends BusEvent> {
  /** The newest event: the task's current state as a watcher first sees it. */
  latestEvent(taskId: string): Promise<E | undefined>;
  eventsAfter(taskId: string, afterId: number): Promise<E[]>;
  /** Whether the task is gone or has ended (nothing more will be logged). */
  hasEnded(taskId: string): Promise<boolean>;
}

/**
 * One event as a watcher gets it: its log id and the event as clients see it. A live event is
 * one object handed to every watcher of its task, so a transport can encode it once for all of
 * them (keyed by the object, e.g. a WeakMap).
 */
export interface WatchDelivery<O> {
  readonly id: number;
  readonly value: O;
}

/**
 * Where a watch's events go. Called synchronously, in order, each event once; after `end` or
 * `fail` nothing more comes, and neither comes after the watch is closed. A sink must not throw
 * (one that does is closed and told `fail`, so the task's other watchers still get the event).
 */
export interface WatchSink<O> {
  event(delivery: WatchDelivery<O>): void;
  /** The watch is over: after a terminal state, a resume past a finished task's end, or at shutdown. */
  end(): void;
  /** The watch could not go on (the log could not be read). */
  fail(error: unknown): void;
}

/** An open watch: `close` (the client went away) stops it without telling its sink; idempotent. */
export interface Watch {
  close(): void;
}

/**
 * One watcher: a few fields, no closures, no suspended frame — watchers live for hours and there
 * are thousands (bench/README.md). `pending` holds the live events that came while its backlog was
 * read; undefined once it is live.
 */
class Watcher<E extends BusEvent, O> implements Watch {
  lastId = 0;
  pending: E[] | undefined = [];
  closed = false;
  constructor(
    readonly task: TaskWatchers<E, O>,
    readonly sink: WatchSink<O>,
    readonly release: (() => void) | undefined,
  ) {}

  close(): void {
    this.task.detach(this);
  }

  /** A method, not the field: a sink may close the watch during any delivery. */
  isClosed(): boolean {
    return this.closed;
  }
}

/** The watchers of one task, fed by one bus listener. */
interface TaskWatchers<E extends BusEvent, O> {
  readonly watchers: Set<Watcher<E, O>>;
  detach(watcher: Watcher<E, O>): boolean;
}

/** Opens a watch into a sink once its checks have passed (or rejects with why not: an unknown task). */
export type WatchOpener<O> = (sink: WatchSink<O>) => Promise<Watch>;

export interface WatchHub<O> {
  /** Opens a watch of `taskId` into `sink`: listening at once, its backlog read in the background. */
  open(taskId: string, afterId: number | undefined, sink: WatchSink<O>): Watch;
  /** Watches open now (of one task, or in all). */
  count(taskId?: string): number;
}

export interface WatchHubOptions<E extends BusEvent & { state: string }, O> {
  log: EventLog<E>;
  bus: EventBus<E>;
  /** A state after which the task changes no more. */
  isTerminal: (state: E['state']) => boolean;
  /** An event as watchers see it: mapped once per live event, whatever the number of watchers. */
  toClient: (event: E) => O;
  /** Ends every watch (the server's shutdown). */
  until: AbortSignal;
  /** Called when a watch of a task opens; what it returns when it ends (tasks/follow.ts). */
  follow?: ((taskId: string) => () => void) | undefined;
}

/**
 * The watches of one kind of task, pushed to their sinks: per task one bus listener and a set of
 * watchers; a live event is mapped once and the same delivery goes to each. The rules: a watch
 * listens before it reads the log; it gets the current state first, or, resuming after `afterId`,
 * every event after it from the log; then live events, with no duplicates and no gaps; it ends
 * after a terminal state, at shutdown, or when closed, and always leaves no listener behind. An
 * `afterId` the task's log never reached (the registry was reset or moved) is taken as none:
 * resuming after it would drop every event up to it, and the watcher would hear nothing, ever.
 */
export function createWatchHub<E extends BusEvent & { state: string }, O>(options: WatchHubOptions<E, O>): WatchHub<O> {
  const { log, bus, isTerminal, toClient, until } = options;
  const tasks = new Map<string, TaskWatchers<E, O>>();

  /** Detaches the watcher, then tells its sink that the watch is over. */
  function finish(watcher: Watcher<E, O>): void {
    if (watcher.task.detach(watcher)) watcher.sink.end();
  }

  /** Hands one event to a watcher; a sink that throws is closed and told why. */
  function deliver(watcher: Watcher<E, O>, delivery: WatchDelivery<O>, terminal: boolean): void {
    watcher.lastId = delivery.id;
    try {
      watcher.sink.event(delivery);
    } catch (error) {
      if (watcher.task.detach(watcher)) watcher.sink.fail(error);
      return;
    }
    if (terminal) finish(watcher);
  }

  function taskWatchers(taskId: string): TaskWatchers<E, O> {
    const existing = tasks.get(taskId);
    if (existing) return existing;
    const watchers = new Set<Watcher<E, O>>();
    const unsubscribe = bus.subscribe(taskId, (event) => {
      let delivery: WatchDelivery<O> | undefined;
      const terminal = isTerminal(event.state);
      // Deleting from a Set while iterating it is safe: a watcher that ends here is not revisited.
      for (const watcher of watchers) {
        if (watcher.pending) watcher.pending.push(event);
        else if (event.id > watcher.lastId) deliver(watcher, (delivery ??= { id: event.id, value: toClient(event) }), terminal);
      }
    });
    const task: TaskWatchers<E, O> = {
      watchers,
      detach(watcher) {
        if (watcher.closed) return false;
        watcher.closed = true;
        watchers.delete(watcher);
        if (watchers.size === 0 && tasks.get(taskId) === task) {
          tasks.delete(taskId);
          unsubscribe();
        }
        watcher.release?.();
        return true;
      },
    };
    tasks.set(taskId, task);
    return task;
  }

  /** Reads the watcher's backlog, hands it over with what came meanwhile, and leaves it live. */
  async function catchUp(watcher: Watcher<E, O>, taskId: string, askedAfter: number | undefined): Promise<void> {
    const { replay, ended, afterId } = await readBacklog(log, taskId, askedAfter);
    if (watcher.closed) return;
    watcher.lastId = afterId ?? 0;
    for (const event of replay) {
      if (afterId !== undefined && event.id <= watcher.lastId) continue;
      deliver(watcher, { id: event.id, value: toClient(event) }, isTerminal(event.state));
      if (watcher.isClosed()) return;
    }
    const pending = watcher.pending ?? [];
    watcher.pending = undefined;
    // Resuming after the last event of a task that has ended, or shut down meanwhile: nothing more will come.
    if ((ended && pending.length === 0) || until.aborted) {
      finish(watcher);
      return;
    }
    for (const event of pending) {
      if (event.id <= watcher.lastId) continue;
      deliver(watcher, { id: event.id, value: toClient(event) }, isTerminal(event.state));
      if (watcher.isClosed()) return;
    }
  }

  until.addEventListener(
    'abort',
    () => {
      // Watchers still reading their backlog end once it is delivered (catchUp).
      for (const task of [...tasks.values()]) for (const watcher of [...task.watchers]) if (!watcher.pending) finish(watcher);
    },
    { once: true },
  );

  return {
    open(taskId: string, afterId: number | undefined, sink: WatchSink<O>): Watch {
      const release = options.follow?.(taskId);
      const watcher = new Watcher(taskWatchers(taskId), sink, release);
      watcher.task.watchers.add(watcher);
      catchUp(watcher, taskId, afterId).catch((error: unknown) => {
        if (watcher.task.detach(watcher)) sink.fail(error);
      });
      return watcher;
    },
    count(taskId?: string): number {
      if (taskId !== undefined) return tasks.get(taskId)?.watchers.size ?? 0;
      let total = 0;
      for (const task of tasks.values()) total += task.watchers.size;
      return total;
    },
  };
}

/**
 * The events to replay before going live, whether the task is gone or has ended, and the id to
 * resume after: the one asked for when the task's log reached it, else none (start over).
 */
async function readBacklog<E extends BusEvent>(
  log: EventLog<E>,
  taskId: string,
  askedAfter: number | undefined,
): Promise<{ replay: E[]; ended: boolean; afterId: number | undefined }> {
  const latest = await log.latestEvent(taskId);
  const afterId = askedAfter !== undefined && latest !== undefined && askedAfter <= latest.id ? askedAfter : undefined;
  const replay = afterId === undefined ? (latest ? [latest] : []) : await log.eventsAfter(taskId, afterId);
  return { replay, ended: await log.hasEnded(taskId), afterId };
}

/** A registry's event log, read through its store: the latest event, what came after, and whether the task has ended. */
export function registryLog<E extends BusEvent, S extends string>(
  store: {
    latestEvent: (id: string) => Promise<E | undefined>;
    eventsAfter: (id: string, afterId: number) => Promise<E[]>;
    get: (id: string) => Promise<{ state: S } | undefined>;
  },
  isTerminal: (state: S) => boolean,
): EventLog<E> {
  return {
    latestEvent: (taskId) => store.latestEvent(taskId),
    eventsAfter: (taskId, afterId) => store.eventsAfter(taskId, afterId),
    hasEnded: async (taskId) => {
      const record = await store.get(taskId);
      return !record || isTerminal(record.state);
    },
  };
}
