import pg from 'pg';
import { backgroundLimit, createQueuedBudget, type RateBudget, type RequestPriority } from '../agora/index.js';
import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import { errorMessage, keepPoolSessions } from '../store/database-errors.js';
import { LIVE_MEMBERS_SQL } from './leases.js';

export interface PostgresRateBudgetOptions {
  url: string;
  schema: string;
  appId: string;
  limit: number;
  windowMs: number;
  clock: Clock;
  logger: Logger;
  /** This instance's membership lock (leases): its slots count only while it lives. */
  member: { id: number; class: number };
  /** PostgreSQL's application_name for the budget's pool. */
  applicationName?: string;
}

/** A slot is held until its answer plus the window; while in flight it counts as answered this far ahead. */
const IN_FLIGHT_MS = 60_000;
/** How often a waiting instance asks the database again when it cannot say when a slot frees. */
const RECHECK_MS = 250;

/** The request log, created by the first instance: instances starting together take turns. */
async function createTable(pool: pg.Pool): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('begin');
    await client.query("select pg_advisory_xact_lock(hashtext('agora-request-log-ddl'))");
    await client.query('create table if not exists agora_request_log (app_id text not null, at_ms bigint not null)');
    await client.query('alter table agora_request_log add column if not exists id bigserial');
    await client.query('alter table agora_request_log add column if not exists holder bigint');
    await client.query('create index if not exists agora_request_log_app_at on agora_request_log (app_id, at_ms)');
    await client.query('commit');
  } catch (error) {
    await client.query('rollback').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

/**
 * Agora's requests per second per App ID, shared by every instance: a sliding window in
 * PostgreSQL, taken under a transaction-scoped advisory lock, on the database's clock. As in the
 * local budget, a slot is held until its answer plus the window, background polls never take the
 * last quarter of a window, and each instance queues its callers ahead of its polls. A slot still
 * in flight for an instance that has died (its membership lock is gone) is dropped at once, so a
 * kill -9 does not shrink the cluster's budget for a minute.
 */
export async function createPostgresRateBudget(options: PostgresRateBudgetOptions): Promise<RateBudget & { close(): Promise<void> }> {
  const pool = new pg.Pool({
    connectionString: options.url,
    max: 4,
    connectionTimeoutMillis: 5_000,
    options: `-c search_path=${options.schema}`,
    ...(options.applicationName ? { application_name: options.applicationName } : {}),
  });
  keepPoolSessions(pool, (error) =>
    options.logger.warn({ err: errorMessage(error) }, 'an idle PostgreSQL connection (rate budget) was lost'),
  );
  await createTable(pool);
  const limits: Record<RequestPriority, number> = { user: options.limit, background: backgroundLimit(options.limit) };
  const answered = (id: string) => () =>
    void pool
      .query('update agora_request_log set at_ms = (extract(epoch from clock_timestamp()) * 1000)::bigint where id = $1', [id])
      .catch(() => undefined);

  const tryTake = async (priority: RequestPriority): Promise<number | (() => void)> => {
    const client = await pool.connect();
    try {
      await client.query('begin');
      await client.query('select pg_advisory_xact_lock(hashtext($1))', [`agora-budget:${options.appId}`]);
      const now = Number(
        (await client.query<{ now: string }>('select (extract(epoch from clock_timestamp()) * 1000)::bigint as now')).rows[0]!.now,
      );
      await client.query(
        `delete from agora_request_log where app_id = $1 and (at_ms <= $2
           or (at_ms > $3 and holder is not null and holder not in (${LIVE_MEMBERS_SQL.replace('$1', '$4')})))`,
        [options.appId, now - options.windowMs, now, options.member.class],
      );
      const recent = await client.query<{ at_ms: string }>('select at_ms from agora_request_log where app_id = $1 order by at_ms', [
        options.appId,
      ]);
      const limit = limits[priority];
      if (recent.rows.length < limit) {
        const inserted = await client.query<{ id: string }>(
          'insert into agora_request_log (app_id, at_ms, holder) values ($1, $2, $3) returning id',
          [options.appId, now + IN_FLIGHT_MS, options.member.id],
        );
        await client.query('commit');
        return answered(inserted.rows[0]!.id);
      }
      await client.query('commit');
      // The (count - limit + 1)-th slot to free is the one this request waits for.
      const frees = Number(recent.rows[recent.rows.length - limit]!.at_ms) + options.windowMs - now + 1;
      return Math.max(1, Math.min(frees, RECHECK_MS));
    } catch (error) {
      await client.query('rollback').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  };
  const budget = createQueuedBudget(tryTake, options.clock, RECHECK_MS);
  return {
    take: (signal, priority) => budget.take(signal, priority),
    close: () => pool.end(),
  };
}
