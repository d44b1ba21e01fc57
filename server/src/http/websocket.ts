import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { applyWSSHandler } from '@trpc/server/adapters/ws';
import { WebSocketServer } from 'ws';
import { AppErrorCode } from '@agora-backend/shared';
import { AppError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { AppRouter } from '../routers/_app.js';
import type { OriginPolicy } from './origin-policy.js';
import { parseRequestUrl, refuseUpgrade } from './server.js';
import { TRPC_PATH } from './trpc.js';
import type { ContextFactory } from './context.js';

export interface WebSocketEdgeOptions {
  server: Server;
  router: AppRouter;
  createContext: ContextFactory;
  policy: OriginPolicy;
  addressOf: (req: IncomingMessage) => string;
  maxPayloadBytes: number;
  /** Calls one message may carry (tRPC's own limit on WebSocket batches). */
  maxBatchSize: number;
  connectionsPerAddress: number;
  logger: Logger;
  draining: () => boolean;
}

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
 * request (a page on a foreign origin cannot open it), then the per-address connection limit.
 */
export function createWebSocketEdge(options: WebSocketEdgeOptions) {
  const { logger } = options;
  const wss = new WebSocketServer({ noServer: true, maxPayload: options.maxPayloadBytes });
  const handler = applyWSSHandler({
    wss,
    router: options.router,
    createContext: options.createContext,
    maxBatchSize: options.maxBatchSize,
    keepAlive: { enabled: true, pingMs: 30_000, pongWaitMs: 5_000 },
    onError({ error, path }) {
      const protocol = clientProtocolError(error.cause);
      // ws closed the socket for the client's frame (too large, bad UTF-8…): their mistake, not our bug.
      if (protocol) logger.info(protocol, 'WebSocket closed: the client broke the protocol');
      else if (error.code === 'INTERNAL_SERVER_ERROR') logger.error({ err: error, path }, 'procedure failed');
    },
  });
  const perAddress = new Map<string, number>();

  const admit = (req: IncomingMessage): string => {
    if (options.draining()) throw new AppError(AppErrorCode.SHUTTING_DOWN, 'the server is shutting down');
    if (parseRequestUrl(req).pathname !== TRPC_PATH) throw new AppError(AppErrorCode.NOT_FOUND, `WebSocket connections go to ${TRPC_PATH}`);
    options.policy.check(req);
    const address = options.addressOf(req);
    if ((perAddress.get(address) ?? 0) >= options.connectionsPerAddress) {
      throw new AppError(AppErrorCode.RATE_LIMITED, `more than ${options.connectionsPerAddress} WebSocket connections from one address`);
    }
    return address;
  };

  const track = (address: string, ws: { once(event: 'close', listener: () => void): unknown }) => {
    perAddress.set(address, (perAddress.get(address) ?? 0) + 1);
    ws.once('close', () => {
      const left = (perAddress.get(address) ?? 1) - 1;
      if (left <= 0) perAddress.delete(address);
      else perAddress.set(address, left);
    });
  };

  options.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    let address: string;
    try {
      address = admit(req);
    } catch (error) {
      refuseUpgrade(socket, error, logger);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      track(address, ws);
      wss.emit('connection', ws, req);
    });
  });

  return {
    /** Asks clients to reconnect (elsewhere, or to our successor) and closes their sockets. */
    announceShutdown() {
      handler.broadcastReconnectNotification();
      for (const client of wss.clients) client.close(1001, 'server shutting down');
    },
    /** Cuts whatever is still open (the shutdown deadline passed). */
    terminate() {
      for (const client of wss.clients) client.terminate();
    },
    close: () => new Promise<void>((resolve) => wss.close(() => resolve())),
  };
}
