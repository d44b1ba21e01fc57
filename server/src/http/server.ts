import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { AppErrorCode } from '@agora-backend/shared';
import { AppError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { AppRouter } from '../routers/_app.js';
import { limitConnectionsPerAddress, receiveTimeouts, type ConnectionLimits } from './connection-limits.js';
import { applyCors, corsHeaders, exposeRefusal } from './cors.js';
import { parseRequestTarget, type RequestTarget } from './request-target.js';
import type { OriginPolicy } from './origin-policy.js';
import { answerToError, MethodNotAllowedError, sendError, type Surface } from './respond.js';
import { settleResponseShape } from './response-shape.js';

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
  /**
   * Requests whose response the route holds open (SSE watches, for hours): their CORS headers are
   * not set on the response but handed to `handle` to write with the head. Node keeps headers set
   * before the head in a map of arrays on the response for its whole life (~0.5 KiB per watcher).
   */
  holdsResponse?: (req: IncomingMessage, url: RequestTarget) => boolean;
  /**
   * `head`: for a request it holds, the CORS headers its head must carry. Errors thrown or rejected
   * are written by the edge; a route that answers at once returns nothing.
   */
  handle(req: IncomingMessage, res: ServerResponse, url: RequestTarget, head?: Record<string, string>): Promise<void> | void;
}

export interface EdgeOptions {
  routes: readonly Route[];
  policy: OriginPolicy;
  router: AppRouter;
  logger: Logger;
  /** Whether the server is shutting down (new connections are told to close). */
  draining(): boolean;
  /** Receive timeouts and open connections per address; Node's defaults and no limit without. */
  connections?: ConnectionLimits & { exempt: (address: string) => boolean };
}

/** A request's path and query; a request line Node let through but URL cannot read is the caller's error. */
export function parseRequestUrl(req: IncomingMessage): RequestTarget {
  return parseRequestTarget(req.url);
}

/** The checks every request passes before its route runs; throws what the caller is told. */
function admit(
  options: EdgeOptions,
  req: IncomingMessage,
  res: ServerResponse,
  route: Route | undefined,
  url: RequestTarget,
  held: Record<string, string> | undefined,
): boolean {
  try {
    options.policy.check(req);
  } catch (error) {
    // A browser-callable route lets the refused page read why (its preflight answered, then 403).
    if (route?.cors && exposeRefusal(req, res)) return false;
    throw error;
  }
  if (!route) throw new AppError(AppErrorCode.NOT_FOUND, `no route ${url.pathname}`);
  if (route.cors && !held && applyCors(options.policy, req, res)) return false;
  if (!route.methods.includes(req.method ?? ''))
    throw new MethodNotAllowedError([...route.methods, ...(route.cors ? ['OPTIONS'] : [])].join(', '));
  if (route.refuseUrlCredentials && url.hasQuery && url.searchParams.has('connectionParams')) {
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
  settleResponseShape();
  // Not an async function: a route that answers at once (or a refusal) makes no promise, and one
  // that waits is followed by one reaction rather than an await (bench/README.md, issue 35).
  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    let surface: Surface = 'rest';
    let held: Record<string, string> | undefined;
    const fail = (error: unknown): void => {
      try {
        if (!res.headersSent) {
          // Refused before its head: the page reads the error as it would any other.
          for (const [name, value] of Object.entries(held ?? {})) res.setHeader(name, value);
          sendError(res, surface, error, logger, options.router);
        } else {
          logger.error({ err: error }, 'request failed after its answer began');
          res.destroy();
        }
      } catch (failure) {
        // Called from the 'request' event: a throw here would be an uncaught exception, which
        // stops the server. Nothing more can be said on this response.
        logger.error({ err: failure, cause: error }, 'could not answer a failed request');
        res.destroy();
      }
    };
    try {
      const url = parseRequestUrl(req);
      const route = options.routes.find((candidate) => candidate.matches(url.pathname));
      if (route) surface = route.surface;
      if (route?.cors && route.holdsResponse?.(req, url)) held = corsHeaders(options.policy, req);
      if (!admit(options, req, res, route, url, held)) return;
      const answered = route!.handle(req, res, url, held);
      if (answered !== undefined) answered.then(undefined, fail);
    } catch (error) {
      fail(error);
    }
  };
  const limits = options.connections;
  const server = createServer(limits ? receiveTimeouts(limits) : {}, (req, res) => {
    // A socket refused for its address's connection count is closing: nothing on it is served.
    if (refused(req.socket)) req.socket.destroy();
    else handle(req, res);
  });
  const refused = limits
    ? limitConnectionsPerAddress(server, { limit: limits.connectionsPerAddress, exempt: limits.exempt, logger })
    : () => false;
  // A client that sends garbage, too slowly or too much of it gets its status from here; none of
  // it may reach 'error' handlers as a crash.
  // CONNECT (a proxy tunnel) gets an answer instead of a silently dropped connection: we are no proxy.
  server.on('connect', (_req: IncomingMessage, socket: Duplex) => {
    refuseUpgrade(socket, new MethodNotAllowedError(SERVED_METHODS, 'CONNECT is not served: this server is not a proxy'), logger);
  });
  server.on('clientError', (error: Error & { code?: string }, socket) => {
    if (socket.writable) socket.end(`HTTP/1.1 ${CLIENT_ERROR_STATUS[error.code ?? ''] ?? '400 Bad Request'}\r\nconnection: close\r\n\r\n`);
    else socket.destroy();
  });
  return server;
}

/** Every method some route serves: the Allow of a CONNECT, whose target is no path of ours. */
const SERVED_METHODS = 'GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS';

/** Node's client errors that are not plain bad syntax: a request not received in time, headers too large. */
const CLIENT_ERROR_STATUS: Record<string, string> = {
  ERR_HTTP_REQUEST_TIMEOUT: '408 Request Timeout',
  HPE_HEADER_OVERFLOW: '431 Request Header Fields Too Large',
};

/** Refuses an upgrade (before any WebSocket exists) or a CONNECT on the raw socket: a status line, the error's headers and a one-line reason. */
export function refuseUpgrade(socket: Duplex, cause: unknown, logger: Logger): void {
  const { status, message, headers } = answerToError(cause, logger);
  const reason =
    {
      400: 'Bad Request',
      403: 'Forbidden',
      404: 'Not Found',
      405: 'Method Not Allowed',
      429: 'Too Many Requests',
      503: 'Service Unavailable',
    }[status] ?? 'Error';
  const body = `${message}\n`;
  const extra = Object.entries(headers)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\n${extra}connection: close\r\n\r\n${body}`,
  );
}
