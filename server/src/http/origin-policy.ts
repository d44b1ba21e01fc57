import type { IncomingMessage } from 'node:http';
import { AppErrorCode } from '@agora-backend/shared';
import { AppError } from '../errors.js';
import type { Logger } from '../logger.js';

/** Host names and addresses only this machine answers to. */
function isLoopbackHostname(hostname: string): boolean {
  const name = hostname.toLowerCase().replace(/\.$/, '');
  return name === 'localhost' || name.endsWith('.localhost') || name === '[::1]' || name === '::1' || /^127\.\d+\.\d+\.\d+$/.test(name);
}

/** The host name of a Host header (`name:port`, `[v6]:port`). */
function hostnameOf(host: string): string {
  if (host.startsWith('[')) return host.slice(0, host.indexOf(']') + 1);
  const colon = host.lastIndexOf(':');
  return colon === -1 ? host : host.slice(0, colon);
}

export interface OriginPolicyOptions {
  /** CORS_ORIGINS: browser origins allowed to call (`*` for any). */
  allowedOrigins: readonly string[];
  /**
   * Refuse requests whose Host is not a loopback name: set when the server is bound to loopback
   * with AUTH_MODE=none, where DNS rebinding would otherwise let any web page in.
   */
  loopbackHostsOnly: boolean;
  /** Where refusals are logged (warn, at most once a minute per origin or host). */
  logger?: Logger;
  /** The current time in Unix ms (the log's rate limit). */
  now?: () => number;
}

/** Loopback names as the refusal of a foreign Host lists them. */
const LOOPBACK_NAMES = 'localhost, *.localhost, 127.x.x.x, [::1]';
/** A refusal of the same origin or host is logged at most this often. */
const LOG_EVERY_MS = 60_000;

/** Logs each refused origin or host once a minute at most, with what was expected and the setting to change. */
function createRefusalLog(logger: Logger | undefined, now: () => number) {
  const lastLogged = new Map<string, number>();
  return (key: string, fields: Record<string, unknown>, message: string) => {
    if (!logger) return;
    const at = now();
    if (at - (lastLogged.get(key) ?? -Infinity) < LOG_EVERY_MS) return;
    // Bounded: a flood of made-up origins cannot grow it past this.
    if (lastLogged.size >= 1_000) lastLogged.clear();
    lastLogged.set(key, at);
    logger.warn(fields, message);
  };
}

/**
 * Which requests a browser may make, the same for HTTP, SSE and WebSocket upgrades. Requests with
 * no Origin (curl, servers, Agora's webhooks) are not browsers' cross-site requests and pass; a
 * browser's request passes when its origin is this server's own or listed in CORS_ORIGINS.
 */
export function createOriginPolicy(options: OriginPolicyOptions) {
  const allowed = new Set(options.allowedOrigins);
  const anyOrigin = allowed.has('*');
  const log = createRefusalLog(options.logger, options.now ?? Date.now);
  const listed = options.allowedOrigins.length > 0 ? options.allowedOrigins.join(', ') : 'none';
  // The last Host found to be a loopback name: a client sends the same one on every request, and
  // reading it again (lower case, trailing dot, pattern) was a measurable share of a token request.
  let knownLoopbackHost: string | undefined;
  const isLoopbackHost = (host: string) => {
    if (host === knownLoopbackHost) return true;
    if (!isLoopbackHostname(hostnameOf(host))) return false;
    knownLoopbackHost = host;
    return true;
  };
  return {
    /** Whether CORS headers may be sent for this origin. */
    allowsCors: (origin: string) => anyOrigin || allowed.has(origin),
    /** Throws ORIGIN_REFUSED (403) for a request this server must not act on. */
    check(req: IncomingMessage): void {
      const host = req.headers.host;
      if (options.loopbackHostsOnly && host !== undefined && !isLoopbackHost(host)) {
        const shown = host.slice(0, 100);
        log(
          `host ${shown}`,
          { host: shown, expected: LOOPBACK_NAMES, setting: 'AUTH_MODE' },
          `refused a request for Host ${JSON.stringify(shown)}: with AUTH_MODE=none on a loopback address only loopback names (${LOOPBACK_NAMES}) are answered, against DNS rebinding; open the server by one of them, or set AUTH_MODE=apikey or jwt to answer other names`,
        );
        throw new AppError(
          AppErrorCode.ORIGIN_REFUSED,
          `Host ${JSON.stringify(host.slice(0, 100))} is refused: with AUTH_MODE=none this server answers only to loopback names (localhost, 127.0.0.1, [::1])`,
        );
      }
      const origin = req.headers.origin;
      if (origin === undefined || anyOrigin || allowed.has(origin)) return;
      if (host !== undefined && sameOrigin(origin, host)) return;
      const shown = origin.slice(0, 200);
      log(
        `origin ${shown}`,
        {
          origin: shown,
          expected: { own: host === undefined ? null : `http://${host}`, corsOrigins: options.allowedOrigins },
          setting: 'CORS_ORIGINS',
        },
        `refused a browser request from origin ${JSON.stringify(shown)}: it is neither this server's own nor in CORS_ORIGINS (${listed}); to allow it, add it to CORS_ORIGINS`,
      );
      throw new AppError(
        AppErrorCode.ORIGIN_REFUSED,
        `origin ${JSON.stringify(origin.slice(0, 200))} is not allowed: add it to CORS_ORIGINS`,
      );
    },
  };
}

function sameOrigin(origin: string, host: string): boolean {
  try {
    const url = new URL(origin);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.host === host.toLowerCase();
  } catch {
    return false;
  }
}

export type OriginPolicy = ReturnType<typeof createOriginPolicy>;
