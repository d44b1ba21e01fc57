import { router } from '../trpc/init.js';
import { adminRouter } from './admin.js';
import { channelRouter } from './channel.js';
import { recordingRouter } from './recording.js';
import type { DirectProcedure } from '../trpc/direct.js';
import { generateTokenDirect, tokenRouter } from './token.js';
import { transcriptionRouter } from './transcription.js';
import { agentRouter } from './agent.js';

export const appRouter = router({
  token: tokenRouter,
  recording: recordingRouter,
  transcription: transcriptionRouter,
  agent: agentRouter,
  channel: channelRouter,
  admin: adminRouter,
});

/** The router's type: the only thing of the server that crosses into `client`. */
export type AppRouter = typeof appRouter;

/**
 * Mutations that every surface calls by the direct road (trpc/direct.ts) instead of tRPC's chain,
 * by dotted path. Each is its procedure's own resolver behind the same checks.
 */
export const directProcedures: ReadonlyMap<string, DirectProcedure<unknown>> = new Map([['token.generate', generateTokenDirect]]);
