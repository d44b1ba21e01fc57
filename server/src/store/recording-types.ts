import type { RecordingMode, RecordingState } from '@agora-backend/shared';
import type { RecordingFile } from '../agora/types.js';
import type { TaskEvent, TaskLifePatch, TaskListFilter, TaskRecord, TaskTable } from './task-types.js';

/** A stored file, exactly as the Agora client normalised it (times in Unix ms). */
export type StoredFile = RecordingFile;

/** One recording as the registry keeps it. Times are Unix milliseconds. */
export interface RecordingRecord extends TaskRecord<RecordingState> {
  mode: RecordingMode;
  resourceId: string | null;
  sid: string | null;
  agoraStatus: number | null;
  files: StoredFile[];
  uploadingStatus: 'uploaded' | 'backuped' | 'unknown' | null;
  /** The validated start input, kept so a restarted server knows what was asked for. */
  options: unknown;
  fileNamePrefix: string;
  maxDurationSeconds: number;
}

export type RecordingPatch = Partial<Pick<RecordingRecord, 'state' | 'resourceId' | 'sid' | 'agoraStatus' | 'files' | 'uploadingStatus'>> &
  TaskLifePatch;

/** An entry of a recording's append-only event log (the watch stream replays it). */
export interface RecordingEvent extends TaskEvent<RecordingState> {
  recordingId: string;
  agoraStatus: number | null;
  files: StoredFile[];
}

export type ListFilter = TaskListFilter<RecordingState>;

/** The recordings' rows and event log, and the lookups by Agora's session. */
export interface RecordingTable extends TaskTable<RecordingRecord, RecordingPatch, RecordingEvent> {
  findBySession(resourceId: string, sid: string): Promise<RecordingRecord | undefined>;
  findBySid(sid: string): Promise<RecordingRecord | undefined>;
}

export const ACTIVE_STATES: readonly RecordingState[] = ['starting', 'recording', 'stopping'];
