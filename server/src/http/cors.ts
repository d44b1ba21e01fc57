import type { IncomingMessage, ServerResponse } from 'node:http';
import type { OriginPolicy } from './origin-policy.js';
import { VARY } from './respond.js';

/**
 * CORS headers for allowed origins (CORS_ORIGINS). Foreign origins never get here: the origin
 * policy has refused them. Answers preflight (OPTIONS) itself: returns true when it did.
 */
export function applyCors(policy: OriginPolicy, req: IncomingMessage, res: ServerResponse): boolean {
  const origin = req.headers.origin;
  if (origin && policy.allowsCors(origin)) {
    res.setHeader('access-control-allow-origin', origin);
    res.setHeader('access-control-allow-headers', 'authorization, content-type, trpc-accept, last-event-id');
    res.setHeader('access-control-allow-methods', 'GET, POST, PATCH, PUT, OPTIONS');
    res.setHeader('access-control-max-age', '600');
  }
  res.setHeader('vary', VARY);
  if (req.method === 'OPTIONS') {
    res.writeHead(204);
    res.end();
    return true;
  }
  return false;
}
