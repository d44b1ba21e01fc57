import { TokenGenerateInput, TokenGenerateOutput } from '@agora-backend/shared';
import { publicProcedure, router } from '../trpc/init.js';

export const tokenRouter = router({
  /** Builds an RTC, RTM or Chat token. A mutation: tokens must not end up in URLs or caches. */
  generate: publicProcedure
    .input(TokenGenerateInput)
    .output(TokenGenerateOutput)
    .mutation(({ ctx, input }) => ctx.services.tokens.issue(input)),
});
