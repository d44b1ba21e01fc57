import {
  ChannelBan,
  ChannelBanIdInput,
  ChannelBanInput,
  ChannelBansInput,
  ChannelBansOutput,
  ChannelGetInput,
  ChannelGetOutput,
  ChannelKickInput,
  ChannelListInput,
  ChannelListOutput,
  ChannelUnbanOutput,
  ChannelUpdateBanInput,
  ChannelUpdateBanOutput,
  ChannelUserInput,
  ChannelUserOutput,
  ChannelSessionsInput,
  ChannelSessionsOutput,
  ChannelWatchInput,
} from '@agora-backend/shared';
import { isAdmin, mayUseChannel, type Caller } from '../auth/index.js';
import type { ChannelAccess } from '../channels/index.js';
import { router } from '../trpc/init.js';
import { scopedProcedure } from '../trpc/procedures.js';
import { iterableOpener, watchPlan } from '../trpc/watch-stream.js';

/** Seeing who is in a channel and kicking or banning takes the `moderate` scope and the channel's rules (admins: everything). */
const moderateProcedure = scopedProcedure('moderate');

/** What the caller may reach: a channel its rules match; every channel for admins and `*`. */
const accessOf = (caller: Caller): ChannelAccess => ({
  who: caller.id,
  everywhere: isAdmin(caller) || caller.channels.includes('*'),
  mayUse: (channel) => mayUseChannel(caller, channel),
});

export const channelRouter = router({
  /** Channels of the project the caller may use, with their user counts, one page at a time. */
  list: moderateProcedure
    .input(ChannelListInput)
    .output(ChannelListOutput)
    .query(({ ctx, input }) => ctx.services.channels().list(input, accessOf(ctx.caller))),

  /** Who is in a channel now: users, or hosts and audience with counts. */
  get: moderateProcedure
    .input(ChannelGetInput)
    .output(ChannelGetOutput)
    .query(({ ctx, input }) => ctx.services.channels().get(input, accessOf(ctx.caller))),

  /**
   * Live presence: the membership now, then each join, leave and role change once, in order.
   * Resumes after `lastEventId` with only later events.
   */
  watch: moderateProcedure.input(ChannelWatchInput).subscription(({ ctx, input, signal }) =>
    watchPlan(
      ctx,
      signal,
      iterableOpener((closed) =>
        ctx.services
          .presence()
          .watch({ channel: input.channel, lastEventId: input.lastEventId ?? undefined }, accessOf(ctx.caller), closed),
      ),
    ),
  ),

  /** Each stay in the channel (one user's, or everyone's), newest first, with its duration. */
  sessions: moderateProcedure
    .input(ChannelSessionsInput)
    .output(ChannelSessionsOutput)
    .query(({ ctx, input }) => ctx.services.presence().sessions(input, accessOf(ctx.caller))),

  /** One user: in the channel or not, since when, role and platform. */
  user: moderateProcedure
    .input(ChannelUserInput)
    .output(ChannelUserOutput)
    .query(({ ctx, input }) => ctx.services.channels().user(input, accessOf(ctx.caller))),

  /** Removes a user from a channel and keeps them out for `banSeconds` (default 60). */
  kick: moderateProcedure
    .input(ChannelKickInput)
    .output(ChannelBan)
    .mutation(({ ctx, input }) => ctx.services.channels().kick(input, accessOf(ctx.caller))),

  /** A ban rule: an ip, a channel, a uid, or a channel and a uid; join, publishAudio and/or publishVideo. */
  ban: moderateProcedure
    .input(ChannelBanInput)
    .output(ChannelBan)
    .mutation(({ ctx, input }) => ctx.services.channels().ban(input, accessOf(ctx.caller))),

  /** The ban rules in force that the caller may see. */
  bans: moderateProcedure
    .input(ChannelBansInput)
    .output(ChannelBansOutput)
    .query(({ ctx }) => ctx.services.channels().bans(accessOf(ctx.caller))),

  /** Sets a rule's duration anew, counted from now (0 ends it). */
  updateBan: moderateProcedure
    .input(ChannelUpdateBanInput)
    .output(ChannelUpdateBanOutput)
    .mutation(({ ctx, input }) => ctx.services.channels().updateBan(input, accessOf(ctx.caller))),

  /** Removes a ban rule. */
  unban: moderateProcedure
    .input(ChannelBanIdInput)
    .output(ChannelUnbanOutput)
    .mutation(({ ctx, input }) => ctx.services.channels().unban(input, accessOf(ctx.caller))),
});
