import { ChannelName, MAX_UID } from '@agora-backend/shared';
import { isIP } from 'node:net';
import { z } from 'zod';
import type { RequestOptions } from './transport.js';

/**
 * Requests and results of Agora's RTC channel management REST API (docs/agora.md, "Channel
 * management"): who is in a channel, one user's status, and ban ("kicking") rules. Requests are
 * in our words and checked before any call, so that Agora never clamps or guesses; results are
 * Agora's answers in our words, times in Unix milliseconds.
 */

/** The largest page Agora's channel list serves. */
export const CHANNEL_PAGE_SIZE_MAX = 500;
/** Agora lists at most this many audience members of a live-broadcasting channel (their count is exact). */
export const AUDIENCE_LIST_CAP = 10_000;
/** A ban's shortest and longest duration in seconds: Agora clamps anything between 1 and 9, or above the maximum. */
export const BAN_SECONDS_MIN = 10;
export const BAN_SECONDS_MAX = 86_430;
/** What a ban takes away: joining (which also removes whoever is in), publishing audio, publishing video. */
export const BAN_PRIVILEGES = ['join_channel', 'publish_audio', 'publish_video'] as const;
export type BanPrivilege = (typeof BAN_PRIVILEGES)[number];

const wholeNumber = (min: number, max: number, also = '') =>
  z
    .number({ error: `must be a whole number from ${min} to ${max}${also}` })
    .int({ error: `must be a whole number from ${min} to ${max}${also}` })
    .min(min, { error: `must be a whole number from ${min} to ${max}${also}` })
    .max(max, { error: `must be a whole number from ${min} to ${max}${also}` });

/** A user's numeric uid, 1..2^32−1: Agora's channel management knows no string user accounts, and 0 is nobody. */
export const ChannelUid = wholeNumber(1, MAX_UID);

/**
 * A ban's duration in seconds: 0 (remove whoever matches now; they may come back at once) or
 * 10..86430. Agora would clamp 1..9 up to 10 and anything above 86430 down to it: refused instead.
 */
export const BanSeconds = z
  .number({ error: `must be 0 (remove now, no ban) or a whole number from ${BAN_SECONDS_MIN} to ${BAN_SECONDS_MAX}` })
  .refine((value) => value === 0 || (Number.isInteger(value) && value >= BAN_SECONDS_MIN && value <= BAN_SECONDS_MAX), {
    error: `must be 0 (remove now, no ban) or a whole number from ${BAN_SECONDS_MIN} to ${BAN_SECONDS_MAX}: Agora clamps other values silently`,
  });

/** A ban rule's id as Agora numbers it. */
export const BanRuleId = wholeNumber(1, Number.MAX_SAFE_INTEGER);

const Ip = z
  .string({ error: 'must be an IPv4 or IPv6 address' })
  .refine((value) => isIP(value) !== 0, { error: 'must be an IPv4 or IPv6 address' });

export const ChannelListRequest = z.object({
  /** Agora's pages start at 0. */
  page: wholeNumber(0, Number.MAX_SAFE_INTEGER).optional(),
  pageSize: wholeNumber(1, CHANNEL_PAGE_SIZE_MAX).optional(),
});
export type ChannelListRequest = z.infer<typeof ChannelListRequest>;

export const ChannelUsersRequest = z.object({
  channel: ChannelName,
  /** Live broadcasting only: the hosts, without the audience. */
  hostsOnly: z.boolean().optional(),
});
export type ChannelUsersRequest = z.infer<typeof ChannelUsersRequest>;

export const ChannelUserRequest = z.object({ channel: ChannelName, uid: ChannelUid });
export type ChannelUserRequest = z.infer<typeof ChannelUserRequest>;

/** The one rule of targeting: Agora's table defines these four combinations and no other. */
export const BAN_TARGETING_RULE =
  "a ban targets an ip alone, a channel alone, a uid alone, or a channel and a uid: Agora's rule table defines no other combination";

/**
 * A ban rule to create. `seconds` is required: Agora's own default (60 minutes) is never assumed.
 * We send `time_in_seconds` only, never `time` (minutes), so Agora's precedence between them never matters.
 */
export const BanCreateRequest = z
  .object({
    channel: ChannelName.optional(),
    uid: ChannelUid.optional(),
    ip: Ip.optional(),
    privileges: z
      .array(z.enum(BAN_PRIVILEGES, { error: `must be one of ${BAN_PRIVILEGES.join(', ')}` }), { error: 'must be a list of privileges' })
      .min(1, { error: `must name at least one of ${BAN_PRIVILEGES.join(', ')}` })
      .refine((values) => new Set(values).size === values.length, { error: 'must not name a privilege twice' }),
    seconds: BanSeconds,
  })
  .superRefine((request, context) => {
    const ip = request.ip !== undefined;
    const channel = request.channel !== undefined;
    const uid = request.uid !== undefined;
    if ((!ip && !channel && !uid) || (ip && (channel || uid))) {
      context.addIssue({ code: 'custom', path: ['target'], message: BAN_TARGETING_RULE });
    }
  });
export type BanCreateRequest = z.infer<typeof BanCreateRequest>;

