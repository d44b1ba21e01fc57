import { TRPCError } from '@trpc/server';
import { AgoraApiError, AgoraError, AgoraNetworkError, AgoraTimeoutError } from '../agora/index.js';
import type { TRPC_ERROR_CODE_KEY } from '@trpc/server/rpc';
import { AppErrorCode, type AgoraErrorInfo, type FieldIssue } from '@agora-backend/shared';
import { TokenBuildError } from '../tokens/index.js';
import { AppError } from '../errors.js';
import { isDatabaseUnavailable } from '../store/index.js';

export { AppError };

/** Extra fields clients find in `error.data`, besides tRPC's `code`, `httpStatus` and `path`. */
export interface AppErrorData {
  /** Which failure, from the shared AppErrorCode table. */
  appCode: AppErrorCode;
  /** For validation failures: each field and the rule it broke. */
  issues?: FieldIssue[];
  /** For upstream failures: what Agora said. */
  agora?: AgoraErrorInfo;
  /** For rate limits: when to try again. */
  retryAfterSeconds?: number;
}

interface IssueLike {
  path?: readonly PropertyKey[] | readonly { key: PropertyKey }[];
  message: string;
}

function hasIssues(value: unknown): value is { issues: IssueLike[] } {
  return typeof value === 'object' && value !== null && Array.isArray((value as { issues?: unknown }).issues);
}

function pathToString(path: IssueLike['path']): string {
  if (!path) return '';
  return path
    .map((segment) => (typeof segment === 'object' ? String(segment.key) : String(segment)))
    .join('.');
}

/** Turns schema issues into `field: rule` lines; the message names every field that failed. */
export function toFieldIssues(issues: IssueLike[]): FieldIssue[] {
  return issues.map((issue) => ({ path: pathToString(issue.path), message: issue.message }));
}

export function describeIssues(issues: FieldIssue[]): string {
  return issues.map((issue) => (issue.path ? `${issue.path}: ${issue.message}` : issue.message)).join('; ');
}

/** Maps one of our error classes to the tRPC code it is shown as. */
const APP_ERROR_TO_TRPC: Record<AppErrorCode, TRPC_ERROR_CODE_KEY> = {
  VALIDATION: 'BAD_REQUEST',
  TOKEN_BUILD_FAILED: 'INTERNAL_SERVER_ERROR',
  AGORA_API: 'BAD_GATEWAY',
  AGORA_UNAVAILABLE: 'SERVICE_UNAVAILABLE',
  RECORDING_NOT_FOUND: 'NOT_FOUND',
  UID_CONFLICT: 'CONFLICT',
  RECORDING_MODE_MISMATCH: 'BAD_REQUEST',
  RECORDING_ENDED: 'PRECONDITION_FAILED',
  TRANSCRIPTION_NOT_FOUND: 'NOT_FOUND',
  TRANSCRIPTION_ENDED: 'PRECONDITION_FAILED',
  UNAUTHENTICATED: 'UNAUTHORIZED',
  FORBIDDEN: 'FORBIDDEN',
  LINK_REFUSED: 'FORBIDDEN',
  // Only the file route raises it, with its own 416; tRPC has no such code.
  RANGE_NOT_SATISFIABLE: 'BAD_REQUEST',
  RATE_LIMITED: 'TOO_MANY_REQUESTS',
  MALFORMED_REQUEST: 'BAD_REQUEST',
  UNSUPPORTED_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  NOT_FOUND: 'NOT_FOUND',
  METHOD_NOT_ALLOWED: 'METHOD_NOT_SUPPORTED',
  ORIGIN_REFUSED: 'FORBIDDEN',
  SHUTTING_DOWN: 'SERVICE_UNAVAILABLE',
  REGISTRY_UNAVAILABLE: 'SERVICE_UNAVAILABLE',
  INTERNAL: 'INTERNAL_SERVER_ERROR',
};

/**
 * How Agora's answers reach callers: the tRPC code says what kind of failure it is for *them*
 * (a conflict, a missing recording, a rate limit), and error.data.agora keeps Agora's own words.
 */
function trpcCodeForAgora(error: AgoraError): TRPC_ERROR_CODE_KEY {
  if (error instanceof AgoraTimeoutError) return 'GATEWAY_TIMEOUT';
  if (error instanceof AgoraNetworkError) return 'SERVICE_UNAVAILABLE';
  if (!(error instanceof AgoraApiError)) return 'BAD_GATEWAY';
  if (error.httpStatus === 429 || error.code === 406) return 'TOO_MANY_REQUESTS';
  if (error.code === 53 || error.httpStatus === 409) return 'CONFLICT';
  // Agora's service (a code, or Speech-to-Text's reason) says it does not know it; the gateway's 404 is a wrong route.
  if (error.httpStatus === 404 && (error.code !== undefined || error.reason !== undefined)) return 'NOT_FOUND';
  return 'BAD_GATEWAY';
}

