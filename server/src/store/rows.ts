import type { Kysely, Selectable, Transaction } from 'kysely';
import { z } from 'zod';
import type { Database } from './schema.js';
import type { StoredError, TaskLife, TaskLifePatch } from './task-types.js';

/** Reading and writing rows, shared by the recordings' and the transcriptions' tables. */

const StoredErrorSchema = z.object({
  message: z.string(),
  agora: z.object({ httpStatus: z.number(), code: z.number().optional(), reason: z.string().optional() }).optional(),
  reason: z.string().optional(),
  from: z.enum(['notice', 'query', 'call', 'rule']).optional(),
});

export const json = (value: unknown) => JSON.stringify(value);

export const parseError = (text: string | null): StoredError | null => (text === null ? null : StoredErrorSchema.parse(JSON.parse(text)));

/** An event's copy of the row's last error (null: none). */
export const errorColumn = (error: StoredError | null) => (error === null ? null : json(error));

/** PostgreSQL returns bigint columns as strings; SQLite as numbers. */
export const toNumber = (value: number | string | null): number | null => (value === null ? null : Number(value));

export type Db = Kysely<Database> | Transaction<Database>;

/** The columns of a task's life, the same in the recordings' and the transcriptions' tables. */
type LifeRow = Pick<
  Selectable<Database['recordings']>,
  'last_error' | 'created_at' | 'started_at' | 'updated_at' | 'stopped_at' | 'version' | 'not_found_since' | 'not_found_last_at'
>;

export function lifeFromRow(row: LifeRow): TaskLife {
  return {
    lastError: parseError(row.last_error),
    createdAt: Number(row.created_at),
    startedAt: toNumber(row.started_at),
    updatedAt: Number(row.updated_at),
    stoppedAt: toNumber(row.stopped_at),
    version: row.version,
    notFoundSince: toNumber(row.not_found_since),
    notFoundLastAt: toNumber(row.not_found_last_at),
  };
}

/** A new row's life columns. */
export function lifeColumns(life: TaskLife) {
  return {
    last_error: life.lastError === null ? null : json(life.lastError),
    created_at: life.createdAt,
    started_at: life.startedAt,
    updated_at: life.updatedAt,
    stopped_at: life.stoppedAt,
    version: life.version,
    not_found_since: life.notFoundSince,
    not_found_last_at: life.notFoundLastAt,
  };
}

/** A patch's life columns, added to `values` (only what the patch sets). */
export function addLifePatch(values: Partial<Record<keyof LifeRow, unknown>>, patch: TaskLifePatch): void {
  if (patch.lastError !== undefined) values.last_error = patch.lastError === null ? null : json(patch.lastError);
  if (patch.startedAt !== undefined) values.started_at = patch.startedAt;
  if (patch.stoppedAt !== undefined) values.stopped_at = patch.stoppedAt;
  if (patch.notFoundSince !== undefined) values.not_found_since = patch.notFoundSince;
  if (patch.notFoundLastAt !== undefined) values.not_found_last_at = patch.notFoundLastAt;
}

export function isUniqueViolation(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const code = 'code' in error ? String(error.code) : '';
  const message = error instanceof Error ? error.message : '';
  return code === '23505' || code.startsWith('SQLITE_CONSTRAINT') || /UNIQUE constraint failed/.test(message);
}

/** A page's cursor: the last row's creation time and id (lists run newest first). */
export const encodeCursor = (record: { createdAt: number; id: string }) =>
  Buffer.from(`${record.createdAt}:${record.id}`).toString('base64url');
export function decodeCursor(cursor: string): { createdAt: number; id: string } | undefined {
  const match = /^(\d+):(.+)$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  return match ? { createdAt: Number(match[1]), id: match[2]! } : undefined;
}
