import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { createKyselyStore, migrate } from './kysely-store.js';
import type { Database as Schema } from './schema.js';
import type { RecordingStore } from './types.js';

export interface PostgresStoreOptions {
  /** `postgres://user@host:port/database` (DATABASE_URL). */
  url: string;
  /** A schema of its own (created if missing); default `public`. Tests use one per run. */
  schema?: string;
  poolSize?: number;
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * The registry on PostgreSQL, for several instances behind a load balancer: the same Kysely
 * store and migrations as SQLite, on a pg pool.
 */
export async function createPostgresStore(options: PostgresStoreOptions): Promise<RecordingStore & { pool: pg.Pool; schema: string }> {
  const schema = options.schema ?? 'public';
  if (!SCHEMA_NAME.test(schema)) throw new Error(`invalid schema name "${schema}"`);
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolSize ?? 10,
    // Every connection works in the store's schema.
    options: `-c search_path=${schema}`,
  });
  const db = new Kysely<Schema>({ dialect: new PostgresDialect({ pool }) });
  await sql`create schema if not exists ${sql.id(schema)}`.execute(db);
  await migrate(db, 'postgres', schema);
  const store = createKyselyStore(db, () => db.destroy());
  return Object.assign(store, { pool, schema });
}
