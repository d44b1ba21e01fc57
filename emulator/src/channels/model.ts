import { onPresenceChange } from '../lifecycle.js';
import { onAgentPresenceChange } from '../stt/lifecycle.js';
import { onConvoPresenceChange } from '../convoai/lifecycle.js';
import type { World } from '../world.js';
import {
  LEAVE_REASON,
  type BanRule,
  type Channel,
  type ChannelUser,
  type ChannelUserView,
  type ChannelView,
  type ChannelWorld,
  type Privilege,
  type Profile,
  type Role,
} from './types.js';

/**
 * Who is in which channel and what the ban rules allow (README, "Channels"). Every change goes
 * through here, so `world.publishers` — what recordings and agents read — always follows the
 * channels, and each change sends its channel event notice.
 */

/** Agora's productId for RTC channel event notices. */
export const CHANNEL_EVENTS_PRODUCT_ID = 1;

/** Channel event types (Agora's RTC channel event callbacks). */
export const CHANNEL_EVENT = {
  channelCreate: 101,
  channelDestroy: 102,
  broadcasterJoin: 103,
  broadcasterLeave: 104,
  audienceJoin: 105,
  audienceLeave: 106,
  communicationJoin: 107,
  communicationLeave: 108,
  roleToBroadcaster: 111,
  roleToAudience: 112,
} as const;

const EVENT_NAMES: Record<number, string> = {
  101: 'channel_create',
  102: 'channel_destroy',
  103: 'broadcaster_join_channel',
  104: 'broadcaster_leave_channel',
  105: 'audience_join_channel',
  106: 'audience_leave_channel',
  107: 'user_join_channel_with_communication_mode',
  108: 'user_leave_channel_with_communication_mode',
  111: 'client_role_change_to_broadcaster',
  112: 'client_role_change_to_audience',
};

export function createChannelWorld(): ChannelWorld {
  return { channels: new Map(), rules: new Map(), nextRuleId: 1, nextOpid: 1, lastSeq: 0, eventsOn: false };
}

const seconds = (ms: number) => Math.floor(ms / 1000);

/** A numeric uid as Agora's channel APIs show it; string user accounts have none. */
export const numericUid = (uid: string): number | undefined =>
  /^[1-9]\d{0,9}$/.test(uid) && Number(uid) <= 2 ** 32 - 1 ? Number(uid) : undefined;

function channelOf(world: World, name: string): Channel {
  let channel = world.channel.channels.get(name);
  if (!channel) {
    channel = { name, profile: 'live_broadcasting', users: new Map(), createdAt: undefined };
    world.channel.channels.set(name, channel);
  }
  return channel;
}

function notify(world: World, cname: string, eventType: number, payload: Record<string, unknown>) {
  if (!world.channel.eventsOn) return;
  const now = world.clock.now();
  world.notifier.emit({
    eventType,
    serviceType: 0,
    cname,
    uid: typeof payload.uid === 'number' ? String(payload.uid) : '',
    sid: cname,
    sequence: 0,
    at: now,
    details: { msgName: EVENT_NAMES[eventType] ?? `channel_${eventType}` },
    product: { productId: CHANNEL_EVENTS_PRODUCT_ID, envelopeSid: false, payload: { channelName: cname, ...payload, ts: seconds(now) } },
  });
}

/** Agora's clientSeq: larger for every event, so a receiver can order them. */
function nextSeq(world: World): number {
  world.channel.lastSeq = Math.max(world.channel.lastSeq + 1, world.clock.now());
  return world.channel.lastSeq;
}

function userPayload(world: World, user: ChannelUser) {
  return { uid: numericUid(user.uid) ?? 0, account: user.uid, platform: user.platform, clientSeq: nextSeq(world) };
}

const joinEvent = (role: Role) =>
  role === 'host' ? CHANNEL_EVENT.broadcasterJoin : role === 'audience' ? CHANNEL_EVENT.audienceJoin : CHANNEL_EVENT.communicationJoin;
