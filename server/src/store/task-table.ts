import { sql, type Insertable, type Kysely, type Selectable, type Updateable } from 'kysely';
import { z } from 'zod';
import type { Database } from './schema.js';
import { addLifePatch, decodeCursor, encodeCursor, errorColumn, isUniqueViolation, lifeColumns, type Db } from './rows.js';
import { UidTakenError, type ChangeSource, type TaskEvent, type TaskLifePatch, type TaskRecord, type TaskTable } from './task-types.js';

/** A kind's tables in the schema: its rows, and its event log with the column naming the task. */
interface KindTables {
  recordings: { events: 'recording_events'; taskColumn: 'recording_id' };
  transcriptions: { events: 'transcription_events'; taskColumn: 'transcription_id' };
  agents: { events: 'agent_events'; taskColumn: 'agent_task_id' };
}
type KindTable = keyof KindTables;
type EventsOf<T extends KindTable> = KindTables[T]['events'];

/**
 * How one kind's rows and events map to its tables: only the kind's own columns. Everything
 * else (id, channel, uid, owner, state, the active flag, the life columns, the event log's id,
 * time, state, source and error) is the same for every kind and written here.
 */
export interface TaskTableSpec<
  T extends KindTable,
  R extends TaskRecord,
  P extends TaskLifePatch & { state?: R['state'] | undefined },
  E extends TaskEvent<R['state']>,
> {
  table: T;
  events: EventsOf<T>;
  /** The event log's column naming the task. */
  taskColumn: KindTables[T]['taskColumn'];
  /** The kind's states (parses what the table holds). */
  State: z.ZodType<R['state']>;
  /** States in which a task is active: its uid is taken, the watchdog sweeps it. */
  activeStates: readonly R['state'][];
  fromRow(row: Selectable<Database[T]>): R;
  /** A new row's own columns (beyond the shared ones). */
  ownColumns(record: R): Partial<Insertable<Database[T]>>;
  /** A patch's own columns (beyond state and the life columns): only what it sets. */
  ownPatch(patch: P): Partial<Updateable<Database[T]>>;
  toEvent(row: Selectable<Database[EventsOf<T>]>): E;
  /** The event a row's change appends: the kind's own fields of the row at that moment. */
  eventOf(record: R, at: number, source: ChangeSource): Omit<E, 'id'>;
  /** An event's own columns (beyond the shared ones). */
  ownEventColumns(event: Omit<E, 'id'>): Partial<Insertable<Database[EventsOf<T>]>>;
  /** The event's task id. */
  taskIdOf(event: Omit<E, 'id'>): string;
}

/** The columns every kind's table has, as the shared code below reads and writes them. */
type SharedRow = Pick<
  Database['transcriptions'],
  | 'id'
  | 'channel'
  | 'uid'
  | 'owner'
  | 'state'
  | 'active'
  | 'last_error'
  | 'created_at'
  | 'started_at'
  | 'updated_at'
  | 'stopped_at'
  | 'version'
  | 'not_found_since'
  | 'not_found_last_at'
>;
type SharedEventRow = Pick<Database['transcription_events'], 'id' | 'at' | 'state' | 'source' | 'last_error'> & { task_id: string };

/**
 * The shared columns of every kind's tables under one name: a kind's table is written and read
 * through this view, and its own columns go through its spec. The spec ties each table name to
 * its row type, so reading a row of `spec.table` as that type is what the schema says.
 */
interface SharedDb {
  task: SharedRow;
  task_events: SharedEventRow;
}

export const EventSource = z.enum(['poll', 'webhook', 'api']);

/**
 * One kind's rows and event log on the registry's database (SQLite and PostgreSQL alike): the
 * intent row with its first event, compare-and-set transitions with their event in the same
 * transaction, and the reads every kind needs. `findBy` looks a row up by one of its own columns.
 */
export function createTaskTable<
  T extends KindTable,
  R extends TaskRecord,
  P extends TaskLifePatch & { state?: R['state'] | undefined },
  E extends TaskEvent<R['state']>,
