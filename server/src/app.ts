import type { IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AppErrorCode } from '@agora-backend/shared';
import { composeServices, type ComposedServices, type ServiceDeps } from './compose.js';
import { APP_DEFAULTS, isLoopback } from './config.js';
import { AppError } from './errors.js';
import { AuthenticationError, isAdmin, type Authenticator, type Caller } from './auth/index.js';
import { createClientAddress, createProxyCheck, createPublicOrigin, parseTrustedProxies } from './http/client-address.js';
import { CONSOLE_PATH, createConsoleHandler } from './http/console.js';
import { createFileHandler, FILES_PATH } from './http/files.js';
import { createOriginPolicy } from './http/origin-policy.js';
import { createRestHandler, REST_PREFIX } from './http/rest/handler.js';
import { createOpenApiDocument } from './http/rest/openapi.js';
import { sendBody, sendJson } from './http/respond.js';
import { createEdgeServer, type Route } from './http/server.js';
import { createWebSocketEdge } from './http/websocket.js';
import { createTrpcSurface, TRPC_PATH } from './http/trpc.js';
import { createTutorialHandler, TUTORIAL_PATHS } from './http/tutorial.js';
import { createWebhookHandler, WEBHOOK_PATH } from './http/webhook.js';
import type { RecordingRuntime, RecordingSettings } from './recording/index.js';
import type { TranscriptionRuntime } from './transcription/index.js';
import { appRouter } from './routers/_app.js';
import type { LinkSigner } from './storage/index.js';
import { bearerCredential, createContextFactory } from './http/context.js';

export { TRPC_PATH };

export interface AppConfig {
  /** AGORA_REQUESTS_PER_SECOND (for the poll cadence in the metrics). */
  agoraRequestsPerSecond?: number;
  host: string;
  /** 0 picks a free port (tests). */
  port: number;
  appId: string;
  appCertificate: string;
  /** How long close() lets in-flight requests finish before cutting connections. */
  shutdownTimeoutMs?: number;
  /** Largest request body accepted, in bytes. */
  maxBodyBytes?: number;
  /** Calls one tRPC batch may carry, over HTTP or WebSocket (default 100). */
  maxBatchSize?: number;
  /** Time a client may take to send a request's headers (default 10 s), and the whole request (30 s). */
  headersTimeoutMs?: number;
  requestTimeoutMs?: number;
  /** Connections one address may hold open, HTTP and WebSocket together (default 128; trusted proxies are not counted). */
  connectionsPerIp?: number;
  /** Cloud Recording settings; recording procedures need these plus deps.agora and deps.store. */
  recording?: RecordingSettings;
  /** Concurrent subscriptions one WebSocket connection may hold (default 100). */
  subscriptionsPerConnection?: number;
  /** AGORA_WEBHOOK_SECRET: enables POST /webhooks/agora. */
  webhookSecret?: string;
  /** Browser origins allowed to call (CORS_ORIGINS); none by default. */
  corsOrigins?: string[];
  /** Concurrent WebSocket connections per client address (default 50). */
  wsConnectionsPerIp?: number;
  /** Per-caller limits (per IP: × ipMultiplier). */
  rateLimits?: { tokensPerMinute: number; startsPerMinute: number; ipMultiplier: number };
  /** TRUST_PROXY: proxies (addresses, CIDRs) whose X-Forwarded-For names the client. */
  trustProxy?: string[];
  /** PUBLIC_URL: the origin users reach this server at, for the file links it hands out. */
  publicUrl?: string;
}

/** A dependency /readyz asks before saying the instance can take traffic. */
export interface ReadinessCheck {
  name: string;
  check(): Promise<boolean>;
}

export interface AppDeps extends ServiceDeps {
  readinessChecks?: ReadinessCheck[];
  /** The built console (console/dist), served at /console. */
  consoleDir?: string;
  /**
   * Signed links under /files: the embedded storage's folder served from `root`, or (no root) the
   * bucket of deps.files reached by redirect.
   */
  fileLinks?: { signer: LinkSigner; root?: string | undefined };
  /** Resources the app owns and closes last (stores, pollers, the embedded emulator). */
  closeables?: { close(): Promise<void> }[];
}

