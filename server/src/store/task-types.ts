/**
 * What the registry keeps of every kind of task (a recording, a transcription, an agent): the
 * row's life, its append-only event log, and the table interface each kind's rows are kept through.
 */
import { AppErrorCode } from '@agora-backend/shared';
import { CodedError, INTERNAL_MESSAGE } from '../errors.js';

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
  return {
    lastError: null,
    createdAt: now,
    startedAt: null,
    updatedAt: now,
    stoppedAt: null,
    version: 0,
    notFoundSince: null,
    notFoundLastAt: null,
  };
}

/** The parts of a task's life a transition may change (createdAt never; updatedAt and version by every write). */
export type TaskLifePatch = Partial<Pick<TaskLife, 'lastError' | 'startedAt' | 'stoppedAt' | 'notFoundSince' | 'notFoundLastAt'>>;

/** What made a change: a poll's answer, a caller, or a notice. */
export type ChangeSource = 'poll' | 'api' | 'webhook';

/** The row every kind of task has: a bot with a uid in a channel, owned by a caller, in a state. */
export interface TaskRecord<S extends string = string> extends TaskLife {
  id: string;
  channel: string;
  /** The task's own uid in the channel (the recorder's, the bot's). */
  uid: string;
  owner: string;
  state: S;
}

/** What every entry of a task's append-only event log says (a kind adds its own fields). */
export interface TaskEvent<S extends string = string> {
  /** Increasing across the whole log. */
  id: number;
  at: number;
  state: S;
  source: ChangeSource;
  /** The row's last error when the event was written (why it failed, on a failed event). */
  lastError: StoredError | null;
}

/** The event a transition appends, in the same transaction as the row change. */
export interface EventDraft {
  source: ChangeSource;
}

export interface TaskListFilter<S extends string = string> {
  channel?: string | undefined;
  /** Only this owner's tasks. */
  owner?: string | undefined;
  state?: S | undefined;
  cursor?: string | undefined;
  limit: number;
}

/**
 * The uid is taken by an active task of the channel (enforced by a unique index). The starters
 * turn it into UID_CONFLICT or pick another uid; one that escapes them is our fault.
 */
export class UidTakenError extends CodedError {
  override readonly name = 'UidTakenError';
  readonly appCode = AppErrorCode.INTERNAL;
  constructor(
    readonly channel: string,
    readonly uid: string,
  ) {
    super(`uid ${uid} is already used by an active task of channel "${channel}"`);
  }
  override get publicMessage(): string {
    return INTERNAL_MESSAGE;
  }
}

/**
 * One kind's rows and event log in the registry, the same for every kind (store/task-table.ts):
 * the intent row, compare-and-set transitions with their event in one transaction, and reads.
 */
export interface TaskTable<R extends TaskRecord, P extends object, E extends TaskEvent<R['state']>> {
  /**
   * Records the intent to start, before any Agora call, with its first event in the same
   * transaction. Throws UidTakenError on a uid an active task of this kind in the channel holds.
   */
  insert(record: R): Promise<E>;
  /** Applies a patch unconditionally and returns the updated record, or undefined when there is none. */
  update(id: string, patch: P, now: number): Promise<R | undefined>;
  /**
   * Compare-and-set: applies the patch only if the row is still at `expectedVersion`, and appends
   * the event (with the row's new state) in the same transaction. Undefined when another write
   * came first (or the row is gone): re-read and decide again.
   */
  transition(
    id: string,
    expectedVersion: number,
    patch: P,
    now: number,
    event?: EventDraft,
  ): Promise<{ record: R; event: E | undefined } | undefined>;
  get(id: string): Promise<R | undefined>;
  list(filter: TaskListFilter<R['state']>): Promise<{ items: R[]; nextCursor: string | null }>;
  /** Tasks in an active state (starting, running, stopping), oldest first. */
  listActive(): Promise<R[]>;
  /** How many tasks are in each state (metrics, the overview). */
  countByState(): Promise<Partial<Record<R['state'], number>>>;
  /** Uids that active tasks of this kind in the channel use. */
  activeUids(channel: string): Promise<Set<string>>;
  /** The newest event of a task: its current state as watchers first see it. */
  latestEvent(taskId: string): Promise<E | undefined>;
  /** The task's events after `afterId` (all of them without), oldest first. */
  eventsAfter(taskId: string, afterId: number | undefined): Promise<E[]>;
  appendEvent(event: Omit<E, 'id'>): Promise<E>;
}
