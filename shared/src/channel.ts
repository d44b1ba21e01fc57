import { z } from 'zod';
import { ChannelName, MAX_UID } from './agora-names.js';

/**
 * Contracts of the `channel.*` procedures: who is in a channel and moderation through Agora's
 * channel management API (docs/agora.md, "Channel management"). Agora clamps a ban duration
 * outside its range without saying so: these schemas refuse it instead, before any call.
 */

/** A ban's shortest and longest lasting duration in seconds (Agora's range; 0 is "remove now, no ban"). */
export const CHANNEL_BAN_SECONDS_MIN = 10;
export const CHANNEL_BAN_SECONDS_MAX = 86_430;
/** How long a kick keeps the user out when the caller does not say: one minute. */
export const CHANNEL_KICK_DEFAULT_SECONDS = 60;
/** Agora lists at most this many audience members of a live channel; the count is exact. */
export const CHANNEL_AUDIENCE_LIST_CAP = 10_000;

const uidMessage = `must be a whole number from 1 to ${MAX_UID}`;
/** A user's numeric uid: Agora's channel management knows no string accounts, and 0 is nobody. */
export const ChannelUid = z
  .number({ error: uidMessage })
  .int({ error: uidMessage })
  .min(1, { error: uidMessage })
  .max(MAX_UID, { error: uidMessage });

const secondsMessage = `must be 0 (remove now, no ban) or a whole number from ${CHANNEL_BAN_SECONDS_MIN} to ${CHANNEL_BAN_SECONDS_MAX}: Agora would clamp other values silently`;
/** A ban's duration: 0, or 10..86430 seconds. */
export const BanDurationSeconds = z
  .number({ error: secondsMessage })
  .int({ error: secondsMessage })
  .min(0, { error: secondsMessage })
  .max(CHANNEL_BAN_SECONDS_MAX, { error: secondsMessage })
  .refine((value) => value === 0 || value >= CHANNEL_BAN_SECONDS_MIN, { error: secondsMessage });

const reasonField = z
  .string({ error: 'must be text of 1 to 200 characters' })
  .min(1, { error: 'must be text of 1 to 200 characters' })
  .max(200, { error: 'must be text of 1 to 200 characters' });

/** What a ban takes away, in our words: joining (which also removes whoever is in), publishing audio or video. */
export const BanPrivilege = z.enum(['join', 'publishAudio', 'publishVideo'], { error: 'must be one of join, publishAudio, publishVideo' });
export type BanPrivilege = z.infer<typeof BanPrivilege>;

/** A channel list page's cursor: what an earlier page gave as `nextCursor` (Agora's page number). */
export const ChannelCursor = z.string().regex(/^p\d{1,9}$/, { error: 'must be the nextCursor of an earlier page' });

export const ChannelListInput = z.object({
  /** From the previous page's `nextCursor`; keep `limit` the same from page to page. */
  cursor: ChannelCursor.optional(),
  limit: z
    .number({ error: 'must be a whole number from 1 to 500' })
    .int({ error: 'must be a whole number from 1 to 500' })
    .min(1, { error: 'must be a whole number from 1 to 500' })
    .max(500, { error: 'must be a whole number from 1 to 500' })
    .default(100),
});
export type ChannelListInput = z.input<typeof ChannelListInput>;

export const ChannelSummary = z.object({ channel: z.string(), userCount: z.number() });
export type ChannelSummary = z.infer<typeof ChannelSummary>;

/** One page of channels the caller may use (a page may hold fewer than `limit`: others' channels are left out). */
export const ChannelListOutput = z.object({ items: z.array(ChannelSummary), nextCursor: z.string().nullable() });
export type ChannelListOutput = z.infer<typeof ChannelListOutput>;

export const ChannelGetInput = z.object({ channel: ChannelName });
export type ChannelGetInput = z.infer<typeof ChannelGetInput>;

/**
 * Who is in a channel now. Communication: `users`. Live broadcasting: `hosts` and `audience`
 * (Agora lists the first `audienceListCap` only; `audienceCount` is exact and `audienceTruncated`
 * says when the list is shorter). Nobody there: `exists` false and empty lists.
 */
