import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { APP_DEFAULTS, isLoopback, type AppConfig } from './config.js';
import { createClientAddress, createProxyCheck, createPublicOrigin, parseTrustedProxies } from './http/client-address.js';
import { createConnectionContextFactory, createContextFactory } from './http/context.js';
import { createReadiness, type ReadinessCheck } from './http/operator-routes.js';
import { createOriginPolicy } from './http/origin-policy.js';
import { createRoutes } from './http/routes.js';
import { createEdgeServer } from './http/server.js';
import { TRPC_PATH } from './http/trpc.js';
import type { WebhookHandlerOptions } from './http/webhook.js';
import { createWebSocketEdge } from './http/websocket.js';
import type { Authenticator } from './auth/index.js';
import type { Clock } from './clock.js';
import type { Logger } from './logger.js';
import type { Metrics } from './metrics/index.js';
import { NOTICE_MEMORY_MS, type RecordingRuntime } from './recording/index.js';
import type { WebhookChange } from './recording/webhook-change.js';
import { appRouter } from './routers/_app.js';
import type { Registry } from './store/index.js';
import type { LinkSigner, RecordingStorage } from './storage/index.js';
import type { TranscriptionRuntime } from './transcription/index.js';
import type { AgentRuntime } from './agents/index.js';
import { channelNoticeOf, type Presence } from './channels/index.js';
import type { RateLimits, Services } from './trpc/context.js';

export { TRPC_PATH };
export type { AppConfig, ReadinessCheck };

/** The built services the app serves (compose.ts builds them). */
export interface AppServices {
  logger: Logger;
  clock: Clock;
  /** Set when Cloud Recording is configured (settings, an Agora client and a registry). */
  recording: RecordingRuntime | undefined;
  /** Set with recording: Real-Time Transcription shares its settings (storage, uids, polling). */
  transcription: TranscriptionRuntime | undefined;
  /** Set with recording: Conversational AI agents share its uids and polling. */
  agent: AgentRuntime | undefined;
  /** Set with a registry and Agora's channel management: who is in which channel, from notices. */
  presence?: Presence | undefined;
  /** What the routers reach through the tRPC context. */
  services: Services;
  authenticator: Authenticator;
  rateLimits: { tokens: RateLimits; starts: RateLimits };
  metrics: Metrics;
}

/** What the edge serves beside the services: the registry's health, files, the console, resources to close. */
export interface EdgeDeps {
  /** The registry: /readyz pings it, close() closes it. */
  store?: Registry;
  readinessChecks?: ReadinessCheck[];
  /** The built console (console/dist), served at /console. */
  consoleDir?: string;
  /** Where recordings are read back from: the bucket /files redirects to when fileLinks has no root. */
  files?: RecordingStorage;
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
  /** The agents' runtime, likewise. */
  readonly agent: AgentRuntime | undefined;
}

function formatHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

/**
 * The app: built services (compose.ts) behind the edge (http/): one route table for every way in,
 * one origin policy for HTTP, SSE and WebSocket, one error mapping.
 */
