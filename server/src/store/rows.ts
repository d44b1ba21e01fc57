import type { Kysely, Transaction } from 'kysely';
import { z } from 'zod';
import type { Database } from './schema.js';
import type { StoredError } from './types.js';

/** Reading and writing rows, shared by the recordings' and the transcriptions' tables. */

const StoredErrorSchema = z.object({
  message: z.string(),
  agora: z.object({ httpStatus: z.number(), code: z.number().optional(), reason: z.string().optional() }).optional(),
});

export const json = (value: unknown) => JSON.stringify(value);

export const parseError = (text: string | null): StoredError | null => (text === null ? null : StoredErrorSchema.parse(JSON.parse(text)));

/** PostgreSQL returns bigint columns as strings; SQLite as numbers. */
export const toNumber = (value: number | string | null): number | null => (value === null ? null : Number(value));

export type Db = Kysely<Database> | Transaction<Database>;

export function isUniqueViolation(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const code = 'code' in error ? String(error.code) : '';
  const message = error instanceof Error ? error.message : '';
  return code === '23505' || code.startsWith('SQLITE_CONSTRAINT') || /UNIQUE constraint failed/.test(message);
}

/** A page's cursor: the last row's creation time and id (lists run newest first). */
export const encodeCursor = (record: { createdAt: number; id: string }) => Buffer.from(`${record.createdAt}:${record.id}`).toString('base64url');
export function decodeCursor(cursor: string): { createdAt: number; id: string } | undefined {
  const match = /^(\d+):(.+)$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  return match ? { createdAt: Number(match[1]), id: match[2]! } : undefined;
}
