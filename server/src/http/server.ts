import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { AppErrorCode } from '@agora-backend/shared';
import { AppError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { AppRouter } from '../routers/_app.js';
import { applyCors, exposeRefusal } from './cors.js';
import type { OriginPolicy } from './origin-policy.js';
import { describeError, MethodNotAllowedError, sendError, type Surface } from './respond.js';

/** One entry of the edge's route table: every way into the server is one of these. */
export interface Route {
  name: string;
  matches(pathname: string): boolean;
  /** Methods it serves; others get 405 with Allow. OPTIONS (preflight) is added where `cors` is set. */
  methods: readonly string[];
  /** How its errors are written. */
  surface: Surface;
  /** Browser-callable: CORS headers for allowed origins, and preflight answered. */
  cors: boolean;
  /** Refuse URLs that carry credentials (tRPC's `connectionParams` query parameter). */
  refuseUrlCredentials?: boolean;
  handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void>;
}

export interface EdgeOptions {
  routes: readonly Route[];
  policy: OriginPolicy;
  router: AppRouter;
  logger: Logger;
  /** Whether the server is shutting down (new connections are told to close). */
  draining(): boolean;
}

/** A request's URL; a request line Node let through but URL cannot read is the caller's error. */
export function parseRequestUrl(req: IncomingMessage): URL {
  try {
    return new URL(req.url ?? '/', 'http://localhost');
  } catch {
    throw new AppError(AppErrorCode.MALFORMED_REQUEST, 'the request URL cannot be parsed');
  }
}

/** The checks every request passes before its route runs; throws what the caller is told. */
function admit(options: EdgeOptions, req: IncomingMessage, res: ServerResponse, route: Route | undefined, url: URL): boolean {
  try {
    options.policy.check(req);
  } catch (error) {
    // A browser-callable route lets the refused page read why (its preflight answered, then 403).
    if (route?.cors && exposeRefusal(req, res)) return false;
    throw error;
  }
  if (!route) throw new AppError(AppErrorCode.NOT_FOUND, `no route ${url.pathname}`);
  if (route.cors && applyCors(options.policy, req, res)) return false;
  if (!route.methods.includes(req.method ?? '')) throw new MethodNotAllowedError([...route.methods, ...(route.cors ? ['OPTIONS'] : [])].join(', '));
  if (route.refuseUrlCredentials && url.searchParams.has('connectionParams')) {
    throw new AppError(AppErrorCode.MALFORMED_REQUEST, 'credentials must not travel in the URL: send them in the Authorization header');
  }
  if (options.draining()) res.setHeader('connection', 'close');
  return true;
}

/**
 * The HTTP server around the route table. Every request goes through the same steps (URL, origin
 * and host policy, CORS, method, route) and every failure, of any kind, ends in the one error
 * mapping: no input can crash the process or leave a request unanswered.
 */
export function createEdgeServer(options: EdgeOptions): Server {
  const { logger } = options;
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    let surface: Surface = 'rest';
    try {
      const url = parseRequestUrl(req);
      const route = options.routes.find((candidate) => candidate.matches(url.pathname));
      if (route) surface = route.surface;
      if (!admit(options, req, res, route, url)) return;
      await route!.handle(req, res, url);
    } catch (error) {
      if (!res.headersSent) sendError(res, surface, error, logger, options.router);
      else {
        logger.error({ err: error }, 'request failed after its answer began');
        res.destroy();
      }
    }
  };
  const server = createServer((req, res) => void handle(req, res));
  // A client that sends garbage gets 400 from Node; it must not reach 'error' handlers as a crash.
  server.on('clientError', (_error, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n');
    else socket.destroy();
  });
  return server;
}

/** Refuses an upgrade with a status line and a one-line reason (before any WebSocket exists). */
export function refuseUpgrade(socket: Duplex, cause: unknown, logger: Logger): void {
  const { status, message } = describeError(cause, logger);
  const reason = { 400: 'Bad Request', 403: 'Forbidden', 404: 'Not Found', 429: 'Too Many Requests', 503: 'Service Unavailable' }[status] ?? 'Error';
  const body = `${message}\n`;
  socket.end(`HTTP/1.1 ${status} ${reason}\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
}
