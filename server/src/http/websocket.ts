import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { AppErrorCode } from '@agora-backend/shared';
import { AppError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { AppRouter } from '../routers/_app.js';
import type { Context } from '../trpc/context.js';
import type { OriginPolicy } from './origin-policy.js';
import { parseRequestUrl, refuseUpgrade } from './server.js';
import { TRPC_PATH } from './trpc.js';
import { createTrpcWs } from './trpc-ws.js';

export interface WebSocketEdgeOptions {
  server: Server;
  router: AppRouter;
  /** Reads what the context needs off the upgrade request; builds it from the connection parameters. */
  contextOf: (req: IncomingMessage) => (connectionParams: Record<string, string | undefined> | null) => Context | Promise<Context>;
  policy: OriginPolicy;
  addressOf: (req: IncomingMessage) => string;
  maxPayloadBytes: number;
  /** Calls one message may carry (tRPC's own limit on WebSocket batches). */
  maxBatchSize: number;
  connectionsPerAddress: number;
  logger: Logger;
  draining: () => boolean;
  /** Ping after this long without a message, cut the socket when no answer comes this long after (30 s and 5 s). */
  keepAlive?: { pingMs: number; pongWaitMs: number; sweepMs: number };
}

const ADDRESS = Symbol('client address');

const KEEP_ALIVE = { pingMs: 30_000, pongWaitMs: 5_000, sweepMs: 1_000 };

/**
 * A frame the ws library refused (its errors carry a `WS_ERR_…` code and the close code it sent,
 * e.g. 1009 for a frame over maxPayload): what to log about it, without a stack.
 */
function clientProtocolError(cause: unknown): { code: string; closeCode: number | undefined; reason: string } | undefined {
  if (!(cause instanceof Error) || !('code' in cause) || typeof cause.code !== 'string' || !cause.code.startsWith('WS_ERR_'))
    return undefined;
  const statusKey = Object.getOwnPropertySymbols(cause).find((symbol) => symbol.description === 'status-code');
  const closeCode = statusKey === undefined ? undefined : (cause as unknown as Record<symbol, unknown>)[statusKey];
  return { code: cause.code, closeCode: typeof closeCode === 'number' ? closeCode : undefined, reason: cause.message };
}

/**
 * tRPC over WebSocket on `/trpc`. The upgrade passes the same origin and Host policy as every HTTP
 * request (a page on a foreign origin cannot open it), then the per-address connection limit;
 * tRPC's protocol is then spoken by trpc-ws.ts.
 */
export function createWebSocketEdge(options: WebSocketEdgeOptions) {
  const { logger } = options;
  // Clients are tracked here, not by ws (its tracking adds a closure and a close listener to every socket).
  const wss = new WebSocketServer({ noServer: true, maxPayload: options.maxPayloadBytes, clientTracking: false });
  const clients = new Set<WebSocket & { [ADDRESS]?: string }>();
  const keepAliveOptions = options.keepAlive ?? KEEP_ALIVE;
  const trpc = createTrpcWs({
    router: options.router,
    maxBatchSize: options.maxBatchSize,
    keepAlive: keepAliveOptions,
    onClosed: release,
    onError(error, path) {
      const protocol = clientProtocolError(error.cause);
      // ws closed the socket for the client's frame (too large, bad UTF-8…): their mistake, not our bug.
      if (protocol) logger.info(protocol, 'WebSocket closed: the client broke the protocol');
      else if (error.code === 'INTERNAL_SERVER_ERROR') logger.error({ err: error, path }, 'procedure failed');
    },
  });
  const keepAlive = setInterval(() => trpc.sweep(clients), keepAliveOptions.sweepMs);
  keepAlive.unref();
  const perAddress = new Map<string, number>();

  /** The client's address, and whether its first message carries connection parameters (`?connectionParams=1`, as tRPC's client says). */
  const admit = (req: IncomingMessage): { address: string; expectsParams: boolean } => {
    if (options.draining()) throw new AppError(AppErrorCode.SHUTTING_DOWN, 'the server is shutting down');
    const url = parseRequestUrl(req);
    if (url.pathname !== TRPC_PATH) throw new AppError(AppErrorCode.NOT_FOUND, `WebSocket connections go to ${TRPC_PATH}`);
    options.policy.check(req);
    const address = options.addressOf(req);
    if ((perAddress.get(address) ?? 0) >= options.connectionsPerAddress) {
      throw new AppError(AppErrorCode.RATE_LIMITED, `more than ${options.connectionsPerAddress} WebSocket connections from one address`);
    }
    return { address, expectsParams: url.searchParams.get('connectionParams') === '1' };
  };

  // The socket carries its address for the close hook all share (no closure per connection).
  function release(ws: WebSocket & { [ADDRESS]?: string }) {
    clients.delete(ws);
    const address = ws[ADDRESS];
    if (address === undefined) return;
    const left = (perAddress.get(address) ?? 1) - 1;
    if (left <= 0) perAddress.delete(address);
    else perAddress.set(address, left);
  }
  const track = (address: string, ws: WebSocket & { [ADDRESS]?: string }) => {
    perAddress.set(address, (perAddress.get(address) ?? 0) + 1);
    ws[ADDRESS] = address;
    clients.add(ws);
  };

  options.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    let admitted: { address: string; expectsParams: boolean };
    try {
      admitted = admit(req);
    } catch (error) {
      refuseUpgrade(socket, error, logger);
      return;
    }
    // Read now, so that no connection keeps its upgrade request.
    const contextFor = options.contextOf(req);
    wss.handleUpgrade(req, socket, head, (ws) => {
      track(admitted.address, ws);
      trpc.accept(ws, contextFor, admitted.expectsParams);
    });
  });

  return {
    /** Asks clients to reconnect (elsewhere, or to our successor) and closes their sockets. */
    announceShutdown() {
      trpc.announceReconnect(clients);
      for (const client of clients) client.close(1001, 'server shutting down');
    },
    /** Cuts whatever is still open (the shutdown deadline passed). */
    terminate() {
      for (const client of clients) client.terminate();
    },
    close: () =>
      new Promise<void>((resolve) => {
        clearInterval(keepAlive);
        wss.close(() => resolve());
      }),
  };
}
