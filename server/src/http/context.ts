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

type ConnectionParams = Record<string, string | undefined> | null | undefined;

export interface ContextRequest {
  req: IncomingMessage;
  info?: { connectionParams?: ConnectionParams };
}

/** What a context is built from, read off the request once. */
interface RequestFacts {
  authorization: string | undefined;
  ip: string;
  origin: string;
  transport: Context['transport'];
}

/**
 * One identity whatever the transport: the Authorization header (HTTP and SSE), or the connection
 * parameters of a WebSocket (its first message, never its URL: the edge refuses credentials in
 * URLs). A refused credential is kept as an error; procedures turn it into UNAUTHORIZED.
 */
export function createContextFactory(options: ContextFactoryOptions): ContextFactory {
  const facts = requestFacts(options);
  return (request) => buildContext(options, facts(request.req), request.info?.connectionParams);
}

/**
 * The same contexts for WebSocket connections, in two steps: what the context needs is read off
 * the upgrade request at once, and the context is built when the connection parameters come (the
 * first message), so a connection keeps a few strings rather than the request and its headers.
 */
export function createConnectionContextFactory(options: ContextFactoryOptions) {
  const facts = requestFacts(options);
  return (req: IncomingMessage): ((connectionParams: ConnectionParams) => Context | Promise<Context>) => {
    const read = facts(req);
    return (connectionParams) => buildContext(options, read, connectionParams);
  };
}

function requestFacts(options: ContextFactoryOptions) {
  const { addressOf, originOf } = options;
  // The same address and origin come request after request: the last text of each is reused, so
  // a connection held for hours keeps no copy of its own (issue 35's watcher memory).
  let lastIp = '';
  let lastOrigin = '';
  return (req: IncomingMessage): RequestFacts => {
    const ip = addressOf(req);
    const origin = originOf(req);
    if (ip !== lastIp) lastIp = ip;
    if (origin !== lastOrigin) lastOrigin = origin;
    return {
      authorization: req.headers.authorization,
      ip: lastIp,
      origin: lastOrigin,
      transport: req.headers.upgrade?.toLowerCase() === 'websocket' ? 'ws' : 'http',
    };
  };
}

/** One `auth` per caller object: AUTH_MODE=none answers the same caller every time, so every context shares it. */
const authOf = new WeakMap<Caller, Context['auth']>();
function authenticated(caller: Caller): Context['auth'] {
  let auth = authOf.get(caller);
  if (auth === undefined) authOf.set(caller, (auth = { caller }));
  return auth;
}

/** The context, at once when the authenticator answers at once (AUTH_MODE none and apikey): no promise per request. */
function buildContext(options: ContextFactoryOptions, facts: RequestFacts, connectionParams: ConnectionParams): Context | Promise<Context> {
  const { logger, services, authenticator, limits, rateLimits } = options;
  const build = (auth: Context['auth']): Context => ({
    logger,
    services,
    auth,
    ip: facts.ip,
    origin: facts.origin,
    transport: facts.transport,
    connection: { subscriptions: 0 },
    limits,
    rateLimits,
  });
  const refused = (error: unknown): Context => {
    if (!(error instanceof AuthenticationError)) logger.error({ err: error }, 'authenticator failed');
    return build({ error: error instanceof AuthenticationError ? error.message : 'authentication failed' });
  };
  const credential = bearerCredential(facts.authorization ?? connectionParams?.authorization);
  let caller: Caller | Promise<Caller>;
  try {
    caller = authenticator.authenticate(credential);
  } catch (error) {
    return refused(error);
  }
  if (!(caller instanceof Promise)) return build(authenticated(caller));
  return caller.then((known) => build(authenticated(known)), refused);
}

/** The credential of an `Authorization: Bearer …` value. */
export function bearerCredential(header: string | undefined): string | undefined {
  return typeof header === 'string' ? /^Bearer\s+(.+)$/i.exec(header)?.[1]?.trim() : undefined;
}
