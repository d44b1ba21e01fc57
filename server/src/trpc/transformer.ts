import { TRPCError } from '@trpc/server';
import superjson from 'superjson';
import { AppErrorCode } from '@agora-backend/shared';
import { AppError } from '../errors.js';
import { flatCopy } from './flat-json.js';
import { superjsonFrameProblem } from './superjson-frame.js';

/** A malformed input frame: the caller's error (400, MALFORMED_REQUEST), in our words. */
function malformed(message: string, cause?: unknown): TRPCError {
  return new TRPCError({ code: 'BAD_REQUEST', message, cause: new AppError(AppErrorCode.MALFORMED_REQUEST, message, { cause }) });
}

/**
 * superjson on the wire, with its decoding of inputs made the caller's error: tRPC's adapters call
 * the transformer outside the input validator, so a malformed envelope (a `meta` that recurses,
 * `__proto__` paths, unknown transformations, a bare `null`) would otherwise answer 500. The frame
 * is checked first (superjson-frame.ts), on every surface (HTTP, batches, WebSocket, SSE), so no
 * input makes superjson recurse; what superjson still refuses is told in our words, never its own.
 */
/**
 * superjson's encoding of a flat answer (trpc/flat-json.ts's flatCopy: token.generate's), built
 * without superjson's walker, or undefined for anything else (superjson encodes it). superjson's
 * walk of such an object (path bookkeeping, a copy, a meta tree) was the largest item of the tRPC
 * answer in the token path's profile (bench/README.md, issue 35); transformer.test.ts holds the
 * two equal.
 */
export function serializeFlat(
  value: unknown,
): { json: Record<string, unknown>; meta?: { values: Record<string, ['Date']>; v: 1 } } | undefined {
  const flat = flatCopy(value);
  if (flat === undefined) return undefined;
  if (flat.dateKeys === undefined) return { json: flat.json };
  const values: Record<string, ['Date']> = {};
  for (const key of flat.dateKeys) values[key] = ['Date'];
  return { json: flat.json, meta: { values, v: 1 } };
}

/**
 * What superjson.deserialize returns for a frame `{ json }` (no meta) whose json is a plain object
 * of strings, finite numbers, booleans and nulls — every token.generate call — or undefined for
 * any other frame: a copy of the object (superjson copies its input). Such a frame passes the
 * frame check (one level, no meta), so both are skipped: superjson's copy and the frame walk were
 * ~2 % of the tRPC token path, once per call of a batch (bench/README.md, issue 35).
 */
export function deserializeFlat(frame: unknown): Record<string, unknown> | undefined {
  if (typeof frame !== 'object' || frame === null || Object.getPrototypeOf(frame) !== Object.prototype) return undefined;
  let json: unknown;
  for (const key in frame) {
    if (key !== 'json') return undefined;
    json = (frame as { json: unknown }).json;
  }
  if (typeof json !== 'object' || json === null || Object.getPrototypeOf(json) !== Object.prototype) return undefined;
  const copy: Record<string, unknown> = {};
  for (const key in json) {
    const field = (json as Record<string, unknown>)[key];
    if (key === '__proto__' || (typeof field === 'object' && field !== null) || typeof field === 'function') return undefined;
    copy[key] = field;
  }
  return copy;
}

export const transformer = {
  input: {
    serialize: (value: unknown) => superjson.serialize(value),
    deserialize: (value: unknown): unknown => {
      const flat = deserializeFlat(value);
      if (flat !== undefined) return flat;
      const problem = superjsonFrameProblem(value);
      if (problem !== undefined) throw malformed(problem);
      try {
        return superjson.deserialize(value as Parameters<typeof superjson.deserialize>[0]);
      } catch (cause) {
        throw malformed("input.meta: its annotations do not match the input's json", cause);
      }
    },
  },
  output: {
    serialize: (value: unknown) => serializeFlat(value) ?? superjson.serialize(value),
    deserialize: (value: unknown): unknown => superjson.deserialize(value as Parameters<typeof superjson.deserialize>[0]),
  },
};
