import type { IncomingMessage } from 'node:http';
import { AppErrorCode } from '@agora-backend/shared';
import { AppError } from '../errors.js';

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
}

/**
 * Which requests a browser may make, the same for HTTP, SSE and WebSocket upgrades. Requests with
 * no Origin (curl, servers, Agora's webhooks) are not browsers' cross-site requests and pass; a
 * browser's request passes when its origin is this server's own or listed in CORS_ORIGINS.
 */
export function createOriginPolicy(options: OriginPolicyOptions) {
  const allowed = new Set(options.allowedOrigins);
  const anyOrigin = allowed.has('*');
  return {
    /** Whether CORS headers may be sent for this origin. */
    allowsCors: (origin: string) => anyOrigin || allowed.has(origin),
    /** Throws ORIGIN_REFUSED (403) for a request this server must not act on. */
    check(req: IncomingMessage): void {
      const host = req.headers.host;
      if (options.loopbackHostsOnly && host !== undefined && !isLoopbackHostname(hostnameOf(host))) {
        throw new AppError(
          AppErrorCode.ORIGIN_REFUSED,
          `Host ${JSON.stringify(host.slice(0, 100))} is refused: with AUTH_MODE=none this server answers only to loopback names (localhost, 127.0.0.1, [::1])`,
        );
      }
      const origin = req.headers.origin;
      if (origin === undefined || anyOrigin || allowed.has(origin)) return;
      if (host !== undefined && sameOrigin(origin, host)) return;
      throw new AppError(AppErrorCode.ORIGIN_REFUSED, `origin ${JSON.stringify(origin.slice(0, 200))} is not allowed: add it to CORS_ORIGINS`);
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