export interface App {
  /** Starts listening; resolves once the port is bound. */
  listen(): Promise<{ url: string; wsUrl: string }>;
  /** `http://host:port/trpc`; only after listen(). */
  readonly url: string;
  /** `ws://host:port/trpc`; only after listen(). */
  readonly wsUrl: string;
  /** `http://host:port`; only after listen(). */
  readonly baseUrl: string;
  /** Graceful stop: refuse new work, ask WebSocket clients to reconnect, drain, close resources. */
  close(): Promise<void>;
  /** The recording runtime (pollers, bus), for inspection in tests and benchmarks. */
  readonly recording: RecordingRuntime | undefined;
  /** The transcription runtime (pollers, watchdog sweep), likewise. */
  readonly transcription: TranscriptionRuntime | undefined;
}

function formatHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

const exact = (path: string) => (pathname: string) => pathname === path;
const under = (prefix: string) => (pathname: string) => pathname === prefix || pathname.startsWith(`${prefix}/`);

/**
 * The app: the services (compose.ts) behind the edge (http/): one route table for every way in,
 * one origin policy for HTTP, SSE and WebSocket, one error mapping.
 */
export function createApp(config: AppConfig, deps: AppDeps = {}): App {
  const composed = composeServices(config, { ...deps, ...(deps.fileLinks ? { linkSigner: deps.fileLinks.signer } : {}) });
  const { logger, recording, transcription } = composed;
  const maxBodyBytes = config.maxBodyBytes ?? APP_DEFAULTS.maxBodyBytes;
  const { policy, addressOf, createContext, isProxy } = createRequestPolicy(config, composed);
  let draining = false;
  let baseUrl: string | undefined;

  const routes = createRoutes({ config, deps, composed, createContext, maxBodyBytes, readiness: () => readiness() });
  const readiness = async () => {
    const checks: Record<string, boolean> = { accepting: !draining };
    if (deps.store) checks.registry = await deps.store.ping();
    for (const readinessCheck of deps.readinessChecks ?? []) {
      checks[readinessCheck.name] = await readinessCheck.check().catch(() => false);
    }
    return { ready: Object.values(checks).every(Boolean), checks };
  };

  const connections = {
    headersTimeoutMs: config.headersTimeoutMs ?? APP_DEFAULTS.headersTimeoutMs,
    requestTimeoutMs: config.requestTimeoutMs ?? APP_DEFAULTS.requestTimeoutMs,
    connectionsPerAddress: config.connectionsPerIp ?? APP_DEFAULTS.connectionsPerIp,
    exempt: isProxy,
  };
  const server = createEdgeServer({ routes, policy, router: appRouter, logger, draining: () => draining, connections });
  const webSockets = createWebSocketEdge({
    server,
    router: appRouter,
    createContext,
    policy,
    addressOf,
    maxPayloadBytes: maxBodyBytes,
    maxBatchSize: config.maxBatchSize ?? APP_DEFAULTS.maxBatchSize,
    connectionsPerAddress: config.wsConnectionsPerIp ?? APP_DEFAULTS.wsConnectionsPerIp,
    logger,
    draining: () => draining,
  });

  const requireListening = (): string => {
    if (baseUrl === undefined) throw new Error('The app is not listening yet: call listen() first');
    return baseUrl;
  };

  let closing: Promise<void> | undefined;
  const close = async () => {
    draining = true;
    await shutdown({ server, webSockets, recording, transcription, deps, logger, timeoutMs: config.shutdownTimeoutMs ?? APP_DEFAULTS.shutdownTimeoutMs });
  };

  return {
    listen: () =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(config.port, config.host, () => {
          server.off('error', reject);
          const { port } = server.address() as AddressInfo;
          // Reconcile what the registry believes active as soon as we serve (docs/architecture.md).
          recording?.start();
          transcription?.start();
          baseUrl = `http://${formatHost(config.host)}:${port}`;
          resolve({ url: `${baseUrl}${TRPC_PATH}`, wsUrl: `${baseUrl.replace(/^http/, 'ws')}${TRPC_PATH}` });
        });
      }),
    get baseUrl() {
      return requireListening();
    },
    get url() {
      return `${requireListening()}${TRPC_PATH}`;
    },
    get wsUrl() {
      return `${requireListening().replace(/^http/, 'ws')}${TRPC_PATH}`;
    },
    close: () => (closing ??= close()),
    recording,
    transcription,
  };
}

