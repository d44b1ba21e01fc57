import type { SqliteDatabase, SqliteStatement } from 'kysely';
import { describe, expect, it } from 'vitest';
import { withStatementCache } from './statement-cache.js';

/** A database that counts prepares and closes; its statements only carry their SQL. */
function countingDatabase() {
  const prepared: string[] = [];
  let closed = 0;
  const database: SqliteDatabase = {
    prepare(sql) {
      prepared.push(sql);
      return { sql, reader: sql.startsWith('select') } as unknown as SqliteStatement;
    },
    close() {
      closed++;
    },
  };
  return { database, prepared, closed: () => closed };
}

describe('withStatementCache', () => {
  it('prepares each SQL text once and hands back the same statement', () => {
    const { database, prepared } = countingDatabase();
    const cached = withStatementCache(database);
    const first = cached.prepare('select * from recordings where id = ?');
    expect(cached.prepare('select * from recordings where id = ?')).toBe(first);
    cached.prepare('update recordings set state = ? where id = ?');
    expect(prepared).toEqual(['select * from recordings where id = ?', 'update recordings set state = ? where id = ?']);
  });

  it('keeps at most `limit` statements, dropping the oldest', () => {
    const { database, prepared } = countingDatabase();
    const cached = withStatementCache(database, 2);
    cached.prepare('select 1');
    cached.prepare('select 2');
    cached.prepare('select 3'); // evicts "select 1"
    cached.prepare('select 2'); // still cached
    cached.prepare('select 1'); // prepared again
    expect(prepared).toEqual(['select 1', 'select 2', 'select 3', 'select 1']);
  });

  it('closes the database it wraps', () => {
    const { database, closed } = countingDatabase();
    withStatementCache(database).close();
    expect(closed()).toBe(1);
  });
});