const leaveEvent = (role: Role) =>
  role === 'host' ? CHANNEL_EVENT.broadcasterLeave : role === 'audience' ? CHANNEL_EVENT.audienceLeave : CHANNEL_EVENT.communicationLeave;

/** Whether a rule is in force now and reaches `user` in `cname`, per Agora's targeting table. */
function reaches(rule: BanRule, cname: string, user: { uid: string; ip: string | undefined }, now: number): boolean {
  if (rule.expiresAt <= now) return false;
  if (rule.ip !== undefined) return user.ip === rule.ip;
  if (rule.cname !== undefined && rule.cname !== cname) return false;
  if (rule.uid !== undefined && String(rule.uid) !== user.uid) return false;
  return rule.cname !== undefined || rule.uid !== undefined;
}

/** The privileges banned for `user` in `cname` now, and the rule that bans joining, if any. */
export function bansOf(
  world: World,
  cname: string,
  user: { uid: string; ip: string | undefined },
): { banned: Privilege[]; joinRule?: BanRule } {
  const now = world.clock.now();
  const banned = new Set<Privilege>();
  let joinRule: BanRule | undefined;
  for (const rule of world.channel.rules.values()) {
    if (!reaches(rule, cname, user, now)) continue;
    for (const privilege of rule.privileges) banned.add(privilege);
    if (rule.privileges.includes('join_channel')) joinRule ??= rule;
  }
  return { banned: [...banned], ...(joinRule ? { joinRule } : {}) };
}

function isPublishing(world: World, cname: string, user: ChannelUser): boolean {
  if (user.role === 'audience') return false;
  const { banned } = bansOf(world, cname, user);
  return !(banned.includes('publish_audio') && banned.includes('publish_video'));
}

/** Recomputes who publishes in `cname`; recordings and agents hear of a change. */
export function syncPublishers(world: World, cname: string) {
  const channel = world.channel.channels.get(cname);
  const next = new Set([...(channel?.users.values() ?? [])].filter((user) => isPublishing(world, cname, user)).map((user) => user.uid));
  const current = world.publishers.get(cname) ?? new Set<string>();
  if (next.size === current.size && [...next].every((uid) => current.has(uid))) return;
  world.publishers.set(cname, next);
  onPresenceChange(world, cname);
  onAgentPresenceChange(world, cname);
  onConvoPresenceChange(world, cname);
}

export type JoinOutcome = { ok: true } | { ok: false; status: number; error: string };

export interface JoinRequest {
  role?: 'host' | 'audience' | undefined;
  platform?: number | undefined;
  ip?: string | undefined;
}

/** `uid` joins `cname` (or changes role if already in): refused while a join_channel rule reaches it. */
export function joinChannel(world: World, cname: string, uid: string, request: JoinRequest = {}): JoinOutcome {
  refreshChannels(world);
  const channel = channelOf(world, cname);
  const existing = channel.users.get(uid);
  const wanted = request.role ?? 'host';
  if (channel.profile === 'communication' && wanted === 'audience')
    return { ok: false, status: 409, error: `channel ${cname} uses the communication profile: it has no audience` };
  const role: Role = channel.profile === 'communication' ? 'communication' : wanted;
  if (existing) {
    if (existing.role !== role) changeRole(world, cname, uid, role);
    return { ok: true };
  }
  const ip = request.ip;
  const { joinRule } = bansOf(world, cname, { uid, ip });
  if (joinRule)
    return {
      ok: false,
      status: 403,
      error: `banned by server: rule ${joinRule.id} bars uid ${uid} from ${cname} until ${isoSeconds(joinRule.expiresAt)}`,
    };
  const now = world.clock.now();
  if (channel.users.size === 0) {
    channel.createdAt = now;
    notify(world, cname, CHANNEL_EVENT.channelCreate, {});
  }
  const user: ChannelUser = { uid, role, platform: request.platform ?? 7, joinedAt: now, ip };
  channel.users.set(uid, user);
  notify(world, cname, joinEvent(role), userPayload(world, user));
  syncPublishers(world, cname);
  return { ok: true };
}

