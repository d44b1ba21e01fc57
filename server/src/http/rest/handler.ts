import type { IncomingMessage, ServerResponse } from 'node:http';
import { AppErrorCode } from '@agora-backend/shared';
import { AppError } from '../../errors.js';
import { appRouter, directProcedures } from '../../routers/_app.js';
import { readJsonBody } from '../body.js';
import { MethodNotAllowedError, sendJson } from '../respond.js';
import { createPathCaller } from '../trpc-internals.js';
import { matchRoute, type RestMatch, type RestRoute } from './routes.js';
import type { RequestTarget } from '../request-target.js';
import type { ContextFactory } from '../context.js';
import type { Context } from '../../trpc/context.js';

export const REST_PREFIX = '/api/v1';

export interface RestHandlerOptions {
  createContext: ContextFactory;
  maxBodyBytes: number;
}

/** Query parameters a route does not declare are refused, as the OpenAPI document says. */
function checkQuery(route: RestRoute, url: RequestTarget): Record<string, string> {
  // Most requests have no query: its parameters are then never parsed.
  if (!url.hasQuery) return {};
  const query = url.searchParams;
  if (query.size === 0) return {};
  const known = new Set(Object.keys(route.querySchema?.shape ?? {}));
  const values: Record<string, string> = {};
  for (const [name, value] of query) {
    if (!known.has(name))
      throw new AppError(
        AppErrorCode.MALFORMED_REQUEST,
        `${name}: is not a query parameter of ${route.method} ${REST_PREFIX}${route.path}`,
      );
    if (name in values) throw new AppError(AppErrorCode.MALFORMED_REQUEST, `${name}: given more than once`);
    values[name] = value;
  }
  return values;
}

/**
 * Serves /api/v1: plain JSON over HTTP for callers that do not speak tRPC (mobile apps, curl).
 * Each route is a procedure; its errors are thrown to the edge, which writes them.
 */
export function createRestHandler(options: RestHandlerOptions) {
  const call = createPathCaller(appRouter);
  /** The procedure's answer, written; at once when the context and the procedure answer at once (the token path). */
  const answer = (req: IncomingMessage, res: ServerResponse, match: RestMatch, query: Record<string, string>, body: unknown) => {
    const made = options.createContext({ req });
    if (made instanceof Promise) return made.then((ctx) => respond(res, match, ctx, query, body));
    return respond(res, match, made, query, body);
  };
  const respond = (res: ServerResponse, match: RestMatch, ctx: Context, query: Record<string, string>, body: unknown) => {
    const input = match.route.input({ params: match.params, query, body });
    const direct = directProcedures.get(match.route.procedure);
    const result = direct ? direct(ctx, () => input) : call(ctx, match.route.procedure, input);
    if (result instanceof Promise) return result.then((output) => sendJson(res, match.route.successStatus, output));
    sendJson(res, match.route.successStatus, result);
    return undefined;
  };
  // Not async: no promise of its own, only the body's and those of what waits (RestRoute.handle).
  return (req: IncomingMessage, res: ServerResponse, url: RequestTarget): Promise<void> | void => {
    // HEAD is a GET without the body (Node leaves it out): wherever GET is served, HEAD is too.
    const read = req.method === 'GET' || req.method === 'HEAD';
    const match = matchRoute(req.method === 'HEAD' ? 'GET' : (req.method ?? 'GET'), url.pathname.slice(REST_PREFIX.length) || '/');
    if (!match) throw new AppError(AppErrorCode.NOT_FOUND, `no route ${req.method ?? ''} ${url.pathname}`);
    if ('allowed' in match)
      throw new MethodNotAllowedError(match.allowed.flatMap((method) => (method === 'GET' ? ['GET', 'HEAD'] : [method])).join(', '));
    const query = checkQuery(match.route, url);
    if (read) return answer(req, res, match, query, undefined);
    return readJsonBody(req, options.maxBodyBytes).then((body) => answer(req, res, match, query, body.value));
  };
}
