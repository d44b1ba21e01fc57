import {
  AppErrorCode,
  Transcription,
  TranscriptionFilesInput,
  TranscriptionFilesOutput,
  TranscriptionHistoryOutput,
  TranscriptionIdInput,
  TranscriptionListInput,
  TranscriptionListOutput,
  TranscriptionQueryOutput,
  TranscriptionStartInput,
  TranscriptionStartOutput,
  TranscriptionStopOutput,
  TranscriptionUpdateInput,
  TranscriptionUpdateOutput,
  TranscriptionWatchInput,
} from '@agora-backend/shared';
import { isAdmin, mayUseChannel, type Caller } from '../auth/index.js';
import { AppError } from '../errors.js';
import type { Viewer } from '../tasks/views.js';
import { router } from '../trpc/init.js';
import { watchPlan } from '../trpc/watch-stream.js';
import { enforceRateLimit, scopedProcedure } from '../trpc/procedures.js';

/** Transcription is Cloud Recording's sibling: the same `record` scope, channel rules and start limits. */
const transcribeProcedure = scopedProcedure('record');
const viewerOf = (caller: Caller): Viewer => ({ id: caller.id, admin: isAdmin(caller) });

export const transcriptionRouter = router({
  /** Starts Agora Real-Time Speech-to-Text in a channel: the bot's uid, token and caption storage come from the server. */
  start: transcribeProcedure
    .input(TranscriptionStartInput)
    .output(TranscriptionStartOutput)
    .mutation(({ ctx, input }) => {
      if (!mayUseChannel(ctx.caller, input.channel))
        throw new AppError(AppErrorCode.FORBIDDEN, `this credential may not transcribe channel "${input.channel}"`);
      enforceRateLimit(ctx.rateLimits.starts, ctx.caller, ctx.ip, 'transcription starts');
      return ctx.services.transcriptions().start(input, ctx.caller.id);
    }),

  /** Its state, from Agora. */
  query: transcribeProcedure
    .input(TranscriptionIdInput)
    .output(TranscriptionQueryOutput)
    .query(({ ctx, input }) => ctx.services.transcriptions().query(input.id, viewerOf(ctx.caller))),

  /** Stops it; stopping one that already ended is not an error. */
  stop: transcribeProcedure
    .input(TranscriptionIdInput)
    .output(TranscriptionStopOutput)
    .mutation(({ ctx, input }) => ctx.services.transcriptions().stop(input.id, viewerOf(ctx.caller))),

  /** The registry's record (no Agora call). */
  get: transcribeProcedure
    .input(TranscriptionIdInput)
    .output(Transcription)
    .query(({ ctx, input }) => ctx.services.transcriptions().get(input.id, viewerOf(ctx.caller))),

  /** Transcriptions, newest first, one page at a time (admins see all). */
  list: transcribeProcedure
    .input(TranscriptionListInput)
    .output(TranscriptionListOutput)
    .query(({ ctx, input }) => ctx.services.transcriptions().list(input, viewerOf(ctx.caller))),

  /** Changes languages, translation or the speakers transcribed. */
  update: transcribeProcedure
    .input(TranscriptionUpdateInput)
    .output(TranscriptionUpdateOutput)
    .mutation(({ ctx, input }) => ctx.services.transcriptions().update(input, viewerOf(ctx.caller))),

  /** The caption files (WebVTT slices and playlists), each with a link that expires. */
  files: transcribeProcedure
    .input(TranscriptionFilesInput)
    .output(TranscriptionFilesOutput)
    .query(({ ctx, input }) => ctx.services.transcriptions().files(input, viewerOf(ctx.caller), ctx.origin)),

  /** The transcription's whole event log from the registry, oldest first. */
  history: transcribeProcedure
    .input(TranscriptionIdInput)
    .output(TranscriptionHistoryOutput)
    .query(({ ctx, input }) => ctx.services.transcriptionHistory(input.id, viewerOf(ctx.caller))),

  /** Live status, like recording.watch: the current state, then each change, ending after the end. */
  watch: transcribeProcedure
    .input(TranscriptionWatchInput)
    .subscription(({ ctx, input, signal }) =>
      watchPlan(ctx, signal, ctx.services.watchTranscription(input.id, input.lastEventId ?? undefined, viewerOf(ctx.caller))),
    ),
});
