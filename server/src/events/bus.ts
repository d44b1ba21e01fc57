import type { RecordingEvent } from '../store/index.js';

/** What travels on a bus: an entry of a registry's event log, with its increasing id. */
export interface BusEvent {
  id: number;
}

export type EventListener<E extends BusEvent = RecordingEvent> = (event: E) => void;

/**
 * Fans events out to watchers, by topic (the recording's or transcription's id). In-process
 * here; the PostgreSQL deployment relays them between instances with LISTEN/NOTIFY behind the
 * same interface.
 */
export interface EventBus<E extends BusEvent = RecordingEvent> {
  publish(event: E): void;
  /** Returns the unsubscribe function. */
  subscribe(topic: string, listener: EventListener<E>): () => void;
  /** Listeners now registered (for one topic, or in all). */
  listenerCount(topic?: string): number;
  /**
   * Across instances: asks whichever instance polls `taskId` to poll it now (an Agora notice came
   * to this one). Absent in one process, where the poller is always here.
   */
  poke?(taskId: string): void;
  /** Where pokes from other instances go (the pollers' kick). */
  onPoke?(listener: (taskId: string) => void): void;
}

/** Recording events are published under their recording's id. */
export const recordingTopic = (event: RecordingEvent) => event.recordingId;

export function createInMemoryBus<E extends BusEvent = RecordingEvent>(
  topicOf: (event: E) => string,
): EventBus<E> & { topics(): string[] } {
  const listeners = new Map<string, Set<EventListener<E>>>();
  return {
    publish(event) {
      for (const listener of [...(listeners.get(topicOf(event)) ?? [])]) listener(event);
    },
    subscribe(topic, listener) {
      let set = listeners.get(topic);
      if (!set) {
        set = new Set();
        listeners.set(topic, set);
      }
      set.add(listener);
      return () => {
        set.delete(listener);
        if (set.size === 0 && listeners.get(topic) === set) listeners.delete(topic);
      };
    },
    /** Topics that have listeners now. */
    topics: () => [...listeners.keys()],
    listenerCount(topic) {
      if (topic !== undefined) return listeners.get(topic)?.size ?? 0;
      let total = 0;
      for (const set of listeners.values()) total += set.size;
      return total;
    },
  };
}
