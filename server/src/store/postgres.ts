import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { createKyselyRegistry, migrate } from './registry-db.js';
import type { Database as Schema } from './schema.js';
import type { Registry } from './registry.js';
import type { Logger } from '../logger.js';
import { errorMessage, keepPoolSessions } from './database-errors.js';

export interface PostgresStoreOptions {
  /** `postgres://user@host:port/database` (DATABASE_URL). */
  url: string;
  /** A schema of its own (created if missing); default `public`. Tests use one per run. */
  schema?: string;
  poolSize?: number;
  /** Where a lost idle connection is reported (the pool replaces it). */
  logger?: Logger;
  /** PostgreSQL's application_name for the pool's sessions (which instance, which role: pg_stat_activity). */
  applicationName?: string;
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * The registry on PostgreSQL, for several instances behind a load balancer: the same Kysely
 * store and migrations as SQLite, on a pg pool.
 */
export async function createPostgresStore(options: PostgresStoreOptions): Promise<Registry & { pool: pg.Pool; schema: string }> {
  const schema = options.schema ?? 'public';
  if (!SCHEMA_NAME.test(schema)) throw new Error(`invalid schema name "${schema}"`);
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolSize ?? 10,
    connectionTimeoutMillis: 5_000,
    ...(options.applicationName ? { application_name: options.applicationName } : {}),
    // Every connection works in the store's schema.
    options: `-c search_path=${schema}`,
  });
  // A session the server ends (a restart, pg_terminate_backend), idle or in use: unhandled, its
  // error would end the process. The pool drops it and opens another.
  keepPoolSessions(pool, (error) =>
    options.logger?.warn({ err: errorMessage(error) }, 'an idle PostgreSQL connection (registry) was lost'),
  );
  const db = new Kysely<Schema>({ dialect: new PostgresDialect({ pool }) });
  // Instances starting together on a new schema race to create it: the loser finds it made.
  await sql`create schema if not exists ${sql.id(schema)}`.execute(db).catch(async (error: unknown) => {
    if (!(typeof error === 'object' && error !== null && 'code' in error && error.code === '23505')) throw error;
    await sql`create schema if not exists ${sql.id(schema)}`.execute(db);
  });
  await migrate(db, 'postgres', schema);
  const store = createKyselyRegistry(db, 'postgres', () => db.destroy());
  return Object.assign(store, { pool, schema });
}
