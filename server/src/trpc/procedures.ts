import { AppErrorCode } from '@agora-backend/shared';
import type { Caller, Scope } from '../auth/index.js';
import { isAdmin } from '../auth/index.js';
import type { Context, RateLimits } from './context.js';
import { AppError } from '../errors.js';
import { toTRPCError } from './errors.js';
import { baseProcedure, mapErrors } from './init.js';

/** The caller of a call that needs `scope` (admins hold every scope), or the AppError that refuses it. */
export function requireCaller(auth: Context['auth'], scope: Scope): Caller {
  if ('error' in auth) throw new AppError(AppErrorCode.UNAUTHENTICATED, auth.error);
  if (!auth.caller.scopes.has(scope) && !isAdmin(auth.caller)) {
    throw new AppError(AppErrorCode.FORBIDDEN, `this credential lacks the "${scope}" scope`);
  }
  return auth.caller;
}

/**
 * Procedures that need a caller holding `scope`. One middleware checks the caller and maps our
 * errors (as publicProcedure does): each step of tRPC's chain copies the call's options, so one
 * step fewer shows in the token path's profile.
 */
export function scopedProcedure(scope: Scope) {
  return baseProcedure.use(async ({ ctx, next }) => {
    let caller: Caller;
    try {
      caller = requireCaller(ctx.auth, scope);
    } catch (error) {
      throw toTRPCError(error)!;
    }
    return mapErrors(await next({ ctx: { caller } }));
  });
}

/** Takes one request from the caller's and the address's buckets, or refuses with a retry hint. */
export function enforceRateLimit(limits: RateLimits, caller: Caller, ip: string, what: string): void {
  // Each limiter holds one kind of key, so the keys need no prefix.
  const waitMs = Math.max(limits.perCaller.take(caller.id), limits.perIp.take(ip));
  if (waitMs > 0) {
    const retryAfterSeconds = Math.ceil(waitMs / 1000);
    throw new AppError(AppErrorCode.RATE_LIMITED, `too many ${what}; retry after ${retryAfterSeconds} s`, { retryAfterSeconds });
  }
}
