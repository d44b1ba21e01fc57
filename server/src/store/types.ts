import type { RecordingMode, RecordingState } from '@agora-backend/shared';
import type { RecordingFile } from '../agora/types.js';

/** A stored file, exactly as the Agora client normalised it (times in Unix ms). */
export type StoredFile = RecordingFile;

export interface StoredError {
  message: string;
  agora?: { httpStatus: number; code?: number | undefined; reason?: string | undefined } | undefined;
}

/** One recording as the registry keeps it. Times are Unix milliseconds. */
export interface RecordingRecord {
  id: string;
  channel: string;
  uid: string;
  mode: RecordingMode;
  owner: string;
  state: RecordingState;
  resourceId: string | null;
  sid: string | null;
  agoraStatus: number | null;
  files: StoredFile[];
  uploadingStatus: 'uploaded' | 'backuped' | 'unknown' | null;
  /** The validated start input, kept so a restarted server knows what was asked for. */
  options: unknown;
  fileNamePrefix: string;
  maxDurationSeconds: number;
  lastError: StoredError | null;
  createdAt: number;
  startedAt: number | null;
  updatedAt: number;
  stoppedAt: number | null;
}

export type RecordingPatch = Partial<
  Pick<RecordingRecord, 'state' | 'resourceId' | 'sid' | 'agoraStatus' | 'files' | 'uploadingStatus' | 'lastError' | 'startedAt' | 'stoppedAt'>
>;

/** An entry of a recording's append-only event log (the watch stream replays it). */
export interface RecordingEvent {
  /** Increasing across the whole log. */
  id: number;
  recordingId: string;
  at: number;
  state: RecordingState;
  agoraStatus: number | null;
  files: StoredFile[];
  source: 'poll' | 'webhook' | 'api';
}

export interface ListFilter {
  channel?: string | undefined;
  /** Only this owner's recordings. */
  owner?: string | undefined;
  state?: RecordingState | undefined;
  cursor?: string | undefined;
  limit: number;
}

/** The uid is taken by an active recording of the channel (enforced by a unique index). */
export class UidTakenError extends Error {
  override readonly name = 'UidTakenError';
  constructor(
    readonly channel: string,
    readonly uid: string,
  ) {
    super(`uid ${uid} is already used by an active recording of channel "${channel}"`);
  }
}

/** The recording registry: SQLite by default, PostgreSQL for several instances. */
export interface RecordingStore {
  /** Records the intent to start, before any Agora call. Throws UidTakenError on a taken uid. */
  insert(record: RecordingRecord): Promise<void>;
  /** Applies a patch and returns the updated record, or undefined when there is none. */
  update(id: string, patch: RecordingPatch, now: number): Promise<RecordingRecord | undefined>;
  get(id: string): Promise<RecordingRecord | undefined>;
  findBySession(resourceId: string, sid: string): Promise<RecordingRecord | undefined>;
  findBySid(sid: string): Promise<RecordingRecord | undefined>;
  /** The newest event of a recording: its current state as watchers first see it. */
  latestEvent(recordingId: string): Promise<RecordingEvent | undefined>;
  list(filter: ListFilter): Promise<{ items: RecordingRecord[]; nextCursor: string | null }>;
  /** Recordings in starting, recording or stopping state. */
  listActive(): Promise<RecordingRecord[]>;
  /** Uids that active recordings of this channel use. */
  activeUids(channel: string): Promise<Set<string>>;
  appendEvent(event: Omit<RecordingEvent, 'id'>): Promise<RecordingEvent>;
  eventsAfter(recordingId: string, afterId: number | undefined): Promise<RecordingEvent[]>;
  /** For /readyz. */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

export const ACTIVE_STATES: readonly RecordingState[] = ['starting', 'recording', 'stopping'];
