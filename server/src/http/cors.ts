import type { IncomingMessage, ServerResponse } from 'node:http';
import type { OriginPolicy } from './origin-policy.js';
import { VARY } from './respond.js';

/**
 * CORS headers for allowed origins (CORS_ORIGINS). Foreign origins never get here: the origin
 * policy has refused them (exposeRefusal). Answers preflight (OPTIONS) itself: returns true when it did.
 *
 * Vary is not set here: every writer of a CORS route's answers sends it with its own headers
 * (respond.ts, the tRPC surfaces, files, preflights), and a header set before `writeHead` sends
 * every other header of the answer through Node's slower merging path (bench/README.md, issue 35).
 * test/src/edge.test.ts holds every CORS route's answers, errors included, to carrying it.
 */
export function applyCors(policy: OriginPolicy, req: IncomingMessage, res: ServerResponse): boolean {
  const origin = req.headers.origin;
  if (origin && policy.allowsCors(origin)) {
    allow(res, origin);
    res.setHeader('access-control-max-age', '600');
  }
  return answerPreflight(req, res);
}

/**
 * The CORS headers of a request, Vary included: for a response whose head is written at once with
 * them (Route.holdsResponse), so that nothing is stored on it before.
 */
export function corsHeaders(policy: OriginPolicy, req: IncomingMessage): Record<string, string> {
  const origin = req.headers.origin;
  return {
    ...(origin && policy.allowsCors(origin) ? { ...allowHeaders(origin), 'access-control-max-age': '600' } : {}),
    vary: VARY,
  };
}

const allowHeaders = (origin: string) => ({
  'access-control-allow-origin': origin,
  'access-control-allow-headers': 'authorization, content-type, trpc-accept, last-event-id',
  'access-control-allow-methods': 'GET, POST, PATCH, PUT, OPTIONS',
});

function allow(res: ServerResponse, origin: string) {
  for (const [name, value] of Object.entries(allowHeaders(origin))) res.setHeader(name, value);
}

function answerPreflight(req: IncomingMessage, res: ServerResponse): boolean {
  if (req.method !== 'OPTIONS') return false;
  res.writeHead(204, { vary: VARY });
  res.end();
  return true;
}

/**
 * Lets the page of a refused origin read why it was refused (ORIGIN_REFUSED, with the setting to
 * change) instead of a bare "Failed to fetch": its preflight is answered, so the browser sends the
 * request, which the origin policy then refuses before anything runs. Nothing is cached (no
 * max-age), so adding the origin to CORS_ORIGINS takes effect at once. True when it answered a preflight.
 */
export function exposeRefusal(req: IncomingMessage, res: ServerResponse): boolean {
  const origin = req.headers.origin;
  if (!origin) return false;
  allow(res, origin);
  return answerPreflight(req, res);
}
