import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { createHTTPHandler } from '@trpc/server/adapters/standalone';
import { applyWSSHandler } from '@trpc/server/adapters/ws';
import { WebSocketServer } from 'ws';
import { systemClock, type Clock } from './clock.js';
import { createSilentLogger, type Logger } from './logger.js';
import { appRouter } from './routers/_app.js';
import type { Services } from './trpc/context.js';
import { createTokenIssuer } from './tokens/index.js';
import type { AgoraClient } from './agora/index.js';
import { AppErrorCode } from '@agora-backend/shared';
import { createRecordingRuntime, type RecordingRuntime, type RecordingSettings } from './recording/index.js';
import type { RecordingStore } from './store/index.js';
import { AppError } from './trpc/errors.js';
import { createNoAuth, createTokenBuckets, type Authenticator } from './auth/index.js';
import { createCors } from './http/cors.js';
import { createContextFactory } from './trpc/create-context.js';
import { createWebhookHandler, WEBHOOK_PATH } from './webhooks/agora.js';
import type { Leases } from './cluster/index.js';
import type { EventBus } from './events/index.js';
import { createRestHandler, REST_PREFIX } from './rest/handler.js';
import { createSingleCallHandler } from './trpc/single-call.js';
import { sendJson } from './rest/http.js';
import { createOpenApiDocument } from './rest/openapi.js';
import { createTutorialHandler, TUTORIAL_PATHS } from './rest/tutorial.js';

/** Where tRPC is served, over HTTP and WebSocket alike. */
export const TRPC_PATH = '/trpc';

export interface AppConfig {
  host: string;
  /** 0 picks a free port (tests). */
  port: number;
  appId: string;
  appCertificate: string;
  /** How long close() lets in-flight requests finish before cutting connections. */
  shutdownTimeoutMs?: number;
  /** Largest request body accepted, in bytes. */
  maxBodyBytes?: number;
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
}

/** A dependency /readyz asks before saying the instance can take traffic. */
export interface ReadinessCheck {
  name: string;
  check(): Promise<boolean>;
}

export interface AppDeps {
  logger?: Logger;
  /** The Cloud Recording client (Agora, or the emulator in development). */
  agora?: AgoraClient;
  /** The recording registry. */
  store?: RecordingStore;
  /** Who may call; default: everyone is the local operator (AUTH_MODE=none). */
  authenticator?: Authenticator;
  /** Cross-instance events (PostgreSQL LISTEN/NOTIFY); default in-process. */
  bus?: EventBus;
  /** Cross-instance leases for pollers and the watchdog; default: this process holds them all. */
  leases?: Leases;
  clock?: Clock;
  readinessChecks?: ReadinessCheck[];
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
}

const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;
export const DEFAULT_RATE_LIMITS = { tokensPerMinute: 60, startsPerMinute: 10, ipMultiplier: 5 };


function formatHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

