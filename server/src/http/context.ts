import type { IncomingMessage } from 'node:http';
import { AuthenticationError, type Authenticator } from '../auth/index.js';
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

/**
 * One identity whatever the transport: the Authorization header (HTTP and SSE), or the connection
 * parameters of a WebSocket (its first message, never its URL: the edge refuses credentials in
 * URLs). A refused credential is kept as an error; procedures turn it into UNAUTHORIZED.
 */
export function createContextFactory(options: ContextFactoryOptions) {
  const { logger, services, authenticator, limits, rateLimits, addressOf, originOf } = options;
  return async (request: {
    req: IncomingMessage;
    info?: { connectionParams?: Record<string, string | undefined> | null | undefined };
  }): Promise<Context> => {
    const credential = bearerCredential(request.req.headers.authorization ?? request.info?.connectionParams?.authorization);
    let auth: Context['auth'];
    try {
      auth = { caller: await authenticator.authenticate(credential) };
    } catch (error) {
      auth = { error: error instanceof AuthenticationError ? error.message : 'authentication failed' };
      if (!(error instanceof AuthenticationError)) logger.error({ err: error }, 'authenticator failed');
    }
    return {
      logger,
      services,
      auth,
      ip: addressOf(request.req),
      origin: originOf(request.req),
      transport: request.req.headers.upgrade?.toLowerCase() === 'websocket' ? 'ws' : 'http',
      connection: { subscriptions: 0 },
      limits,
      rateLimits,
    };
  };
}

/** The credential of an `Authorization: Bearer …` value. */
export function bearerCredential(header: string | undefined): string | undefined {
  return typeof header === 'string' ? /^Bearer\s+(.+)$/i.exec(header)?.[1]?.trim() : undefined;
}
