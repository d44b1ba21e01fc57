import { AgoraApiError, AgoraError } from '../agora/index.js';
import { AppError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { StoredError } from '../store/index.js';

/**
 * Why a task failed (docs/architecture.md, "Why a task failed"): every `failed` row carries a
 * reason in one stable word and what told us — Agora's notice, its query answer, its answer to a
 * call of ours, or a rule of ours. The word labels the failures metric, so it never holds ids or
 * free text.
 */

export type FailureSource = NonNullable<StoredError['from']>;

/** A failure with its reason: `message` for people, `reason` for metrics and filters. */
export function failure(message: string, reason: string, from: FailureSource, agora?: StoredError['agora']): StoredError {
  return { message, reason, from, ...(agora ? { agora } : {}) };
}

/** The error a row keeps on failing: one a notice already gave (it says most) is kept, else `fallback`. */
export function failureOr(current: StoredError | null, fallback: StoredError): StoredError {
  return current?.reason !== undefined ? current : fallback;
}

/** What a failed task is reported as (the warn line and the metric): its reason, or `unknown` for an old row. */
export const reasonOf = (error: StoredError | null) => error?.reason ?? 'unknown';

/** The one warn line a failure gets, with the reason and where it came from; `count` feeds the metric. */
export function reportFailure(
  logger: Logger,
  kind: string,
  record: { id: string; channel: string; lastError: StoredError | null },
  count?: (reason: string) => void,
): void {
  const reason = reasonOf(record.lastError);
  logger.warn(
    { [`${kind}Id`]: record.id, channel: record.channel, reason, from: record.lastError?.from, agora: record.lastError?.agora },
    `${kind} failed: ${record.lastError?.message ?? 'no reason recorded'}`,
  );
  count?.(reason);
}

/** An error as the registry keeps it: Agora's code and reason, never a secret or a stack. */
export function storedErrorOf(error: unknown): StoredError {
  if (error instanceof AgoraApiError) {
    return { message: error.message, agora: { httpStatus: error.httpStatus, code: error.code, reason: error.reason } };
  }
  if (error instanceof AgoraError || error instanceof AppError) return { message: error.message };
  return { message: 'internal error' };
}

/** Why a start failed (reason `start_failed`): Agora's answer to our call, or an error of ours. */
export function startFailure(error: unknown): StoredError {
  return { ...storedErrorOf(error), reason: 'start_failed', from: error instanceof AgoraError ? 'call' : 'rule' };
}
