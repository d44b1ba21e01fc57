import { isIP } from 'node:net';
import { gateway } from '../replies.js';
import type { Reply } from '../types.js';
import { isValidChannelName } from '../validation.js';
import type { World } from '../world.js';
import { enforceRule, isoSeconds, numericUid, refreshChannels, syncPublishers } from './model.js';
import { PRIVILEGES, ROLE_NUMBER, type BanRule, type Channel, type Privilege } from './types.js';

/**
 * Agora's channel management REST API (README, "Channels"): the channel list, a channel's users
 * or hosts, one user's status, and the ban ("kicking") rules. Query answers are
 * `{success, data}`, rule answers `{status: "success", …}`, failures `{message}`.
 */

const invalid = (detail: string): Reply => gateway(400, `invalid parameter: ${detail}`);
const success = (data: unknown): Reply => ({ status: 200, body: { success: true, data } });
/** Agora lists the first 10,000 audience members of a channel. */
export const AUDIENCE_LIST_CAP = 10_000;
const MAX_UID = 2 ** 32 - 1;
const CHANNEL_RULE = "1 to 63 bytes of letters, digits and Agora's punctuation";

/** A query parameter as a whole number in [min, max]; its default when absent; a Reply when broken. */
function wholeParam(search: URLSearchParams, name: string, fallback: number, min: number, max: number): number | Reply {
  const text = search.get(name);
  if (text === null) return fallback;
  if (!/^\d{1,9}$/.test(text) || Number(text) < min || Number(text) > max)
    return invalid(`${name} must be a whole number from ${min} to ${max}`);
  return Number(text);
}

/** Numbered users of a channel, in join order (string user accounts have no number to show). */
const numbered = (channel: Channel | undefined, role?: string) =>
  [...(channel?.users.values() ?? [])]
    .filter((user) => role === undefined || user.role === role)
    .flatMap((user) => numericUid(user.uid) ?? []);

/** `GET /dev/v1/channel/{appid}`: channels with users, a page at a time (pages from 0). */
export function listChannels(world: World, search: URLSearchParams): Reply {
  const pageNo = wholeParam(search, 'page_no', 0, 0, 999_999_999);
  if (typeof pageNo !== 'number') return pageNo;
  const pageSize = wholeParam(search, 'page_size', 100, 1, 500);
  if (typeof pageSize !== 'number') return pageSize;
  const live = [...world.channel.channels.values()]
    .filter((channel) => numbered(channel).length > 0)
    .sort((a, b) => (a.createdAt ?? 0) - (b.createdAt ?? 0) || a.name.localeCompare(b.name));
  const page = live.slice(pageNo * pageSize, (pageNo + 1) * pageSize);
  return success({
    channels: page.map((channel) => ({ channel_name: channel.name, user_count: numbered(channel).length })),
    total_size: live.length,
  });
}

/** `GET /dev/v1/channel/user/{appid}/{channelName}` (and `/hosts_only`, or `?hosts_only`). */
export function channelUsers(world: World, cname: string, hostsOnly: boolean): Reply {
  if (!isValidChannelName(cname)) return invalid(`channelName must be ${CHANNEL_RULE}`);
  const channel = world.channel.channels.get(cname);
  if (!channel || numbered(channel).length === 0) return success({ channel_exist: false });
  if (channel.profile === 'communication') {
    const users = numbered(channel);
    return success({ channel_exist: true, mode: 1, total: users.length, users });
  }
  const broadcasters = numbered(channel, 'host');
  if (hostsOnly) return success({ channel_exist: true, mode: 2, broadcasters });
  const audience = numbered(channel, 'audience');
  return success({
    channel_exist: true,
    mode: 2,
    broadcasters,
    audience: audience.slice(0, AUDIENCE_LIST_CAP),
    audience_total: audience.length,
  });
}

