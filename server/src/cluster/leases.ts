import { randomInt } from 'node:crypto';
import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import { createKeptConnection } from './kept-connection.js';
import type { Leases } from './types.js';

/** A positive 31-bit number for a namespace: the class of its membership locks (two-int form). */
export function membershipClass(namespace: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < namespace.length; index++) hash = Math.imul(hash ^ namespace.charCodeAt(index), 0x01000193);
  return (hash >>> 1) & 0x7fffffff;
}

/** Membership locks of a namespace held by live sessions, as SQL over pg_locks ($1: the class). */
export const LIVE_MEMBERS_SQL = `select objid::bigint as member from pg_locks
  where locktype = 'advisory' and objsubid = 2 and granted and classid = $1::bigint::oid
    and database = (select oid from pg_database where datname = current_database())`;

export interface PostgresLeasesOptions {
  url: string;
  namespace: string;
  logger: Logger;
  clock: Clock;
  /** PostgreSQL's application_name for the lease session (operators tell sessions apart by it). */
  applicationName?: string;
}

/**
 * Leases as PostgreSQL session advisory locks on one dedicated, kept connection. If this instance
 * dies, its session ends and every lock it held is free for another instance. If the session is
 * lost while the instance lives (terminated, a restart), the instance learns it at once: `signal()`
 * aborts, every lease counts as gone, and a new session is opened with backoff; leases are then
 * taken again like any other (docs/architecture.md, "Several instances").
 *
 * Each session also holds a membership lock (class `membershipClass(namespace)`, this instance's
 * `memberId`), so that instances can count each other and the rate budget can tell a live
 * instance's requests from a dead one's.
 */
export async function createPostgresLeases(options: PostgresLeasesOptions): Promise<Leases & { memberId: number; memberClass: number }> {
  const held = new Set<string>();
  const memberClass = membershipClass(`members:${options.namespace}`);
  const memberId = randomInt(1, 0x7fffffff);
  let lost = new AbortController();
  const connection = await createKeptConnection({
    url: options.url,
    name: 'lease',
    logger: options.logger,
    clock: options.clock,
    ...(options.applicationName ? { clientOptions: { application_name: options.applicationName } } : {}),
    onConnect: async (client) => {
      await client.query('select pg_advisory_lock($1::int, $2::int)', [memberClass, memberId]);
      lost = new AbortController();
    },
    onDown: () => {
      // Every lock went with the session: nobody here may act under one from now on.
      held.clear();
      lost.abort(new Error('the lease session was lost'));
    },
  });
  const lockKey = (key: string) => `${options.namespace}:${key}`;

  return {
    memberId,
    memberClass,
    async tryAcquire(key) {
      if (held.has(key) && connection.isUp()) return true;
      try {
        return await connection.run(async (client) => {
          const session = lost.signal;
          const result = await client.query<{ locked: boolean }>('select pg_try_advisory_lock(hashtext($1)) as locked', [lockKey(key)]);
          // Taken on a session that still lives: else it went with that session.
          if (result.rows[0]?.locked !== true || session.aborted) return false;
          held.add(key);
          return true;
        });
      } catch {
        return false;
      }
    },
    async release(key) {
      if (!held.delete(key)) return;
      await connection
        .run(async (client) => {
          await client.query('select pg_advisory_unlock(hashtext($1))', [lockKey(key)]);
        })
        .catch(() => undefined);
    },
    async verify(key) {
      if (!held.has(key)) return false;
      const session = lost.signal;
      try {
        // A round trip on the session proves it lives, and a live session keeps its locks.
        await connection.run((client) => client.query('select 1'));
      } catch {
        return false;
      }
      return held.has(key) && !session.aborted;
    },
    signal: () => lost.signal,
    async members() {
      try {
        const result = await connection.run((client) => client.query(LIVE_MEMBERS_SQL, [memberClass]));
        return Math.max(1, result.rowCount ?? 1);
      } catch {
        return 1;
      }
    },
    healthy: () => connection.isUp(),
    async close() {
      held.clear();
      await connection.close();
    },
  };
}