export const ChannelGetOutput = z.object({
  channel: z.string(),
  exists: z.boolean(),
  profile: z.enum(['communication', 'live']).nullable(),
  users: z.array(z.number()),
  hosts: z.array(z.number()),
  audience: z.array(z.number()),
  /** Everyone in the channel: users, or hosts plus the whole audience. */
  total: z.number(),
  hostCount: z.number(),
  audienceCount: z.number(),
  audienceTruncated: z.boolean(),
  /** Agora lists at most this many audience members (10,000). */
  audienceListCap: z.number(),
});
export type ChannelGetOutput = z.infer<typeof ChannelGetOutput>;

export const ChannelUserInput = z.object({ channel: ChannelName, uid: ChannelUid });
export type ChannelUserInput = z.infer<typeof ChannelUserInput>;

export const ChannelUserOutput = z.object({
  channel: z.string(),
  uid: z.number(),
  inChannel: z.boolean(),
  /** When the user joined, Unix ms; null when not in the channel. */
  joinedAt: z.number().nullable(),
  role: z.enum(['unknown', 'communication', 'host', 'audience']).nullable(),
  platform: z.enum(['other', 'android', 'ios', 'windows', 'linux', 'web', 'macos', 'unknown']).nullable(),
  /** Agora's platform number (its list is "common values": others may come). */
  platformCode: z.number().nullable(),
});
export type ChannelUserOutput = z.infer<typeof ChannelUserOutput>;

export const ChannelKickInput = z.object({
  channel: ChannelName,
  uid: ChannelUid,
  /** How long the user stays out: 0 (may rejoin at once) or 10..86430; default 60. */
  banSeconds: BanDurationSeconds.optional(),
  /** Why, kept in the registry with the ban. */
  reason: reasonField.optional(),
});
export type ChannelKickInput = z.infer<typeof ChannelKickInput>;

/** A ban rule, with who made it and why when this server made it. */
export const ChannelBan = z.object({
  id: z.number(),
  channel: z.string().nullable(),
  uid: z.number().nullable(),
  ip: z.string().nullable(),
  privileges: z.array(z.string()),
  /** When it ends, Unix ms. */
  expiresAt: z.number().nullable(),
  createdAt: z.number().nullable(),
  /** The caller who made it through this server; null for rules made elsewhere. */
  createdBy: z.string().nullable(),
  reason: z.string().nullable(),
});
export type ChannelBan = z.infer<typeof ChannelBan>;

export const CHANNEL_BAN_TARGETING_RULE =
  "a ban targets an ip alone, a channel alone, a uid alone, or a channel and a uid: Agora's rule table defines no other combination";

export const ChannelBanInput = z
  .object({
    channel: ChannelName.optional(),
    uid: ChannelUid.optional(),
    ip: z.union([z.ipv4(), z.ipv6()], { error: 'must be an IPv4 or IPv6 address' }).optional(),
    privileges: z
      .array(BanPrivilege, { error: 'must be a list of privileges' })
      .min(1, { error: 'must name at least one of join, publishAudio, publishVideo' })
      .refine((values) => new Set(values).size === values.length, { error: 'must not name a privilege twice' }),
    seconds: BanDurationSeconds,
    reason: reasonField.optional(),
  })
  .superRefine((input, context) => {
    const ip = input.ip !== undefined;
    if (
      (!ip && input.channel === undefined && input.uid === undefined) ||
      (ip && (input.channel !== undefined || input.uid !== undefined))
    ) {
      context.addIssue({ code: 'custom', path: ['target'], message: CHANNEL_BAN_TARGETING_RULE });
    }
  });
export type ChannelBanInput = z.infer<typeof ChannelBanInput>;

/** channel.bans takes nothing (an empty object or none). */
export const ChannelBansInput = z.object({}).strict().optional();

export const ChannelBansOutput = z.object({ items: z.array(ChannelBan) });
export type ChannelBansOutput = z.infer<typeof ChannelBansOutput>;

export const ChannelBanIdInput = z.object({
  id: z.number().int({ error: 'must be a whole number' }).min(1, { error: 'must be 1 or more' }),
});
export type ChannelBanIdInput = z.infer<typeof ChannelBanIdInput>;

export const ChannelUpdateBanInput = ChannelBanIdInput.extend({ seconds: BanDurationSeconds });
export type ChannelUpdateBanInput = z.infer<typeof ChannelUpdateBanInput>;

export const ChannelUnbanOutput = z.object({ id: z.number(), removed: z.literal(true) });
export type ChannelUnbanOutput = z.infer<typeof ChannelUnbanOutput>;

export const ChannelUpdateBanOutput = z.object({ id: z.number(), expiresAt: z.number().nullable() });
export type ChannelUpdateBanOutput = z.infer<typeof ChannelUpdateBanOutput>;

