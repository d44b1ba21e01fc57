import { TRPCError } from '@trpc/server';
import superjson from 'superjson';

/**
 * superjson on the wire, with its decoding of inputs made the caller's error: tRPC's adapters call
 * the transformer outside the input validator, so a malformed envelope (a `meta` that recurses,
 * `__proto__` paths, unknown transformations, a bare `null`) would otherwise answer 500.
 */
export const transformer = {
  input: {
    serialize: (value: unknown) => superjson.serialize(value),
    deserialize: (value: unknown): unknown => {
      try {
        return superjson.deserialize(value as Parameters<typeof superjson.deserialize>[0]);
      } catch (cause) {
        const reason = cause instanceof Error ? cause.message : String(cause);
        throw new TRPCError({ code: 'BAD_REQUEST', message: `the input is not valid superjson: ${reason}`, cause });
      }
    },
  },
  output: superjson,
};
