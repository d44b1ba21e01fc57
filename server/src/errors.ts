import type { AgoraErrorInfo, AppErrorCode } from '@agora-backend/shared';

/**
 * The tRPC codes our failures are shown with (a subset of tRPC's `TRPC_ERROR_CODE_KEY`; the API
 * ring's formatter only compiles while it is one). Named here as plain words: the core knows
 * nothing of tRPC, only what each failure is called on the wire.
 */
export type TrpcCode =
  | 'BAD_REQUEST'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'METHOD_NOT_SUPPORTED'
  | 'CONFLICT'
  | 'PRECONDITION_FAILED'
  | 'PAYLOAD_TOO_LARGE'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'TOO_MANY_REQUESTS'
  | 'INTERNAL_SERVER_ERROR'
  | 'BAD_GATEWAY'
  | 'SERVICE_UNAVAILABLE'
  | 'GATEWAY_TIMEOUT';

/** How a failure is shown: tRPC's code and the HTTP status (tRPC's own status for that code but 416). */
export interface ErrorRow {
  trpc: TrpcCode;
  status: number;
}

/**
 * The one error table: each app code (shared with clients) → the tRPC code and HTTP status every
 * surface shows it with. The tRPC formatter, the REST and tutorial JSON, the file route and the
 * raw-socket refusals all read it; http/error-table.test.ts holds each status to tRPC's.
 */
export const ERROR_TABLE: Readonly<Record<AppErrorCode, ErrorRow>> = {
  VALIDATION: { trpc: 'BAD_REQUEST', status: 400 },
  TOKEN_BUILD_FAILED: { trpc: 'INTERNAL_SERVER_ERROR', status: 500 },
  // Agora's answers refine these per error (agora/errors.ts): a timeout, a rate limit, a conflict.
  AGORA_API: { trpc: 'BAD_GATEWAY', status: 502 },
  AGORA_UNAVAILABLE: { trpc: 'SERVICE_UNAVAILABLE', status: 503 },
  RECORDING_NOT_FOUND: { trpc: 'NOT_FOUND', status: 404 },
  UID_CONFLICT: { trpc: 'CONFLICT', status: 409 },
  BAN_NOT_FOUND: { trpc: 'NOT_FOUND', status: 404 },
  USER_NOT_IN_CHANNEL: { trpc: 'NOT_FOUND', status: 404 },
  RECORDING_MODE_MISMATCH: { trpc: 'BAD_REQUEST', status: 400 },
  RECORDING_ENDED: { trpc: 'PRECONDITION_FAILED', status: 412 },
  TRANSCRIPTION_NOT_FOUND: { trpc: 'NOT_FOUND', status: 404 },
  TRANSCRIPTION_ENDED: { trpc: 'PRECONDITION_FAILED', status: 412 },
  AGENT_NOT_FOUND: { trpc: 'NOT_FOUND', status: 404 },
  AGENT_ENDED: { trpc: 'PRECONDITION_FAILED', status: 412 },
  UNAUTHENTICATED: { trpc: 'UNAUTHORIZED', status: 401 },
  FORBIDDEN: { trpc: 'FORBIDDEN', status: 403 },
  LINK_REFUSED: { trpc: 'FORBIDDEN', status: 403 },
  // HTTP's own status; tRPC has no such code. Only the file route raises it.
  RANGE_NOT_SATISFIABLE: { trpc: 'BAD_REQUEST', status: 416 },
  RATE_LIMITED: { trpc: 'TOO_MANY_REQUESTS', status: 429 },
  MALFORMED_REQUEST: { trpc: 'BAD_REQUEST', status: 400 },
  UNSUPPORTED_MEDIA_TYPE: { trpc: 'UNSUPPORTED_MEDIA_TYPE', status: 415 },
  PAYLOAD_TOO_LARGE: { trpc: 'PAYLOAD_TOO_LARGE', status: 413 },
  NOT_FOUND: { trpc: 'NOT_FOUND', status: 404 },
  METHOD_NOT_ALLOWED: { trpc: 'METHOD_NOT_SUPPORTED', status: 405 },
  ORIGIN_REFUSED: { trpc: 'FORBIDDEN', status: 403 },
  SHUTTING_DOWN: { trpc: 'SERVICE_UNAVAILABLE', status: 503 },
  REGISTRY_UNAVAILABLE: { trpc: 'SERVICE_UNAVAILABLE', status: 503 },
  INTERNAL: { trpc: 'INTERNAL_SERVER_ERROR', status: 500 },
};

/** What callers are told of a failure that is our own fault and not one we name. */
export const INTERNAL_MESSAGE = 'Internal server error';

/** What callers find in `error.data` besides `appCode`, where an error has it. */
export interface ErrorDetails {
  /** For upstream failures: what Agora said. */
  agora?: AgoraErrorInfo;
  /** For rate limits: when to try again. */
  retryAfterSeconds?: number;
}

/**
 * Base of every error we throw (got's and fastify's pattern): a stable app code from the shared
 * table, a message safe to show (never a secret), a cause. Families (Agora's errors, the token
 * builder's, authentication's, the registry's uid conflict, the edge's 405) extend it.
 */
export abstract class CodedError extends Error {
  abstract readonly appCode: AppErrorCode;
  /** How it is shown: its code's row of ERROR_TABLE; a family may refine it per error. */
  get shownAs(): ErrorRow {
    return ERROR_TABLE[this.appCode];
  }
  /** Extra fields for `error.data`. */
  get details(): ErrorDetails {
    return {};
  }
  /** What callers are told: the message, which is written to be shown. */
  get publicMessage(): string {
    return this.message;
  }
}

/**
 * A failure a rule of ours names with any code of the table. The message is shown to the caller
 * as is, so it never carries a secret.
 */
export class AppError extends CodedError {
  override readonly name: string = 'AppError';
  readonly retryAfterSeconds: number | undefined;
  constructor(
    readonly appCode: AppErrorCode,
    message: string,
    options?: { cause?: unknown; retryAfterSeconds?: number },
  ) {
    super(message, options);
    this.retryAfterSeconds = options?.retryAfterSeconds;
  }
  override get details(): ErrorDetails {
    return this.retryAfterSeconds !== undefined ? { retryAfterSeconds: this.retryAfterSeconds } : {};
  }
}