/** `GET /dev/v1/channel/user/property/{appid}/{uid}/{channelName}`: one user's status. */
export function userStatus(world: World, uidText: string, cname: string): Reply {
  const uid = numericUid(uidText);
  if (uid === undefined) return invalid('uid must be an integer from 1 to 4294967295');
  if (!isValidChannelName(cname)) return invalid(`channelName must be ${CHANNEL_RULE}`);
  const user = world.channel.channels.get(cname)?.users.get(String(uid));
  if (!user) return success({ in_channel: false });
  return success({ join: Math.floor(user.joinedAt / 1000), uid, in_channel: true, platform: user.platform, role: ROLE_NUMBER[user.role] });
}

// --- ban rules ---------------------------------------------------------------------------------

const DEFAULT_BAN_SECONDS = 3_600;
/** Agora's ranges: out-of-range durations are clamped to the nearest bound, 0 kicks without a ban. */
const MINUTES = { min: 1, max: 1_440 };
const SECONDS = { min: 10, max: 86_430 };

const clamp = (value: number, range: { min: number; max: number }) => Math.min(range.max, Math.max(range.min, value));

/** The rule's duration in seconds from `time` / `time_in_seconds`; a Reply when one is not a whole number. */
export function banSeconds(body: Record<string, unknown>): number | Reply {
  const { time, time_in_seconds: inSeconds } = body;
  for (const [name, value] of [
    ['time', time],
    ['time_in_seconds', inSeconds],
  ] as const)
    if (value !== undefined && value !== null && (typeof value !== 'number' || !Number.isInteger(value)))
      return invalid(`${name} must be a whole number`);
  if (typeof inSeconds === 'number') return inSeconds === 0 ? 0 : clamp(inSeconds, SECONDS);
  if (typeof time === 'number') return time === 0 ? 0 : clamp(time, MINUTES) * 60;
  return DEFAULT_BAN_SECONDS;
}

/** `appid` of a rule call: required, and this App's. */
function checkAppId(world: World, appid: unknown): Reply | undefined {
  if (appid === undefined || appid === null || appid === '') return invalid('appid is required');
  if (typeof appid !== 'string') return invalid('appid must be a string');
  if (appid !== world.appId) return gateway(400, 'appid is invalid');
  return undefined;
}

/** The rule a write names: this App's `appid`, and an `id` that is a whole number naming a rule in force. */
function findRule(world: World, body: Record<string, unknown>): BanRule | Reply {
  const appError = checkAppId(world, body.appid);
  if (appError) return appError;
  const { id } = body;
  if (id === undefined || id === null) return invalid('id is required');
  if (typeof id !== 'number' || !Number.isInteger(id)) return invalid('id must be a whole number');
  refreshChannels(world);
  return world.channel.rules.get(id) ?? gateway(404, `rule ${id} not found`);
}

/** After a rule ends or changes: publishing follows the rules in force. */
function resyncAll(world: World) {
  for (const name of world.channel.channels.keys()) syncPublishers(world, name);
}

interface Target {
  cname: string | undefined;
  uid: number | undefined;
  ip: string | undefined;
}

const unset = (value: unknown) => value === undefined || value === null || value === '';

/** `cname`, `uid` and `ip` (absent, null and "" are unset) in one of the four combinations Agora defines. */
function readTarget(body: Record<string, unknown>): Target | Reply {
  const target: Target = { cname: undefined, uid: undefined, ip: undefined };
  const { cname, uid, ip } = body;
  if (!unset(cname)) {
    if (typeof cname !== 'string' || !isValidChannelName(cname)) return invalid(`cname must be ${CHANNEL_RULE}`);
    target.cname = cname;
  }
  if (!unset(uid)) {
    if (uid === 0) return invalid('uid must not be 0');
    if (typeof uid !== 'number' || !Number.isInteger(uid) || uid < 1 || uid > MAX_UID)
      return invalid('uid must be an integer from 1 to 4294967295');
    target.uid = uid;
  }
  if (!unset(ip)) {
    if (ip === '0' || ip === 0) return invalid('ip must not be 0');
    if (typeof ip !== 'string' || isIP(ip) === 0) return invalid('ip must be an IPv4 or IPv6 address');
    target.ip = ip;
  }
  if (target.ip === undefined && target.cname === undefined && target.uid === undefined)
    return invalid('set ip, cname, uid, or cname with uid');
  if (target.ip !== undefined && (target.cname !== undefined || target.uid !== undefined))
    return invalid('ip goes alone: ip with cname or uid is not a defined rule');
  return target;
}

