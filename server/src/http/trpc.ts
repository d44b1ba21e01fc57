import type { IncomingMessage, ServerResponse } from 'node:http';
import { TRPCError } from '@trpc/server';
import { createHTTPHandler } from '@trpc/server/adapters/standalone';
import type { AppRouter } from '../routers/_app.js';
import type { Logger } from '../logger.js';
import { BATCH_TOO_LARGE } from '../trpc/errors.js';
import { readJsonBody, parseJsonText } from './body.js';
import { createTrpcFastPath } from './trpc-fast-path.js';
import { proceduresOfType } from './trpc-internals.js';
import { createTrpcSse } from './trpc-sse.js';
import { MethodNotAllowedError, VARY } from './respond.js';
import type { RequestTarget } from './request-target.js';
import type { ContextFactory } from './context.js';

export const TRPC_PATH = '/trpc';

/** How many calls a batch path (`a,b,c`) names, counted without splitting it. */
function countCalls(paths: string): number {
  let count = 1;
  for (let index = paths.indexOf(','); index !== -1; index = paths.indexOf(',', index + 1)) count++;
  return count;
}

export interface TrpcSurfaceOptions {
  router: AppRouter;
  createContext: ContextFactory;
  logger: Logger;
  maxBodyBytes: number;
  /** Calls one batch may carry: checked here before either road, and tRPC's own option on the adapter. */
  maxBatchSize: number;
  /** Default true (mutations' fast path, SSE written to the socket); false sends everything through tRPC's adapter (the equivalence test compares both). */
  fastPath?: boolean;
}

/**
 * tRPC over HTTP (queries, mutations, batches, SSE subscriptions). Bodies are read and checked by
 * the edge's one reader first, so every road gets the same limit, content-type rule and JSON
 * errors; then POSTed mutations take the fast path and everything else tRPC's own adapter.
 * Errors thrown here are written in tRPC's envelope by the edge.
 */
export function createTrpcSurface(options: TrpcSurfaceOptions) {
  const onError = ({ error, path }: { error: { code: string }; path?: string | undefined }) => {
    if (error.code === 'INTERNAL_SERVER_ERROR') options.logger.error({ err: error, path }, 'procedure failed');
  };
  const adapter = createHTTPHandler({
    router: options.router,
    basePath: `${TRPC_PATH}/`,
    createContext: options.createContext,
    maxBatchSize: options.maxBatchSize,
    onError,
    // tRPC sets its own Vary; keep Origin in it for CORS-aware caches.
    responseMeta: () => ({ headers: { vary: VARY } }),
  });
  const fastPath = createTrpcFastPath(options);
  const subscriptions = proceduresOfType(options.router, 'subscription');
  const sse = createTrpcSse(options);

  /** Not async: a token request makes only its body's promise here (Route.handle). */
  const handle = (req: IncomingMessage, res: ServerResponse, url: RequestTarget, head?: Record<string, string>): Promise<void> | void => {
    const batch = url.hasQuery && url.searchParams.get('batch') === '1';
    const procedurePath = url.pathname.slice(TRPC_PATH.length + 1);
    // Before the body is read: an oversized batch costs nothing, on either road.
    if (batch && countCalls(procedurePath) > options.maxBatchSize) throw new TRPCError({ code: 'BAD_REQUEST', message: BATCH_TOO_LARGE });
    if (req.method === 'POST') {
      // A subscription is a GET (SSE) or a WebSocket message; tRPC's adapter would answer a POST
      // with a 200 stream holding only the error. Refused before the body is read, with tRPC's words.
      const paths = batch ? procedurePath.split(',') : [procedurePath];
      const subscription = paths.find((path) => subscriptions.has(path));
      if (subscription !== undefined)
        throw new MethodNotAllowedError('GET', `Unsupported POST-request to subscription procedure at path "${subscription}"`);
      return readJsonBody(req, options.maxBodyBytes).then((body) => {
        if (options.fastPath !== false && fastPath.accepts(req, paths)) return fastPath.serve(req, res, paths, batch, body.value);
        // tRPC's adapter takes an already-read body from req.body.
        (req as IncomingMessage & { body?: string }).body = body.text;
        // An empty body needs no content type (the edge's rule); tell the adapter it is JSON.
        if (body.text === '') req.headers['content-type'] = 'application/json';
        adapter(req, res);
        return undefined;
      });
    }
    const input = url.searchParams.get('input');
    if (input !== null) parseJsonText(input, 'the input parameter');
    if (options.fastPath !== false && sse.accepts(req, procedurePath, url)) return sse.serve(req, res, procedurePath, url, head);
    adapter(req, res);
    return undefined;
  };
  return {
    handle,
    /** The SSE subscriptions it writes itself: held for hours, their head written at once (Route.holdsResponse). */
    holdsResponse: (req: IncomingMessage, url: RequestTarget) =>
      options.fastPath !== false && sse.accepts(req, url.pathname.slice(TRPC_PATH.length + 1), url),
  };
}
