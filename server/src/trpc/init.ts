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

/** Every procedure: our error classes become TRPCErrors with the right code on the way out. */
export const publicProcedure = t.procedure.use(async ({ next }) => {
  const result = await next();
  if (!result.ok) {
    const mapped = toTRPCError(result.error.cause);
    if (mapped) throw mapped;
  }
  return result;
});