/** Who is calling from where, and whether a browser may: the policy every way in shares. */
function createRequestPolicy(config: AppConfig, composed: ComposedServices) {
  const trusted = parseTrustedProxies(config.trustProxy ?? []);
  if ('error' in trusted) throw new Error(`TRUST_PROXY: ${trusted.error}`);
  const proxies = (config.trustProxy ?? []).length > 0 ? trusted.list : undefined;
  const addressOf = createClientAddress(proxies);
  const policy = createOriginPolicy({
    allowedOrigins: config.corsOrigins ?? [],
    // DNS rebinding: with nobody to authenticate, a foreign Host name must not reach us.
    loopbackHostsOnly: isLoopback(config.host) && composed.authenticator.mode === 'none',
    logger: composed.logger,
    now: () => composed.clock.now(),
  });
  const createContext = createContextFactory({
    logger: composed.logger,
    services: composed.services,
    authenticator: composed.authenticator,
    limits: { subscriptionsPerConnection: config.subscriptionsPerConnection ?? APP_DEFAULTS.subscriptionsPerConnection },
    rateLimits: composed.rateLimits,
    addressOf,
    originOf: createPublicOrigin(proxies, config.publicUrl),
  });
  return { policy, addressOf, createContext, isProxy: createProxyCheck(proxies) };
}

/** Graceful stop: refuse new work, ask WebSocket clients to reconnect, drain, close resources. */
async function shutdown(parts: {
  server: Server;
  webSockets: ReturnType<typeof createWebSocketEdge>;
  recording: RecordingRuntime | undefined;
  transcription: TranscriptionRuntime | undefined;
  deps: AppDeps;
  logger: ComposedServices['logger'];
  timeoutMs: number;
}): Promise<void> {
  const { server, webSockets, recording, transcription, deps, logger } = parts;
  const serverClosed = new Promise<void>((resolve) => {
    if (!server.listening) resolve();
    else server.close(() => resolve());
  });
  recording?.endWatches();
  transcription?.endWatches();
  server.closeIdleConnections();
  // Clients reconnect elsewhere (or to our successor) instead of seeing a dead socket.
  webSockets.announceShutdown();
  const deadline = new Promise<'timeout'>((resolve) => {
    const timer = setTimeout(() => resolve('timeout'), parts.timeoutMs);
    timer.unref();
  });
  if ((await Promise.race([serverClosed, deadline])) === 'timeout') {
    logger.warn({ shutdownTimeoutMs: parts.timeoutMs }, 'requests still running at the shutdown deadline; closing their connections');
    server.closeAllConnections();
    webSockets.terminate();
  }
  await serverClosed;
  await webSockets.close();
  await recording?.close();
  await transcription?.close();
  if (deps.store) await deps.store.close();
  for (const closeable of deps.closeables ?? []) await closeable.close();
}