/** Builds the HTTP + WebSocket server around the tRPC router (DESIGN §2, app.ts). */
export function createApp(config: AppConfig, deps: AppDeps = {}): App {
  const logger = deps.logger ?? createSilentLogger();
  const clock = deps.clock ?? systemClock;
  const tokens = createTokenIssuer({ appId: config.appId, appCertificate: config.appCertificate, clock });
  const recording =
    config.recording && deps.agora && deps.store
      ? createRecordingRuntime(config.recording, {
          store: deps.store,
          agora: deps.agora,
          tokens,
          clock,
          logger,
          ...(deps.bus ? { bus: deps.bus } : {}),
          ...(deps.leases ? { leases: deps.leases } : {}),
        })
      : undefined;
  const requireRecording = () => {
    if (!recording) throw new AppError(AppErrorCode.INTERNAL, 'Cloud Recording is not configured on this server');
    return recording;
  };
  const services: Services = {
    tokens,
    recordings: () => requireRecording().service,
    watch: (id, lastEventId, signal, viewer) => requireRecording().watch(id, lastEventId, signal, viewer),
  };
  const webhook =
    config.webhookSecret && recording
      ? createWebhookHandler({ secret: config.webhookSecret, logger, apply: (sid, change) => recording.applyWebhook(sid, change) })
      : undefined;
  const limits = { subscriptionsPerConnection: config.subscriptionsPerConnection ?? 100 };
  const authenticator = deps.authenticator ?? createNoAuth();
  const rate = config.rateLimits ?? DEFAULT_RATE_LIMITS;
  const buckets = (perMinute: number) => createTokenBuckets({ perMinute, clock });
  const rateLimits = {
    tokens: { perCaller: buckets(rate.tokensPerMinute), perIp: buckets(rate.tokensPerMinute * rate.ipMultiplier) },
    starts: { perCaller: buckets(rate.startsPerMinute), perIp: buckets(rate.startsPerMinute * rate.ipMultiplier) },
  };
  const createContext = createContextFactory({ logger, services, authenticator, limits, rateLimits });
  const applyCors = createCors(config.corsOrigins ?? []);
  const maxBodyBytes = config.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const restHandler = createRestHandler({ createContext, logger, maxBodyBytes });
  const singleCall = createSingleCallHandler({ router: appRouter, createContext, maxBodyBytes, logger });
  const tutorialHandler = createTutorialHandler({ createContext, logger, maxBodyBytes });
  const wsPerIp = new Map<string, number>();
  const wsLimitPerIp = config.wsConnectionsPerIp ?? 50;
  let draining = false;
  let baseUrl: string | undefined;

  const trpcHandler = createHTTPHandler({
    router: appRouter,
    basePath: `${TRPC_PATH}/`,
    maxBodySize: config.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
    createContext,
    onError({ error, path }) {
      if (error.code === 'INTERNAL_SERVER_ERROR') logger.error({ err: error, path }, 'procedure failed');
    },
  });

  const handleRequest = (req: IncomingMessage, res: ServerResponse) => {
    const pathname = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (pathname === '/healthz' && req.method === 'GET') {
      sendJson(res, 200, { status: 'ok' });
      return;
    }
    if (pathname === '/readyz' && req.method === 'GET') {
      void readiness().then(({ ready, checks }) => {
        sendJson(res, ready ? 200 : 503, { status: ready ? 'ready' : 'not ready', checks });
      });
      return;
    }
    if (pathname === WEBHOOK_PATH && webhook) {
      webhook(req, res).catch((error: unknown) => {
        logger.error({ err: error }, 'webhook handler failed');
        if (!res.headersSent) sendJson(res, 500, { error: 'internal error' });
      });
      return;
    }
    if (pathname === '/openapi.json' && req.method === 'GET') {
      sendJson(res, 200, createOpenApiDocument(`http://${req.headers.host ?? 'localhost'}`));
      return;
    }
    if (pathname === REST_PREFIX || pathname.startsWith(`${REST_PREFIX}/`)) {
      if (applyCors(req, res)) return;
      void restHandler(req, res, new URL(req.url ?? '/', 'http://localhost'));
      return;
    }
    if (TUTORIAL_PATHS.includes(pathname)) {
      if (applyCors(req, res)) return;
      void tutorialHandler(req, res, pathname);
      return;
    }
    if (pathname === TRPC_PATH || pathname.startsWith(`${TRPC_PATH}/`)) {
      if (applyCors(req, res)) return;
      if (draining) res.setHeader('connection', 'close');
      const search = new URL(req.url ?? '/', 'http://localhost').search;
      singleCall(req, res, pathname.slice(TRPC_PATH.length + 1), search).then(
        (handled) => {
          if (!handled) trpcHandler(req, res);
        },
        (error: unknown) => {
          logger.error({ err: error }, 'request failed');
          if (!res.headersSent) sendJson(res, 500, { error: 'internal error' });
        },
      );
      return;
    }
    sendJson(res, 404, { error: 'Not found', path: pathname });
  };

  const readiness = async () => {
    const checks: Record<string, boolean> = { accepting: !draining };
    if (deps.store) checks.registry = await deps.store.ping();
    for (const readinessCheck of deps.readinessChecks ?? []) {
      checks[readinessCheck.name] = await readinessCheck.check().catch(() => false);
    }
    return { ready: Object.values(checks).every(Boolean), checks };
  };

  const server = createServer(handleRequest);
  const wss = new WebSocketServer({ noServer: true, maxPayload: config.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES });
  const wsHandler = applyWSSHandler({
    wss,
    router: appRouter,
    createContext,
    keepAlive: { enabled: true, pingMs: 30_000, pongWaitMs: 5_000 },
    onError({ error, path }) {
      if (error.code === 'INTERNAL_SERVER_ERROR') logger.error({ err: error, path }, 'procedure failed');
    },
  });

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const pathname = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (draining || pathname !== TRPC_PATH) {
      socket.end(`HTTP/1.1 ${draining ? '503 Service Unavailable' : '404 Not Found'}\r\nconnection: close\r\n\r\n`);
      return;
    }
    const ip = req.socket.remoteAddress ?? 'unknown';
    const open = wsPerIp.get(ip) ?? 0;
    if (open >= wsLimitPerIp) {
      socket.end('HTTP/1.1 429 Too Many Requests\r\nconnection: close\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      wsPerIp.set(ip, open + 1);
      ws.once('close', () => {
        const left = (wsPerIp.get(ip) ?? 1) - 1;
        if (left <= 0) wsPerIp.delete(ip);
        else wsPerIp.set(ip, left);
      });
      wss.emit('connection', ws, req);
    });
  });

  const requireListening = (): string => {
    if (baseUrl === undefined) throw new Error('The app is not listening yet: call listen() first');
    return baseUrl;
  };

  let closing: Promise<void> | undefined;
  const close = async () => {
    draining = true;
    const shutdownTimeoutMs = config.shutdownTimeoutMs ?? 10_000;
    const serverClosed = new Promise<void>((resolve) => {
      if (!server.listening) resolve();
      else server.close(() => resolve());
    });
    recording?.endWatches();
    server.closeIdleConnections();
    // Clients reconnect elsewhere (or to our successor) instead of seeing a dead socket.
    wsHandler.broadcastReconnectNotification();
    for (const client of wss.clients) client.close(1001, 'server shutting down');
    const deadline = new Promise<'timeout'>((resolve) => {
      const timer = setTimeout(() => resolve('timeout'), shutdownTimeoutMs);
      timer.unref();
    });
    if ((await Promise.race([serverClosed, deadline])) === 'timeout') {
      logger.warn({ shutdownTimeoutMs }, 'requests still running at the shutdown deadline; closing their connections');
      server.closeAllConnections();
      for (const client of wss.clients) client.terminate();
    }
    await serverClosed;
    await new Promise<void>((resolve) => wss.close(() => resolve()));
    await recording?.close();
    if (deps.store) await deps.store.close();
    for (const closeable of deps.closeables ?? []) await closeable.close();
  };

  return {
    listen: () =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(config.port, config.host, () => {
          server.off('error', reject);
          const { port } = server.address() as AddressInfo;
          // Reconcile what the registry believes active as soon as we serve (DESIGN §3.4).
          recording?.start();
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
  };
}
