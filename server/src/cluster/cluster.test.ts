import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { systemClock } from '../clock.js';
import { createSilentLogger } from '../logger.js';
import { createPostgresBus, createPostgresLeases, createPostgresRateBudget } from './index.js';

const DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const schema = `budget_${randomBytes(6).toString('hex')}`;
afterAll(async () => {
  const client = new pg.Client({ connectionString: DATABASE_URL });
  await client.connect();
  await client.query(`drop schema if exists ${schema} cascade`);
  await client.end();
});

describe('cluster coordination on PostgreSQL', () => {
  it('grants a lease to one instance at a time, and frees it when the holder goes', async () => {
    const logger = createSilentLogger();
    const a = await createPostgresLeases({ url: DATABASE_URL, namespace: schema, logger, clock: systemClock });
    const b = await createPostgresLeases({ url: DATABASE_URL, namespace: schema, logger, clock: systemClock });
    expect(await a.tryAcquire('poll:rec1')).toBe(true);
    expect(await a.tryAcquire('poll:rec1')).toBe(true);
    expect(await b.tryAcquire('poll:rec1')).toBe(false);
    expect(await b.tryAcquire('poll:rec2')).toBe(true);
    await a.close();
    expect(await b.tryAcquire('poll:rec1')).toBe(true);
    await b.release('poll:rec1');
    await b.close();
  });

  it('keeps two instances together under 10 requests in any second', async () => {
    const client = new pg.Client({ connectionString: DATABASE_URL });
    await client.connect();
    await client.query(`create schema if not exists ${schema}`);
    await client.end();
    const logger = createSilentLogger();
    // Each budget counts its slots while its instance's membership (a lease session) lives.
    const members = [
      await createPostgresLeases({ url: DATABASE_URL, namespace: schema, logger, clock: systemClock }),
      await createPostgresLeases({ url: DATABASE_URL, namespace: schema, logger, clock: systemClock }),
    ];
    const options = { url: DATABASE_URL, schema, appId: `app-${schema}`, limit: 10, windowMs: 1_000, clock: systemClock, logger };
    const [one, two] = await Promise.all(
      members.map((member) => createPostgresRateBudget({ ...options, member: { id: member.memberId, class: member.memberClass } })),
    );
    const sent: number[] = [];
    await Promise.all(
      Array.from({ length: 25 }, (_, i) =>
        (i % 2 === 0 ? one! : two!).take().then((answered) => {
          sent.push(Date.now());
          answered?.();
        }),
      ),
    );
    await one!.close();
    await two!.close();
    for (const member of members) await member.close();
    expect(sent).toHaveLength(25);
    sent.sort((x, y) => x - y);
    for (const start of sent) {
      // A little slack for the time between the database's clock and ours.
      expect(sent.filter((time) => time >= start && time < start + 950).length).toBeLessThanOrEqual(10);
    }
    expect(sent.at(-1)! - sent[0]!).toBeGreaterThanOrEqual(1_900);
  });
});

/** Ends sessions as an operator's pg_terminate_backend (or a database restart) would. */
async function terminate(where: string, params: unknown[] = []): Promise<number> {
  const admin = new pg.Client({ connectionString: DATABASE_URL });
  await admin.connect();
  try {
    const result = await admin.query(`select pg_terminate_backend(pid) from (${where}) as sessions`, params);
    return result.rowCount ?? 0;
  } finally {
    await admin.end();
  }
}
const leaseSessionOf = (memberId: number) =>
  terminate(`select pid from pg_locks where locktype = 'advisory' and objsubid = 2 and objid = $1::bigint::oid`, [memberId]);

