import { TRPCError } from '@trpc/server';
import type { TRPC_ERROR_CODE_KEY } from '@trpc/server/rpc';
import { AppErrorCode, type FieldIssue } from '@agora-backend/shared';
import { AppError, CodedError, INTERNAL_MESSAGE, type ErrorDetails } from '../errors.js';
import { isDatabaseUnavailable } from '../store/index.js';

export { AppError };

/** Extra fields clients find in `error.data`, besides tRPC's `code`, `httpStatus` and `path`. */
export interface AppErrorData extends ErrorDetails {
  /** Which failure, from the shared AppErrorCode table. */
  appCode: AppErrorCode;
  /** For validation failures: each field and the rule it broke. */
  issues?: FieldIssue[];
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
  return path.map((segment) => (typeof segment === 'object' ? String(segment.key) : String(segment))).join('.');
}

/** Turns schema issues into `field: rule` lines; the message names every field that failed. */
export function toFieldIssues(issues: IssueLike[]): FieldIssue[] {
  return issues.map((issue) => ({ path: pathToString(issue.path), message: issue.message }));
}

export function describeIssues(issues: FieldIssue[]): string {
  return issues.map((issue) => (issue.path ? `${issue.path}: ${issue.message}` : issue.message)).join('; ');
}

/**
 * Our error behind any thrown value: a CodedError as it is, a lost registry connection as
 * REGISTRY_UNAVAILABLE; undefined for anything else (tRPC's own errors, bugs).
 */
export function codedErrorOf(cause: unknown): CodedError | undefined {
  if (cause instanceof CodedError) return cause;
  if (isDatabaseUnavailable(cause))
    return new AppError(AppErrorCode.REGISTRY_UNAVAILABLE, 'the registry database is unreachable; try again shortly', { cause });
  return undefined;
}

/** The tRPC code of one of our errors, from the error table (the type checks our codes are tRPC's). */
const trpcCodeOf = (error: CodedError): TRPC_ERROR_CODE_KEY => error.shownAs.trpc;

/** Turns our own errors into TRPCErrors with their table's code; undefined for anything else. */
export function toTRPCError(cause: unknown): TRPCError | undefined {
  const coded = codedErrorOf(cause);
  return coded && new TRPCError({ code: trpcCodeOf(coded), message: coded.message, cause: coded });
}

/** What a caller is told of one of our errors: its public message and its data. */
export function publicFormOf(error: CodedError): { message: string; data: AppErrorData } {
  return { message: error.publicMessage, data: { appCode: error.appCode, ...error.details } };
}

/** tRPC's words for a batch over its `maxBatchSize` (WebSocket and HTTP adapters alike). */
export const BATCH_TOO_LARGE = 'Batch call exceeds maximum size';
/** What callers are told instead: the rule, and the setting that sets it. */
const BATCH_TOO_LARGE_MESSAGE = "batch: more calls than one batch may carry (the server's MAX_BATCH_SIZE)";

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
  if (error.cause instanceof CodedError) return publicFormOf(error.cause);
  return formatTrpcOwnError(error);
}

/** An error no class of ours raised: tRPC's own (its adapter, an unknown procedure), the edge's in tRPC's words, or a bug. */
function formatTrpcOwnError(error: TRPCError): { message: string; data: AppErrorData } {
  if (error.code === 'INTERNAL_SERVER_ERROR') {
    return { message: INTERNAL_MESSAGE, data: { appCode: AppErrorCode.INTERNAL } };
  }
  // tRPC's own batch limit (WebSocket, the adapter) and the edge's say it in the same words.
  if (error.code === 'BAD_REQUEST' && error.message === BATCH_TOO_LARGE) {
    return { message: BATCH_TOO_LARGE_MESSAGE, data: { appCode: AppErrorCode.MALFORMED_REQUEST } };
  }
  // tRPC wraps what failed while reading an input (bad superjson framing, bad JSON in ?input=).
  if (
    error.code === 'BAD_REQUEST' &&
    error.cause instanceof Error &&
    !(error.cause instanceof TRPCError) &&
    error.message === error.cause.message
  ) {
    return { message: `the input could not be read: ${error.cause.message}`, data: { appCode: AppErrorCode.MALFORMED_REQUEST } };
  }
  return { message: error.message, data: { appCode: APP_CODE_OF_TRPCS_OWN[error.code] ?? AppErrorCode.INTERNAL } };
}

/**
 * The app code of an error tRPC raises itself (bad JSON, a wrong content type, an unknown
 * procedure…): the request's own fault, named by tRPC's code. Our own errors never pass here.
 */
const APP_CODE_OF_TRPCS_OWN: Partial<Record<TRPC_ERROR_CODE_KEY, AppErrorCode>> = {
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
