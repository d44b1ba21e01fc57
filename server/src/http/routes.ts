/**
 * The route table: every way into the server (operator endpoints, console, files, webhook, REST,
 * tutorial, tRPC), in the order they are matched.
 */
import type { Logger } from '../logger.js';
import { appRouter } from '../routers/_app.js';
import { CONSOLE_PATH, createConsoleHandler } from './console.js';
import { createFileHandler, FILES_PATH, type FileHandlerOptions } from './files.js';
import { createOperatorRoutes, type OperatorRouteOptions } from './operator-routes.js';
import { createRestHandler, REST_PREFIX } from './rest/handler.js';
import type { Route } from './server.js';
import { createTrpcSurface, TRPC_PATH } from './trpc.js';
import { createTutorialHandler, TUTORIAL_PATHS } from './tutorial.js';
import { createWebhookHandler, WEBHOOK_PATH, type WebhookHandlerOptions } from './webhook.js';
import type { ContextFactory } from './context.js';

export interface RouteTableOptions {
  createContext: ContextFactory;
  logger: Logger;
  maxBodyBytes: number;
  maxBatchSize: number;
  operator: OperatorRouteOptions;
  /** POST /webhooks/agora, when a secret is set and recordings run. */
  webhook: WebhookHandlerOptions | undefined;
  /** Signed links under /files. */
  files: FileHandlerOptions | undefined;
  /** The built console, served at /console. */
  consoleDir: string | undefined;
}

const exact = (path: string) => (pathname: string) => pathname === path;
const under = (prefix: string) => (pathname: string) => pathname === prefix || pathname.startsWith(`${prefix}/`);

/** The route table: every way into the server, in the order they are matched. */
export function createRoutes(options: RouteTableOptions): Route[] {
  const { createContext, maxBodyBytes } = options;
  const rest = createRestHandler({ createContext, maxBodyBytes });
  const tutorial = createTutorialHandler({ createContext, maxBodyBytes });
  const { logger, maxBatchSize } = options;
  const trpc = createTrpcSurface({ router: appRouter, createContext, logger, maxBodyBytes, maxBatchSize });
  const webhook = options.webhook ? createWebhookHandler(options.webhook) : undefined;
  const files = options.files ? createFileHandler(options.files) : undefined;
  const consolePages = options.consoleDir ? createConsoleHandler(options.consoleDir) : undefined;
  const plain = { surface: 'rest', cors: false } as const;
  const getOrHead = ['GET', 'HEAD'];
  const optional: (Route | undefined)[] = [
    consolePages && { name: 'console', matches: under(CONSOLE_PATH), methods: getOrHead, ...plain, handle: consolePages },
    files && { name: 'files', matches: under(FILES_PATH), methods: getOrHead, surface: 'rest', cors: true, handle: files },
    webhook && { name: 'webhook', matches: exact(WEBHOOK_PATH), methods: ['POST'], ...plain, handle: webhook },
  ];
  return [
    ...createOperatorRoutes(options.operator),
    ...optional.filter((route) => route !== undefined),
    {
      name: 'rest',
      matches: under(REST_PREFIX),
      methods: ['GET', 'HEAD', 'POST', 'PATCH', 'PUT', 'DELETE'],
      surface: 'rest',
      cors: true,
      handle: rest,
    },
    {
      name: 'tutorial',
      matches: (pathname) => TUTORIAL_PATHS.includes(pathname),
      methods: ['POST'],
      surface: 'tutorial',
      cors: true,
      handle: (req, res, url) => tutorial(req, res, url.pathname),
    },
    {
      name: 'trpc',
      matches: under(TRPC_PATH),
      methods: ['GET', 'POST'],
      surface: 'trpc',
      cors: true,
      refuseUrlCredentials: true,
      holdsResponse: trpc.holdsResponse,
      handle: trpc.handle,
    },
  ];
}
