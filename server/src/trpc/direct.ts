import { getTRPCErrorFromUnknown, TRPCError } from '@trpc/server';
import type { z } from 'zod';
import type { Caller, Scope } from '../auth/index.js';
import type { Context } from './context.js';
import { toTRPCError } from './errors.js';
import { requireCaller } from './procedures.js';

/**
 * A procedure called without tRPC's middleware chain. `readInput` gives the raw input (it may
 * throw: a transport's decoding failure is the input's fault, 400, as in tRPC's adapter). A
 * resolver that answers at once is answered at once: its errors are thrown, not rejected, and no
 * promise is made (one per call and per await was a measurable share of a token request).
 */
export type DirectProcedure<Output> = (ctx: Context, readInput: () => unknown) => Output | Promise<Output>;

/** As tRPC's chain leaves an error: anything becomes a TRPCError, our classes with their own code. */
function throwAsTrpc(cause: unknown): never {
  const error = getTRPCErrorFromUnknown(cause);
  throw toTRPCError(error.cause) ?? error;
}

/**
 * The road of the hottest calls (token.generate, on every surface): the same steps as a
 * `scopedProcedure(scope).input(schema)` procedure, in the same order — caller, then input, then
 * the resolver — throwing the same TRPCErrors, but without tRPC's chain, which builds and copies
 * an options object and a promise per step (four steps per call; the profile's largest item
 * after the token itself). The resolver is the procedure's own, so there is one implementation;
 * the output is not re-validated (its type is the output schema's, a test holds it to the
 * schema), and test/src and the equivalence test hold its answers to the adapter's.
 */
export function directProcedure<Schema extends z.ZodType, Output>(
  scope: Scope,
  schema: Schema,
  /** The procedure's resolver, given the caller apart (no copy of the context per call). */
  resolve: (ctx: Context, caller: Caller, input: z.output<Schema>) => Output | Promise<Output>,
  /**
   * The schema's parse of its commonest inputs, without zod, or undefined for any other input
   * (the schema parses those, so refusals keep its errors). It must accept only what the schema
   * accepts and return what it returns.
   */
  parseCommon?: (raw: unknown) => z.output<Schema> | undefined,
): DirectProcedure<Output> {
  return (ctx, readInput) => {
    try {
      const caller = requireCaller(ctx.auth, scope);
      let input: z.output<Schema>;
      try {
        const raw = readInput();
        input = parseCommon?.(raw) ?? schema.parse(raw);
      } catch (cause) {
        throw new TRPCError({ code: 'BAD_REQUEST', cause });
      }
      const output = resolve(ctx, caller, input);
      return output instanceof Promise ? output.catch(throwAsTrpc) : output;
    } catch (cause) {
      return throwAsTrpc(cause);
    }
  };
}
