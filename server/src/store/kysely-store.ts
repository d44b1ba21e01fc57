import { Migrator, sql, type Kysely, type Selectable, type Updateable } from 'kysely';
import { z } from 'zod';
import { RecordingFile, RecordingMode, RecordingState, UploadingStatus } from '@agora-backend/shared';
import type { Database } from './schema.js';
import { migrations } from './migrations.js';
import { createTranscriptionStore } from './transcription-store.js';
import { addLifePatch, decodeCursor, encodeCursor, errorColumn, isUniqueViolation, json, parseError, lifeColumns, lifeFromRow, toNumber, type Db } from './rows.js';
import {
  ACTIVE_STATES,
  UidTakenError,
  type RecordingEvent,
  type RecordingPatch,
  type RecordingRecord,
  type RecordingStore,
  type StoredFile,
} from './types.js';

/** Files as stored: the shared RecordingFile, with Unix milliseconds for its start time. */
const StoredFiles = z.array(RecordingFile.extend({ sliceStartTime: z.number().optional() }));
const StoredUploadingStatus = UploadingStatus.nullable();
const EventSource = z.enum(['poll', 'webhook', 'api']);

const parseFiles = (text: string): StoredFile[] => StoredFiles.parse(JSON.parse(text));

function fromRow(row: Selectable<Database['recordings']>): RecordingRecord {
  return {
    id: row.id,
    channel: row.channel,
    uid: row.uid,
    mode: RecordingMode.parse(row.mode),
    owner: row.owner,
    state: RecordingState.parse(row.state),
    resourceId: row.resource_id,
    sid: row.sid,
    agoraStatus: toNumber(row.agora_status),
    files: parseFiles(row.files),
    uploadingStatus: StoredUploadingStatus.parse(row.uploading_status),
    options: JSON.parse(row.options) as unknown,
    fileNamePrefix: row.file_name_prefix,
    maxDurationSeconds: row.max_duration_seconds,
    ...lifeFromRow(row),
  };
}

/** A patch as column values; every write bumps the version. */
function toValues(patch: RecordingPatch, now: number): Updateable<Database['recordings']> {
  const values: Updateable<Database['recordings']> = { updated_at: now };
  if (patch.state !== undefined) {
    values.state = patch.state;
    values.active = ACTIVE_STATES.includes(patch.state) ? 1 : 0;
  }
  if (patch.resourceId !== undefined) values.resource_id = patch.resourceId;
  if (patch.sid !== undefined) values.sid = patch.sid;
  if (patch.agoraStatus !== undefined) values.agora_status = patch.agoraStatus;
  if (patch.files !== undefined) values.files = json(patch.files);
  if (patch.uploadingStatus !== undefined) values.uploading_status = patch.uploadingStatus;
  addLifePatch(values, patch);
  return values;
}


async function insertEvent(db: Db, event: Omit<RecordingEvent, 'id'>): Promise<RecordingEvent> {
  const row = await db
    .insertInto('recording_events')
    .values({ recording_id: event.recordingId, at: event.at, state: event.state, agora_status: event.agoraStatus, files: json(event.files), source: event.source, last_error: errorColumn(event.lastError) })
    .returning('id')
    .executeTakeFirstOrThrow();
  return { ...event, id: Number(row.id) };
}


function toEvent(row: Selectable<Database['recording_events']>): RecordingEvent {
  return {
    id: Number(row.id),
    recordingId: row.recording_id,
    at: Number(row.at),
    state: RecordingState.parse(row.state),
    agoraStatus: row.agora_status,
    files: parseFiles(row.files),
    source: EventSource.parse(row.source),
    lastError: parseError(row.last_error),
  };
}


/** Runs the migrations; call once before using the store. */
export async function migrate(db: Kysely<Database>, dialect: 'sqlite' | 'postgres', schema?: string): Promise<void> {
  // With a schema named, Kysely keeps its migration tables there too (not in whichever schema
  // already has them).
  const migrator = new Migrator({ db, provider: migrations(dialect), ...(schema ? { migrationTableSchema: schema } : {}) });
  const { error } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error('migration failed');
}

