import {
  AppErrorCode,
  CHANNEL_AUDIENCE_LIST_CAP,
  CHANNEL_KICK_DEFAULT_SECONDS,
  type BanPrivilege,
  type ChannelBan,
  type ChannelBanInput,
  type ChannelGetOutput,
  type ChannelKickInput,
  type ChannelListOutput,
  type ChannelUserOutput,
  type ChannelUnbanOutput,
} from '@agora-backend/shared';
import type { BanCreateRequest, BanRule, ChannelManagementClient, ChannelUsers } from '../agora/index.js';
import type { Clock } from '../clock.js';
import { AppError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { BanRecord, BanTable } from '../store/index.js';

/**
 * channel.*: who is in a channel and moderation, on Agora's channel management API (docs/agora.md,
 * "Channel management"). Every call is a user's call in the shared rate budget; reads are cached
 * for a moment, so a page polling a channel costs Agora one call per `cacheMs`. Ban rules this
 * server makes are kept in the registry with who made them and why.
 */

/** Who is asking and which channels they may use: a caller never learns of channels it may not use. */
export interface ChannelAccess {
  who: string;
  /** Admins, or channel rules that reach every channel (`*`): app-wide bans and every rule. */
  everywhere: boolean;
  mayUse(channel: string): boolean;
}

export interface ChannelServiceOptions {
  agora: ChannelManagementClient;
  /** Where ban rules are kept with their author; without one, bans say no author. */
  bans?: BanTable | undefined;
  clock: Clock;
  /** How long a channel's or a list page's answer is reused; default 2 s. */
  cacheMs?: number;
  logger?: Logger | undefined;
}

const PRIVILEGE_NAMES: Record<BanPrivilege, BanCreateRequest['privileges'][number]> = {
  join: 'join_channel',
  publishAudio: 'publish_audio',
  publishVideo: 'publish_video',
};
const USER = { priority: 'user' } as const;

/** The one refusal for a channel the caller may not use, whether or not the channel exists. */
export const forbidden = (channel: string) => new AppError(AppErrorCode.FORBIDDEN, `this credential may not moderate channel "${channel}"`);
const notInChannel = (channel: string, uid: number) =>
  new AppError(
    AppErrorCode.USER_NOT_IN_CHANNEL,
    `uid ${uid} is not in channel "${channel}": nothing was done and no ban was made (channel.ban keeps someone out who is not there)`,
  );
const banNotFound = (id: number) => new AppError(AppErrorCode.BAN_NOT_FOUND, `no ban rule ${id} (it ended, or it is not yours to see)`);

/** Agora's answer for a channel in our words. */
function toChannelView(channel: string, users: ChannelUsers): ChannelGetOutput {
  const empty = { users: [], hosts: [], audience: [], total: 0, hostCount: 0, audienceCount: 0, audienceTruncated: false };
  const base = { channel, audienceListCap: CHANNEL_AUDIENCE_LIST_CAP };
  if (!users.exists) return { ...base, ...empty, exists: false, profile: null };
  if (users.profile === 'communication')
    return { ...base, ...empty, exists: true, profile: 'communication', users: users.users, total: users.total };
  const audience = users.audience ?? [];
  const audienceCount = users.audienceTotal ?? audience.length;
  return {
    ...base,
    ...empty,
    exists: true,
    profile: 'live',
    hosts: users.hosts,
    audience,
    hostCount: users.hosts.length,
    audienceCount,
    total: users.hosts.length + audienceCount,
    audienceTruncated: users.audienceTruncated,
  };
}

function toBan(rule: BanRule, record: BanRecord | undefined): ChannelBan {
  return {
    id: rule.id,
    channel: rule.channel ?? null,
    uid: rule.uid ?? null,
    ip: rule.ip ?? null,
    privileges: rule.privileges,
    expiresAt: rule.expiresAt ?? null,
    createdAt: rule.createdAt ?? record?.createdAt ?? null,
    createdBy: record?.createdBy ?? null,
    reason: record?.reason ?? null,
  };
}

/** A rule the caller may see: one of its channels, or any rule for a caller that reaches every channel. */
const visible = (access: ChannelAccess, channel: string | undefined) =>
  access.everywhere || (channel !== undefined && access.mayUse(channel));

/** A short-lived cache of answers; a failed answer is not kept. */
function createCache(clock: Clock, ttlMs: number) {
  const entries = new Map<string, { at: number; until: number; value: Promise<unknown> }>();
  /** The cached answer (or a new one) with when it was asked for. */
  function entry<T>(key: string, load: () => Promise<T>): { at: number; value: Promise<T> } {
    const now = clock.now();
    const hit = entries.get(key);
    if (hit && hit.until > now) return hit as { at: number; value: Promise<T> };
    const value = load();
    entries.set(key, { at: now, until: now + ttlMs, value });
    value.catch(() => entries.delete(key));
    return { at: now, value };
  }
  return {
    get: <T>(key: string, load: () => Promise<T>): Promise<T> => entry(key, load).value,
    /** The answer and when it was asked for: an answer may be up to `ttlMs` old. */
    async timed<T>(key: string, load: () => Promise<T>): Promise<{ at: number; value: T }> {
      const found = entry(key, load);
      return { at: found.at, value: await found.value };
    },
    /** Forgets everything (after a kick or a ban, the next read asks Agora). */
    clear: () => entries.clear(),
  };
}

export type ChannelService = ReturnType<typeof createChannelService>;

/** The channel service on Agora's channel management client. */
export function createChannelService(options: ChannelServiceOptions) {
  const { agora, bans, clock, logger } = options;
  const cache = createCache(clock, options.cacheMs ?? 2_000);

  /** Creates a rule (settling a create whose answer was lost), keeps it with its author, forgets cached reads. */
  async function createRule(request: BanCreateRequest, access: ChannelAccess, reason: string | undefined): Promise<ChannelBan> {
    const createdAt = clock.now();
    const created = await agora.createBanSettled(request, USER);
    cache.clear();
    const expiresAt = created.rule?.expiresAt ?? (request.seconds > 0 ? createdAt + request.seconds * 1000 : createdAt);
    const record = {
      id: created.id,
      channel: request.channel,
      uid: request.uid,
      ip: request.ip,
      privileges: request.privileges,
      seconds: request.seconds,
      createdBy: access.who,
      reason,
      createdAt,
      expiresAt,
    };
    await bans?.record(record);
    const rule: BanRule = { ...record, updatedAt: createdAt, opid: undefined };
    return toBan(rule, { ...record, removedAt: undefined });
  }

  /** The rule with this id if the caller may see it: the registry's record, else Agora's list. */
  async function visibleRule(id: number, access: ChannelAccess): Promise<void> {
    const record = await bans?.get(id);
    if (record) {
      if (record.removedAt !== undefined || !visible(access, record.channel)) throw banNotFound(id);
      return;
    }
    const rule = (await agora.listBans(USER)).find((item) => item.id === id);
    if (!rule || !visible(access, rule.channel)) throw banNotFound(id);
  }

  return {
    /** One page of the channels the caller may use (others are left out, so a page may be short). */
    async list(input: { cursor?: string | undefined; limit: number }, access: ChannelAccess): Promise<ChannelListOutput> {
      const page = input.cursor ? Number(input.cursor.slice(1)) : 0;
      const answer = await cache.get(`list:${page}:${input.limit}`, () => agora.list({ page, pageSize: input.limit }, USER));
      const items = answer.channels.filter((item) => access.mayUse(item.channel));
      const more = (page + 1) * input.limit < answer.total && answer.channels.length > 0;
      return { items, nextCursor: more ? `p${page + 1}` : null };
    },

    /** Who is in a channel now. */
    async get(input: { channel: string }, access: ChannelAccess): Promise<ChannelGetOutput> {
      if (!access.mayUse(input.channel)) throw forbidden(input.channel);
      const users = await cache.get(`users:${input.channel}`, () => agora.users({ channel: input.channel }, USER));
      return toChannelView(input.channel, users);
    },

    /**
     * Agora's user list of a channel and when it was asked for (`at`; a cached answer is older), from
     * the same cache and rate budget as `get` (presence's reconciliation; `background` at start-up,
     * so users' calls go first). No access check: that is the caller's.
     */
    users(channel: string, priority: 'user' | 'background' = 'user'): Promise<{ at: number; value: ChannelUsers }> {
      return cache.timed(`users:${channel}`, () => agora.users({ channel }, { priority }));
    },

    /** One user's status in a channel. */
    async user(input: { channel: string; uid: number }, access: ChannelAccess): Promise<ChannelUserOutput> {
      if (!access.mayUse(input.channel)) throw forbidden(input.channel);
      const status = await agora.user(input, USER);
      const base = { channel: input.channel, uid: input.uid };
      if (!status.inChannel) return { ...base, inChannel: false, joinedAt: null, role: null, platform: null, platformCode: null };
      const { joinedAt, role, platform, platformCode } = status;
      return { ...base, inChannel: true, joinedAt, role, platform, platformCode };
    },

    /**
     * Removes a user from a channel: a join ban on the channel and uid, for `banSeconds` (default
     * 60; 0 lets them back at once). A uid that is not in the channel is USER_NOT_IN_CHANNEL and
     * no rule is made (Agora would make one: a ban of someone absent, which `ban` is for). When
     * Agora cannot say whether the user is there, the kick goes ahead: keeping someone out matters more.
     */
    async kick(input: ChannelKickInput, access: ChannelAccess): Promise<ChannelBan> {
      if (!access.mayUse(input.channel)) throw forbidden(input.channel);
      const present = await agora.user({ channel: input.channel, uid: input.uid }, USER).then(
        (status) => status.inChannel,
        (error: unknown) => {
          logger?.warn(
            { err: error, channel: input.channel, uid: input.uid },
            'could not learn whether the user is in the channel: kicking anyway',
          );
          return true;
        },
      );
      if (!present) throw notInChannel(input.channel, input.uid);
      const seconds = input.banSeconds ?? CHANNEL_KICK_DEFAULT_SECONDS;
      return createRule({ channel: input.channel, uid: input.uid, privileges: ['join_channel'], seconds }, access, input.reason);
    },

    /**
     * Who publishes in a channel now (communication users, or live hosts), from the same cached
     * read as `get`. The server's own question (a start's warning), so no caller's access applies.
     */
    async publishers(channel: string): Promise<number[]> {
      const users = await cache.get(`users:${channel}`, () => agora.users({ channel }, USER));
      if (!users.exists) return [];
      return users.profile === 'communication' ? users.users : users.hosts;
    },

    /** A ban rule as Agora's table defines them; a rule without a channel reaches every channel, so it needs a caller who does. */
    ban(input: ChannelBanInput, access: ChannelAccess): Promise<ChannelBan> {
      if (input.channel === undefined ? !access.everywhere : !access.mayUse(input.channel)) {
        throw new AppError(
          AppErrorCode.FORBIDDEN,
          input.channel === undefined
            ? 'a ban without a channel reaches every channel: it needs an admin or a credential for every channel (*)'
            : `this credential may not moderate channel "${input.channel}"`,
        );
      }
      const privileges = input.privileges.map((privilege) => PRIVILEGE_NAMES[privilege]);
      const request = { channel: input.channel, uid: input.uid, ip: input.ip, privileges, seconds: input.seconds };
      return createRule(request, access, input.reason);
    },

    /** The rules in force that the caller may see, with who made them and why where this server did. */
    async bans(access: ChannelAccess): Promise<{ items: ChannelBan[] }> {
      const rules = (await agora.listBans(USER)).filter((rule) => visible(access, rule.channel));
      const records = new Map(
        (await (bans?.many(rules.map((rule) => rule.id)) ?? Promise.resolve([]))).map((record) => [record.id, record]),
      );
      return { items: rules.map((rule) => toBan(rule, records.get(rule.id))) };
    },

    /** Sets a rule's duration anew, counted from now (0 ends it). */
    async updateBan(input: { id: number; seconds: number }, access: ChannelAccess): Promise<{ id: number; expiresAt: number | null }> {
      await visibleRule(input.id, access);
      const updated = await agora.updateBan(input, USER);
      cache.clear();
      await bans?.setExpiry(input.id, input.seconds, updated.expiresAt);
      return { id: updated.id, expiresAt: updated.expiresAt ?? null };
    },

    /** Removes a rule. */
    async unban(input: { id: number }, access: ChannelAccess): Promise<ChannelUnbanOutput> {
      await visibleRule(input.id, access);
      await agora.deleteBan(input.id, USER);
      cache.clear();
      await bans?.markRemoved(input.id, clock.now());
      return { id: input.id, removed: true };
    },
  };
}
