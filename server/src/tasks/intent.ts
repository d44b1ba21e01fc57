import { AppErrorCode } from '@agora-backend/shared';
import type { AgoraClient, StorageConfig } from '../agora/index.js';
import type { Clock } from '../clock.js';
import { AppError } from '../errors.js';
import type { Logger } from '../logger.js';
import { UidTakenError } from '../store/index.js';
import type { TokenIssuer } from '../tokens/index.js';
import { allocateUid } from './uid-allocator.js';
import type { PublisherLookup } from './start-warnings.js';

/** What every kind's start runs on (its table and its own settings come beside these). */
export interface TaskStartSettings {
  agora: AgoraClient;
  tokens: TokenIssuer;
  clock: Clock;
  logger: Logger;
  /** The server's bucket, where the task writes its files. */
  storage: StorageConfig;
  /** RECORDER_UID_MIN..RECORDER_UID_MAX: where a task's own uid is picked. */
  uidRange: { min: number; max: number };
  /** Who publishes in a channel: a start warns when nobody does (none: no warnings). */
  publishers?: PublisherLookup | undefined;
}

/**
 * Writes a task's intent row (with its first event, published to watchers) before Agora hears
 * of the task: a crash from here on leaves a row the watchdog finds, never a task nobody knows
 * about. A uid the caller chose that an active task holds is UID_CONFLICT, with `taken` saying so.
 */
export async function insertIntent<R extends { uid: string }, E>(
  table: { insert(record: R): Promise<E> },
  bus: { publish(event: E): void } | undefined,
  row: R,
  chosen: { byCaller: boolean; taken: string },
): Promise<void> {
  try {
    bus?.publish(await table.insert(row));
  } catch (error) {
    if (error instanceof UidTakenError && chosen.byCaller)
      throw new AppError(AppErrorCode.UID_CONFLICT, `uid ${row.uid} ${chosen.taken}; choose another uid or leave it out`);
    throw error;
  }
}

/**
 * Starts a task on a free uid of `range`: tries a random one that none of `taken` uses, and after
 * a collision (the registry's unique index, or Agora saying the uid is in use: `collided`) another,
 * three times at most. `taken` is read only when first needed, if it is a function.
 */
export async function onFreeUid<T>(options: {
  range: { min: number; max: number };
  taken: Set<string> | (() => Promise<Set<string>>);
  collided: (error: unknown) => boolean;
  /** What the UID_CONFLICT says when the range has no free uid left. */
  exhausted: string;
  start: (uid: string) => Promise<T>;
}): Promise<T> {
  let taken = typeof options.taken === 'function' ? undefined : options.taken;
  for (let attempt = 0; ; attempt++) {
    const uid = allocateUid(options.range, taken ?? new Set());
    if (uid === undefined) throw new AppError(AppErrorCode.UID_CONFLICT, options.exhausted);
    try {
      return await options.start(uid);
    } catch (error) {
      if (!(error instanceof UidTakenError || options.collided(error)) || attempt >= 2) throw error;
      taken ??= typeof options.taken === 'function' ? await options.taken() : new Set();
      taken.add(uid);
    }
  }
}
