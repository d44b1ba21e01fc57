import { readdirSync, readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join } from 'node:path';
import { AppErrorCode } from '@agora-backend/shared';
import { AppError } from '../errors.js';
import type { RequestTarget } from './request-target.js';

export const CONSOLE_PATH = '/console';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

/**
 * The console's pages may load only what this server serves: its own scripts and styles, media
 * and images from its file links (blob: for hls.js), calls to its own API.
 */
const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; connect-src 'self'; worker-src 'self' blob:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  // File links carry their signature: never hand them to another site in a Referer.
  'referrer-policy': 'no-referrer',
};

/**
 * GET /console: the built console (console/dist), read once at start-up. Only the files that
 * are there are answered; nothing else under the folder can be named.
 */
export function createConsoleHandler(dir: string) {
  const files = new Map<string, { body: Buffer; type: string }>();
  for (const name of readdirSync(dir)) {
    const type = TYPES[extname(name)];
    if (type) files.set(name, { body: readFileSync(join(dir, name)), type });
  }
  if (!files.has('index.html'))
    throw new Error(`${dir} holds no index.html: build the console first (pnpm --filter @agora-backend/console build)`);
  return (req: IncomingMessage, res: ServerResponse, url: RequestTarget): Promise<void> => {
    const name =
      url.pathname === CONSOLE_PATH || url.pathname === `${CONSOLE_PATH}/` ? 'index.html' : url.pathname.slice(CONSOLE_PATH.length + 1);
    const file = files.get(name);
    if (!file) throw new AppError(AppErrorCode.NOT_FOUND, `no console file ${name}`);
    // Chunks are named by their content; the rest may change with every build.
    const cache = name.startsWith('chunk-') ? 'public, max-age=31536000, immutable' : 'no-cache';
    res.writeHead(200, {
      'content-type': file.type,
      'content-length': String(file.body.length),
      'cache-control': cache,
      ...SECURITY_HEADERS,
    });
    res.end(req.method === 'HEAD' ? undefined : file.body);
    return Promise.resolve();
  };
}
