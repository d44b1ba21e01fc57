import type { Kysely } from 'kysely';
import { TranscriptionState } from '@agora-backend/shared';
import type { Database } from './schema.js';
import { json, parseError, lifeFromRow } from './rows.js';
import {
  ACTIVE_TRANSCRIPTION_STATES,
  type TranscriptionEvent,
  type TranscriptionPatch,
  type TranscriptionRecord,
  type TranscriptionTable,
} from './transcription-types.js';
import { createTaskTable, EventSource } from './task-table.js';

/** The transcriptions' rows and event log: the shared task table with a transcription's own columns. */
export function createTranscriptionTable(db: Kysely<Database>): TranscriptionTable {
  const table = createTaskTable<'transcriptions', TranscriptionRecord, TranscriptionPatch, TranscriptionEvent>(db, {
    table: 'transcriptions',
    events: 'transcription_events',
    taskColumn: 'transcription_id',
    State: TranscriptionState,
    activeStates: ACTIVE_TRANSCRIPTION_STATES,
    fromRow: (row) => ({
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
    }),
    ownColumns: (record) => ({
      agent_id: record.agentId,
      agora_status: record.agoraStatus,
      options: json(record.options),
      captions_prefix: record.captionsPrefix,
      max_idle_seconds: record.maxIdleSeconds,
    }),
    ownPatch: (patch) => ({
      ...(patch.agentId !== undefined ? { agent_id: patch.agentId } : {}),
      ...(patch.agoraStatus !== undefined ? { agora_status: patch.agoraStatus } : {}),
      ...(patch.options !== undefined ? { options: json(patch.options) } : {}),
    }),
    toEvent: (row) => ({
      id: Number(row.id),
      transcriptionId: row.transcription_id,
      at: Number(row.at),
      state: TranscriptionState.parse(row.state),
      agoraStatus: row.agora_status,
      source: EventSource.parse(row.source),
      lastError: parseError(row.last_error),
    }),
    eventOf: (record, at, source) => ({
      transcriptionId: record.id,
      at,
      state: record.state,
      agoraStatus: record.agoraStatus,
      source,
      lastError: record.lastError,
    }),
    ownEventColumns: (event) => ({ agora_status: event.agoraStatus }),
    taskIdOf: (event) => event.transcriptionId,
  });
  const { findBy, ...rows } = table;
  return { ...rows, findByAgentId: (agentId) => findBy({ agent_id: agentId }) };
}
