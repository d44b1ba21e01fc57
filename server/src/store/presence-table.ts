import type { Kysely, Selectable, Transaction } from 'kysely';
import type { Database } from './schema.js';

/**
 * Presence: who is in which channel, from Agora's channel event notices and reconciliation with its
 * user list (docs/agora.md, "Presence"). Every change of a channel runs in one transaction holding
 * the channel's row (PostgreSQL: `FOR UPDATE`; SQLite has one writer), so instances receiving
 * notices of one channel at once apply them one after the other.
 */

export type PresenceRole = 'communication' | 'host' | 'audience';
export type PresenceSource = 'event' | 'reconciled';

/** One notice about one user, in Agora's order: `ts` (Unix ms, from Agora's seconds) then `seq` (clientSeq). */
export interface PresenceChange {
  channel: string;
  uid: number;
  kind: 'join' | 'leave' | 'role';
  role: PresenceRole;
  platform: number | undefined;
  ts: number;
  seq: number;
  /** Why a leave happened, in words (`quit`, `banned`, …). */
  reason: string | undefined;
}

/** A change presence applied: what channel.watch streams, with its log id. */
export interface PresenceEvent {
  id: number;
  channel: string;
  uid: number;
  kind: 'join' | 'leave' | 'role';
  role: PresenceRole;
  platform: number | undefined;
  at: number;
  reason: string | undefined;
  source: PresenceSource;
}

export interface PresenceMember {
  uid: number;
  role: PresenceRole;
  platform: number | undefined;
  joinedAt: number;
  source: PresenceSource;
}

export interface PresenceSession {
  channel: string;
  uid: number;
  role: PresenceRole;
  platform: number | undefined;
  joinedAt: number;
  leftAt: number | undefined;
  leaveReason: string | undefined;
  source: PresenceSource;
}

/** Agora's user list of a channel as reconciliation reads it. */
export type ListedMembers =
  | { exists: false }
  | {
      exists: true;
      members: Map<number, PresenceRole>;
      /** Agora listed only part of the audience: an audience member missing from the list may still be there. */
      audiencePartial: boolean;
    };

export interface PresenceTable {
  /**
   * Applies one user's notice if it is newer (ts, then clientSeq) than the newest applied for that
   * user; the events it made (none for a stale, repeated or no-op notice).
   */
  apply(change: PresenceChange, now: number): Promise<PresenceEvent[]>;
  /** Agora says the channel ended at `ts`: whoever has no newer notice leaves (`channel_destroyed`). */
  destroy(channel: string, ts: number, now: number): Promise<PresenceEvent[]>;
  /**
   * Makes the registry agree with Agora's list, read at `sentAt`: members nobody changed since then
   * join or leave (`reconciled`). Undefined when a reconciliation newer than `sentAt` came first.
   */
  reconcile(channel: string, listed: ListedMembers, sentAt: number, now: number): Promise<PresenceEvent[] | undefined>;
  /** The members now and the id of the channel's newest event, read together. */
  snapshot(channel: string): Promise<{ members: PresenceMember[]; lastEventId: number }>;
  eventsAfter(channel: string, afterId: number): Promise<PresenceEvent[]>;
  /** When the channel was last reconciled (Unix ms), if ever. */
  reconciledAt(channel: string): Promise<number | undefined>;
  /** Channels with someone in them. */
  channelsWithMembers(): Promise<string[]>;
  /** Sessions newest first: one user's or everyone's, those open at or begun after `since`. */
  sessions(
    channel: string,
    filter: { uid?: number | undefined; since?: number | undefined; until?: number | undefined; limit: number },
  ): Promise<PresenceSession[]>;
  /**
   * Forgets history older than `before` (Unix ms): events that happened before it and stays that
   * ended before it. Who is in a channel now (members, open stays) is never forgotten.
   */
  prune(before: number): Promise<{ events: number; sessions: number }>;
}

