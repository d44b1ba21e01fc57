import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { AppErrorCode } from '@agora-backend/shared';
import type { Clock } from '../clock.js';
import { AppError, ERROR_TABLE } from '../errors.js';
import type { Logger } from '../logger.js';
import { contentTypeOf } from '../tasks/links.js';
import { FILES_PATH, scopeOf, type LinkSigner, type RecordingStorage } from '../storage/index.js';
import { sendJson, VARY } from './respond.js';
import type { RequestTarget } from './request-target.js';

export { FILES_PATH };

const notFound = () => new AppError(AppErrorCode.NOT_FOUND, 'no such file');
const invalidLink = () => new AppError(AppErrorCode.LINK_REFUSED, 'this link is not valid: ask recording.files for a new one');

/** `/files/<expires>-<signature>/<key>`: the link's token and the object key, each segment percent-decoded. */
export function parseFilePath(pathname: string): { expires: string; signature: string; key: string } {
  const [token = '', ...segments] = pathname.slice(FILES_PATH.length + 1).split('/');
  const link = /^(\d{1,12})-([A-Za-z0-9_-]{43})$/.exec(token);
  if (!link) throw invalidLink();
  return { expires: link[1]!, signature: link[2]!, key: keyOf(segments) };
}

/** The object key of the path's segments: percent-decoded; nothing that could climb out. */
function keyOf(segments: string[]): string {
  const decoded = segments.map((segment) => {
    try {
      return decodeURIComponent(segment);
    } catch {
      throw new AppError(AppErrorCode.MALFORMED_REQUEST, 'the file path has a malformed percent-escape');
    }
  });
  // A decoded segment is one name: no separators of any platform, no NUL, no '.' or '..'.
  if (decoded.some((segment) => segment === '' || segment === '.' || segment === '..' || /[/\\\0]/.test(segment))) throw notFound();
  return decoded.join('/');
}

