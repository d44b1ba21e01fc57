import type { Kysely } from 'kysely';
import { z } from 'zod';
import { RecordingFile, RecordingMode, RecordingState, UploadingStatus } from '@agora-backend/shared';
import type { Database } from './schema.js';
import { json, parseError, lifeFromRow, toNumber } from './rows.js';
import {
  ACTIVE_STATES,
  type RecordingEvent,
  type RecordingPatch,
  type RecordingRecord,
  type RecordingTable,
  type StoredFile,
} from './recording-types.js';
import { createTaskTable, EventSource } from './task-table.js';

/** Files as stored: the shared RecordingFile, with Unix milliseconds for its start time. */
const StoredFiles = z.array(RecordingFile.extend({ sliceStartTime: z.number().optional() }));
const StoredUploadingStatus = UploadingStatus.nullable();

const parseFiles = (text: string): StoredFile[] => StoredFiles.parse(JSON.parse(text));

/** The recordings' rows and event log: the shared task table with a recording's own columns. */
export function createRecordingTable(db: Kysely<Database>): RecordingTable {
  const table = createTaskTable<'recordings', RecordingRecord, RecordingPatch, RecordingEvent>(db, {
    table: 'recordings',
    events: 'recording_events',
    taskColumn: 'recording_id',
    State: RecordingState,
    activeStates: ACTIVE_STATES,
    fromRow: (row) => ({
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
    }),
    ownColumns: (record) => ({
      mode: record.mode,
      resource_id: record.resourceId,
      sid: record.sid,
      agora_status: record.agoraStatus,
      files: json(record.files),
      uploading_status: record.uploadingStatus,
      options: json(record.options),
      file_name_prefix: record.fileNamePrefix,
      max_duration_seconds: record.maxDurationSeconds,
    }),
    ownPatch: (patch) => ({
      ...(patch.resourceId !== undefined ? { resource_id: patch.resourceId } : {}),
      ...(patch.sid !== undefined ? { sid: patch.sid } : {}),
      ...(patch.agoraStatus !== undefined ? { agora_status: patch.agoraStatus } : {}),
      ...(patch.files !== undefined ? { files: json(patch.files) } : {}),
      ...(patch.uploadingStatus !== undefined ? { uploading_status: patch.uploadingStatus } : {}),
    }),
    toEvent: (row) => ({
      id: Number(row.id),
      recordingId: row.recording_id,
      at: Number(row.at),
      state: RecordingState.parse(row.state),
      agoraStatus: row.agora_status,
      files: parseFiles(row.files),
      source: EventSource.parse(row.source),
      lastError: parseError(row.last_error),
    }),
    eventOf: (record, at, source) => ({
      recordingId: record.id,
      at,
      state: record.state,
      agoraStatus: record.agoraStatus,
      files: record.files,
      source,
      lastError: record.lastError,
    }),
    ownEventColumns: (event) => ({ agora_status: event.agoraStatus, files: json(event.files) }),
    taskIdOf: (event) => event.recordingId,
  });
  const { findBy, ...rows } = table;
  return {
    ...rows,
    findBySession: (resourceId, sid) => findBy({ resource_id: resourceId, sid }),
    findBySid: (sid) => findBy({ sid }),
  };
}