type Db = Kysely<Database> | Transaction<Database>;
type MemberRow = Selectable<Database['presence_members']>;
const num = (value: number | string) => Number(value);
const optional = (value: number | string | null) => (value === null ? undefined : Number(value));
const roleOf = (value: string): PresenceRole => (value === 'host' || value === 'audience' ? value : 'communication');
const sourceOf = (value: string): PresenceSource => (value === 'reconciled' ? 'reconciled' : 'event');
const kindOf = (value: string): PresenceEvent['kind'] => (value === 'leave' ? 'leave' : value === 'role' ? 'role' : 'join');

function toEvent(row: Selectable<Database['presence_events']>): PresenceEvent {
  return {
    id: num(row.id),
    channel: row.channel,
    uid: num(row.uid),
    kind: kindOf(row.kind),
    role: roleOf(row.role),
    platform: row.platform ?? undefined,
    at: num(row.at),
    reason: row.reason ?? undefined,
    source: sourceOf(row.source),
  };
}

/** (ts, seq) after (lastTs, lastSeq): the only notices applied. */
const newer = (change: { ts: number; seq: number }, row: MemberRow | undefined) => {
  if (!row || row.last_ts === null) return true;
  const lastTs = num(row.last_ts);
  return change.ts > lastTs || (change.ts === lastTs && change.seq > num(row.last_seq ?? 0));
};

