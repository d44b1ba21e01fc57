import type { IncomingMessage, ServerResponse } from 'node:http';
import { getTRPCErrorFromUnknown, TRPCError } from '@trpc/server';
import { directProcedures, type AppRouter } from '../routers/_app.js';
import type { Logger } from '../logger.js';
import type { Context } from '../trpc/context.js';
import { sendBody, VARY } from './respond.js';
import { callProcedure, proceduresOfType, statusOfBatch, statusOfError, wireFormat, type TrpcResponseItem } from './trpc-internals.js';
import type { ContextFactory } from './context.js';

/**
 * The edge's light road for the commonest calls: mutations POSTed as JSON, one at a time or batched
 * by httpBatchLink (how token.generate is called). It runs the procedures as tRPC's adapter does —
 * the same middlewares, input decoding inside the procedure, validation, error formatter, wire
 * format and batch status rules — but skips the conversion of every request into a Fetch
 * Request/Response, which dominated the profile (bench/README.md). The edge has already read and
 * checked the body. Equivalence with the adapter is asserted by server/src/http/trpc-equivalence.test.ts.
 */
export function createTrpcFastPath(options: { router: AppRouter; createContext: ContextFactory; logger: Logger }) {
  const wire = wireFormat(options.router);
  const mutations = proceduresOfType(options.router, 'mutation');

  type Outcome = { item: TrpcResponseItem; error: TRPCError | undefined };

  const failure = (error: TRPCError, path: string | undefined, ctx: Context | undefined): Outcome => {
    if (error.code === 'INTERNAL_SERVER_ERROR') options.logger.error({ err: error, path }, 'procedure failed');
    return { item: { error: wire.errorShape(error, 'mutation', path, ctx) }, error };
  };

  const succeeded = (data: unknown): Outcome => ({ item: { result: { data } }, error: undefined });

  /**
   * One call's outcome; at once (no promise) when its procedure is direct and answers at once, as
   * token.generate does: a promise per call of a batch of ten was a measurable share of it.
   */
  const callOne = (
    path: string,
    raw: unknown,
    ctx: Context,
    batchIndex: number,
    signal: AbortSignal | undefined,
  ): Outcome | Promise<Outcome> => {
    const fail = (cause: unknown) => failure(getTRPCErrorFromUnknown(cause), path, ctx);
    try {
      // Decoded inside the procedure, as the adapter does: bad superjson framing is the input's fault (400).
      const readInput = (): unknown => (raw === undefined ? undefined : wire.deserializeInput(raw));
      const direct = directProcedures.get(path);
      const data: unknown = direct
        ? direct(ctx, readInput)
        : callProcedure({
            router: options.router,
            path,
            getRawInput: () => Promise.resolve(readInput()),
            ctx,
            type: 'mutation',
            signal,
            batchIndex,
          });
      return data instanceof Promise ? data.then(succeeded, fail) : succeeded(data);
    } catch (cause) {
      return fail(cause);
    }
  };

  /** Whether this request is one the fast path serves (otherwise tRPC's adapter does). */
  const accepts = (req: IncomingMessage, paths: string[]) =>
    req.method === 'POST' &&
    req.headers['trpc-accept'] === undefined &&
    !req.headers.accept?.includes('application/jsonl') &&
    paths.every((path) => mutations.has(path));

  /** Inputs by batch index; a batch whose body is not an object is refused as tRPC refuses it. */
  const inputsOf = (body: unknown, batch: boolean, count: number): unknown[] => {
    if (!batch) return [body];
    if (body === undefined) return new Array<unknown>(count).fill(undefined);
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw new TRPCError({ code: 'BAD_REQUEST', message: '"input" needs to be an object when doing a batch call' });
    }
    return Array.from({ length: count }, (_unused, index) => (body as Record<string, unknown>)[String(index)]);
  };

  /** Writes tRPC's answer: the error's status for one call; for a batch, the shared one, else 207. */
  const write = (res: ServerResponse, batch: boolean, outcomes: readonly Outcome[]): void => {
    const items = outcomes.map((outcome) => outcome.item);
    const status = batch
      ? statusOfBatch(
          items,
          outcomes.map((outcome) => outcome.error),
        )
      : outcomes[0]!.error
        ? statusOfError(outcomes[0]!.error)
        : 200;
    sendBody(res, status, { 'content-type': 'application/json', vary: VARY }, wire.responseText(batch ? items : items[0]!));
  };

  /** The calls' outcomes, at once when every call answers at once. */
  const run = (
    paths: string[],
    batch: boolean,
    body: unknown,
    ctx: Context,
    signal: AbortSignal | undefined,
  ): (Outcome | Promise<Outcome>)[] => {
    try {
      const inputs = inputsOf(body, batch, paths.length);
      return paths.map((path, index) => callOne(path, inputs[index], ctx, index, signal));
    } catch (cause) {
      // As in the adapter, where reading the inputs fails inside each call.
      const error = getTRPCErrorFromUnknown(cause);
      return paths.map((path) => failure(error, path, ctx));
    }
  };

  /**
   * Runs the calls and writes tRPC's answer. Not async: a request whose context and calls answer
   * at once (token.generate's) makes no promise here (Route.handle).
   */
  const serve = (req: IncomingMessage, res: ServerResponse, paths: string[], batch: boolean, body: unknown): Promise<void> | void => {
    // A client that goes away aborts its calls, as the adapter's request signal does. Direct
    // procedures take no signal (they do not wait on anything), and a controller is not free.
    const controller = paths.every((path) => directProcedures.has(path)) ? undefined : new AbortController();
    const onClose = () => {
      if (!res.writableFinished) controller?.abort();
    };
    if (controller) res.once('close', onClose);
    const finish = (outcomes: readonly Outcome[]) => {
      if (controller) res.off('close', onClose);
      write(res, batch, outcomes);
    };
    const settle = (ctx: Context): Promise<void> | void => {
      const settled = run(paths, batch, body, ctx, controller?.signal);
      if (settled.some((outcome) => outcome instanceof Promise))
        return Promise.all(settled.map((outcome) => Promise.resolve(outcome))).then(finish);
      finish(settled as Outcome[]);
      return undefined;
    };
    const made = options.createContext({ req });
    return made instanceof Promise ? made.then(settle) : settle(made);
  };

  return { accepts, serve };
}