describe('when PostgreSQL ends a session', () => {
  it('a lost lease session aborts its signal at once, its leases are gone, and it comes back on a new session', async () => {
    const logger = createSilentLogger();
    const a = await createPostgresLeases({ url: DATABASE_URL, namespace: `${schema}-loss`, logger, clock: systemClock });
    const b = await createPostgresLeases({ url: DATABASE_URL, namespace: `${schema}-loss`, logger, clock: systemClock });
    try {
      expect(await a.tryAcquire('poll:rec1')).toBe(true);
      expect(await a.verify('poll:rec1')).toBe(true);
      expect(await a.members()).toBe(2);
      const session = a.signal();
      expect(await leaseSessionOf(a.memberId)).toBe(1);
      await expect.poll(() => session.aborted).toBe(true);
      // Nothing remembered: the lease went with the session, and another instance may take it.
      expect(await a.verify('poll:rec1')).toBe(false);
      expect(await b.tryAcquire('poll:rec1')).toBe(true);
      await expect.poll(() => a.healthy(), { timeout: 10_000 }).toBe(true);
      expect(a.signal().aborted).toBe(false);
      expect(await a.tryAcquire('poll:rec1')).toBe(false);
      expect(await a.tryAcquire('poll:rec2')).toBe(true);
      expect(await a.members()).toBe(2);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('passes pokes between instances; a lost LISTEN session reconnects and delivers what was written meanwhile, each event once and in order', async () => {
    const logger = createSilentLogger();
    const log: { id: number; topic: string }[] = [];
    const options = {
      url: DATABASE_URL,
      channel: `${schema}_bus`,
      readAfter: (topic: string, afterId: number) => Promise.resolve(log.filter((event) => event.topic === topic && event.id > afterId)),
      topicOf: (event: { topic: string }) => event.topic,
      logger,
      clock: systemClock,
    };
    const listenPids = async () => {
      const admin = new pg.Client({ connectionString: DATABASE_URL });
      await admin.connect();
      const result = await admin.query<{ pid: number }>(`select pid from pg_stat_activity where query like $1`, [
        `listen ${options.channel}%`,
      ]);
      await admin.end();
      return result.rows.map((row) => row.pid);
    };
    const a = await createPostgresBus({ ...options, instanceId: 'a' });
    const before = await listenPids();
    const b = await createPostgresBus({ ...options, instanceId: 'b' });
    const bPid = (await listenPids()).filter((pid) => !before.includes(pid));
    expect(bPid).toHaveLength(1);
    const seen: number[] = [];
    const unsubscribe = b.subscribe('rec1', (event) => seen.push(event.id));
    const write = (id: number) => {
      log.push({ id, topic: 'rec1' });
      a.publish({ id, topic: 'rec1' });
    };
    const poked: string[] = [];
    a.onPoke?.((taskId) => poked.push(taskId));
    try {
      // A notice that reached B for a task A polls is passed on to A.
      b.poke?.('rec1');
      await expect.poll(() => poked).toEqual(['rec1']);
      write(1);
      await expect.poll(() => seen).toEqual([1]);
      expect(await terminate('select $1::int as pid', [bPid[0]])).toBe(1);
      await expect.poll(() => b.healthy()).toBe(false);
      write(2);
      write(3);
      await expect.poll(() => b.healthy(), { timeout: 10_000 }).toBe(true);
      await expect.poll(() => seen).toEqual([1, 2, 3]);
      write(4);
      await expect.poll(() => seen).toEqual([1, 2, 3, 4]);
    } finally {
      unsubscribe();
      await a.close();
      await b.close();
    }
  });

  it("frees a dead instance's in-flight slots at once instead of a minute later", async () => {
    const logger = createSilentLogger();
    const [dying, living] = [
      await createPostgresLeases({ url: DATABASE_URL, namespace: `${schema}-slots`, logger, clock: systemClock }),
      await createPostgresLeases({ url: DATABASE_URL, namespace: `${schema}-slots`, logger, clock: systemClock }),
    ];
    const options = { url: DATABASE_URL, schema, appId: `slots-${schema}`, limit: 2, windowMs: 1_000, clock: systemClock, logger };
    const one = await createPostgresRateBudget({ ...options, member: { id: dying.memberId, class: dying.memberClass } });
    const two = await createPostgresRateBudget({ ...options, member: { id: living.memberId, class: living.memberClass } });
    try {
      // Two requests in flight on the instance that then dies (kill -9: its answers never come).
      await one.take();
      await one.take();
      const waiting = two.take(AbortSignal.timeout(10_000));
      await new Promise((resolve) => setTimeout(resolve, 300));
      await dying.close();
      const started = Date.now();
      await waiting;
      expect(Date.now() - started).toBeLessThan(3_000);
    } finally {
      await one.close();
      await two.close();
      await living.close();
    }
  });
});