/** Turns our own error classes into TRPCErrors with the right code; undefined for anything else. */
export function toTRPCError(cause: unknown): TRPCError | undefined {
  if (!(cause instanceof AppError) && isDatabaseUnavailable(cause)) {
    const unavailable = new AppError(AppErrorCode.REGISTRY_UNAVAILABLE, 'the registry database is unreachable; try again shortly', { cause });
    return new TRPCError({ code: 'SERVICE_UNAVAILABLE', message: unavailable.message, cause: unavailable });
  }
  if (cause instanceof AppError) return new TRPCError({ code: trpcCodeFor(cause.appCode), message: cause.message, cause });
  if (cause instanceof AgoraError) return new TRPCError({ code: trpcCodeForAgora(cause), message: cause.message, cause });
  return undefined;
}

export function trpcCodeFor(appCode: AppErrorCode): TRPC_ERROR_CODE_KEY {
  return APP_ERROR_TO_TRPC[appCode];
}

/** tRPC's words for a batch over its `maxBatchSize` (WebSocket and HTTP adapters alike). */
export const BATCH_TOO_LARGE = 'Batch call exceeds maximum size';
/** What callers are told instead: the rule, and the setting that sets it. */
const BATCH_TOO_LARGE_MESSAGE = 'batch: more calls than one batch may carry (the server\'s MAX_BATCH_SIZE)';

/**
 * The client-visible shape of an error: input validation failures become one readable message
 * naming each field and rule, with the list in `data.issues`. Internal errors keep a generic
 * message so nothing from a stack or a cause leaks.
 */
export function formatError(error: TRPCError): { message: string; data: AppErrorData } {
  if (error.code === 'BAD_REQUEST' && hasIssues(error.cause)) {
    const issues = toFieldIssues(error.cause.issues);
    return { message: describeIssues(issues), data: { appCode: AppErrorCode.VALIDATION, issues } };
  }
  if (error.cause instanceof AppError) {
    const { appCode, retryAfterSeconds } = error.cause;
    return { message: error.cause.message, data: { appCode, ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}) } };
  }
  if (error.cause instanceof AgoraApiError) {
    const { httpStatus, code, reason } = error.cause;
    return { message: error.cause.message, data: { appCode: AppErrorCode.AGORA_API, agora: { httpStatus, code, reason } } };
  }
  if (error.cause instanceof AgoraError) {
    return { message: error.cause.message, data: { appCode: AppErrorCode.AGORA_UNAVAILABLE } };
  }
  if (error.cause instanceof TokenBuildError) {
    return { message: error.cause.message, data: { appCode: AppErrorCode.TOKEN_BUILD_FAILED } };
  }
  if (error.code === 'INTERNAL_SERVER_ERROR') {
    return { message: 'Internal server error', data: { appCode: AppErrorCode.INTERNAL } };
  }
  // tRPC's own batch limit (WebSocket, the adapter) and the edge's say it in the same words.
  if (error.code === 'BAD_REQUEST' && error.message === BATCH_TOO_LARGE) {
    return { message: BATCH_TOO_LARGE_MESSAGE, data: { appCode: AppErrorCode.MALFORMED_REQUEST } };
  }
  // tRPC wraps what failed while reading an input (bad superjson framing, bad JSON in ?input=).
  if (error.code === 'BAD_REQUEST' && error.cause instanceof Error && !(error.cause instanceof TRPCError) && error.message === error.cause.message) {
    return { message: `the input could not be read: ${error.cause.message}`, data: { appCode: AppErrorCode.MALFORMED_REQUEST } };
  }
  // Raised by tRPC itself or by the edge (bad JSON, wrong content type, unknown procedure…).
  return { message: error.message, data: { appCode: TRPC_TO_APP_CODE[error.code] ?? AppErrorCode.INTERNAL } };
}

/** The app code of an error that no domain class raised: the request's own fault, named by tRPC's code. */
const TRPC_TO_APP_CODE: Partial<Record<TRPC_ERROR_CODE_KEY, AppErrorCode>> = {
  PARSE_ERROR: AppErrorCode.MALFORMED_REQUEST,
  BAD_REQUEST: AppErrorCode.MALFORMED_REQUEST,
  UNSUPPORTED_MEDIA_TYPE: AppErrorCode.UNSUPPORTED_MEDIA_TYPE,
  PAYLOAD_TOO_LARGE: AppErrorCode.PAYLOAD_TOO_LARGE,
  NOT_FOUND: AppErrorCode.NOT_FOUND,
  METHOD_NOT_SUPPORTED: AppErrorCode.METHOD_NOT_ALLOWED,
  UNAUTHORIZED: AppErrorCode.UNAUTHENTICATED,
  FORBIDDEN: AppErrorCode.FORBIDDEN,
  TOO_MANY_REQUESTS: AppErrorCode.RATE_LIMITED,
};
