import { initTRPC } from '@trpc/server';
import type { Context } from './context.js';
import { formatError, toTRPCError } from './errors.js';
import { transformer } from './transformer.js';

/** The single initTRPC of the server: one error formatter, one wire format. */
const t = initTRPC.context<Context>().create({
  transformer,
  errorFormatter({ shape, error }) {
    const formatted = formatError(error);
    // `stack` is only set by tRPC in development; we never send it.
    const { stack: _stack, ...data } = shape.data;
    return { ...shape, message: formatted.message, data: { ...data, ...formatted.data } };
  },
});

export const router = t.router;

/** A middleware's outcome with our error classes turned into TRPCErrors with the right code. */
export function mapErrors<R extends { ok: boolean }>(result: R): R {
  if (!result.ok) {
    const mapped = toTRPCError((result as R & { error: { cause?: unknown } }).error.cause);
    if (mapped) throw mapped;
  }
  return result;
}

/** Every procedure: our error classes become TRPCErrors with the right code on the way out. */
export const publicProcedure = t.procedure.use(async ({ next }) => mapErrors(await next()));

/** The bare builder, for middlewares that map errors themselves (one step fewer per call). */
export const baseProcedure = t.procedure;
