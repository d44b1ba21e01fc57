import type { EventBus } from '../events/index.js';
import type { RecordingEvent, RecordingStore } from '../store/index.js';
import { isTerminal } from './state.js';

export interface WatchOptions {
  store: RecordingStore;
  bus: EventBus;
  recordingId: string;
  /** Resume after this event id: replay what came after it from the log, then go live. */
  afterId: number | undefined;
  signal: AbortSignal;
}

/**
 * A recording's events for one watcher: the current state (or, when resuming, every event after
 * `afterId` from the registry's log), then live ones, with no duplicates and no gaps. It listens
 * before it reads the log and drops ids it has already yielded, so nothing slips between the two.
 * Ends after a terminal state or when `signal` aborts, and always removes its listener.
 */
export async function* watchRecordingEvents(options: WatchOptions): AsyncGenerator<RecordingEvent> {
  const { store, bus, recordingId, signal } = options;
  const pending: RecordingEvent[] = [];
  let wake: (() => void) | undefined;
  const unsubscribe = bus.subscribe(recordingId, (event) => {
    pending.push(event);
    wake?.();
  });
  const onAbort = () => wake?.();
  signal.addEventListener('abort', onAbort);
  try {
    // What is read here stays out of the generator's frame: a suspended generator keeps its
    // locals, and watchers live for hours, so only the ids it needs are kept (bench/README.md).
    const { replay, ended } = await readBacklog(store, recordingId, options.afterId);
    let lastId = options.afterId ?? 0;
    while (replay.length > 0) {
      const event = replay.shift()!;
      if (event.id <= lastId && options.afterId !== undefined) continue;
      lastId = event.id;
      yield event;
      if (isTerminal(event.state)) return;
    }
    // Resuming after the last event of a recording that has ended: nothing more will come.
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

/** The events to replay before going live, and whether the recording is gone or has ended. */
async function readBacklog(store: RecordingStore, recordingId: string, afterId: number | undefined): Promise<{ replay: RecordingEvent[]; ended: boolean }> {
  const replay =
    afterId === undefined
      ? [await store.latestEvent(recordingId)].filter((event): event is RecordingEvent => event !== undefined)
      : await store.eventsAfter(recordingId, afterId);
  const record = await store.get(recordingId);
  return { replay, ended: !record || isTerminal(record.state) };
}
