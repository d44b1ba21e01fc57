import { Migrator, type Kysely } from 'kysely';
import type { Database } from './schema.js';
import { migrations } from './migrations.js';
import type { Registry } from './registry.js';
import { createRecordingTable } from './recording-table.js';
import { createTranscriptionTable } from './transcription-table.js';
import { createAgentTable } from './agent-table.js';
import { createBanTable } from './ban-table.js';
import { createPresenceTable } from './presence-table.js';

/** Runs the migrations; call once before using the store. */
export async function migrate(db: Kysely<Database>, dialect: 'sqlite' | 'postgres', schema?: string): Promise<void> {
  // With a schema named, Kysely keeps its migration tables there too (not in whichever schema
  // already has them).
  const migrator = new Migrator({ db, provider: migrations(dialect), ...(schema ? { migrationTableSchema: schema } : {}) });
  const { error } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error('migration failed');
}

/** The registry on any Kysely database with our schema (SQLite and PostgreSQL alike): every kind's table, built the same way. */
export function createKyselyRegistry(db: Kysely<Database>, dialect: 'sqlite' | 'postgres', onClose: () => Promise<void>): Registry {
  return {
    recordings: createRecordingTable(db),
    transcriptions: createTranscriptionTable(db),
    agents: createAgentTable(db, dialect),
    bans: createBanTable(db),
    presence: createPresenceTable(db, dialect),
    async rememberNotice(noticeId, now, ttlMs) {
      // Forget notices past their time now and then, not on every call.
      if (Math.random() < 0.01)
        await db
          .deleteFrom('webhook_notices')
          .where('seen_at', '<', now - ttlMs)
          .execute();
      const inserted = await db
        .insertInto('webhook_notices')
        .values({ notice_id: noticeId, seen_at: now })
        .onConflict((conflict) => conflict.column('notice_id').doNothing())
        .returning('notice_id')
        .executeTakeFirst();
      if (inserted) return true;
      // Seen before: a duplicate, unless so long ago that it counts as new (then remember it anew).
      const refreshed = await db
        .updateTable('webhook_notices')
        .set({ seen_at: now })
        .where('notice_id', '=', noticeId)
        .where('seen_at', '<', now - ttlMs)
        .returning('notice_id')
        .executeTakeFirst();
      return refreshed !== undefined;
    },

    async ping() {
      try {
        await db.selectFrom('recordings').select('id').limit(1).execute();
        return true;
      } catch {
        return false;
      }
    },

    close: onClose,
  };
}
