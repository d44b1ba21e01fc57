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
}

/**
 * A task's events for one watcher: the current state (or, when resuming, every event after
 * `afterId` from the registry's log), then live ones, with no duplicates and no gaps. It listens
 * before it reads the log and drops ids it has already yielded, so nothing slips between the two.
 * Ends after a terminal state or when `signal` aborts, and always removes its listener. An
 * `afterId` this task's log never reached is taken as none (the current state first): resuming
 * after it would drop every event up to it, and the watcher would hear nothing, ever.
 */
export async function* watchEvents<E extends BusEvent & { state: string }>(options: WatchOptions<E>): AsyncGenerator<E> {
  const { bus, taskId, signal, isTerminal } = options;
  const pending: E[] = [];
  let wake: (() => void) | undefined;
  const unsubscribe = bus.subscribe(taskId, (event) => {
    pending.push(event);
    wake?.();
  });
  const onAbort = () => wake?.();
  signal.addEventListener('abort', onAbort);
  try {
    // What is read here stays out of the generator's frame: a suspended generator keeps its
    // locals, and watchers live for hours, so only the ids it needs are kept (bench/README.md).
    const { replay, ended, afterId } = await readBacklog(options.log, taskId, options.afterId);
    let lastId = afterId ?? 0;
    while (replay.length > 0) {
      const event = replay.shift()!;
      if (event.id <= lastId && afterId !== undefined) continue;
      lastId = event.id;
      yield event;
      if (isTerminal(event.state)) return;
    }
    // Resuming after the last event of a task that has ended: nothing more will come.
    if (ended && pending.length === 0) return;

    while (!signal.aborted) {
      const event = pending.shift();
      if (!event) {
        await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
        continue;
      }
      if (event.id <= lastId) continue;
      lastId = event.id;
      yield event;
      if (isTerminal(event.state)) return;
    }
  } finally {
    unsubscribe();
    signal.removeEventListener('abort', onAbort);
  }
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
export async function* streamEvents<E extends BusEvent & { state: string }, O>(
  options: WatchOptions<E>,
  toClient: (event: E) => O,
): AsyncGenerator<{ eventId: number; event: O }> {
  for await (const event of watchEvents(options)) yield { eventId: event.id, event: toClient(event) };
}
