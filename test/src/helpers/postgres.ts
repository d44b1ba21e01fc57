import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll } from 'vitest';

/** The machine's PostgreSQL (TEST_DATABASE_URL to use another). */
export const DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** A schema of the test file's own (`prefix_<random>`), dropped with everything in it after the file's tests. */
export function freshSchema(prefix: string): string {
  const schema = `${prefix}_${randomBytes(6).toString('hex')}`;
  afterAll(async () => {
    const client = new pg.Client({ connectionString: DATABASE_URL });
    await client.connect();
    await client.query(`drop schema if exists ${schema} cascade`);
    await client.end();
  });
  return schema;
}
