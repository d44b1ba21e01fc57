import type { IncomingMessage, ServerResponse } from 'node:http';
import { getTRPCErrorFromUnknown } from '@trpc/server';
import { getHTTPStatusCodeFromError } from '@trpc/server/http';
import type { Logger } from '../logger.js';
import { formatError } from '../trpc/errors.js';

export class BodyTooLargeError extends Error {}
export class BodyNotJsonError extends Error {}

/** Reads a JSON body (empty = undefined) up to `limit` bytes. */
export function readJsonBody(req: IncomingMessage, limit: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        reject(new BodyTooLargeError(`request body over ${limit} bytes`));
        req.resume();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      if (text.trim() === '') {
        resolve(undefined);
        return;
      }
      try {
        resolve(JSON.parse(text) as unknown);
      } catch {
        reject(new BodyNotJsonError('the request body is not valid JSON'));
      }
    });
    req.on('error', reject);
  });
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers });
  res.end(JSON.stringify(body));
}

/**
 * A procedure's error as plain HTTP: the status from its tRPC code, and a JSON body with
 * `code`, `message`, and where they apply `issues`, `agora` and `retryAfterSeconds`.
 */
export function errorResponse(error: unknown, logger: Logger): { status: number; body: Record<string, unknown>; headers: Record<string, string> } {
  const trpcError = getTRPCErrorFromUnknown(error);
  const status = getHTTPStatusCodeFromError(trpcError);
  if (status >= 500 && trpcError.code === 'INTERNAL_SERVER_ERROR') logger.error({ err: trpcError }, 'REST call failed');
  const { message, data } = formatError(trpcError);
  const headers: Record<string, string> = data.retryAfterSeconds !== undefined ? { 'retry-after': String(data.retryAfterSeconds) } : {};
  return { status, body: { code: trpcError.code, message, ...data }, headers };
}
