import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Kysely, SqliteDialect } from 'kysely';
import Database from 'libsql';
import { createKyselyRegistry, migrate } from './registry-db.js';
import { withStatementCache } from './statement-cache.js';
import type { Database as Schema } from './schema.js';
import type { Registry } from './registry.js';

/**
 * The embedded registry: one SQLite file (libsql, better-sqlite3's API) or `:memory:`.
 * WAL mode so readers (watchers, list) do not block the poller's writes.
 */
export async function createSqliteStore(file: string): Promise<Registry> {
  if (file !== ':memory:') await mkdir(dirname(file), { recursive: true });
  const database = new Database(file);
  if (file !== ':memory:') database.exec('PRAGMA journal_mode = WAL');
  // In WAL mode NORMAL is safe against a crash of the process (only a power cut may lose the last
  // transactions) and skips an fsync per write: a recording start writes four times.
  database.exec('PRAGMA synchronous = NORMAL');
  database.exec('PRAGMA foreign_keys = ON');
  database.exec('PRAGMA busy_timeout = 5000');
  const db = new Kysely<Schema>({ dialect: new SqliteDialect({ database: withStatementCache(database) }) });
  await migrate(db, 'sqlite');
  return createKyselyRegistry(db, 'sqlite', () => db.destroy());
}
