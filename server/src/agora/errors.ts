import {
  AppErrorCode,
  type ChannelManagementEndpoint,
  type CloudRecordingEndpoint,
  type ConversationalAiEndpoint,
  type SpeechToTextEndpoint,
} from '@agora-backend/shared';
import { CodedError, type ErrorDetails, type ErrorRow } from '../errors.js';
import { AGORA_CODE_MEANINGS } from './codes.js';

/** The Cloud Recording, Speech-to-Text, Conversational AI and channel management REST calls, as named in errors and logs. */
export type AgoraEndpoint = CloudRecordingEndpoint | SpeechToTextEndpoint | ConversationalAiEndpoint | ChannelManagementEndpoint;

/**
 * Base of every Agora client error. None of them carries the Authorization header, the customer
 * secret, storage keys or tokens: request options and bodies are never attached, and causes from
 * the HTTP library are replaced by plain errors holding only their message and code. Their app
 * code is AGORA_API (Agora answered) or AGORA_UNAVAILABLE; how each is shown refines its row.
 */
export abstract class AgoraError extends CodedError {
  abstract readonly kind: 'api' | 'network' | 'timeout' | 'response';
  constructor(
    message: string,
    readonly endpoint: AgoraEndpoint,
    options?: { cause?: Error },
  ) {
    super(message, options);
  }
}

export interface AgoraApiErrorDetails {
  endpoint: AgoraEndpoint;
  httpStatus: number;
  /** Agora's service code, from a `{code, reason}` body. */
  code?: number | undefined;
  reason?: string | undefined;
  /** Speech-to-Text's `detail`: what exactly was wrong. */
  detail?: string | undefined;
  /** The gateway's text, from a `{message}` body (401, 429, unknown routes). */
  gatewayMessage?: string | undefined;
  requestId?: string | undefined;
}

function describeApiError(details: AgoraApiErrorDetails): string {
  const { endpoint, httpStatus, code, reason, detail, gatewayMessage } = details;
  if (code !== undefined) {
    const known = AGORA_CODE_MEANINGS[code];
    const said = reason && reason !== known?.meaning ? ` "${reason}"` : '';
    return known
      ? `${endpoint} failed: Agora code ${code} (${known.meaning})${said}: ${known.hint}`
      : `${endpoint} failed: Agora code ${code}${said} (HTTP ${httpStatus})`;
  }
  if (reason) return `${endpoint} failed: HTTP ${httpStatus} "${reason}"${detail ? `: ${detail}` : ''}`;
  if (gatewayMessage) {
    const hint =
      httpStatus === 401
        ? ': check AGORA_CUSTOMER_ID and AGORA_CUSTOMER_SECRET'
        : httpStatus === 429
          ? ': more than 10 requests per second for this App ID'
          : '';
    return `${endpoint} failed: HTTP ${httpStatus} "${gatewayMessage}"${hint}`;
  }
  return `${endpoint} failed: HTTP ${httpStatus}`;
}

/** Agora answered, and the answer is an error. */
export class AgoraApiError extends AgoraError {
  override readonly name = 'AgoraApiError';
  readonly kind = 'api';
  readonly appCode = AppErrorCode.AGORA_API;
  readonly httpStatus: number;
  readonly code: number | undefined;
  readonly reason: string | undefined;
  readonly detail: string | undefined;
  readonly gatewayMessage: string | undefined;
  readonly requestId: string | undefined;
  constructor(details: AgoraApiErrorDetails) {
    super(describeApiError(details), details.endpoint);
    this.httpStatus = details.httpStatus;
    this.code = details.code;
    this.reason = details.reason;
    this.detail = details.detail;
    this.gatewayMessage = details.gatewayMessage;
    this.requestId = details.requestId;
  }
  /**
   * What kind of failure it is for the caller (a rate limit, a conflict, a missing task); the
   * data keeps Agora's own words.
   */
  override get shownAs(): ErrorRow {
    if (this.httpStatus === 429 || this.code === 406) return { trpc: 'TOO_MANY_REQUESTS', status: 429 };
    if (this.code === 53 || this.httpStatus === 409) return { trpc: 'CONFLICT', status: 409 };
    // Agora's service (a code, or Speech-to-Text's reason) says it does not know it; the gateway's 404 is a wrong route.
    if (this.httpStatus === 404 && (this.code !== undefined || this.reason !== undefined)) return { trpc: 'NOT_FOUND', status: 404 };
    return super.shownAs;
  }
  override get details(): ErrorDetails {
    const { httpStatus, code, reason } = this;
    return { agora: { httpStatus, code, reason } };
  }
}

/** No answer: DNS, connection refused or reset, TLS. */
export class AgoraNetworkError extends AgoraError {
  override readonly name = 'AgoraNetworkError';
  readonly kind = 'network';
  readonly appCode = AppErrorCode.AGORA_UNAVAILABLE;
  constructor(
    endpoint: AgoraEndpoint,
    readonly host: string,
    /** The system error code, e.g. ENOTFOUND or ECONNREFUSED. */
    readonly code: string,
    cause: Error,
  ) {
    super(`${endpoint} failed: could not reach ${host} (${code})`, endpoint, { cause });
  }
}

/** No answer in time. */
export class AgoraTimeoutError extends AgoraError {
  override readonly name = 'AgoraTimeoutError';
  readonly kind = 'timeout';
  readonly appCode = AppErrorCode.AGORA_UNAVAILABLE;
  constructor(
    endpoint: AgoraEndpoint,
    readonly host: string,
    readonly timeoutMs: number,
  ) {
    super(`${endpoint} failed: ${host} did not answer within ${timeoutMs} ms`, endpoint);
  }
  override get shownAs(): ErrorRow {
    return { trpc: 'GATEWAY_TIMEOUT', status: 504 };
  }
}

/** Agora answered with a success status but a body we cannot read. */
export class AgoraResponseError extends AgoraError {
  override readonly name = 'AgoraResponseError';
  readonly kind = 'response';
  readonly appCode = AppErrorCode.AGORA_UNAVAILABLE;
  constructor(
    endpoint: AgoraEndpoint,
    readonly httpStatus: number,
    readonly problem: string,
  ) {
    super(`${endpoint} failed: unexpected response (HTTP ${httpStatus}): ${problem}`, endpoint);
  }
  /** Agora answered, but not in its own format: a bad gateway, though the app code says unavailable. */
  override get shownAs(): ErrorRow {
    return { trpc: 'BAD_GATEWAY', status: 502 };
  }
}

/**
 * A request refused before it reached Agora, because Agora would change it silently (a duration it
 * clamps) or its answer is not defined (a ban target outside Agora's table). `field` names what to
 * fix; the message names the field and the allowed range or the rule. A VALIDATION error (400).
 */
export class AgoraRequestError extends CodedError {
  override readonly name = 'AgoraRequestError';
  readonly appCode = AppErrorCode.VALIDATION;
  constructor(
    readonly endpoint: AgoraEndpoint,
    /** The field's path, e.g. `seconds` or `target`. */
    readonly field: string,
    readonly problem: string,
  ) {
    super(`${field}: ${problem}`);
  }
}
