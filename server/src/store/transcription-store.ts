import type { Kysely, Selectable, Updateable } from 'kysely';
import { z } from 'zod';
import { TranscriptionState } from '@agora-backend/shared';
import { addLifePatch, decodeCursor, encodeCursor, errorColumn, isUniqueViolation, json, parseError, lifeColumns, lifeFromRow, type Db } from './rows.js';
import type { Database } from './schema.js';
import { ACTIVE_TRANSCRIPTION_STATES, type TranscriptionEvent, type TranscriptionPatch, type TranscriptionRecord, type TranscriptionStore } from './transcription-types.js';
import { UidTakenError } from './types.js';

const EventSource = z.enum(['poll', 'webhook', 'api']);
const isActive = (state: TranscriptionState) => (ACTIVE_TRANSCRIPTION_STATES.includes(state) ? 1 : 0);

function fromRow(row: Selectable<Database['transcriptions']>): TranscriptionRecord {
  return {
    id: row.id,
    channel: row.channel,
    uid: row.uid,
    owner: row.owner,
    state: TranscriptionState.parse(row.state),
    agentId: row.agent_id,
    agoraStatus: row.agora_status,
    options: JSON.parse(row.options) as unknown,
    captionsPrefix: row.captions_prefix,
    maxIdleSeconds: row.max_idle_seconds,
    ...lifeFromRow(row),
  };
}

function toValues(patch: TranscriptionPatch, now: number): Updateable<Database['transcriptions']> {
  const values: Updateable<Database['transcriptions']> = { updated_at: now };
  if (patch.state !== undefined) {
    values.state = patch.state;
    values.active = isActive(patch.state);
  }
  if (patch.agentId !== undefined) values.agent_id = patch.agentId;
  if (patch.agoraStatus !== undefined) values.agora_status = patch.agoraStatus;
  if (patch.options !== undefined) values.options = json(patch.options);
  addLifePatch(values, patch);
  return values;
}

function toEvent(row: Selectable<Database['transcription_events']>): TranscriptionEvent {
  return { id: Number(row.id), transcriptionId: row.transcription_id, at: Number(row.at), state: TranscriptionState.parse(row.state), agoraStatus: row.agora_status, source: EventSource.parse(row.source), lastError: parseError(row.last_error) };
}

async function insertEvent(db: Db, event: Omit<TranscriptionEvent, 'id'>): Promise<TranscriptionEvent> {
  const row = await db
    .insertInto('transcription_events')
    .values({ transcription_id: event.transcriptionId, at: event.at, state: event.state, agora_status: event.agoraStatus, source: event.source, last_error: errorColumn(event.lastError) })
    .returning('id')
    .executeTakeFirstOrThrow();
  return { ...event, id: Number(row.id) };
}

/** The transcriptions' tables on the registry's Kysely database (SQLite and PostgreSQL alike). */
export function createTranscriptionStore(db: Kysely<Database>): TranscriptionStore {
  const select = () => db.selectFrom('transcriptions').selectAll();
  return {
    async insert(record) {
      try {
        return await db.transaction().execute(async (trx) => {
          await trx
            .insertInto('transcriptions')
            .values({
              id: record.id,
              channel: record.channel,
              uid: record.uid,
              owner: record.owner,
              state: record.state,
              active: isActive(record.state),
              agent_id: record.agentId,
              agora_status: record.agoraStatus,
              options: json(record.options),
              captions_prefix: record.captionsPrefix,
              max_idle_seconds: record.maxIdleSeconds,
              ...lifeColumns(record),
            })
            .execute();
          return insertEvent(trx, { transcriptionId: record.id, at: record.createdAt, state: record.state, agoraStatus: record.agoraStatus, source: 'api', lastError: record.lastError });
        });
      } catch (error) {
        if (isUniqueViolation(error)) throw new UidTakenError(record.channel, record.uid);
        throw error;
      }
    },

    async transition(id, expectedVersion, patch, now, event) {
      return db.transaction().execute(async (trx) => {
        const row = await trx
          .updateTable('transcriptions')
          .set({ ...toValues(patch, now), version: expectedVersion + 1 })
          .where('id', '=', id)
          .where('version', '=', expectedVersion)
          .returningAll()
          .executeTakeFirst();
        if (!row) return undefined;
        const record = fromRow(row);
        const appended = event ? await insertEvent(trx, { transcriptionId: id, at: now, state: record.state, agoraStatus: record.agoraStatus, source: event.source, lastError: record.lastError }) : undefined;
        return { record, event: appended };
      });
    },

    async get(id) {
      const row = await select().where('id', '=', id).executeTakeFirst();
      return row && fromRow(row);
    },

    async findByAgentId(agentId) {
      const row = await select().where('agent_id', '=', agentId).executeTakeFirst();
      return row && fromRow(row);
    },

    async list({ channel, owner, state, cursor, limit }) {
      let query = select();
      if (channel !== undefined) query = query.where('channel', '=', channel);
      if (owner !== undefined) query = query.where('owner', '=', owner);
      if (state !== undefined) query = query.where('state', '=', state);
      const after = cursor === undefined ? undefined : decodeCursor(cursor);
      if (after) query = query.where((eb) => eb.or([eb('created_at', '<', after.createdAt), eb.and([eb('created_at', '=', after.createdAt), eb('id', '<', after.id)])]));
      const rows = await query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit + 1).execute();
      const items = rows.slice(0, limit).map(fromRow);
      const last = items.at(-1);
      return { items, nextCursor: rows.length > limit && last ? encodeCursor(last) : null };
    },

    async listActive() {
      return (await select().where('active', '=', 1).orderBy('created_at').execute()).map(fromRow);
    },

    async countByState() {
      const rows = await db.selectFrom('transcriptions').select(['state', (eb) => eb.fn.countAll<number | string>().as('count')]).groupBy('state').execute();
      return Object.fromEntries(rows.map((row) => [TranscriptionState.parse(row.state), Number(row.count)]));
    },

    async activeUids(channel) {
      const rows = await db.selectFrom('transcriptions').select('uid').where('channel', '=', channel).where('active', '=', 1).execute();
      return new Set(rows.map((row) => row.uid));
    },

    async latestEvent(transcriptionId) {
      const row = await db.selectFrom('transcription_events').selectAll().where('transcription_id', '=', transcriptionId).orderBy('id', 'desc').limit(1).executeTakeFirst();
      return row && toEvent(row);
    },

    async eventsAfter(transcriptionId, afterId) {
      const rows = await db.selectFrom('transcription_events').selectAll().where('transcription_id', '=', transcriptionId).where('id', '>', afterId).orderBy('id').execute();
      return rows.map(toEvent);
    },
  };
}
