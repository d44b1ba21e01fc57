import {
  AppErrorCode,
  parseCommonRtcInput,
  TokenGenerateInput,
  TokenGenerateOutput,
  type ParsedTokenGenerateInput,
} from '@agora-backend/shared';
import { isAdmin, mayUseChannel } from '../auth/index.js';
import { AppError } from '../errors.js';
import type { Caller } from '../auth/index.js';
import type { Context } from '../trpc/context.js';
import { directProcedure } from '../trpc/direct.js';
import { router } from '../trpc/init.js';
import { enforceRateLimit, scopedProcedure } from '../trpc/procedures.js';

/**
 * Builds an RTC, RTM or Chat token. Callers get tokens for their own uid or user id on channels
 * they may use; admins for anyone.
 */
function generate(ctx: Context, caller: Caller, input: ParsedTokenGenerateInput): TokenGenerateOutput {
  if (!isAdmin(caller)) {
    const subject = input.kind === 'rtc' ? String(input.uid) : input.userId;
    if (input.kind === 'rtc' && !mayUseChannel(caller, input.channel)) {
      throw new AppError(AppErrorCode.FORBIDDEN, `this credential may not use channel "${input.channel}"`);
    }
    if (subject !== caller.id) {
      throw new AppError(
        AppErrorCode.FORBIDDEN,
        `tokens are issued for your own ${input.kind === 'rtc' ? 'uid' : 'user id'} (${caller.id}) only`,
      );
    }
  }
  enforceRateLimit(ctx.rateLimits.tokens, caller, ctx.ip, 'token requests');
  return ctx.services.tokens.issue(input);
}

export const tokenRouter = router({
  /** A mutation: tokens must not end up in URLs or caches. */
  generate: scopedProcedure('token')
    .input(TokenGenerateInput)
    .output(TokenGenerateOutput)
    .mutation(({ ctx, input }) => generate(ctx, ctx.caller, input)),
});

/** token.generate by the direct road (trpc/direct.ts): what every surface's hot path calls. */
export const generateTokenDirect = directProcedure('token', TokenGenerateInput, generate, parseCommonRtcInput);