/** The writes one change makes inside its channel's transaction. */
function createWriter(trx: Transaction<Database>, channel: string, now: number) {
  const events: PresenceEvent[] = [];
  const log = async (event: Omit<PresenceEvent, 'id' | 'channel'>) => {
    const row = await trx
      .insertInto('presence_events')
      .values({
        channel,
        uid: event.uid,
        kind: event.kind,
        role: event.role,
        platform: event.platform ?? null,
        at: event.at,
        reason: event.reason ?? null,
        source: event.source,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    events.push(toEvent(row));
  };
  return {
    events,
    async join(uid: number, role: PresenceRole, platform: number | undefined, at: number, source: PresenceSource) {
      await trx
        .updateTable('presence_members')
        .set({ present: 1, role, platform: platform ?? null, joined_at: at, source, changed_at: now })
        .where('channel', '=', channel)
        .where('uid', '=', uid)
        .execute();
      await trx
        .insertInto('presence_sessions')
        .values({ channel, uid, role, platform: platform ?? null, joined_at: at, left_at: null, leave_reason: null, source })
        .execute();
      await log({ uid, kind: 'join', role, platform, at, reason: undefined, source });
    },
    async leave(uid: number, role: PresenceRole, at: number, reason: string, source: PresenceSource) {
      await trx
        .updateTable('presence_members')
        .set({ present: 0, changed_at: now })
        .where('channel', '=', channel)
        .where('uid', '=', uid)
        .execute();
      await trx
        .updateTable('presence_sessions')
        .set({ left_at: at, leave_reason: reason })
        .where('channel', '=', channel)
        .where('uid', '=', uid)
        .where('left_at', 'is', null)
        .execute();
      await log({ uid, kind: 'leave', role, platform: undefined, at, reason, source });
    },
    async role(uid: number, role: PresenceRole, at: number, source: PresenceSource) {
      await trx
        .updateTable('presence_members')
        .set({ role, changed_at: now })
        .where('channel', '=', channel)
        .where('uid', '=', uid)
        .execute();
      await log({ uid, kind: 'role', role, platform: undefined, at, reason: undefined, source });
    },
  };
}

/** The presence tables on any Kysely database with our schema (SQLite and PostgreSQL alike). */
export function createPresenceTable(db: Kysely<Database>, dialect: 'sqlite' | 'postgres'): PresenceTable {
  /** Runs `work` holding the channel's row: another instance changing the same channel waits (PostgreSQL). */
  const inChannel = <T>(channel: string, now: number, work: (trx: Transaction<Database>) => Promise<T>) =>
    db.transaction().execute(async (trx) => {
      await trx
        .insertInto('presence_channels')
        .values({ channel, reconciled_at: null, updated_at: now })
        .onConflict((conflict) => conflict.column('channel').doNothing())
        .execute();
      if (dialect === 'postgres')
        await trx.selectFrom('presence_channels').select('channel').where('channel', '=', channel).forUpdate().execute();
      return work(trx);
    });
  const memberRow = (trx: Db, channel: string, uid: number) =>
    trx.selectFrom('presence_members').selectAll().where('channel', '=', channel).where('uid', '=', uid).executeTakeFirst();
  /** A row for a user seen for the first time: not present, no notice applied yet. */
  const ensureMember = async (trx: Db, channel: string, uid: number, role: PresenceRole, now: number) => {
    const row = await memberRow(trx, channel, uid);
    if (row) return row;
    await trx
      .insertInto('presence_members')
      .values({
        channel,
        uid,
        present: 0,
        role,
        platform: null,
        joined_at: null,
        source: 'event',
        last_ts: null,
        last_seq: null,
        changed_at: now,
      })
      .execute();
    return undefined;
  };

  return {
    apply(change, now) {
      return inChannel(change.channel, now, async (trx) => {
        const row = await ensureMember(trx, change.channel, change.uid, change.role, now);
        if (!newer(change, row)) return [];
        const write = createWriter(trx, change.channel, now);
        const present = row?.present === 1;
        const role = row ? roleOf(row.role) : change.role;
        if (change.kind === 'leave') {
          if (present) await write.leave(change.uid, role, change.ts, change.reason ?? 'quit', 'event');
        } else if (!present) {
          // A role change for someone we never saw join: the join notice was lost, they are in.
          await write.join(change.uid, change.role, change.platform, change.ts, 'event');
        } else if (role !== change.role) {
          await write.role(change.uid, change.role, change.ts, 'event');
        }
        await trx
          .updateTable('presence_members')
          .set({ last_ts: change.ts, last_seq: change.seq, changed_at: now })
          .where('channel', '=', change.channel)
          .where('uid', '=', change.uid)
          .execute();
        return write.events;
      });
    },

    destroy(channel, ts, now) {
      return inChannel(channel, now, async (trx) => {
        const write = createWriter(trx, channel, now);
        const rows = await trx.selectFrom('presence_members').selectAll().where('channel', '=', channel).where('present', '=', 1).execute();
        for (const row of rows) {
          // Someone whose newest notice is from the destroy's second or later may be in a new session of the channel.
          if (row.last_ts !== null && num(row.last_ts) >= ts) continue;
          await write.leave(num(row.uid), roleOf(row.role), ts, 'channel_destroyed', 'event');
          await trx
            .updateTable('presence_members')
            .set({ last_ts: ts, last_seq: 0 })
            .where('channel', '=', channel)
            .where('uid', '=', num(row.uid))
            .execute();
        }
        // Whoever is left is confirmed by the next read's reconciliation.
        await trx.updateTable('presence_channels').set({ reconciled_at: null, updated_at: now }).where('channel', '=', channel).execute();
        return write.events;
      });
    },

    reconcile(channel, listed, sentAt, now) {
      return inChannel(channel, now, async (trx) => {
        const channelRow = await trx.selectFrom('presence_channels').selectAll().where('channel', '=', channel).executeTakeFirstOrThrow();
        const last = optional(channelRow.reconciled_at);
        if (last !== undefined && last >= sentAt) return undefined;
        const write = createWriter(trx, channel, now);
        const rows = await trx.selectFrom('presence_members').selectAll().where('channel', '=', channel).execute();
        const byUid = new Map(rows.map((row) => [num(row.uid), row]));
        // A member changed by a notice after Agora's list was read is newer than the list: left alone.
        const untouched = (row: MemberRow | undefined) => !row || num(row.changed_at) < sentAt;
        for (const row of rows) {
          if (row.present !== 1 || !untouched(row)) continue;
          const uid = num(row.uid);
          const listedRole = listed.exists ? listed.members.get(uid) : undefined;
          if (listedRole === undefined) {
            if (listed.exists && listed.audiencePartial && row.role === 'audience') continue;
            await write.leave(uid, roleOf(row.role), now, 'reconciled', 'reconciled');
          } else if (listedRole !== row.role) {
            await write.role(uid, listedRole, now, 'reconciled');
          }
        }
        if (listed.exists) {
          for (const [uid, role] of listed.members) {
            const row = byUid.get(uid);
            if (row?.present === 1 || !untouched(row)) continue;
            await ensureMember(trx, channel, uid, role, now);
            await write.join(uid, role, undefined, now, 'reconciled');
          }
        }
        await trx.updateTable('presence_channels').set({ reconciled_at: now, updated_at: now }).where('channel', '=', channel).execute();
        return write.events;
      });
    },

    async snapshot(channel) {
      // One transaction: the members and the newest event id agree (SQLite runs it alone on its one connection).
      const read = async (trx: Db) => {
        const rows = await trx
          .selectFrom('presence_members')
          .selectAll()
          .where('channel', '=', channel)
          .where('present', '=', 1)
          .orderBy('joined_at')
          .orderBy('uid')
          .execute();
        const latest = await trx
          .selectFrom('presence_events')
          .select((eb) => eb.fn.max('id').as('id'))
          .where('channel', '=', channel)
          .executeTakeFirst();
        return {
          members: rows.map((row) => ({
            uid: num(row.uid),
            role: roleOf(row.role),
            platform: row.platform ?? undefined,
            joinedAt: num(row.joined_at ?? row.changed_at),
            source: sourceOf(row.source),
          })),
          lastEventId: latest?.id == null ? 0 : Number(latest.id),
        };
      };
      return dialect === 'postgres' ? db.transaction().setIsolationLevel('repeatable read').execute(read) : db.transaction().execute(read);
    },

    async eventsAfter(channel, afterId) {
      const rows = await db
        .selectFrom('presence_events')
        .selectAll()
        .where('channel', '=', channel)
        .where('id', '>', afterId)
        .orderBy('id')
        .execute();
      return rows.map(toEvent);
    },

    async reconciledAt(channel) {
      const row = await db.selectFrom('presence_channels').select('reconciled_at').where('channel', '=', channel).executeTakeFirst();
      return row ? optional(row.reconciled_at) : undefined;
    },

    async channelsWithMembers() {
      const rows = await db
        .selectFrom('presence_members')
        .select('channel')
        .distinct()
        .where('present', '=', 1)
        .orderBy('channel')
        .execute();
      return rows.map((row) => row.channel);
    },

    async sessions(channel, filter) {
      let query = db.selectFrom('presence_sessions').selectAll().where('channel', '=', channel);
      if (filter.uid !== undefined) query = query.where('uid', '=', filter.uid);
      const since = filter.since;
      if (since !== undefined) query = query.where((eb) => eb.or([eb('left_at', 'is', null), eb('left_at', '>=', since)]));
      // A stay overlaps [since, until] when it began by `until` and had not ended before `since`.
      if (filter.until !== undefined) query = query.where('joined_at', '<=', filter.until);
      const rows = await query.orderBy('joined_at', 'desc').orderBy('id', 'desc').limit(filter.limit).execute();
      return rows.map((row) => ({
        channel: row.channel,
        uid: num(row.uid),
        role: roleOf(row.role),
        platform: row.platform ?? undefined,
        joinedAt: num(row.joined_at),
        leftAt: optional(row.left_at),
        leaveReason: row.leave_reason ?? undefined,
        source: sourceOf(row.source),
      }));
    },

    async prune(before) {
      const events = await db.deleteFrom('presence_events').where('at', '<', before).executeTakeFirst();
      const sessions = await db
        .deleteFrom('presence_sessions')
        .where('left_at', 'is not', null)
        .where('left_at', '<', before)
        .executeTakeFirst();
      return { events: Number(events.numDeletedRows), sessions: Number(sessions.numDeletedRows) };
    },
  };
}
