import {
  RecordingGetInput,
  Recording,
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
} from '@agora-backend/shared';
import { tracked, TRPCError } from '@trpc/server';
import { RecordingWatchInput } from '@agora-backend/shared';
import { toTRPCError } from '../trpc/errors.js';
import { publicProcedure, router } from '../trpc/init.js';

export const recordingRouter = router({
  /** Acquire → start a Cloud Recording; storage and the recorder token come from the server. */
  start: publicProcedure
    .input(RecordingStartInput)
    .output(RecordingStartOutput)
    .mutation(({ ctx, input }) => ctx.services.recordings().start(input, ctx.caller.id)),

  /** The recording's state and files, from Agora. */
  query: publicProcedure
    .input(RecordingQueryInput)
    .output(RecordingQueryOutput)
    .query(({ ctx, input }) => ctx.services.recordings().query(input)),

  /** Stops a recording; stopping one that already ended is not an error. */
  stop: publicProcedure
    .input(RecordingStopInput)
    .output(RecordingStopOutput)
    .mutation(({ ctx, input }) => ctx.services.recordings().stop(input)),

  /** The registry's record of one recording (no Agora call). */
  get: publicProcedure
    .input(RecordingGetInput)
    .output(Recording)
    .query(({ ctx, input }) => ctx.services.recordings().get(input.id)),

  /** Recordings, newest first, filtered by channel and state, one page at a time. */
  list: publicProcedure
    .input(RecordingListInput)
    .output(RecordingListOutput)
    .query(({ ctx, input }) => ctx.services.recordings().list(input)),

  /** Changes subscriptions (individual/mix) or pauses/resumes (web). */
  update: publicProcedure
    .input(RecordingUpdateInput)
    .output(RecordingUpdateOutput)
    .mutation(({ ctx, input }) => ctx.services.recordings().update(input)),

  /** Replaces a mix recording's layout. */
  updateLayout: publicProcedure
    .input(RecordingUpdateLayoutInput)
    .output(RecordingUpdateOutput)
    .mutation(({ ctx, input }) => ctx.services.recordings().updateLayout(input)),

  /**
   * Live status of a recording: the current state, then each change, ending after a terminal
   * state. Each event is tracked by its log id, so a reconnect with lastEventId resumes exactly.
   */
  watch: publicProcedure.input(RecordingWatchInput).subscription(async function* ({ ctx, input, signal }) {
    const connection = ctx.connection;
    if (connection.subscriptions >= ctx.limits.subscriptionsPerConnection) {
      throw new TRPCError({
        code: 'TOO_MANY_REQUESTS',
        message: `at most ${ctx.limits.subscriptionsPerConnection} subscriptions per connection`,
      });
    }
    connection.subscriptions++;
    try {
      const events = await ctx.services.watch(input.id, input.lastEventId ?? undefined, signal ?? new AbortController().signal);
      for await (const event of events) yield tracked(String(event.eventId), event.event);
    } catch (error) {
      // Errors thrown while streaming bypass the procedure middleware: map them here.
      throw toTRPCError(error) ?? error;
    } finally {
      connection.subscriptions--;
    }
  }),
});
