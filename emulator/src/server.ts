import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readBodyText } from './body.js';
import { systemClock, type Clock } from './clock.js';
import { CONTROL_PREFIX, createControl } from './control.js';
import { createEmulatorCore, type EmulatorCore } from './core.js';
import { silentLogger, type EmulatorLogger } from './logger.js';
import type { EmulatorLimits, EmulatorTiming } from './types.js';

export interface EmulatorOptions {
  appId: string;
  appCertificate: string;
  /** The Basic credentials (Customer ID and secret) it accepts. */
  customerId: string;
  customerSecret: string;
  storageDir: string;
  host?: string;
  /** 0 (default) picks a free port. */
  port?: number;
  /** A manual clock also makes `POST /_emulator/clock/advance` available. */
  clock?: Clock;
  timing?: Partial<EmulatorTiming>;
  limits?: Partial<EmulatorLimits>;
  logger?: EmulatorLogger;
  /** Notifications (NCS callbacks) go here, signed with `secret`; also settable later. */
  webhook?: { url: string; secret: string };
  /** Notification resends wait this, then 2× and 4× (default 1 s). */
  notificationRetryMs?: number;
  /** Send RTC channel event notices (productId 1) too; also settable later. */
  channelEvents?: boolean;
}

export interface Emulator {
  listen(): Promise<string>;
  /** Base URL to give an Agora client (AGORA_API_URL), after listen(). */
  readonly url: string;
  /** The model behind the HTTP API: presence, faults, notifications, inspection. */
  readonly control: EmulatorCore;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 1024 * 1024;
const LOOPBACK_NAMES = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * The control API has no credentials (a development tool), so a web page must not drive it: a
 * browser's foreign Origin is refused, and on a loopback bind so is a non-loopback Host (DNS
 * rebinding). Agora's own paths are guarded by Basic authentication instead.
 */
function controlRefusal(headers: { origin?: string | undefined; host?: string | undefined }, boundToLoopback: boolean): string | undefined {
  const host = headers.host ?? '';
  if (boundToLoopback && !LOOPBACK_NAMES.has(host.replace(/:\d+$/, ''))) return `Host ${host} is not this machine`;
  if (headers.origin === undefined) return undefined;
  try {
    if (new URL(headers.origin).host === host) return undefined;
  } catch {
    // an unreadable Origin is a foreign one
  }
  return `requests from ${headers.origin} may not drive the emulator`;
}

function send(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(body));
}

/**
 * An HTTP server that speaks Agora's Cloud Recording REST API as Agora publishes it, sends its
 * notifications, and offers a control API for tests and local development. No media.
 */
export function createEmulator(options: EmulatorOptions): Emulator {
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? silentLogger;
  const core = createEmulatorCore({ ...options, clock, logger });
  if (options.webhook) core.setNotificationTarget(options.webhook);
  if (options.channelEvents === true) core.setChannelEvents(true);
  const control = createControl(core, clock);
  const boundToLoopback = LOOPBACK_NAMES.has(options.host ?? '127.0.0.1') || options.host === '::1';
  let url: string | undefined;

  const server = createServer((req, res) => {
    const { pathname: path, search } = new URL(req.url ?? '/', 'http://emulator');
    const method = req.method ?? 'GET';
    readBodyText(req, MAX_BODY_BYTES)
      .then(async (body) => {
        const isControl = path.startsWith(`${CONTROL_PREFIX}/`);
        const refusal = isControl ? controlRefusal(req.headers, boundToLoopback) : undefined;
        const reply =
          body === undefined
            ? { status: 413, body: { code: 2, reason: 'request body too large' } }
            : refusal !== undefined
              ? { status: 403, body: { error: refusal } }
              : isControl
                ? await control(method, path.slice(CONTROL_PREFIX.length), body)
                : await core.handle({
                    method,
                    path,
                    search,
                    authorization: req.headers.authorization,
                    userAgent: req.headers['user-agent'],
                    body,
                  });
        send(res, reply.status, reply.body);
      })
      .catch((error: unknown) => {
        logger.error({ err: error, path }, 'emulator failed to answer');
        if (!res.headersSent) send(res, 500, { code: 500, reason: 'internal_error' });
      });
  });

  return {
    listen: () =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
          const { port } = server.address() as AddressInfo;
          const host = options.host ?? '127.0.0.1';
          url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
          resolve(url);
        });
      }),
    get url() {
      if (url === undefined) throw new Error('The emulator is not listening yet: call listen() first');
      return url;
    },
    control: core,
    close: async () => {
      await core.flushStorage();
      core.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