function readPrivileges(value: unknown): Privilege[] | Reply {
  if (value === undefined || value === null) return invalid('privileges is required');
  if (!Array.isArray(value) || value.length === 0) return invalid('privileges must be a non-empty array');
  const items: unknown[] = value;
  const known: readonly unknown[] = PRIVILEGES;
  if (!items.every((item) => known.includes(item))) return invalid(`privileges must hold only ${PRIVILEGES.join(', ')}`);
  return PRIVILEGES.filter((privilege) => items.includes(privilege));
}

/** `POST /dev/v1/kicking-rule`: a rule; join_channel removes the users it reaches at once. */
export function createRule(world: World, body: Record<string, unknown>): Reply {
  const appError = checkAppId(world, body.appid);
  if (appError) return appError;
  const privileges = readPrivileges(body.privileges);
  if (!Array.isArray(privileges)) return privileges;
  const target = readTarget(body);
  if ('status' in target) return target;
  const duration = banSeconds(body);
  if (typeof duration !== 'number') return duration;
  refreshChannels(world);
  const now = world.clock.now();
  const rule: BanRule = {
    id: world.channel.nextRuleId++,
    opid: world.channel.nextOpid++,
    ...target,
    privileges,
    createdAt: now,
    updatedAt: now,
    expiresAt: now + duration * 1000,
  };
  // A duration of 0 only takes the users offline: the rule ends at once.
  if (duration > 0) world.channel.rules.set(rule.id, rule);
  enforceRule(world, rule);
  return { status: 200, body: { status: 'success', id: rule.id } };
}

const ruleView = (world: World, rule: BanRule) => ({
  id: rule.id,
  appid: world.appId,
  uid: rule.uid ?? 0,
  opid: rule.opid,
  cname: rule.cname ?? '',
  ip: rule.ip ?? '',
  ts: isoSeconds(rule.expiresAt),
  privileges: rule.privileges,
  createAt: isoSeconds(rule.createdAt),
  updateAt: isoSeconds(rule.updatedAt),
});

/** `GET /dev/v1/kicking-rule?appid=`: the rules in force. */
export function listRules(world: World, search: URLSearchParams): Reply {
  const appError = checkAppId(world, search.get('appid') ?? undefined);
  if (appError) return appError;
  refreshChannels(world);
  return { status: 200, body: { status: 'success', rules: [...world.channel.rules.values()].map((rule) => ruleView(world, rule)) } };
}

/** `PUT /dev/v1/kicking-rule`: a new expiry, counted from now. */
export function updateRule(world: World, body: Record<string, unknown>): Reply {
  const rule = findRule(world, body);
  if ('status' in rule) return rule;
  const duration = banSeconds(body);
  if (typeof duration !== 'number') return duration;
  const now = world.clock.now();
  rule.expiresAt = now + duration * 1000;
  rule.updatedAt = now;
  rule.opid = world.channel.nextOpid++;
  if (duration === 0) world.channel.rules.delete(rule.id);
  resyncAll(world);
  return { status: 200, body: { status: 'success', result: { id: rule.id, ts: isoSeconds(rule.expiresAt) } } };
}

/** `DELETE /dev/v1/kicking-rule`: the rule ends now. */
export function deleteRule(world: World, body: Record<string, unknown>): Reply {
  const rule = findRule(world, body);
  if ('status' in rule) return rule;
  world.channel.rules.delete(rule.id);
  resyncAll(world);
  return { status: 200, body: { status: 'success', id: rule.id } };
}
