import type { IncomingMessage } from 'node:http';
import { AppErrorCode } from '@agora-backend/shared';
import { AppError } from '../errors.js';
import { MAX_JSON_DEPTH } from '../trpc/superjson-frame.js';

export { MAX_JSON_DEPTH };

/**
 * Receives a request body up to `limit` bytes and settles with `finish(body)` (or what it throws):
 * one promise per request, whatever `finish` reads. A larger body is refused without reading it all.
 */
function receiveBody<T>(req: IncomingMessage, limit: number, finish: (raw: Buffer) => T): Promise<T> {
  const tooLarge = () => new AppError(AppErrorCode.PAYLOAD_TOO_LARGE, `the request body is larger than ${limit} bytes`);
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    req.resume();
    return Promise.reject(tooLarge());
  }
  return new Promise((resolve, reject) => {
    // Most bodies come in one chunk: an array only when a second one comes.
    let first: Buffer | undefined;
    let more: Buffer[] | undefined;
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        reject(tooLarge());
        req.resume();
        return;
      }
      if (first === undefined) first = chunk;
      else (more ??= [first]).push(chunk);
    });
    req.on('end', () => {
      try {
        resolve(finish(more !== undefined ? Buffer.concat(more) : (first ?? EMPTY)));
      } catch (error) {
        // What `finish` throws: the caller's errors (AppError).
        reject(error instanceof Error ? error : new Error(String(error)));
      }
    });
    // A client gone before the end of its body is told apart (Node's error is then ECONNRESET 'aborted').
    req.on('error', (error) => reject(req.complete ? error : new AppError(AppErrorCode.MALFORMED_REQUEST, 'the request body was cut off')));
  });
}

const EMPTY = Buffer.alloc(0);

/** Reads a request body up to `limit` bytes; a larger one is refused without reading it all. */
export function readRawBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return receiveBody(req, limit, (raw) => raw);
}

/** How deeply JSON text nests, counted outside strings; stops counting past `max`. */
export function jsonDepthExceeds(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let index = 0; index < text.length; index++) {
    const char = text.charCodeAt(index);
    if (inString) {
      if (char === 0x5c)
        index++; // backslash: skip the escaped character
      else if (char === 0x22) inString = false;
    } else if (char === 0x22) inString = true;
    else if (char === 0x7b || char === 0x5b) {
      if (++depth > max) return true;
    } else if (char === 0x7d || char === 0x5d) depth--;
  }
  return false;
}

/** Parses JSON text the same way for every surface: one error for bad JSON, one for too deep. */
export function parseJsonText(text: string, what = 'the request body'): unknown {
  // Deep nesting is refused before parsing: recursive decoders (superjson's) overflow the stack.
  if (jsonDepthExceeds(text, MAX_JSON_DEPTH)) {
    throw new AppError(AppErrorCode.MALFORMED_REQUEST, `${what} nests deeper than ${MAX_JSON_DEPTH} levels`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new AppError(AppErrorCode.MALFORMED_REQUEST, `${what} is not valid JSON`);
  }
}

/** A body with content is JSON or nothing: anything else (text/plain, forms) is what browsers send cross-site without asking. */
function requireJsonContentType(req: IncomingMessage): void {
  const type = req.headers['content-type'];
  // What nearly every client sends, accepted without taking the value apart.
  if (type === 'application/json') return;
  const mediaType = type?.split(';', 1)[0]!.trim().toLowerCase();
  if (mediaType !== 'application/json') {
    throw new AppError(
      AppErrorCode.UNSUPPORTED_MEDIA_TYPE,
      type === undefined
        ? 'a request body needs Content-Type: application/json'
        : `Content-Type ${JSON.stringify(type.slice(0, 100))} is not accepted: send application/json`,
    );
  }
}

export interface JsonBody {
  /** The body as text ('' when there was none). */
  text: string;
  /** The parsed body; undefined when there was none. */
  value: unknown;
}

/** A received body read as JSON: the content type, valid JSON and its depth (readJsonBody). */
function jsonBodyOf(req: IncomingMessage, raw: Buffer): JsonBody {
  if (raw.length === 0) return { text: '', value: undefined };
  requireJsonContentType(req);
  const text = raw.toString('utf8');
  if (text.trim() === '') return { text: '', value: undefined };
  return { text, value: parseJsonText(text) };
}

/**
 * The edge's one body reader: the size limit, the content type, valid JSON and its depth, with the
 * same errors on every surface. An empty body is allowed without a content type.
 */
export function readJsonBody(req: IncomingMessage, limit: number): Promise<JsonBody> {
  return receiveBody(req, limit, (raw) => jsonBodyOf(req, raw));
}