/** The route table: every way into the server, in the order they are matched. */
function createRoutes(options: {
  config: AppConfig;
  deps: AppDeps;
  composed: Pick<ComposedServices, 'logger' | 'recording' | 'transcription' | 'clock' | 'metrics' | 'authenticator'>;
  createContext: ReturnType<typeof createContextFactory>;
  maxBodyBytes: number;
  readiness(): Promise<{ ready: boolean; checks: Record<string, boolean> }>;
}): Route[] {
  const { config, composed, createContext, maxBodyBytes } = options;
  const { logger, recording } = composed;
  const rest = createRestHandler({ createContext, maxBodyBytes });
  const tutorial = createTutorialHandler({ createContext, maxBodyBytes });
  const trpc = createTrpcSurface({ router: appRouter, createContext, logger, maxBodyBytes, maxBatchSize: config.maxBatchSize ?? APP_DEFAULTS.maxBatchSize });
  const webhook =
    config.webhookSecret && recording
      ? createWebhookHandler({
          secret: config.webhookSecret,
          logger,
          apply: (sid, change) => recording.applyWebhook(sid, change),
          applyTranscription: (agentId, failure) => composed.transcription?.applyWebhook(agentId, failure) ?? Promise.resolve(),
          remember: (noticeId) => recording.rememberNotice(noticeId),
          now: () => composed.clock.now(),
          onNotice: (outcome) => composed.metrics.notice(outcome),
        })
      : undefined;
  const plain = { surface: 'rest', cors: false } as const;
  const links = options.deps.fileLinks;
  const files = links ? createFileHandler({ ...links, bucket: options.deps.files, clock: composed.clock, logger }) : undefined;
  const consolePages = options.deps.consoleDir ? createConsoleHandler(options.deps.consoleDir) : undefined;
  return [
    // HEAD too: load balancers probe with it (Node leaves the body out).
    { name: 'health', matches: exact('/healthz'), methods: ['GET', 'HEAD'], ...plain, handle: (_req, res) => {
        sendJson(res, 200, { status: 'ok' });
        return Promise.resolve();
      },
    },
    {
      name: 'readiness',
      matches: exact('/readyz'),
      methods: ['GET', 'HEAD'],
      ...plain,
      handle: async (_req, res) => {
        const { ready, checks } = await options.readiness();
        sendJson(res, ready ? 200 : 503, { status: ready ? 'ready' : 'not ready', checks });
      },
    },
    {
      name: 'metrics',
      matches: exact('/metrics'),
      methods: ['GET', 'HEAD'],
      ...plain,
      handle: async (req, res) => {
        await requireAdmin(composed.authenticator, req);
        const text = await composed.metrics.registry.metrics();
        sendBody(res, 200, { 'content-type': composed.metrics.registry.contentType, 'cache-control': 'no-store' }, text);
      },
    },
    {
      name: 'openapi',
      matches: exact('/openapi.json'),
      methods: ['GET', 'HEAD'],
      surface: 'rest',
      cors: true,
      handle: (req, res) => {
        sendJson(res, 200, createOpenApiDocument(`http://${req.headers.host ?? 'localhost'}`));
        return Promise.resolve();
      },
    },
    ...(consolePages ? [{ name: 'console', matches: under(CONSOLE_PATH), methods: ['GET', 'HEAD'], ...plain, handle: consolePages } satisfies Route] : []),
    ...(files ? [{ name: 'files', matches: under(FILES_PATH), methods: ['GET', 'HEAD'], surface: 'rest', cors: true, handle: files } satisfies Route] : []),
    ...(webhook ? [{ name: 'webhook', matches: exact(WEBHOOK_PATH), methods: ['POST'], ...plain, handle: webhook } satisfies Route] : []),
    { name: 'rest', matches: under(REST_PREFIX), methods: ['GET', 'HEAD', 'POST', 'PATCH', 'PUT', 'DELETE'], surface: 'rest', cors: true, handle: rest },
    {
      name: 'tutorial',
      matches: (pathname) => TUTORIAL_PATHS.includes(pathname),
      methods: ['POST'],
      surface: 'tutorial',
      cors: true,
      handle: (req, res, url) => tutorial(req, res, url.pathname),
    },
    { name: 'trpc', matches: under(TRPC_PATH), methods: ['GET', 'POST'], surface: 'trpc', cors: true, refuseUrlCredentials: true, handle: trpc },
  ];
}

/** Off loopback (AUTH_MODE apikey or jwt), operators' endpoints need an admin credential. */
async function requireAdmin(authenticator: Authenticator, req: IncomingMessage): Promise<void> {
  if (authenticator.mode === 'none') return;
  let caller: Caller;
  try {
    caller = await authenticator.authenticate(bearerCredential(req.headers.authorization));
  } catch (error) {
    throw new AppError(AppErrorCode.UNAUTHENTICATED, error instanceof AuthenticationError ? error.message : 'authentication failed');
  }
  if (!isAdmin(caller)) throw new AppError(AppErrorCode.FORBIDDEN, 'this credential lacks the "admin" scope');
}