/** A single `bytes=` range of a file of `size` bytes; undefined: serve it whole (no or unusable Range). */
export function parseRange(header: string | undefined, size: number): { start: number; end: number } | 'unsatisfiable' | undefined {
  const match = header === undefined ? null : /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match || (match[1] === '' && match[2] === '')) return undefined; // several ranges, or none: the whole file
  const [first, last] = [match[1]!, match[2]!];
  if (first === '') {
    const suffix = Number(last);
    return suffix === 0 || size === 0 ? 'unsatisfiable' : { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(first);
  const end = last === '' ? size - 1 : Math.min(Number(last), size - 1);
  if (last !== '' && Number(last) < start) return undefined; // an invalid range is ignored (RFC 9110 §14.2)
  return start >= size ? 'unsatisfiable' : { start, end };
}

/** If-None-Match: `*` (any current file) or a list of tags, compared weakly (RFC 9110 §13.1.2). */
export function noneMatch(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  if (header.trim() === '*') return true;
  const opaque = (tag: string) => tag.trim().replace(/^W\//, '');
  return header.split(',').some((tag) => opaque(tag) === opaque(etag));
}

/**
 * If-Range (RFC 9110 §13.1.5): a Range applies only while the file is the one the client has —
 * its strong entity tag, or exactly its Last-Modified date. Anything else, junk included, means
 * the client's copy is stale: the whole file is sent instead of a part of a different one.
 */
export function rangeStillApplies(header: string | undefined, etag: string, lastModified: string): boolean {
  if (header === undefined) return true;
  const validator = header.trim();
  if (validator.startsWith('"')) return validator === etag;
  return validator === lastModified;
}

/** The link's signature (over the key's folder) and expiry, checked before the file system is touched. */
function checkLink(link: { expires: string; signature: string; key: string }, signer: LinkSigner, now: number): number {
  const { expires, signature, key } = link;
  if (!signer.verify(scopeOf(key), Number(expires), signature)) throw invalidLink();
  const expiresAt = Number(expires) * 1000;
  if (expiresAt <= now) throw new AppError(AppErrorCode.LINK_REFUSED, 'this link has expired: ask recording.files for a new one');
  return expiresAt;
}

/** 302 to the object's own link, lasting no longer than ours. */
async function redirect(res: ServerResponse, bucket: RecordingStorage, key: string, seconds: number) {
  const made = await bucket.link(key, seconds);
  if (made.url === null) throw new AppError(AppErrorCode.NOT_FOUND, made.reason);
  res.writeHead(302, { location: made.url, 'cache-control': 'private, no-store', 'referrer-policy': 'no-referrer', vary: VARY });
  res.end();
}

/** The file a key names, if it is a regular file inside root (after following any links). */
async function resolveFile(root: string, key: string) {
  const realRoot = await realpath(root).catch(() => undefined);
  const path = await realpath(join(root, ...key.split('/'))).catch(() => undefined);
  if (realRoot === undefined || path === undefined || !path.startsWith(realRoot + sep)) throw notFound();
  const info = await stat(path);
  if (!info.isFile()) throw notFound();
  return { path, info };
}

export interface FileHandlerOptions {
  signer: LinkSigner;
  clock: Clock;
  logger: Logger;
  /** The embedded storage's folder: its files are served from here. */
  root?: string | undefined;
  /** Otherwise the bucket: each request is redirected to the object's own link (S3: presigned). */
  bucket?: RecordingStorage | undefined;
}

/**
 * GET/HEAD /files/<expires>-<signature>/<key>: recording objects behind signed links that expire.
 * Embedded: the files themselves, with byte ranges (players seek with them) and the media's
 * content types. A bucket: a redirect to a fresh link of the object, so a playlist opened through
 * here plays (its relative segment names come back here).
 */
export function createFileHandler(options: FileHandlerOptions) {
  const { root, bucket } = options;
  return async (req: IncomingMessage, res: ServerResponse, url: RequestTarget): Promise<void> => {
    const link = parseFilePath(url.pathname);
    const { key } = link;
    const expiresAt = checkLink(link, options.signer, options.clock.now());
    if (root === undefined) {
      if (!bucket) throw notFound();
      await redirect(res, bucket, key, Math.max(1, Math.floor((expiresAt - options.clock.now()) / 1000)));
      return;
    }
    const { path, info } = await resolveFile(root, key);
    const etag = `"${info.size.toString(16)}-${Math.floor(info.mtimeMs).toString(16)}"`;
    const playlist = key.endsWith('.m3u8');
    const headers: Record<string, string> = {
      'content-type': contentTypeOf(key),
      'accept-ranges': 'bytes',
      etag,
      'last-modified': info.mtime.toUTCString(),
      // A live playlist changes; media objects never do, but the link's expiry bounds any cache.
      'cache-control': playlist
        ? 'private, no-cache'
        : `private, max-age=${Math.max(0, Math.floor((expiresAt - options.clock.now()) / 1000))}`,
      vary: VARY,
    };
    if (noneMatch(req.headers['if-none-match'], etag)) {
      res.writeHead(304, headers).end();
      return;
    }
    const ifRange = req.headers['if-range'];
    const range = rangeStillApplies(Array.isArray(ifRange) ? ifRange.join(', ') : ifRange, etag, headers['last-modified']!)
      ? parseRange(req.headers.range, info.size)
      : undefined;
    if (range === 'unsatisfiable') {
      // The REST error shape, with the table's status (HTTP's own: tRPC has no code for it) and the app code as its code.
      const code = AppErrorCode.RANGE_NOT_SATISFIABLE;
      const { 'content-type': _media, ...rest } = headers;
      sendJson(
        res,
        ERROR_TABLE[code].status,
        { code, message: `the range starts past the end of the file (${info.size} bytes)`, appCode: code },
        { ...rest, 'content-range': `bytes */${info.size}` },
      );
      return;
    }
    const { start, end } = range ?? { start: 0, end: info.size - 1 };
    res.writeHead(range ? 206 : 200, {
      ...headers,
      'content-length': String(Math.max(0, end - start + 1)),
      ...(range ? { 'content-range': `bytes ${start}-${end}/${info.size}` } : {}),
    });
    if (req.method === 'HEAD' || info.size === 0) {
      res.end();
      return;
    }
    await pipeline(createReadStream(path, { start, end }), res).catch((error: unknown) => {
      // The client went away mid-file (a player seeking): nothing to answer.
      if ((error as NodeJS.ErrnoException).code !== 'ERR_STREAM_PREMATURE_CLOSE')
        options.logger.warn({ err: error, key }, 'file read failed');
    });
  };
}
