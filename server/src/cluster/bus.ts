import pg from 'pg';
import type { Clock } from '../clock.js';
import type { BusEvent, EventBus, EventListener } from '../events/index.js';
import { createInMemoryBus } from '../events/index.js';
import type { Logger } from '../logger.js';
import { errorMessage, keepPoolSessions } from '../store/database-errors.js';
import { createKeptConnection } from './kept-connection.js';

export interface PostgresBusOptions<E extends BusEvent> {
  url: string;
  channel: string;
  /** A topic's events after `afterId`, oldest first, from the shared registry. */
  readAfter: (topic: string, afterId: number) => Promise<E[]>;
  topicOf: (event: E) => string;
  instanceId: string;
  logger: Logger;
  clock: Clock;
  /** PostgreSQL's application_name prefix: the LISTEN session gets ` listen`, the notify pool ` notify`. */
  applicationName?: string;
}

/**
 * Events across instances with LISTEN/NOTIFY. A notification carries only a topic and an event id;
 * every instance then reads the topic's new events from the shared registry and hands them to its
 * watchers, one topic at a time and in log order, so a watcher sees each event once and in order
 * whichever instance wrote it. The LISTEN session is kept: when it is lost, the instance reconnects,
 * listens again and reads every watched topic's events it has not delivered yet (no watcher misses
 * what was written meanwhile).
 */
export async function createPostgresBus<E extends BusEvent>(
  options: PostgresBusOptions<E>,
): Promise<EventBus<E> & { close(): Promise<void>; healthy(): boolean }> {
  const { logger } = options;
  const local = createInMemoryBus<E>(options.topicOf);
  const channel = options.channel.replace(/[^a-z0-9_]/gi, '_');
  const pokeChannel = `${channel}_poke`;
  const pokeListeners: ((taskId: string) => void)[] = [];
  /** Per watched topic: the newest event id handed to this instance's watchers. */
  const delivered = new Map<string, number>();
  /** Per topic: the read in progress, so that reads of one topic never overlap. */
  const reading = new Map<string, Promise<void>>();

  /** Delivers every event of `topic` after the last one delivered (up to at least `id`). */
  function catchUp(topic: string, id: number): void {
    if (local.listenerCount(topic) === 0 || id <= (delivered.get(topic) ?? 0)) return;
    const previous = reading.get(topic) ?? Promise.resolve();
    const next = previous.then(async () => {
      if (local.listenerCount(topic) === 0 || id <= (delivered.get(topic) ?? 0)) return;
      // Unknown start: the whole (short) log of the topic; watchers drop ids they have seen.
      const events = await options.readAfter(topic, delivered.get(topic) ?? 0);
      for (const event of events) {
        if (event.id <= (delivered.get(topic) ?? 0)) continue;
        delivered.set(topic, event.id);
        local.publish(event);
      }
    });
    const settled = next.catch((error: unknown) => logger.warn({ topic, err: errorMessage(error) }, 'could not read events to relay'));
    reading.set(topic, settled);
    void settled.then(() => {
      if (reading.get(topic) === settled) reading.delete(topic);
    });
  }

  const listener = await createKeptConnection({
    url: options.url,
    name: 'listen',
    logger,
    clock: options.clock,
    ...(options.applicationName ? { clientOptions: { application_name: `${options.applicationName} listen` } } : {}),
    onConnect: async (client) => {
      client.on('notification', (message) => {
        if (message.channel === pokeChannel && message.payload) for (const listener of pokeListeners) listener(message.payload);
        if (message.channel !== channel || !message.payload) return;
        const [, topic, id] = message.payload.split(' ');
        if (topic && id) catchUp(topic, Number(id));
      });
      await client.query(`listen ${channel}`);
      await client.query(`listen ${pokeChannel}`);
    },
    // Whatever was notified while the session was down is in the registry: read it now.
    onReconnected: () => {
      for (const topic of local.topics()) catchUp(topic, Number.MAX_SAFE_INTEGER);
    },
  });
  const notifier = new pg.Pool({
    connectionString: options.url,
    max: 2,
    connectionTimeoutMillis: 5_000,
    ...(options.applicationName ? { application_name: `${options.applicationName} notify` } : {}),
  });
  // An idle client's lost session: the pool drops it and opens another when needed.
  keepPoolSessions(notifier, (error) => logger.warn({ err: errorMessage(error) }, 'an idle PostgreSQL connection (notify) was lost'));

  return {
    publish(event: E) {
      const topic = options.topicOf(event);
      catchUp(topic, event.id);
      notifier.query('select pg_notify($1, $2)', [channel, `${options.instanceId} ${topic} ${event.id}`]).catch((error: unknown) => {
        // The others read it from the registry when their own next event or reconnection comes.
        logger.warn({ err: errorMessage(error) }, 'could not notify other instances');
      });
    },
    subscribe(topic: string, listenerFn: EventListener<E>) {
      const unsubscribe = local.subscribe(topic, listenerFn);
      return () => {
        unsubscribe();
        if (local.listenerCount(topic) === 0) delivered.delete(topic);
      };
    },
    listenerCount: (topic?: string) => local.listenerCount(topic),
    poke(taskId: string) {
      notifier.query('select pg_notify($1, $2)', [pokeChannel, taskId]).catch((error: unknown) => {
        // The poller polls at its next interval all the same.
        logger.warn({ err: errorMessage(error) }, 'could not pass a notice on to the instance polling the task');
      });
    },
    onPoke(listener: (taskId: string) => void) {
      pokeListeners.push(listener);
    },
    healthy: () => listener.isUp(),
    async close() {
      await listener.close();
      await notifier.end();
    },
  };
}
