import type { BusEvent, EventBus } from '../events/index.js';

/** A task's event log as a watcher reads it (the registry's append-only log). */
export interface EventLog<E extends BusEvent> {
  /** The newest event: the task's current state as a watcher first sees it. */
  latestEvent(taskId: string): Promise<E | undefined>;
  eventsAfter(taskId: string, afterId: number): Promise<E[]>;
  /** Whether the task is gone or has ended (nothing more will be logged). */
  hasEnded(taskId: string): Promise<boolean>;
}

export interface WatchOptions<E extends BusEvent & { state: string }> {
  log: EventLog<E>;
  bus: EventBus<E>;
  /** The task's id: also its topic on the bus. */
  taskId: string;
  /** A state after which the task changes no more. */
  isTerminal: (state: E['state']) => boolean;
  /**
   * Resume after this event id: replay what came after it from the log, then go live. An id newer
   * than the task's newest event (the registry was reset or moved) starts the watch over.
   */
  afterId: number | undefined;
  signal: AbortSignal;
  /**
   * A second signal that ends the watch (the server's shutdown), listened to directly: an
   * `AbortSignal.any` per watcher cost ~1 KiB each (its own EventTarget, maps and weak refs).
   */
  until?: AbortSignal;
  /** Called when the watch starts; what it returns when it ends (tasks/follow.ts: the task followed while watched). */
  follow?: () => () => void;
}

/**
 * A task's events for one watcher: the current state (or, when resuming, every event after
 * `afterId` from the registry's log), then live ones, with no duplicates and no gaps. It listens
 * before it reads the log and drops ids it has already yielded, so nothing slips between the two.
 * Ends after a terminal state or when `signal` (or `until`) aborts, and always removes its
 * listener. An `afterId` this task's log never reached is taken as none (the current state first):
 * resuming after it would drop every event up to it, and the watcher would hear nothing, ever.
 */
export function watchEvents<E extends BusEvent & { state: string }>(options: WatchOptions<E>): AsyncGenerator<E> {
  return watchMapped(options, (event) => event);
}

/**
 * watchEvents with each event mapped before it is yielded, in one generator: a watcher lives for
 * hours, and every generator layered on it keeps its own frame, pending promise and last value.
 * A suspended generator keeps its locals, so the event is held only until it is mapped.
 */
async function* watchMapped<E extends BusEvent & { state: string }, O>(options: WatchOptions<E>, map: (event: E) => O): AsyncGenerator<O> {
  const { bus, taskId, signal, until, isTerminal } = options;
  const release = options.follow?.();
  const pending: E[] = [];
  let wake: (() => void) | undefined;
  const unsubscribe = bus.subscribe(taskId, (event) => {
    pending.push(event);
    wake?.();
  });
  const onAbort = () => wake?.();
  signal.addEventListener('abort', onAbort);
  until?.addEventListener('abort', onAbort);
  try {
    // What is read here stays out of the generator's frame: a suspended generator keeps its
    // locals, and watchers live for hours, so only the ids it needs are kept (bench/README.md).
    const { replay, ended, afterId } = await readBacklog(options.log, taskId, options.afterId);
    let lastId = afterId ?? 0;
    let terminal = false;
    while (replay.length > 0 && !terminal) {
      const next = nextOf(replay, lastId, afterId !== undefined, isTerminal, map);
      if (next === undefined) continue;
      lastId = next.id;
      terminal = next.terminal;
      yield next.value;
    }
    if (terminal) return;
    // Resuming after the last event of a task that has ended: nothing more will come.
    if (ended && pending.length === 0) return;

    while (!signal.aborted && !until?.aborted) {
      if (pending.length === 0) {
        await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
        continue;
      }
      const next = nextOf(pending, lastId, true, isTerminal, map);
      if (next === undefined) continue;
      lastId = next.id;
      yield next.value;
      if (next.terminal) return;
    }
  } finally {
    unsubscribe();
    signal.removeEventListener('abort', onAbort);
    until?.removeEventListener('abort', onAbort);
    release?.();
  }
}

/** Takes the first event of `queue`: undefined when it is one already yielded, else its id, whether it is terminal, and its mapped value. */
function nextOf<E extends BusEvent & { state: string }, O>(
  queue: E[],
  lastId: number,
  skipSeen: boolean,
  isTerminal: (state: E['state']) => boolean,
  map: (event: E) => O,
): { id: number; terminal: boolean; value: O } | undefined {
  const event = queue.shift()!;
  if (skipSeen && event.id <= lastId) return undefined;
  return { id: event.id, terminal: isTerminal(event.state), value: map(event) };
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

/** A watch as the API streams it: each event as clients see it, with its log id. */
export function streamEvents<E extends BusEvent & { state: string }, O>(
  options: WatchOptions<E>,
  toClient: (event: E) => O,
): AsyncGenerator<{ eventId: number; event: O }> {
  return watchMapped(options, (event) => ({ eventId: event.id, event: toClient(event) }));
}
