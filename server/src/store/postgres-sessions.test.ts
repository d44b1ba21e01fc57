import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { systemClock } from '../clock.js';
import { createPostgresLeases, createPostgresRateBudget } from '../cluster/index.js';
import { createSilentLogger } from '../logger.js';
import { createPostgresStore } from './postgres.js';

const DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const schema = `sessions_${randomBytes(6).toString('hex')}`;
const admin = new pg.Pool({ connectionString: DATABASE_URL, max: 1 });
afterAll(async () => {
  await admin.query(`drop schema if exists ${schema} cascade`);
  await admin.end();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Ends every session named `name` from the server's side, as a restart or an operator does. */
async function terminate(name: string): Promise<number> {
  const result = await admin.query<{ count: string }>(
    'select count(pg_terminate_backend(pid)) as count from pg_stat_activity where application_name = $1',
    [name],
  );
  return Number(result.rows[0]!.count);
}

// A session lost while a pool's client is checked out (inside a transaction, or between two of its
// statements) raised an 'error' event nobody listened to: the process died of it (bench/soak-cluster.ts).
describe('PostgreSQL sessions lost while in use', () => {
  it('fail the registry call that was using them, not the process; the registry carries on', async () => {
    const name = `registry-${schema}`;
    const store = await createPostgresStore({ url: DATABASE_URL, schema, applicationName: name, logger: createSilentLogger() });
    try {
      const client = await store.pool.connect();
      await client.query('begin');
      expect(await terminate(name)).toBeGreaterThan(0);
      // The session ends while nothing runs on it: the client hears of it from its socket.
      await sleep(200);
      await expect(client.query('select 1')).rejects.toThrow();
      client.release(true);
      await sleep(100);
      expect(await store.ping()).toBe(true);
      expect(await store.recordings.get('nothing')).toBeUndefined();
    } finally {
      await store.close();
    }
  });

  it('fail a rate budget take that was using them, not the process; later takes succeed', async () => {
    const name = `budget-${schema}`;
    const logger = createSilentLogger();
    await admin.query(`create schema if not exists ${schema}`);
    const leases = await createPostgresLeases({ url: DATABASE_URL, namespace: schema, logger, clock: systemClock });
    const budget = await createPostgresRateBudget({
      url: DATABASE_URL,
      schema,
      appId: `app-${schema}`,
      limit: 1_000,
      windowMs: 1_000,
      clock: systemClock,
      logger,
      member: { id: leases.memberId, class: leases.memberClass },
      applicationName: name,
    });
    try {
      // Takes hold a pool client through a transaction of several statements: cut them meanwhile.
      const takes = Array.from({ length: 60 }, (_, index) =>
        sleep(index * 5)
          .then(() => budget.take())
          .then(
            (answered) => answered?.(),
            () => undefined,
          ),
      );
      for (let cut = 0; cut < 5; cut++) {
        await sleep(40);
        await terminate(name);
      }
      await Promise.all(takes);
      await sleep(100);
      const answered = await budget.take();
      answered?.();
    } finally {
      await budget.close();
      await leases.close();
    }
  });
});