export function createApp(config: AppConfig, composed: AppServices, deps: EdgeDeps = {}): App {
  const { logger, recording, transcription, agent } = composed;
  const maxBodyBytes = config.maxBodyBytes ?? APP_DEFAULTS.maxBodyBytes;
  const maxBatchSize = config.maxBatchSize ?? APP_DEFAULTS.maxBatchSize;
  const { policy, addressOf, createContext, contextOf, isProxy } = createRequestPolicy(config, composed);
  let draining = false;
  let baseUrl: string | undefined;
  const isDraining = () => draining;

  const readiness = createReadiness({ draining: isDraining, registry: deps.store, checks: deps.readinessChecks });
  const routes = createRoutes({
    createContext,
    logger,
    maxBodyBytes,
    maxBatchSize,
    operator: { readiness, authenticator: composed.authenticator, metrics: composed.metrics },
    webhook: webhookOptions(config, composed, deps.store),
    files: deps.fileLinks ? { ...deps.fileLinks, bucket: deps.files, clock: composed.clock, logger } : undefined,
    consoleDir: deps.consoleDir,
  });
  const connections = {
    headersTimeoutMs: config.headersTimeoutMs ?? APP_DEFAULTS.headersTimeoutMs,
    requestTimeoutMs: config.requestTimeoutMs ?? APP_DEFAULTS.requestTimeoutMs,
    connectionsPerAddress: config.connectionsPerIp ?? APP_DEFAULTS.connectionsPerIp,
    exempt: isProxy,
  };
  const server = createEdgeServer({ routes, policy, router: appRouter, logger, draining: isDraining, connections });
  const webSockets = createWebSocketEdge({
    server,
    router: appRouter,
    contextOf,
    policy,
    addressOf,
    maxPayloadBytes: maxBodyBytes,
    maxBatchSize,
    connectionsPerAddress: config.wsConnectionsPerIp ?? APP_DEFAULTS.wsConnectionsPerIp,
    logger,
    draining: isDraining,
  });

  const requireListening = (): string => {
    if (baseUrl === undefined) throw new Error('The app is not listening yet: call listen() first');
    return baseUrl;
  };

  let closing: Promise<void> | undefined;
  const close = async () => {
    draining = true;
    const timeoutMs = config.shutdownTimeoutMs ?? APP_DEFAULTS.shutdownTimeoutMs;
    composed.presence?.endWatches();
    await shutdown({ server, webSockets, recording, transcription, agent, deps, logger, timeoutMs });
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
          agent?.start();
          void composed.presence?.reconcileAll().catch((error: unknown) => {
            logger.warn({ err: error instanceof Error ? error.message : String(error) }, 'presence not reconciled at start-up');
          });
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
    agent,
  };
}

/**
 * Agora's notifications need a secret to check them by and a registry to remember notice ids in;
 * each product's handler is there only when its service is (presence alone is a valid server).
 */
function webhookOptions(config: AppConfig, composed: AppServices, store: Registry | undefined): WebhookHandlerOptions | undefined {
  const { recording, transcription, agent, presence, logger, clock, metrics } = composed;
  const remember = recording
    ? (noticeId: string) => recording.rememberNotice(noticeId)
    : store && ((noticeId: string) => store.rememberNotice(noticeId, clock.now(), NOTICE_MEMORY_MS));
  if (!config.webhookSecret || !remember) return undefined;
  return {
    secret: config.webhookSecret,
    logger,
    ...(recording ? { apply: (sid: string, change: WebhookChange) => recording.applyWebhook(sid, change) } : {}),
    ...(transcription ? { applyTranscription: (agentId, failure) => transcription.applyWebhook(agentId, failure) } : {}),
    ...(agent ? { applyAgent: (agentId, notice) => agent.applyWebhook(agentId, notice) } : {}),
    ...(presence ? { applyPresence: (notice) => presence.applyNotice(channelNoticeOf(notice)) } : {}),
    remember,
    now: () => clock.now(),
    onNotice: (outcome) => metrics.notice(outcome),
  };
}

/** Who is calling from where, and whether a browser may: the policy every way in shares. */
function createRequestPolicy(config: AppConfig, composed: AppServices) {
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
  const contextOptions = {
    logger: composed.logger,
    services: composed.services,
    authenticator: composed.authenticator,
    limits: { subscriptionsPerConnection: config.subscriptionsPerConnection ?? APP_DEFAULTS.subscriptionsPerConnection },
    rateLimits: composed.rateLimits,
    addressOf,
    originOf: createPublicOrigin(proxies, config.publicUrl),
  };
  return {
    policy,
    addressOf,
    createContext: createContextFactory(contextOptions),
    contextOf: createConnectionContextFactory(contextOptions),
    isProxy: createProxyCheck(proxies),
  };
}

/** Graceful stop: refuse new work, ask WebSocket clients to reconnect, drain, close resources. */
async function shutdown(parts: {
  server: Server;
  webSockets: ReturnType<typeof createWebSocketEdge>;
  recording: RecordingRuntime | undefined;
  transcription: TranscriptionRuntime | undefined;
  agent: AgentRuntime | undefined;
  deps: EdgeDeps;
  logger: Logger;
  timeoutMs: number;
}): Promise<void> {
  const { server, webSockets, recording, transcription, agent, deps, logger } = parts;
  const serverClosed = new Promise<void>((resolve) => {
    if (!server.listening) resolve();
    else server.close(() => resolve());
  });
  recording?.endWatches();
  transcription?.endWatches();
  agent?.endWatches();
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
  await agent?.close();
  if (deps.store) await deps.store.close();
  for (const closeable of deps.closeables ?? []) await closeable.close();
}
