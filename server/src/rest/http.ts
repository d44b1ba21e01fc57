import type { IncomingMessage, ServerResponse } from 'node:http';
import { getTRPCErrorFromUnknown } from '@trpc/server';
import { getHTTPStatusCodeFromError } from '@trpc/server/http';
import type { Logger } from '../logger.js';
import { formatError } from '../trpc/errors.js';
import { readRawBody } from '../http/body.js';

export class BodyNotJsonError extends Error {}

/** Reads a JSON body (empty = undefined) up to `limit` bytes. */
export async function readJsonBody(req: IncomingMessage, limit: number): Promise<unknown> {
  const text = (await readRawBody(req, limit)).toString('utf8');
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new BodyNotJsonError('the request body is not valid JSON');
  }
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
