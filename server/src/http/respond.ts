import type { ServerResponse } from 'node:http';
import { getTRPCErrorFromUnknown, type TRPCError } from '@trpc/server';
import type { Logger } from '../logger.js';
import type { AppRouter } from '../routers/_app.js';
import { AppErrorCode } from '@agora-backend/shared';
import { AppError } from '../errors.js';
import { flatJson } from '../trpc/flat-json.js';
import { codedErrorOf, formatError, publicFormOf, toTRPCError, type AppErrorData } from '../trpc/errors.js';
import { statusOfError, wireFormat } from './trpc-internals.js';

/**
 * What a response varies on: the origin (CORS answers differ per origin, so a shared cache must not
 * hand one origin's answer to another) and tRPC's streaming accept headers.
 */
export const VARY = 'origin, trpc-accept, accept';

/**
 * Writes a whole answer whose body is known. With its length declared, Node sends the head and the
 * body as one write instead of chunked framing (a writev of head, chunk size, body and trailer).
 */
export function sendBody(res: ServerResponse, status: number, headers: Record<string, string>, body: string): void {
  headers['content-length'] = String(Buffer.byteLength(body));
  res.writeHead(status, headers);
  res.end(body);
}

/**
 * JSON.stringify(body), the same text: a flat answer (every token answer) written directly
 * (trpc/flat-json.ts), otherwise a plain object's own Dates written as their ISO strings first: a
 * Date's toJSON takes JSON.stringify off its fast path (8–13 µs of a REST answer's ~70 µs above
 * the ceiling in the profile, bench/README.md). Nested values are left to JSON.stringify.
 */
export function jsonText(body: unknown): string {
  const flat = flatJson(body);
  if (flat !== undefined) return flat;
  if (typeof body !== 'object' || body === null || Object.getPrototypeOf(body) !== Object.prototype) return JSON.stringify(body);
  let copy: Record<string, unknown> | undefined;
  for (const key in body) {
    const value = (body as Record<string, unknown>)[key];
    // An invalid Date is written as null by its toJSON: left to it.
    if (value instanceof Date && !Number.isNaN(value.getTime())) (copy ??= { ...body })[key] = value.toISOString();
  }
  return JSON.stringify(copy ?? body);
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers?: Record<string, string>): void {
  const head = { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', vary: VARY };
  // Most answers (every token answer) add no header: no copy of the head for them.
  sendBody(res, status, headers === undefined ? head : { ...head, ...headers }, jsonText(body));
}

export function sendText(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  sendBody(res, status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', vary: VARY, ...headers }, text);
}

/** 405: the route exists, not for this method; `allow` becomes the Allow header. */
export class MethodNotAllowedError extends AppError {
  constructor(
    readonly allow: string,
    message = `use ${allow}`,
  ) {
    super(AppErrorCode.METHOD_NOT_ALLOWED, message);
  }
}

/** Any thrown value as the TRPCError it is shown as: ours by the error table, the rest as tRPC sees them. */
function toError(cause: unknown): TRPCError {
  return toTRPCError(cause) ?? getTRPCErrorFromUnknown(cause);
}

/** How each surface writes an error; the code, status and message come from one table for all. */
export type Surface = 'trpc' | 'rest' | 'tutorial';

interface ErrorAnswer {
  status: number;
  /** tRPC's code, e.g. BAD_REQUEST. */
  code: TRPCError['code'];
  message: string;
  data: AppErrorData;
  headers: Record<string, string>;
}

/**
 * The one error→HTTP mapping: the status, tRPC code, message and data an error is answered with
 * on any surface. Ours are read from the error table; tRPC's own errors keep tRPC's status.
 */
export function answerToError(cause: unknown, logger: Logger): ErrorAnswer {
  const coded = codedErrorOf(cause);
  if (!coded) {
    const error = getTRPCErrorFromUnknown(cause);
    return answer(statusOfError(error), error.code, formatError(error), {}, error, logger);
  }
  const { status, trpc } = coded.shownAs;
  return answer(status, trpc, publicFormOf(coded), coded instanceof MethodNotAllowedError ? { allow: coded.allow } : {}, coded, logger);
}

function answer(
  status: number,
  code: TRPCError['code'],
  shown: { message: string; data: AppErrorData },
  headers: Record<string, string>,
  err: Error,
  logger: Logger,
): ErrorAnswer {
  if (code === 'INTERNAL_SERVER_ERROR') logger.error({ err }, 'request failed');
  const { message, data } = shown;
  return {
    status,
    code,
    message,
    data,
    headers: { ...(data.retryAfterSeconds !== undefined ? { 'retry-after': String(data.retryAfterSeconds) } : {}), ...headers },
  };
}

/** A request-level error in tRPC's own envelope, as its adapter writes one (what the client parses). */
function sendTrpcError(res: ServerResponse, router: AppRouter, cause: unknown, logger: Logger, path?: string): void {
  const answer = answerToError(cause, logger);
  const wire = wireFormat(router);
  sendBody(
    res,
    answer.status,
    { 'content-type': 'application/json', vary: VARY, ...answer.headers },
    wire.responseText({ error: wire.errorShape(toError(cause), 'unknown', path, undefined) }),
  );
}

/** Writes an error the way `surface` writes them. */
export function sendError(res: ServerResponse, surface: Surface, cause: unknown, logger: Logger, router: AppRouter): void {
  if (surface === 'trpc') {
    sendTrpcError(res, router, cause, logger);
    return;
  }
  const answer = answerToError(cause, logger);
  // The tutorial answered every refusal of its input with a plain-text reason; so do we.
  if (surface === 'tutorial' && answer.status < 500 && answer.status !== 429) {
    sendText(res, answer.status, answer.message, answer.headers);
    return;
  }
  sendJson(res, answer.status, { code: answer.code, message: answer.message, ...answer.data }, answer.headers);
}
