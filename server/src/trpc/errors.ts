import type { TRPCError } from '@trpc/server';
import type { TRPC_ERROR_CODE_KEY } from '@trpc/server/rpc';
import { AppErrorCode, type AgoraErrorInfo, type FieldIssue } from '@agora-backend/shared';
import { TokenBuildError } from '../tokens/index.js';

/** Extra fields clients find in `error.data`, besides tRPC's `code`, `httpStatus` and `path`. */
export interface AppErrorData {
  /** Which failure, from the shared AppErrorCode table. */
  appCode: AppErrorCode;
  /** For validation failures: each field and the rule it broke. */
  issues?: FieldIssue[];
  /** For upstream failures: what Agora said. */
  agora?: AgoraErrorInfo;
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
  INTERNAL: 'INTERNAL_SERVER_ERROR',
};

export function trpcCodeFor(appCode: AppErrorCode): TRPC_ERROR_CODE_KEY {
  return APP_ERROR_TO_TRPC[appCode];
}

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
  if (error.cause instanceof TokenBuildError) {
    return { message: error.cause.message, data: { appCode: AppErrorCode.TOKEN_BUILD_FAILED } };
  }
  if (error.code === 'INTERNAL_SERVER_ERROR') {
    return { message: 'Internal server error', data: { appCode: AppErrorCode.INTERNAL } };
  }
  return { message: error.message, data: { appCode: AppErrorCode.INTERNAL } };
}
