import { AppErrorCode, type RecordingMode, type RecordingState } from '@agora-backend/shared';
import type { RecordingFile } from '../agora/types.js';
import { CodedError, INTERNAL_MESSAGE } from '../errors.js';
import type { TranscriptionStore } from './transcription-types.js';

/** A stored file, exactly as the Agora client normalised it (times in Unix ms). */
export type StoredFile = RecordingFile;

export interface StoredError {
  message: string;
  agora?: { httpStatus: number; code?: number | undefined; reason?: string | undefined } | undefined;
  /** Why a task failed, in one stable word (the failures metric's label). */
  reason?: string | undefined;
  /** What told us: Agora's notice, its query answer, its answer to our call, or a rule of ours. */
  from?: 'notice' | 'query' | 'call' | 'rule' | undefined;
}

/** What every Agora task's row (a recording's, a transcription's) keeps of its life. Times are Unix milliseconds. */
export interface TaskLife {
  lastError: StoredError | null;
  createdAt: number;
  startedAt: number | null;
  updatedAt: number;
  stoppedAt: number | null;
  /** Bumped by every write: transitions compare and set on it. */
  version: number;
  /**
   * When Agora first answered 404 for this task, while it has not since answered otherwise.
   * A 404 is only proof that a task ended once it has outlasted Agora's failover window.
   */
  notFoundSince: number | null;
  /** The latest of those 404s: a run of them is broken by a long silence (no observation). */
  notFoundLastAt: number | null;
}

/** A new task's life: created now, nothing else yet. */
export function freshTaskLife(now: number): TaskLife {
  return { lastError: null, createdAt: now, startedAt: null, updatedAt: now, stoppedAt: null, version: 0, notFoundSince: null, notFoundLastAt: null };
}

/** One recording as the registry keeps it. Times are Unix milliseconds. */
export interface RecordingRecord extends TaskLife {
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
}

/** The parts of a task's life a transition may change (createdAt never; updatedAt and version by every write). */
export type TaskLifePatch = Partial<Pick<TaskLife, 'lastError' | 'startedAt' | 'stoppedAt' | 'notFoundSince' | 'notFoundLastAt'>>;

export type RecordingPatch = Partial<Pick<RecordingRecord, 'state' | 'resourceId' | 'sid' | 'agoraStatus' | 'files' | 'uploadingStatus'>> & TaskLifePatch;

/** The event a transition appends, in the same transaction as the row change. */
export type EventDraft = Pick<RecordingEvent, 'source'>;

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
  /** The row's last error when the event was written (why it failed, on a failed event). */
  lastError: StoredError | null;
}

export interface ListFilter {
  channel?: string | undefined;
  /** Only this owner's recordings. */
  owner?: string | undefined;
  state?: RecordingState | undefined;
  cursor?: string | undefined;
  limit: number;
}

/**
 * The uid is taken by an active recording of the channel (enforced by a unique index). The
 * starters turn it into UID_CONFLICT or pick another uid; one that escapes them is our fault.
 */
export class UidTakenError extends CodedError {
  override readonly name = 'UidTakenError';
  readonly appCode = AppErrorCode.INTERNAL;
  constructor(
    readonly channel: string,
    readonly uid: string,
  ) {
    super(`uid ${uid} is already used by an active recording of channel "${channel}"`);
  }
  override get publicMessage(): string {
    return INTERNAL_MESSAGE;
  }
}

/** The recording registry: SQLite by default, PostgreSQL for several instances. */
export interface RecordingStore {
  /** The transcriptions' tables, in the same database. */
  transcriptions: TranscriptionStore;
  /**
   * Records the intent to start, before any Agora call, with its first event ("starting") in the
   * same transaction. Throws UidTakenError on a taken uid.
   */
  insert(record: RecordingRecord): Promise<RecordingEvent>;
  /** Applies a patch unconditionally and returns the updated record, or undefined when there is none. */
  update(id: string, patch: RecordingPatch, now: number): Promise<RecordingRecord | undefined>;
  /**
   * Compare-and-set: applies the patch only if the row is still at `expectedVersion`, and appends
   * the event (with the row's new state, status and files) in the same transaction. Undefined when
   * another write came first (or the row is gone): re-read and decide again.
   */
  transition(id: string, expectedVersion: number, patch: RecordingPatch, now: number, event?: EventDraft): Promise<{ record: RecordingRecord; event: RecordingEvent | undefined } | undefined>;
  /**
   * Remembers a webhook notice id for `ttlMs`; false when it was already seen (a duplicate or a
   * replay). Survives restarts and is shared by every instance on PostgreSQL.
   */
  rememberNotice(noticeId: string, now: number, ttlMs: number): Promise<boolean>;
  get(id: string): Promise<RecordingRecord | undefined>;
  findBySession(resourceId: string, sid: string): Promise<RecordingRecord | undefined>;
  findBySid(sid: string): Promise<RecordingRecord | undefined>;
  /** The newest event of a recording: its current state as watchers first see it. */
  latestEvent(recordingId: string): Promise<RecordingEvent | undefined>;
  list(filter: ListFilter): Promise<{ items: RecordingRecord[]; nextCursor: string | null }>;
  /** How many recordings are in each state (for metrics). */
  countByState(): Promise<Partial<Record<RecordingState, number>>>;
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
