import { AppErrorCode } from '@agora-backend/shared';
import type { Caller, Scope } from '../auth/index.js';
import { isAdmin } from '../auth/index.js';
import type { RateLimits } from './context.js';
import { AppError } from '../errors.js';
import { publicProcedure } from './init.js';

/** Procedures that need a caller holding `scope` (admins hold every scope). */
export function scopedProcedure(scope: Scope) {
  return publicProcedure.use(({ ctx, next }) => {
    if ('error' in ctx.auth) throw new AppError(AppErrorCode.UNAUTHENTICATED, ctx.auth.error);
    const caller: Caller = ctx.auth.caller;
    if (!caller.scopes.has(scope) && !isAdmin(caller)) {
      throw new AppError(AppErrorCode.FORBIDDEN, `this credential lacks the "${scope}" scope`);
    }
    return next({ ctx: { caller } });
  });
}

/** Takes one request from the caller's and the address's buckets, or refuses with a retry hint. */
export function enforceRateLimit(limits: RateLimits, caller: Caller, ip: string, what: string): void {
  const waitMs = Math.max(limits.perCaller.take(`caller:${caller.id}`), limits.perIp.take(`ip:${ip}`));
  if (waitMs > 0) {
    const retryAfterSeconds = Math.ceil(waitMs / 1000);
    throw new AppError(AppErrorCode.RATE_LIMITED, `too many ${what}; retry after ${retryAfterSeconds} s`, { retryAfterSeconds });
  }
}