/** The registry on any Kysely database with our schema (SQLite and PostgreSQL alike). */
export function createKyselyStore(db: Kysely<Database>, onClose: () => Promise<void>): RecordingStore {
  return {
    transcriptions: createTranscriptionStore(db),
    async insert(record) {
      try {
        return await db.transaction().execute(async (trx) => {
          await trx
            .insertInto('recordings')
            .values({
              id: record.id,
              channel: record.channel,
              uid: record.uid,
              mode: record.mode,
              owner: record.owner,
              state: record.state,
              active: ACTIVE_STATES.includes(record.state) ? 1 : 0,
              resource_id: record.resourceId,
              sid: record.sid,
              agora_status: record.agoraStatus,
              files: json(record.files),
              uploading_status: record.uploadingStatus,
              options: json(record.options),
              file_name_prefix: record.fileNamePrefix,
              max_duration_seconds: record.maxDurationSeconds,
              ...lifeColumns(record),
            })
            .execute();
          return insertEvent(trx, { recordingId: record.id, at: record.createdAt, state: record.state, agoraStatus: record.agoraStatus, files: record.files, source: 'api', lastError: record.lastError });
        });
      } catch (error) {
        if (isUniqueViolation(error)) throw new UidTakenError(record.channel, record.uid);
        throw error;
      }
    },

    async update(id, patch, now) {
      // RETURNING (SQLite ≥ 3.35 and PostgreSQL): the updated row without a second query.
      const row = await db
        .updateTable('recordings')
        .set({ ...toValues(patch, now), version: sql<number>`version + 1` })
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirst();
      return row && fromRow(row);
    },

    async transition(id, expectedVersion, patch, now, event) {
      return db.transaction().execute(async (trx) => {
        const row = await trx
          .updateTable('recordings')
          .set({ ...toValues(patch, now), version: expectedVersion + 1 })
          .where('id', '=', id)
          .where('version', '=', expectedVersion)
          .returningAll()
          .executeTakeFirst();
        if (!row) return undefined;
        const record = fromRow(row);
        const appended = event
          ? await insertEvent(trx, { recordingId: id, at: now, state: record.state, agoraStatus: record.agoraStatus, files: record.files, source: event.source, lastError: record.lastError })
          : undefined;
        return { record, event: appended };
      });
    },

    async rememberNotice(noticeId, now, ttlMs) {
      // Forget notices past their time now and then, not on every call.
      if (Math.random() < 0.01) await db.deleteFrom('webhook_notices').where('seen_at', '<', now - ttlMs).execute();
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

    async get(id) {
      const row = await db.selectFrom('recordings').selectAll().where('id', '=', id).executeTakeFirst();
      return row && fromRow(row);
    },

    async findBySession(resourceId, sid) {
      const row = await db
        .selectFrom('recordings')
        .selectAll()
        .where('resource_id', '=', resourceId)
        .where('sid', '=', sid)
        .executeTakeFirst();
      return row && fromRow(row);
    },

    async findBySid(sid) {
      const row = await db.selectFrom('recordings').selectAll().where('sid', '=', sid).executeTakeFirst();
      return row && fromRow(row);
    },

    async latestEvent(recordingId) {
      const row = await db
        .selectFrom('recording_events')
        .selectAll()
        .where('recording_id', '=', recordingId)
        .orderBy('id', 'desc')
        .limit(1)
        .executeTakeFirst();
      return row && toEvent(row);
    },

    async list({ channel, owner, state, cursor, limit }) {
      let query = db.selectFrom('recordings').selectAll();
      if (channel !== undefined) query = query.where('channel', '=', channel);
      if (owner !== undefined) query = query.where('owner', '=', owner);
      if (state !== undefined) query = query.where('state', '=', state);
      const after = cursor === undefined ? undefined : decodeCursor(cursor);
      if (after) {
        query = query.where((eb) =>
          eb.or([eb('created_at', '<', after.createdAt), eb.and([eb('created_at', '=', after.createdAt), eb('id', '<', after.id)])]),
        );
      }
      const rows = await query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit + 1).execute();
      const items = rows.slice(0, limit).map(fromRow);
      const last = items.at(-1);
      return { items, nextCursor: rows.length > limit && last ? encodeCursor(last) : null };
    },

    async countByState() {
      const rows = await db.selectFrom('recordings').select(['state', (eb) => eb.fn.countAll<number | string>().as('count')]).groupBy('state').execute();
      return Object.fromEntries(rows.map((row) => [RecordingState.parse(row.state), Number(row.count)]));
    },

    async listActive() {
      const rows = await db.selectFrom('recordings').selectAll().where('active', '=', 1).orderBy('created_at').execute();
      return rows.map(fromRow);
    },

    async activeUids(channel) {
      const rows = await db.selectFrom('recordings').select('uid').where('channel', '=', channel).where('active', '=', 1).execute();
      return new Set(rows.map((row) => row.uid));
    },

    appendEvent: (event) => insertEvent(db, event),

    async eventsAfter(recordingId, afterId) {
      const rows = await db
        .selectFrom('recording_events')
        .selectAll()
        .where('recording_id', '=', recordingId)
        .where('id', '>', afterId ?? 0)
        .orderBy('id')
        .execute();
      return rows.map(toEvent);
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
