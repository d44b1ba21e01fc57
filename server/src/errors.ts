import type { AppErrorCode } from '@agora-backend/shared';

/**
 * A failure the domain names itself, with a stable code from the shared AppErrorCode table. The
 * message is shown to the caller as is, so it never carries a secret; the API ring maps the code
 * to a tRPC code (trpc/errors.ts) and the edge maps that to an HTTP status, once each.
 */
export class AppError extends Error {
  override readonly name = 'AppError';
  readonly retryAfterSeconds: number | undefined;
  constructor(
    readonly appCode: AppErrorCode,
    message: string,
    options?: { cause?: unknown; retryAfterSeconds?: number },
  ) {
    super(message, options);
    this.retryAfterSeconds = options?.retryAfterSeconds;
  }
}
