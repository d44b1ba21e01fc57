import pg from 'pg';
import type { Logger } from '../logger.js';
import type { RateBudget } from '../agora/index.js';
import type { Clock } from '../clock.js';
import type { BusEvent, EventBus, EventListener } from '../events/index.js';
import { createInMemoryBus } from '../events/index.js';
import type { Leases } from './types.js';

/**
 * Leases as PostgreSQL session advisory locks on one dedicated connection: if this instance dies,
 * its connection closes and every lock it held is free for another instance to take.
 */
export async function createPostgresLeases(options: { url: string; namespace: string; logger: Logger }): Promise<Leases> {
  const client = new pg.Client({ connectionString: options.url });
  await client.connect();
  client.on('error', (error) => options.logger.error({ err: error.message }, 'lease connection failed'));
  const held = new Set<string>();
  // One connection runs one query at a time: chain the calls.
  let queue: Promise<unknown> = Promise.resolve();
  const run = <T>(work: () => Promise<T>): Promise<T> => {
    const next = queue.then(work, work);
    queue = next.catch(() => undefined);
    return next;
  };
  const lockKey = (key: string) => `${options.namespace}:${key}`;
  return {
    tryAcquire(key) {
      if (held.has(key)) return Promise.resolve(true);
      return run(async () => {
        const result = await client.query<{ locked: boolean }>('select pg_try_advisory_lock(hashtext($1)) as locked', [lockKey(key)]);
        const locked = result.rows[0]?.locked === true;
        if (locked) held.add(key);
        return locked;
      });
    },
    release(key) {
      if (!held.has(key)) return Promise.resolve();
      held.delete(key);
      return run(async () => {
        await client.query('select pg_advisory_unlock(hashtext($1))', [lockKey(key)]);
      });
    },
    async close() {
      held.clear();
      await run(() => client.end());
    },
  };
}

/**
 * Events across instances with LISTEN/NOTIFY: each instance delivers its own events at once, and
 * tells the others the event's id; they read it from the shared registry (payloads stay small,
 * whatever the file list) and deliver it to their watchers.
 */
export interface PostgresBusOptions<E extends BusEvent> {
  url: string;
  channel: string;
  /** Reads one event of a topic from the shared registry, by id. */
  read: (topic: string, id: number) => Promise<E | undefined>;
  topicOf: (event: E) => string;
  instanceId: string;
  logger: Logger;
}

export async function createPostgresBus<E extends BusEvent>(options: PostgresBusOptions<E>): Promise<EventBus<E> & { close(): Promise<void> }> {
  const local = createInMemoryBus<E>(options.topicOf);
  const listener = new pg.Client({ connectionString: options.url });
  await listener.connect();
  const notifier = new pg.Pool({ connectionString: options.url, max: 2 });
  const channel = options.channel.replace(/[^a-z0-9_]/gi, '_');
  listener.on('notification', (message) => {
    if (message.channel !== channel || !message.payload) return;
    const [instance, topic, id] = message.payload.split(' ');
    if (instance === options.instanceId || !topic || !id) return;
    if (local.listenerCount(topic) === 0) return;
    void options.read(topic, Number(id)).then(
      (event) => {
        if (event) local.publish(event);
      },
      (error: unknown) => options.logger.warn({ err: error instanceof Error ? error.message : String(error) }, 'could not relay an event'),
    );
  });
  await listener.query(`listen ${channel}`);
  return {
    publish(event: E) {
      local.publish(event);
      notifier.query('select pg_notify($1, $2)', [channel, `${options.instanceId} ${options.topicOf(event)} ${event.id}`]).catch((error: unknown) => {
        options.logger.warn({ err: error instanceof Error ? error.message : String(error) }, 'could not notify other instances');
      });
    },
    subscribe: (topic: string, listenerFn: EventListener<E>) => local.subscribe(topic, listenerFn),
    listenerCount: (topic?: string) => local.listenerCount(topic),
    async close() {
      await listener.end();
      await notifier.end();
    },
  };
}

/**
 * Agora's requests per second per App ID, shared by every instance: a sliding window in
 * PostgreSQL, taken under a transaction-scoped advisory lock, on the database's clock. As in the
 * local budget, a slot is held until its answer plus the window.
 */
export async function createPostgresRateBudget(options: { url: string; schema: string; appId: string; limit: number; windowMs: number; clock: Clock }): Promise<RateBudget & { close(): Promise<void> }> {
  const pool = new pg.Pool({ connectionString: options.url, max: 4, options: `-c search_path=${options.schema}` });
  await pool.query('create table if not exists agora_request_log (app_id text not null, at_ms bigint not null)');
  await pool.query('alter table agora_request_log add column if not exists id bigserial');
  await pool.query('create index if not exists agora_request_log_app_at on agora_request_log (app_id, at_ms)');
  /** A slot is held until its answer plus the window; while in flight it counts as answered this far ahead. */
  const IN_FLIGHT_MS = 60_000;
  const answered = (id: string) => () =>
    void pool.query('update agora_request_log set at_ms = (extract(epoch from clock_timestamp()) * 1000)::bigint where id = $1', [id]).catch(() => undefined);
  const tryTake = async (): Promise<number | (() => void)> => {
    const client = await pool.connect();
    try {
      await client.query('begin');
      await client.query('select pg_advisory_xact_lock(hashtext($1))', [`agora-budget:${options.appId}`]);
      const now = Number((await client.query<{ now: string }>('select (extract(epoch from clock_timestamp()) * 1000)::bigint as now')).rows[0]!.now);
      await client.query('delete from agora_request_log where app_id = $1 and at_ms <= $2', [options.appId, now - options.windowMs]);
      const recent = await client.query<{ count: string; oldest: string | null }>(
        'select count(*) as count, min(at_ms) as oldest from agora_request_log where app_id = $1',
        [options.appId],
      );
      const count = Number(recent.rows[0]!.count);
      if (count < options.limit) {
        const inserted = await client.query<{ id: string }>('insert into agora_request_log (app_id, at_ms) values ($1, $2) returning id', [options.appId, now + IN_FLIGHT_MS]);
        await client.query('commit');
        return answered(inserted.rows[0]!.id);
      }
      await client.query('commit');
      return Math.max(1, Number(recent.rows[0]!.oldest) + options.windowMs - now + 1);
    } catch (error) {
      await client.query('rollback').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  };
  return {
    async take(signal) {
      for (;;) {
        const outcome = await tryTake();
        if (typeof outcome === 'function') return outcome;
        await options.clock.sleep(Math.min(outcome, 250), signal);
      }
    },
    close: () => pool.end(),
  };
}