>(database: Kysely<Database>, spec: TaskTableSpec<T, R, P, E>) {
  const db = database as unknown as Kysely<SharedDb>;
  const table = spec.table as unknown as 'task';
  const events = spec.events as unknown as 'task_events';
  const taskColumn = db.dynamic.ref<'task_id'>(spec.taskColumn);
  const fromRow = (row: unknown) => spec.fromRow(row as Selectable<Database[T]>);
  const toEvent = (row: unknown) => spec.toEvent(row as Selectable<Database[EventsOf<T>]>);
  const isActive = (state: R['state']) => (spec.activeStates.includes(state) ? 1 : 0);

  /** A patch as column values; every write bumps the version. */
  function toValues(patch: P, now: number): Updateable<SharedRow> {
    const values: Updateable<SharedRow> = { updated_at: now, ...(spec.ownPatch(patch) as object) };
    if (patch.state !== undefined) {
      values.state = patch.state;
      values.active = isActive(patch.state);
    }
    addLifePatch(values, patch);
    return values;
  }

  async function insertEvent(into: Db, event: Omit<E, 'id'>): Promise<E> {
    const row = await (into as unknown as Kysely<SharedDb>)
      .insertInto(events)
      .values({
        [spec.taskColumn]: spec.taskIdOf(event),
        at: event.at,
        state: event.state,
        source: event.source,
        last_error: errorColumn(event.lastError),
        ...(spec.ownEventColumns(event) as object),
      } as Insertable<SharedEventRow>)
      .returning('id')
      .executeTakeFirstOrThrow();
    return { ...event, id: Number(row.id) } as E;
  }

  const select = () => db.selectFrom(table).selectAll();

  return {
    async insert(record: R): Promise<E> {
      try {
        return await database.transaction().execute(async (trx) => {
          await (trx as unknown as Kysely<SharedDb>)
            .insertInto(table)
            .values({
              id: record.id,
              channel: record.channel,
              uid: record.uid,
              owner: record.owner,
              state: record.state,
              active: isActive(record.state),
              ...lifeColumns(record),
              ...(spec.ownColumns(record) as object),
            })
            .execute();
          return insertEvent(trx, spec.eventOf(record, record.createdAt, 'api'));
        });
      } catch (error) {
        if (isUniqueViolation(error)) throw new UidTakenError(record.channel, record.uid);
        throw error;
      }
    },

    async update(id: string, patch: P, now: number): Promise<R | undefined> {
      // RETURNING (SQLite ≥ 3.35 and PostgreSQL): the updated row without a second query.
      const row = await db
        .updateTable(table)
        .set({ ...toValues(patch, now), version: sql<number>`version + 1` })
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirst();
      return row && fromRow(row);
    },

    async transition(id: string, expectedVersion: number, patch: P, now: number, event?: { source: ChangeSource }) {
      return database.transaction().execute(async (trx) => {
        const row = await (trx as unknown as Kysely<SharedDb>)
          .updateTable(table)
          .set({ ...toValues(patch, now), version: expectedVersion + 1 })
          .where('id', '=', id)
          .where('version', '=', expectedVersion)
          .returningAll()
          .executeTakeFirst();
        if (!row) return undefined;
        const record = fromRow(row);
        const appended = event ? await insertEvent(trx, spec.eventOf(record, now, event.source)) : undefined;
        return { record, event: appended };
      });
    },

    async get(id: string): Promise<R | undefined> {
      const row = await select().where('id', '=', id).executeTakeFirst();
      return row && fromRow(row);
    },

    async list({ channel, owner, state, cursor, limit }: Parameters<TaskTable<R, P, E>['list']>[0]) {
      let query = select();
      if (channel !== undefined) query = query.where('channel', '=', channel);
      if (owner !== undefined) query = query.where('owner', '=', owner);
      if (state !== undefined) query = query.where('state', '=', state);
      const after = cursor === undefined ? undefined : decodeCursor(cursor);
      if (after)
        query = query.where((eb) =>
          eb.or([eb('created_at', '<', after.createdAt), eb.and([eb('created_at', '=', after.createdAt), eb('id', '<', after.id)])]),
        );
      const rows = await query
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .limit(limit + 1)
        .execute();
      const items = rows.slice(0, limit).map(fromRow);
      const last = items.at(-1);
      return { items, nextCursor: rows.length > limit && last ? encodeCursor(last) : null };
    },

    async listActive(): Promise<R[]> {
      return (await select().where('active', '=', 1).orderBy('created_at').execute()).map(fromRow);
    },

    async countByState(): Promise<Partial<Record<R['state'], number>>> {
      const rows = await db
        .selectFrom(table)
        .select(['state', (eb) => eb.fn.countAll<number | string>().as('count')])
        .groupBy('state')
        .execute();
      return Object.fromEntries(rows.map((row) => [spec.State.parse(row.state), Number(row.count)])) as Partial<Record<R['state'], number>>;
    },

    async activeUids(channel: string): Promise<Set<string>> {
      const rows = await db.selectFrom(table).select('uid').where('channel', '=', channel).where('active', '=', 1).execute();
      return new Set(rows.map((row) => row.uid));
    },

    async latestEvent(taskId: string): Promise<E | undefined> {
      const row = await db.selectFrom(events).selectAll().where(taskColumn, '=', taskId).orderBy('id', 'desc').limit(1).executeTakeFirst();
      return row && toEvent(row);
    },

    async eventsAfter(taskId: string, afterId: number | undefined): Promise<E[]> {
      const rows = await db
        .selectFrom(events)
        .selectAll()
        .where(taskColumn, '=', taskId)
        .where('id', '>', afterId ?? 0)
        .orderBy('id')
        .execute();
      return rows.map(toEvent);
    },

    appendEvent: (event: Omit<E, 'id'>) => insertEvent(database, event),
    /** appendEvent within a transaction of the caller's. */
    appendEventIn: (into: Db, event: Omit<E, 'id'>) => insertEvent(into, event),

    /** The row whose own columns hold these values (a session's ids, an agent id). */
    findBy: async (columns: Record<string, string>): Promise<R | undefined> => {
      let query = select();
      for (const [column, value] of Object.entries(columns)) query = query.where(db.dynamic.ref<'id'>(column), '=', value);
      const row = await query.executeTakeFirst();
      return row && fromRow(row);
    },
  } satisfies TaskTable<R, P, E> & Record<string, unknown>;
}
