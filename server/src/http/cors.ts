import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * CORS for an allowlist of browser origins (CORS_ORIGINS): allowed origins get the headers, others
 * none, so browsers refuse them. Answers preflight (OPTIONS) itself: returns true when it did.
 */
export function createCors(origins: readonly string[]) {
  const allowed = new Set(origins);
  return (req: IncomingMessage, res: ServerResponse): boolean => {
    const origin = req.headers.origin;
    if (origin && (allowed.has(origin) || allowed.has('*'))) {
      res.setHeader('access-control-allow-origin', origin);
      res.setHeader('vary', 'origin');
      res.setHeader('access-control-allow-headers', 'authorization, content-type, trpc-accept, last-event-id');
      res.setHeader('access-control-allow-methods', 'GET, POST, PATCH, PUT, OPTIONS');
      res.setHeader('access-control-max-age', '600');
    }
    if (req.method === 'OPTIONS') {
      res.writeHead(204);
      res.end();
      return true;
    }
    return false;
  };
}