/** A member's role as presence keeps it: a communication-profile user, a host or an audience member. */
export const ChannelRole = z.enum(['communication', 'host', 'audience']);
export type ChannelRole = z.infer<typeof ChannelRole>;

/**
 * Where presence learnt a change: Agora's channel event notices (`event`), or a comparison with
 * Agora's user list after notices were lost (`reconciled`).
 */
export const PresenceSource = z.enum(['event', 'reconciled']);
export type PresenceSource = z.infer<typeof PresenceSource>;

/** Someone in a channel now, as the registry's presence keeps them. */
export const ChannelMember = z.object({
  uid: z.number(),
  role: ChannelRole,
  /** Agora's platform number (1 Android, 2 iOS, 5 Windows, 6 Linux, 7 Web, 8 macOS, 0 other); null when reconciled. */
  platform: z.number().nullable(),
  /** When they joined, Unix ms (Agora's event time; our time when reconciled). */
  joinedAt: z.number(),
  source: PresenceSource,
});
export type ChannelMember = z.infer<typeof ChannelMember>;

/** Resume after this event id (the id of the last event received); absent: start with the membership now. */
const presenceEventId = z.string().regex(/^\d+$/, { error: 'must be an event id from an earlier event' });

export const ChannelWatchInput = z.object({
  channel: ChannelName,
  /** The last event id received: only later events follow (no snapshot). */
  lastEventId: presenceEventId.nullish(),
});
export type ChannelWatchInput = z.input<typeof ChannelWatchInput>;

/**
 * What channel.watch yields: first the membership (`snapshot`), then each `join`, `leave` and
 * `role` change once, in the order presence applied them. `at` is Unix ms.
 */
export const ChannelPresenceEvent = z.discriminatedUnion('type', [
  z.object({ type: z.literal('snapshot'), channel: z.string(), members: z.array(ChannelMember) }),
  z.object({
    type: z.literal('join'),
    channel: z.string(),
    uid: z.number(),
    role: ChannelRole,
    platform: z.number().nullable(),
    at: z.number(),
    source: PresenceSource,
  }),
  z.object({
    type: z.literal('leave'),
    channel: z.string(),
    uid: z.number(),
    role: ChannelRole,
    at: z.number(),
    /** `quit`, `timeout`, `banned`, … as Agora numbers them; `channel_destroyed`; `reconciled` when Agora's list no longer showed them. */
    reason: z.string(),
    source: PresenceSource,
  }),
  z.object({ type: z.literal('role'), channel: z.string(), uid: z.number(), role: ChannelRole, at: z.number(), source: PresenceSource }),
]);
export type ChannelPresenceEvent = z.infer<typeof ChannelPresenceEvent>;

const limitMessage = 'must be a whole number from 1 to 500';
export const ChannelSessionsInput = z.object({
  channel: ChannelName,
  /** Only this user's sessions. */
  uid: ChannelUid.optional(),
  /** Only sessions still open at or begun after this time (Unix ms). */
  since: z.number({ error: 'must be a Unix time in ms' }).int({ error: 'must be a Unix time in ms' }).min(0).optional(),
  /** Only sessions begun at or before this time (Unix ms): with `since`, every stay that overlaps [since, until]. */
  until: z.number({ error: 'must be a Unix time in ms' }).int({ error: 'must be a Unix time in ms' }).min(0).optional(),
  limit: z
    .number({ error: limitMessage })
    .int({ error: limitMessage })
    .min(1, { error: limitMessage })
    .max(500, { error: limitMessage })
    .default(100),
});
export type ChannelSessionsInput = z.input<typeof ChannelSessionsInput>;

/** One stay of a user in a channel: from join to leave (still open: `leftAt` null, `durationMs` so far). */
export const ChannelSession = z.object({
  channel: z.string(),
  uid: z.number(),
  role: ChannelRole,
  platform: z.number().nullable(),
  joinedAt: z.number(),
  leftAt: z.number().nullable(),
  durationMs: z.number(),
  leaveReason: z.string().nullable(),
  source: PresenceSource,
});
export type ChannelSession = z.infer<typeof ChannelSession>;

/** Sessions newest first, with the total time of those listed. */
export const ChannelSessionsOutput = z.object({ items: z.array(ChannelSession), totalMs: z.number() });
export type ChannelSessionsOutput = z.infer<typeof ChannelSessionsOutput>;
