import { createServer, type ServerResponse } from 'node:http';
import { readBodyText } from './body.js';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import { systemClock, type Clock, type FakeClock } from '../clock.js';
import { createSilentLogger, type Logger } from '../logger.js';
import { createEmulatorCore, type EmulatorCore, type EmulatorLimits, type EmulatorTiming } from './core.js';

/** Where the control API lives, apart from Agora's paths. */
export const CONTROL_PREFIX = '/_emulator';

export interface EmulatorOptions {
  appId: string;
  appCertificate: string;
  customerId: string;
  customerSecret: string;
  storageDir: string;
  host?: string;
  /** 0 (default) picks a free port. */
  port?: number;
  /** A FakeClock also makes `POST /_emulator/clock/advance` available. */
  clock?: Clock | FakeClock;
  timing?: Partial<EmulatorTiming>;
  limits?: Partial<EmulatorLimits>;
  logger?: Logger;
}

export interface Emulator {
  listen(): Promise<string>;
  /** Base URL to give the Agora client (AGORA_API_URL), after listen(). */
  readonly url: string;
  /** The model behind the HTTP API: presence, faults, inspection. */
  readonly control: EmulatorCore;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 1024 * 1024;

function send(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(body));
}

const Presence = z.object({ uid: z.union([z.string(), z.number()]).transform(String) });
const FaultInput = z.object({
  endpoint: z.enum(['acquire', 'start', 'query', 'update', 'updateLayout', 'stop']),
  times: z.number().int().min(1).default(1),
  status: z.number().int().min(100).max(599),
  body: z.unknown().default({}),
  delayMs: z.number().int().min(0).optional(),
});
const Milliseconds = z.object({ ms: z.number().int().min(0) });

function isFakeClock(clock: Clock): clock is FakeClock {
  return 'advance' in clock && typeof clock.advance === 'function';
}

/**
 * An HTTP server that speaks Agora's Cloud Recording REST contract (docs/agora.md), with a
 * control API for tests and local development. No media: it models the API, not recording.
 */
const Chaos = z.object({ share: z.number().min(0).max(1), seed: z.number().int().optional() });

/** A percent-decoded path segment; undefined when the escape is malformed. */
function safeDecode(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

export function createEmulator(options: EmulatorOptions): Emulator {
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? createSilentLogger();
  const core = createEmulatorCore({ ...options, clock });
  let url: string | undefined;

  async function control(method: string, path: string, body: string, res: ServerResponse) {
    let json: unknown = {};
    try {
      json = body.trim() === '' ? {} : JSON.parse(body);
    } catch {
      send(res, 400, { error: 'body must be JSON' });
      return;
    }
    const parse = <T>(schema: z.ZodType<T>): T | undefined => {
      const parsed = schema.safeParse(json);
      if (parsed.success) return parsed.data;
      send(res, 400, { error: parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ') });
      return undefined;
    };
    const channel = /^\/channels\/([^/]+)\/publishers(?:\/([^/]+))?$/.exec(path);
    if (channel) {
      const cname = safeDecode(channel[1]!);
      const uid = channel[2] === undefined ? '' : safeDecode(channel[2]);
      if (cname === undefined || uid === undefined) {
        send(res, 400, { error: 'malformed percent-escape in the path' });
        return;
      }
      if (method === 'POST') {
        const input = parse(Presence);
        if (!input) return;
        core.join(cname, input.uid);
      } else if (method === 'DELETE' && uid) {
        core.leave(cname, uid);
      } else if (method !== 'GET') {
        send(res, 405, { error: 'use GET, POST or DELETE' });
        return;
      }
      send(res, 200, { cname, publishers: core.publishersIn(cname) });
      return;
    }
    const route = `${method} ${path}`;
    switch (route) {
      case 'GET /state':
        send(res, 200, { tasks: core.tasks(), now: clock.now() });
        return;
      case 'GET /requests':
        send(res, 200, { requests: core.requests(), counts: core.requestCounts() });
        return;
      case 'DELETE /requests':
        core.clearRequests();
        send(res, 200, {});
        return;
      case 'POST /faults': {
        const fault = parse(FaultInput);
        if (!fault) return;
        core.injectFault(fault);
        send(res, 200, {});
        return;
      }
      case 'DELETE /faults':
        core.clearFaults();
        send(res, 200, {});
        return;
      case 'POST /failover': {
        const input = parse(Milliseconds);
        if (!input) return;
        core.failover(input.ms);
        send(res, 200, {});
        return;
      }
      case 'POST /chaos': {
        const input = parse(Chaos);
        if (!input) return;
        core.setChaos(input.share, input.seed);
        send(res, 200, {});
        return;
      }
      case 'POST /latency': {
        const input = parse(Milliseconds);
        if (!input) return;
        core.setLatency(input.ms);
        send(res, 200, {});
        return;
      }
      case 'POST /clock/advance': {
        if (!isFakeClock(clock)) {
          send(res, 409, { error: 'the emulator runs on the real clock; start it with a fake clock to drive time' });
          return;
        }
        const input = parse(Milliseconds);
        if (!input) return;
        await clock.advance(input.ms);
        send(res, 200, { now: clock.now() });
        return;
      }
      default:
        send(res, 404, { error: `no control route ${route}` });
    }
  }

  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://emulator').pathname;
    readBodyText(req, MAX_BODY_BYTES)
      .then(async (body) => {
        if (body === undefined) {
          send(res, 413, { code: 2, reason: 'request body too large' });
          return;
        }
        if (path.startsWith(`${CONTROL_PREFIX}/`)) {
          await control(req.method ?? 'GET', path.slice(CONTROL_PREFIX.length), body, res);
          return;
        }
        const reply = await core.handle({ method: req.method ?? 'GET', path, authorization: req.headers.authorization, body });
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
          url = `http://${options.host ?? '127.0.0.1'}:${port}`;
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
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
