import { router } from '../trpc/init.js';
import { tokenRouter } from './token.js';

export const appRouter = router({
  token: tokenRouter,
});

/** The router's type: the only thing of the server that crosses into `client`. */
export type AppRouter = typeof appRouter;
