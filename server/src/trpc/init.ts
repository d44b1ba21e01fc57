import { initTRPC } from '@trpc/server';
import superjson from 'superjson';
import type { Context } from './context.js';
import { formatError } from './errors.js';

/** The single initTRPC of the server (DESIGN §4.3). */
const t = initTRPC.context<Context>().create({
  transformer: superjson,
  errorFormatter({ shape, error }) {
    const formatted = formatError(error);
    // `stack` is only set by tRPC in development; we never send it.
    const { stack: _stack, ...data } = shape.data;
    return { ...shape, message: formatted.message, data: { ...data, ...formatted.data } };
  },
});

export const router = t.router;
export const publicProcedure = t.procedure;
export const createCallerFactory = t.createCallerFactory;
