import type { IncomingMessage } from 'node:http';
import { AuthenticationError, type Authenticator, type Caller } from '../auth/index.js';
import type { Logger } from '../logger.js';
import type { Context, RateLimits, Services } from '../trpc/context.js';

export interface ContextFactoryOptions {
  logger: Logger;
  services: Services;
  authenticator: Authenticator;
  limits: Context['limits'];
  rateLimits: { tokens: RateLimits; starts: RateLimits };
  /** The client's address (the edge's, which knows about trusted proxies). */
  addressOf: (req: IncomingMessage) => string;
  /** The server's origin as the caller reached it (for the links it hands out). */
  originOf: (req: IncomingMessage) => string;
}

/** What the edge asks for a request's context: at once when the authenticator needs no I/O. */
export type ContextFactory = (request: ContextRequest) => Context | Promise<Context>;

export interface ContextRequest {
  req: IncomingMessage;
  info?: { connectionParams?: Record<string, string | undefined> | null | undefined };
}

/**
 * One identity whatever the transport: the Authorization header (HTTP and SSE), or the connection
 * parameters of a WebSocket (its first message, never its URL: the edge refuses credentials in
 * URLs). A refused credential is kept as an error; procedures turn it into UNAUTHORIZED.
 */
export function createContextFactory(options: ContextFactoryOptions): ContextFactory {
  const { logger, services, authenticator, limits, rateLimits, addressOf, originOf } = options;
  const refused = (error: unknown): Context['auth'] => {
    if (!(error instanceof AuthenticationError)) logger.error({ err: error }, 'authenticator failed');
    return { error: error instanceof AuthenticationError ? error.message : 'authentication failed' };
  };
  const build = (req: IncomingMessage, auth: Context['auth']): Context => ({
    logger,
    services,
    auth,
    ip: addressOf(req),
    origin: originOf(req),
    transport: req.headers.upgrade?.toLowerCase() === 'websocket' ? 'ws' : 'http',
    connection: { subscriptions: 0 },
    limits,
    rateLimits,
  });
  return (request) => {
    const credential = bearerCredential(request.req.headers.authorization ?? request.info?.connectionParams?.authorization);
    let caller: Caller | Promise<Caller>;
    try {
      caller = authenticator.authenticate(credential);
    } catch (error) {
      return build(request.req, refused(error));
    }
    if (!(caller instanceof Promise)) return build(request.req, { caller });
    return caller.then(
      (known) => build(request.req, { caller: known }),
      (error: unknown) => build(request.req, refused(error)),
    );
  };
}

/** The credential of an `Authorization: Bearer …` value. */
export function bearerCredential(header: string | undefined): string | undefined {
  return typeof header === 'string' ? /^Bearer\s+(.+)$/i.exec(header)?.[1]?.trim() : undefined;
}
