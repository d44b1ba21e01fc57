/**
 * The operator's endpoints: liveness (/healthz), readiness (/readyz), Prometheus metrics
 * (/metrics, admin only off loopback) and the OpenAPI document of the REST surface (/openapi.json).
 */
import type { IncomingMessage } from 'node:http';
import { AppErrorCode } from '@agora-backend/shared';
import { AuthenticationError, isAdmin, type Authenticator, type Caller } from '../auth/index.js';
import { AppError } from '../errors.js';
import type { Metrics } from '../metrics/index.js';
import { bearerCredential } from './context.js';
import { sendBody, sendJson } from './respond.js';
import { createOpenApiDocument } from './rest/openapi.js';
import type { Route } from './server.js';

/** A dependency /readyz asks before saying the instance can take traffic. */
export interface ReadinessCheck {
  name: string;
  check(): Promise<boolean>;
}

/** What /readyz answers: every check by name, and whether all passed. */
export interface Readiness {
  ready: boolean;
  checks: Record<string, boolean>;
}

/** Asks each check in turn (a check that throws counts as failed); `accepting` is false while draining. */
export function createReadiness(options: {
  draining: () => boolean;
  registry?: { ping(): Promise<boolean> } | undefined;
  checks?: ReadinessCheck[] | undefined;
}) {
  return async (): Promise<Readiness> => {
    const checks: Record<string, boolean> = { accepting: !options.draining() };
    if (options.registry) checks.registry = await options.registry.ping();
    for (const readinessCheck of options.checks ?? []) {
      checks[readinessCheck.name] = await readinessCheck.check().catch(() => false);
    }
    return { ready: Object.values(checks).every(Boolean), checks };
  };
}

const exact = (path: string) => (pathname: string) => pathname === path;

/** What the operator's routes read: readiness, who is an admin, the metrics registry. */
export interface OperatorRouteOptions {
  readiness: () => Promise<Readiness>;
  authenticator: Authenticator;
  metrics: Metrics;
}

/** The operator's routes, in the order the route table matches them. */
export function createOperatorRoutes(options: OperatorRouteOptions): Route[] {
  const plain = { surface: 'rest', cors: false } as const;
  // HEAD too: load balancers probe with it (Node leaves the body out).
  const methods = ['GET', 'HEAD'];
  return [
    {
      name: 'health',
      matches: exact('/healthz'),
      methods,
      ...plain,
      handle: (_req, res) => {
        sendJson(res, 200, { status: 'ok' });
        return Promise.resolve();
      },
    },
    {
      name: 'readiness',
      matches: exact('/readyz'),
      methods,
      ...plain,
      handle: async (_req, res) => {
        const { ready, checks } = await options.readiness();
        sendJson(res, ready ? 200 : 503, { status: ready ? 'ready' : 'not ready', checks });
      },
    },
    {
      name: 'metrics',
      matches: exact('/metrics'),
      methods,
      ...plain,
      handle: async (req, res) => {
        await requireAdmin(options.authenticator, req);
        const text = await options.metrics.registry.metrics();
        sendBody(res, 200, { 'content-type': options.metrics.registry.contentType, 'cache-control': 'no-store' }, text);
      },
    },
    {
      name: 'openapi',
      matches: exact('/openapi.json'),
      methods,
      surface: 'rest',
      cors: true,
      handle: (req, res) => {
        sendJson(res, 200, createOpenApiDocument(`http://${req.headers.host ?? 'localhost'}`));
        return Promise.resolve();
      },
    },
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
