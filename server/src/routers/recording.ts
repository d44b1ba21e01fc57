import {
  AppErrorCode,
  Recording,
  RecordingFilesInput,
  RecordingFilesOutput,
  RecordingGetInput,
  RecordingHistoryOutput,
  RecordingListInput,
  RecordingListOutput,
  RecordingQueryInput,
  RecordingQueryOutput,
  RecordingStartInput,
  RecordingStartOutput,
  RecordingStopInput,
  RecordingStopOutput,
  RecordingUpdateInput,
  RecordingUpdateLayoutInput,
  RecordingUpdateOutput,
  RecordingWatchInput,
} from '@agora-backend/shared';
import { isAdmin, mayUseChannel, type Caller } from '../auth/index.js';
import type { Viewer } from '../tasks/views.js';
import { AppError } from '../errors.js';
import { router } from '../trpc/init.js';
import { watchPlan } from '../trpc/watch-stream.js';
import { enforceRateLimit, scopedProcedure } from '../trpc/procedures.js';

const recordProcedure = scopedProcedure('record');
const viewerOf = (caller: Caller): Viewer => ({ id: caller.id, admin: isAdmin(caller) });

export const recordingRouter = router({
  /** Acquire → start a Cloud Recording; storage and the recorder token come from the server. */
  start: recordProcedure
    .input(RecordingStartInput)
    .output(RecordingStartOutput)
    .mutation(({ ctx, input }) => {
      if (!mayUseChannel(ctx.caller, input.channel)) {
        throw new AppError(AppErrorCode.FORBIDDEN, `this credential may not record channel "${input.channel}"`);
      }
      enforceRateLimit(ctx.rateLimits.starts, ctx.caller, ctx.ip, 'recording starts');
      return ctx.services.recordings().start(input, ctx.caller.id);
    }),

  /** The recording's state and files, from Agora. */
  query: recordProcedure
    .input(RecordingQueryInput)
    .output(RecordingQueryOutput)
    .query(({ ctx, input }) => ctx.services.recordings().query(input, viewerOf(ctx.caller))),

  /** Stops a recording; stopping one that already ended is not an error. */
  stop: recordProcedure
    .input(RecordingStopInput)
    .output(RecordingStopOutput)
    .mutation(({ ctx, input }) => ctx.services.recordings().stop(input, viewerOf(ctx.caller))),

  /** The registry's record of one recording (no Agora call). */
  get: recordProcedure
    .input(RecordingGetInput)
    .output(Recording)
    .query(({ ctx, input }) => ctx.services.recordings().get(input.id, viewerOf(ctx.caller))),

  /** The recording's whole event log from the registry, oldest first (a finished one's too). */
  history: recordProcedure
    .input(RecordingGetInput)
    .output(RecordingHistoryOutput)
    .query(({ ctx, input }) => ctx.services.recordingHistory(input.id, viewerOf(ctx.caller))),

  /** Every object of a recording (playlists, segments, MP4s, snapshots), each with a link that expires. */
  files: recordProcedure
    .input(RecordingFilesInput)
    .output(RecordingFilesOutput)
    .query(({ ctx, input }) => ctx.services.recordings().files(input, viewerOf(ctx.caller), ctx.origin)),

  /** Recordings, newest first, filtered by channel and state, one page at a time (admins see all). */
  list: recordProcedure
    .input(RecordingListInput)
    .output(RecordingListOutput)
    .query(({ ctx, input }) => ctx.services.recordings().list(input, viewerOf(ctx.caller))),

  /** Changes subscriptions (individual/mix) or pauses/resumes (web). */
  update: recordProcedure
    .input(RecordingUpdateInput)
    .output(RecordingUpdateOutput)
    .mutation(({ ctx, input }) => ctx.services.recordings().update(input, viewerOf(ctx.caller))),

  /** Replaces a mix recording's layout. */
  updateLayout: recordProcedure
    .input(RecordingUpdateLayoutInput)
    .output(RecordingUpdateOutput)
    .mutation(({ ctx, input }) => ctx.services.recordings().updateLayout(input, viewerOf(ctx.caller))),

  /**
   * Live status of a recording: the current state, then each change, ending after a terminal
   * state. Each event is tracked by its log id, so a reconnect with lastEventId resumes exactly.
   */
  watch: recordProcedure
    .input(RecordingWatchInput)
    .subscription(({ ctx, input, signal }) =>
      watchPlan(ctx, signal, ctx.services.watch(input.id, input.lastEventId ?? undefined, viewerOf(ctx.caller))),
    ),
});
