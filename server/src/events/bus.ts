import type { RecordingEvent } from '../store/index.js';

export type EventListener = (event: RecordingEvent) => void;

/**
 * Fans recording events out to watchers. In-process here; the PostgreSQL deployment relays them
 * between instances with LISTEN/NOTIFY behind the same interface.
 */
export interface EventBus {
  publish(event: RecordingEvent): void;
  /** Returns the unsubscribe function. */
  subscribe(recordingId: string, listener: EventListener): () => void;
  /** Listeners now registered (for one recording, or in all). */
  listenerCount(recordingId?: string): number;
}

export function createInMemoryBus(): EventBus {
  const listeners = new Map<string, Set<EventListener>>();
  return {
    publish(event) {
      for (const listener of [...(listeners.get(event.recordingId) ?? [])]) listener(event);
    },
    subscribe(recordingId, listener) {
      let set = listeners.get(recordingId);
      if (!set) {
        set = new Set();
        listeners.set(recordingId, set);
      }
      set.add(listener);
      return () => {
        set.delete(listener);
        if (set.size === 0 && listeners.get(recordingId) === set) listeners.delete(recordingId);
      };
    },
    listenerCount(recordingId) {
      if (recordingId !== undefined) return listeners.get(recordingId)?.size ?? 0;
      let total = 0;
      for (const set of listeners.values()) total += set.size;
      return total;
    },
  };
}
