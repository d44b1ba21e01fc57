import type { IncomingMessage, ServerResponse } from 'node:http';
import { callTRPCProcedure, getErrorShape, getTRPCErrorFromUnknown, transformTRPCResponse, TRPCError } from '@trpc/server';
import type { AppRouter } from '../routers/_app.js';
import { getHTTPStatusCode, getHTTPStatusCodeFromError } from '@trpc/server/http';
import { BodyTooLargeError, readRawBody } from '../http/body.js';
import type { Logger } from '../logger.js';
import type { Context } from './context.js';

/**
 * A lighter road for the commonest calls: mutations POSTed as JSON, one at a time or batched by
 * httpBatchLink (how token.generate is called). It runs the procedures exactly as tRPC does —
 * the same middlewares, input and output validation, error formatter, wire format and batch
 * status rules — through callTRPCProcedure, but skips the adapter's conversion of every request
 * into a Fetch Request/Response with its abort signals, which dominated the profile
 * (bench/README.md). Anything else (queries, subscriptions, streaming accept headers) returns
 * false and goes through the full adapter.
 */
export function createSingleCallHandler(options: {
  router: AppRouter;
  createContext(opts: { req: IncomingMessage }): Promise<Context>;
  maxBodyBytes: number;
  logger: Logger;
}) {
  const config = options.router._def._config;
  // The router's procedures by dotted path ("token.generate"), as tRPC flattens them.
  const mutations = new Set(
    Object.entries(options.router._def.procedures as object)
      .filter(([, procedure]: [string, unknown]) => typeof procedure === 'function' && '_def' in procedure && (procedure._def as { type?: unknown }).type === 'mutation')
      .map(([path]) => path),
  );

  const send = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json', vary: 'trpc-accept' });
    res.end(JSON.stringify(body));
  };

  type Outcome = { item: { result: { data: unknown } } | { error: unknown }; error: TRPCError | undefined };

  const failure = (error: TRPCError, path: string | undefined, input: unknown, ctx: Context | undefined): Outcome => {
    if (error.code === 'INTERNAL_SERVER_ERROR') options.logger.error({ err: error, path }, 'procedure failed');
    return { item: { error: getErrorShape({ config, error, type: 'mutation', path, input, ctx }) }, error };
  };

  const callOne = async (path: string, raw: unknown, ctx: Context, batchIndex: number): Promise<Outcome> => {
    let input: unknown;
    try {
      input = raw === undefined ? undefined : config.transformer.input.deserialize(raw);
      const data: unknown = await callTRPCProcedure({ router: options.router, path, getRawInput: () => Promise.resolve(input), ctx, type: 'mutation', signal: undefined, batchIndex });
      return { item: { result: { data } }, error: undefined };
    } catch (cause) {
      return failure(getTRPCErrorFromUnknown(cause), path, input, ctx);
    }
  };

  /** The body and context, or the error that stops the whole request. */
  const prepare = async (req: IncomingMessage): Promise<{ body: unknown; ctx: Context } | { error: TRPCError }> => {
    try {
      const text = (await readRawBody(req, options.maxBodyBytes)).toString('utf8');
      const body: unknown = text === '' ? undefined : JSON.parse(text);
      return { body, ctx: await options.createContext({ req }) };
    } catch (cause) {
      if (cause instanceof BodyTooLargeError) return { error: new TRPCError({ code: 'PAYLOAD_TOO_LARGE', message: cause.message }) };
      if (cause instanceof SyntaxError) return { error: new TRPCError({ code: 'PARSE_ERROR', message: 'the request body is not valid JSON', cause }) };
      return { error: getTRPCErrorFromUnknown(cause) };
    }
  };

  return async (req: IncomingMessage, res: ServerResponse, pathPart: string, search: string): Promise<boolean> => {
    if (req.method !== 'POST' || req.headers['trpc-accept'] !== undefined) return false;
    const batch = search === '?batch=1';
    if (!batch && search !== '') return false;
    const paths = batch ? pathPart.split(',') : [pathPart];
    if (paths.some((path) => !mutations.has(path))) return false;
    const contentType = req.headers['content-type'];
    if (contentType !== undefined && !contentType.startsWith('application/json')) return false;

    const prepared = await prepare(req);
    let outcomes: Outcome[];
    if ('error' in prepared) {
      outcomes = paths.map((path) => failure(prepared.error, path, undefined, undefined));
    } else {
      const { body, ctx } = prepared;
      const inputOf = (index: number) =>
        batch ? (typeof body === 'object' && body !== null ? (body as Record<string, unknown>)[String(index)] : undefined) : body;
      outcomes = await Promise.all(paths.map((path, index) => callOne(path, inputOf(index), ctx, index)));
    }
    const items = outcomes.map((outcome) => outcome.item);
    // tRPC's statuses: the error's for one call; for a batch, the shared one, else 207.
    const status = batch
      ? getHTTPStatusCode(items as Parameters<typeof getHTTPStatusCode>[0], outcomes.map((outcome) => outcome.error))
      : outcomes[0]!.error
        ? getHTTPStatusCodeFromError(outcomes[0]!.error)
        : 200;
    send(res, status, transformTRPCResponse(config, (batch ? items : items[0]) as Parameters<typeof transformTRPCResponse>[1]));
    return true;
  };
}
