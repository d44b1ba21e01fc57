import { TRPCError } from '@trpc/server';
import superjson from 'superjson';
import { AppErrorCode } from '@agora-backend/shared';
import { AppError } from '../errors.js';
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
export const transformer = {
  input: {
    serialize: (value: unknown) => superjson.serialize(value),
    deserialize: (value: unknown): unknown => {
      const problem = superjsonFrameProblem(value);
      if (problem !== undefined) throw malformed(problem);
      try {
        return superjson.deserialize(value as Parameters<typeof superjson.deserialize>[0]);
      } catch (cause) {
        throw malformed("input.meta: its annotations do not match the input's json", cause);
      }
    },
  },
  output: superjson,
};
