import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../logger.js';
import { appRouter } from '../routers/_app.js';
import type { Context } from '../trpc/context.js';
import { BodyTooLargeError } from '../http/body.js';
import { BodyNotJsonError, errorResponse, readJsonBody, sendJson } from './http.js';
import { matchRoute } from './routes.js';

export const REST_PREFIX = '/api/v1';

export interface RestHandlerOptions {
  createContext(options: { req: IncomingMessage }): Promise<Context>;
  logger: Logger;
  maxBodyBytes: number;
}

/** Serves /api/v1: plain JSON over HTTP for callers that do not speak tRPC (mobile apps, curl). */
export function createRestHandler(options: RestHandlerOptions) {
  return async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
    const path = url.pathname.slice(REST_PREFIX.length) || '/';
    const match = matchRoute(req.method ?? 'GET', path);
    if (!match) {
      sendJson(res, 404, { code: 'NOT_FOUND', message: `no route ${req.method ?? ''} ${url.pathname}` });
      return;
    }
    if ('allowed' in match) {
      sendJson(res, 405, { code: 'METHOD_NOT_SUPPORTED', message: `use ${match.allowed.join(' or ')}` }, { allow: match.allowed.join(', ') });
      return;
    }
    try {
      const body = req.method === 'GET' ? undefined : await readJsonBody(req, options.maxBodyBytes);
      const ctx = await options.createContext({ req });
      const input = match.route.input({ params: match.params, query: Object.fromEntries(url.searchParams), body });
      const result = await match.route.call(appRouter.createCaller(ctx), input);
      sendJson(res, match.route.successStatus, result);
    } catch (error) {
      if (error instanceof BodyTooLargeError) {
        sendJson(res, 413, { code: 'PAYLOAD_TOO_LARGE', message: error.message });
        return;
      }
      if (error instanceof BodyNotJsonError) {
        sendJson(res, 400, { code: 'BAD_REQUEST', message: error.message });
        return;
      }
      const { status, body, headers } = errorResponse(error, options.logger);
      sendJson(res, status, body, headers);
    }
  };
}
