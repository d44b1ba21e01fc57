import type { Kysely, Selectable } from 'kysely';
import type { Database } from './schema.js';

/** A ban rule this server made (channel.kick, channel.ban): Agora's id, its targets, who made it and why. */
export interface BanRecord {
  id: number;
  channel: string | undefined;
  uid: number | undefined;
  ip: string | undefined;
  /** Agora's privilege names. */
  privileges: string[];
  seconds: number;
  createdBy: string;
  reason: string | undefined;
  createdAt: number;
  expiresAt: number | undefined;
  /** When it was removed through this server (channel.unban). */
  removedAt: number | undefined;
}

/** The registry's ban rules: kept so a ban says who made it and why, across restarts and instances. */
export interface BanTable {
  /** Keeps a rule; a rule id already kept (a settled create) is left as it was. */
  record(ban: Omit<BanRecord, 'removedAt'>): Promise<void>;
  get(id: number): Promise<BanRecord | undefined>;
  /** The rules among `ids` that are kept. */
  many(ids: readonly number[]): Promise<BanRecord[]>;
  setExpiry(id: number, seconds: number, expiresAt: number | undefined): Promise<void>;
  markRemoved(id: number, at: number): Promise<void>;
}

type Row = Database['channel_bans'];
const optionalNumber = (value: number | string | null): number | undefined => (value === null ? undefined : Number(value));

function toRecord(row: Selectable<Row>): BanRecord {
  const privileges: unknown = JSON.parse(row.privileges);
  return {
    id: Number(row.id),
    channel: row.channel ?? undefined,
    uid: optionalNumber(row.uid),
    ip: row.ip ?? undefined,
    privileges: Array.isArray(privileges) ? privileges.filter((item): item is string => typeof item === 'string') : [],
    seconds: row.seconds,
    createdBy: row.created_by,
    reason: row.reason ?? undefined,
    createdAt: Number(row.created_at),
    expiresAt: optionalNumber(row.expires_at),
    removedAt: optionalNumber(row.removed_at),
  };
}

/** The ban table on any Kysely database with our schema (SQLite and PostgreSQL alike). */
export function createBanTable(db: Kysely<Database>): BanTable {
  return {
    async record(ban) {
      await db
        .insertInto('channel_bans')
        .values({
          id: ban.id,
          channel: ban.channel ?? null,
          uid: ban.uid ?? null,
          ip: ban.ip ?? null,
          privileges: JSON.stringify(ban.privileges),
          seconds: ban.seconds,
          created_by: ban.createdBy,
          reason: ban.reason ?? null,
          created_at: ban.createdAt,
          expires_at: ban.expiresAt ?? null,
          removed_at: null,
        })
        .onConflict((conflict) => conflict.column('id').doNothing())
        .execute();
    },
    async get(id) {
      const row = await db.selectFrom('channel_bans').selectAll().where('id', '=', id).executeTakeFirst();
      return row ? toRecord(row) : undefined;
    },
    async many(ids) {
      if (ids.length === 0) return [];
      const rows = await db
        .selectFrom('channel_bans')
        .selectAll()
        .where('id', 'in', [...ids])
        .execute();
      return rows.map(toRecord);
    },
    async setExpiry(id, seconds, expiresAt) {
      await db
        .updateTable('channel_bans')
        .set({ seconds, expires_at: expiresAt ?? null })
        .where('id', '=', id)
        .execute();
    },
    async markRemoved(id, at) {
      await db.updateTable('channel_bans').set({ removed_at: at }).where('id', '=', id).execute();
    },
  };
}
