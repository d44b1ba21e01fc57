import type { CloudRecordingEndpoint, ConversationalAiEndpoint, SpeechToTextEndpoint } from '@agora-backend/shared';
import { AGORA_CODE_MEANINGS } from './codes.js';

/** The Cloud Recording, Speech-to-Text and Conversational AI REST calls, as named in errors and logs. */
export type AgoraEndpoint = CloudRecordingEndpoint | SpeechToTextEndpoint | ConversationalAiEndpoint;

/**
 * Base of every Agora client error. None of them carries the Authorization header, the customer
 * secret, storage keys or tokens: request options and bodies are never attached, and causes from
 * the HTTP library are replaced by plain errors holding only their message and code.
 */
export abstract class AgoraError extends Error {
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
}

/** No answer: DNS, connection refused or reset, TLS. */
export class AgoraNetworkError extends AgoraError {
  override readonly name = 'AgoraNetworkError';
  readonly kind = 'network';
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
  constructor(
    endpoint: AgoraEndpoint,
    readonly host: string,
    readonly timeoutMs: number,
  ) {
    super(`${endpoint} failed: ${host} did not answer within ${timeoutMs} ms`, endpoint);
  }
}

/** Agora answered with a success status but a body we cannot read. */
export class AgoraResponseError extends AgoraError {
  override readonly name = 'AgoraResponseError';
  readonly kind = 'response';
  constructor(
    endpoint: AgoraEndpoint,
    readonly httpStatus: number,
    readonly problem: string,
  ) {
    super(`${endpoint} failed: unexpected response (HTTP ${httpStatus}): ${problem}`, endpoint);
  }
}
