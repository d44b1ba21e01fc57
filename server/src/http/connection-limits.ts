import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import type { Logger } from '../logger.js';

export interface ConnectionLimits {
  /** How long a client may take to send a request's headers (Node's headersTimeout; 408 after). */
  headersTimeoutMs: number;
  /** How long it may take to send the whole request, body included (Node's requestTimeout; 408 after). */
  requestTimeoutMs: number;
  /** Connections one address may hold open at once (HTTP and WebSocket alike). */
  connectionsPerAddress: number;
}

/** Node's options for the receive timeouts: checked often enough that a timeout is not overshot by much. */
export function receiveTimeouts(limits: ConnectionLimits) {
  return {
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    // Node checks incomplete requests every 30 s by default: a 10 s timeout could last 40 s.
    connectionsCheckingInterval: Math.max(50, Math.min(1_000, Math.floor(limits.headersTimeoutMs / 4))),
  };
}

const COUNTED = Symbol('counted address');

/** What a socket over the per-address limit is told before it is closed. */
function refusal(limit: number): string {
  const body = `more than ${limit} open connections from one address\n`;
  return `HTTP/1.1 429 Too Many Requests\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`;
}

/**
 * Counts open connections per peer address and closes those over the limit at once, with a 429,
 * before any request on them is read: slow clients cannot hold the server's sockets. Trusted
 * proxies (TRUST_PROXY) carry everyone's connections and are not counted. Returns whether a
 * socket was refused, so a request that still slips through on it is ignored.
 */
export function limitConnectionsPerAddress(
  server: Server,
  options: { limit: number; exempt: (address: string) => boolean; logger: Logger },
): (socket: Socket) => boolean {
  const open = new Map<string, number>();
  const refused = new WeakSet<Socket>();
  // The socket carries its counted address for the one close listener all share: a closure (and
  // `once`'s wrapper) per connection would stay for its whole life (bench/README.md, issue 35).
  function release(this: Socket & { [COUNTED]?: string }) {
    const address = this[COUNTED];
    if (address === undefined) return;
    const left = (open.get(address) ?? 1) - 1;
    if (left <= 0) open.delete(address);
    else open.set(address, left);
  }
  server.on('connection', (socket: Socket & { [COUNTED]?: string }) => {
    const address = socket.remoteAddress ?? 'unknown';
    if (options.exempt(address)) return;
    const count = open.get(address) ?? 0;
    if (count >= options.limit) {
      refused.add(socket);
      options.logger.warn({ address, limit: options.limit }, 'connection refused: too many open connections from one address');
      socket.end(refusal(options.limit), () => socket.destroy());
      return;
    }
    open.set(address, count + 1);
    socket[COUNTED] = address;
    socket.on('close', release);
  });
  return (socket) => refused.has(socket);
}
