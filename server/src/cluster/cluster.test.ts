import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { systemClock } from '../clock.js';
import { createSilentLogger } from '../logger.js';
import { createPostgresLeases, createPostgresRateBudget } from './index.js';

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
    const members = [await createPostgresLeases({ url: DATABASE_URL, namespace: schema, logger, clock: systemClock }), await createPostgresLeases({ url: DATABASE_URL, namespace: schema, logger, clock: systemClock })];
    const options = { url: DATABASE_URL, schema, appId: `app-${schema}`, limit: 10, windowMs: 1_000, clock: systemClock, logger };
    const [one, two] = await Promise.all(members.map((member) => createPostgresRateBudget({ ...options, member: { id: member.memberId, class: member.memberClass } })));
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
