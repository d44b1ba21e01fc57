import { router } from '../trpc/init.js';
import { recordingRouter } from './recording.js';
import { tokenRouter } from './token.js';
import { transcriptionRouter } from './transcription.js';

export const appRouter = router({
  token: tokenRouter,
  recording: recordingRouter,
  transcription: transcriptionRouter,
});

/** The router's type: the only thing of the server that crosses into `client`. */
export type AppRouter = typeof appRouter;