export const BanUpdateRequest = z.object({ id: BanRuleId, seconds: BanSeconds });
export type BanUpdateRequest = z.infer<typeof BanUpdateRequest>;

/** A channel of the project, with how many users it has. */
export interface ChannelSummary {
  channel: string;
  userCount: number;
}

export interface ChannelPage {
  channels: ChannelSummary[];
  /** How many channels the project has; past the last page, `channels` is empty. */
  total: number;
  page: number;
  pageSize: number;
}

/**
 * Who is in a channel. Communication: `users`. Live broadcasting: `hosts`, and unless hosts only
 * were asked for, `audience` (at most AUDIENCE_LIST_CAP of them) and `audienceTotal` (all of them).
 */
export type ChannelUsers =
  | { exists: false }
  | { exists: true; profile: 'communication'; users: number[]; total: number; raw: unknown }
  | {
      exists: true;
      profile: 'live';
      hosts: number[];
      /** Undefined when only hosts were asked for. */
      audience: number[] | undefined;
      audienceTotal: number | undefined;
      /** The audience list holds fewer than audienceTotal (Agora lists the first 10,000). */
      audienceTruncated: boolean;
      raw: unknown;
    };

export type ChannelRole = 'unknown' | 'communication' | 'host' | 'audience';
export type ChannelPlatform = 'other' | 'android' | 'ios' | 'windows' | 'linux' | 'web' | 'macos' | 'unknown';

/** One user's status in a channel. */
export type ChannelUserStatus =
  | { inChannel: false }
  | {
      inChannel: true;
      uid: number;
      /** When the user joined, Unix ms. */
      joinedAt: number;
      role: ChannelRole;
      platform: ChannelPlatform;
      /** Agora's number for the platform: Agora calls its list "common values", so others may come. */
      platformCode: number;
      raw: unknown;
    };

/** A ban rule as Agora lists it: a target that is not set is undefined (Agora's 0 or empty string). */
export interface BanRule {
  id: number;
  channel: string | undefined;
  uid: number | undefined;
  ip: string | undefined;
  /** Agora's words; unknown ones are kept. */
  privileges: string[];
  /** When the rule ends, Unix ms. */
  expiresAt: number | undefined;
  createdAt: number | undefined;
  updatedAt: number | undefined;
  /** Agora's operation id, for its support. */
  opid: number | undefined;
}

export interface BanCreated {
  id: number;
  raw: unknown;
}

export interface BanUpdated {
  id: number;
  /** The rule's new end, Unix ms. */
  expiresAt: number | undefined;
  raw: unknown;
}

/** How a create whose answer was lost is settled (settleBanCreate). */
export interface BanSettleOptions extends RequestOptions {
  /**
   * When the create was sent (Unix ms): only rules created from then on (less `skewMs`) can be it.
   * Rule ids already known before it (`knownIds`) are never it either.
   */
  sentAt: number;
  skewMs?: number;
  knownIds?: readonly number[];
  /** Waits before each listing; Agora's listing may leave rules out on a poor network. Default 0, 2 s, 5 s. */
  delaysMs?: readonly number[];
}

export interface ChannelManagementClient {
  /** One page of the project's channels with their user counts; pages start at 0, at most 500 a page. */
  list(request?: ChannelListRequest, options?: RequestOptions): Promise<ChannelPage>;
  /** Who is in a channel now: users, or hosts and audience with counts; `{ exists: false }` when nobody is. */
  users(request: ChannelUsersRequest, options?: RequestOptions): Promise<ChannelUsers>;
  /** One user's status in a channel: in it or not, since when, role and platform. */
  user(request: ChannelUserRequest, options?: RequestOptions): Promise<ChannelUserStatus>;
  /**
   * Creates a ban rule; refused before any call when Agora would clamp or not define it. Never
   * repeated after a 5xx or a timeout: when it fails so (isBanCreateUnsettled), settle it with
   * settleBanCreate, or use createBanSettled, which does both.
   */
  createBan(request: BanCreateRequest, options?: RequestOptions): Promise<BanCreated>;
  /** Every ban rule of the project, as Agora lists them (reads may leave rules out on a poor network). */
  listBans(options?: RequestOptions): Promise<BanRule[]>;
  /** Sets a rule's duration anew, counted from now; 0 ends it. */
  updateBan(request: BanUpdateRequest, options?: RequestOptions): Promise<BanUpdated>;
  /** Removes a rule. */
  deleteBan(id: number, options?: RequestOptions): Promise<void>;
  /**
   * The rule a create whose answer was lost made, found by listing and matching, or undefined when
   * none shows (always for 0 s: such a rule outlives nothing, and repeating it is harmless).
   */
  settleBanCreate(request: BanCreateRequest, options: BanSettleOptions): Promise<BanRule | undefined>;
  /**
   * createBan, and when its answer is lost (timeout, 504, network) the rule found by settleBanCreate
   * (`settled: true`); the original error when no rule shows. It never sends the create twice.
   */
  createBanSettled(
    request: BanCreateRequest,
    options?: RequestOptions & Pick<BanSettleOptions, 'knownIds' | 'delaysMs'>,
  ): Promise<{ id: number; settled: boolean; rule: BanRule | undefined }>;
}