/** `uid` leaves `cname` (reason 1: quit; 3: removed by a ban). False when it was not there. */
export function leaveChannel(world: World, cname: string, uid: string, reason: number = LEAVE_REASON.quit): boolean {
  const channel = world.channel.channels.get(cname);
  const user = channel?.users.get(uid);
  if (!channel || !user) {
    // A publisher that was never a user (or is gone) still stops publishing, as before.
    syncPublishers(world, cname);
    return false;
  }
  channel.users.delete(uid);
  const now = world.clock.now();
  notify(world, cname, leaveEvent(user.role), { ...userPayload(world, user), reason, duration: seconds(now - user.joinedAt) });
  if (channel.users.size === 0) {
    channel.createdAt = undefined;
    notify(world, cname, CHANNEL_EVENT.channelDestroy, { lastUid: numericUid(uid) ?? 0 });
  }
  syncPublishers(world, cname);
  return true;
}

/** A host becomes audience or the other way round (live broadcasting only). */
export function changeRole(world: World, cname: string, uid: string, role: Role): JoinOutcome {
  const channel = world.channel.channels.get(cname);
  const user = channel?.users.get(uid);
  if (!channel || !user) return { ok: false, status: 404, error: `uid ${uid} is not in channel ${cname}` };
  if (channel.profile === 'communication')
    return { ok: false, status: 409, error: `channel ${cname} uses the communication profile: roles do not change` };
  if (user.role === role) return { ok: true };
  user.role = role;
  const { uid: number, account, clientSeq } = userPayload(world, user);
  notify(world, cname, role === 'host' ? CHANNEL_EVENT.roleToBroadcaster : CHANNEL_EVENT.roleToAudience, {
    uid: number,
    account,
    clientSeq,
  });
  syncPublishers(world, cname);
  return { ok: true };
}

/** Sets a channel's profile; only while nobody is in it. */
export function setProfile(world: World, cname: string, profile: Profile): JoinOutcome {
  const channel = channelOf(world, cname);
  if (channel.users.size > 0 && channel.profile !== profile)
    return { ok: false, status: 409, error: `channel ${cname} has users: its profile changes only while it is empty` };
  channel.profile = profile;
  return { ok: true };
}

/** Removes every user a join_channel rule reaches now (leave reason 3). */
export function enforceRule(world: World, rule: BanRule) {
  const now = world.clock.now();
  for (const channel of world.channel.channels.values()) {
    for (const user of [...channel.users.values()]) {
      if (
        rule.privileges.includes('join_channel') &&
        reaches({ ...rule, expiresAt: Math.max(rule.expiresAt, now + 1) }, channel.name, user, now)
      )
        leaveChannel(world, channel.name, user.uid, LEAVE_REASON.banned);
    }
    syncPublishers(world, channel.name);
  }
}

/** Drops expired rules; publishing resumes where a publish ban ran out. */
export function refreshChannels(world: World, now = world.clock.now()) {
  let expired = false;
  for (const rule of world.channel.rules.values()) {
    if (rule.expiresAt > now) continue;
    world.channel.rules.delete(rule.id);
    expired = true;
  }
  if (expired) for (const name of world.channel.channels.keys()) syncPublishers(world, name);
}

export const isoSeconds = (ms: number) => new Date(Math.floor(ms / 1000) * 1000).toISOString();

export function channelView(world: World, cname: string): ChannelView {
  refreshChannels(world);
  const channel = world.channel.channels.get(cname);
  const users: ChannelUserView[] = [...(channel?.users.values() ?? [])].map((user) => ({
    uid: user.uid,
    role: user.role,
    platform: user.platform,
    joinedAt: user.joinedAt,
    ip: user.ip,
    publishing: isPublishing(world, cname, user),
    banned: bansOf(world, cname, user).banned,
  }));
  return { cname, profile: channel?.profile ?? 'live_broadcasting', users, publishers: [...(world.publishers.get(cname) ?? [])] };
}
