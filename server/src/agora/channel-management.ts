import type { ChannelManagementEndpoint } from '@agora-backend/shared';
import { z } from 'zod';
import type { Clock } from '../clock.js';
import {
  BanCreateRequest,
  BanRuleId,
  BanUpdateRequest,
  ChannelListRequest,
  ChannelUserRequest,
  ChannelUsersRequest,
  type BanRule,
  type ChannelManagementClient,
  type ChannelPlatform,
  type ChannelRole,
  type ChannelUsers,
  type ChannelUserStatus,
} from './channel-management-types.js';
import { AgoraApiError, AgoraNetworkError, AgoraRequestError, AgoraTimeoutError } from './errors.js';
import { looseNumber, toMilliseconds } from './responses.js';
import { sendExpectingOk, withQuery, type ApiAnswer, type ApiCallSpec, type ApiTransport, type RequestOptions } from './transport.js';

/**
 * The RTC channel management calls (docs/agora.md, "Channel management"), on the transport the Cloud
 * Recording client uses: the same hosts, authentication, rate budget, retries and error classes.
 * Agora's errors here are `{message}` only. Requests are checked before any call (the schemas in
 * channel-management-types.ts); a ban create is never sent twice (retry-policy.ts).
 */

type Method = ApiCallSpec<ApiAnswer>['method'];

const uidList = z.array(looseNumber);
/** Query answers: `{ success: true, data }`; `false` is "reserved", so it is not a success we can read. */
const queryEnvelope = <T extends z.ZodType>(data: T) => z.object({ success: z.literal(true), data });
/** Ban rule answers: `{ status: "success", … }`. */
const banEnvelope = <T extends z.ZodRawShape>(shape: T) => z.object({ status: z.literal('success'), ...shape });

const ChannelListBody = queryEnvelope(
  z.object({
    channels: z.array(z.object({ channel_name: z.string(), user_count: looseNumber })),
    total_size: looseNumber,
  }),
);
const ChannelUsersBody = queryEnvelope(
  z.object({
    channel_exist: z.boolean(),
    mode: looseNumber.optional(),
    total: looseNumber.optional(),
    users: uidList.optional(),
    broadcasters: uidList.optional(),
    audience: uidList.optional(),
    audience_total: looseNumber.optional(),
  }),
);
const ChannelUserBody = queryEnvelope(
  z.object({
    in_channel: z.boolean(),
    uid: looseNumber.optional(),
    join: looseNumber.optional(),
    role: looseNumber.optional(),
    platform: looseNumber.optional(),
  }),
);
const optionalText = z.string().nullable().optional();
const optionalNumber = looseNumber.nullable().optional();
const RuleBody = z.object({
  id: looseNumber,
  uid: optionalNumber,
  opid: optionalNumber,
  cname: optionalText,
  ip: optionalText,
  ts: optionalText,
  privileges: z.array(z.string()).optional(),
  createAt: optionalText,
  updateAt: optionalText,
});
const BanCreatedBody = banEnvelope({ id: looseNumber });
const BanListBody = banEnvelope({ rules: z.array(RuleBody) });
const BanUpdatedBody = banEnvelope({ result: z.object({ id: looseNumber, ts: optionalText }) });
const BanDeletedBody = banEnvelope({ id: looseNumber.optional() });

const DeleteRequest = z.object({ id: BanRuleId });

const ROLES: Record<number, ChannelRole> = { 0: 'unknown', 1: 'communication', 2: 'host', 3: 'audience' };
const PLATFORMS: Record<number, ChannelPlatform> = { 0: 'other', 1: 'android', 2: 'ios', 5: 'windows', 6: 'linux', 7: 'web', 8: 'macos' };

/** A request checked by its schema, or the first problem as an AgoraRequestError naming the field; no call is made. */
function checked<T>(endpoint: ChannelManagementEndpoint, schema: z.ZodType<T>, value: unknown): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  throw new AgoraRequestError(endpoint, issue.path.map(String).join('.') || 'request', issue.message);
}

/** An ISO time as Unix ms; undefined when absent or unreadable. */
function isoMs(value: string | null | undefined): number | undefined {
  if (!value) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

function toUsers(data: z.infer<typeof ChannelUsersBody>['data'], raw: unknown): ChannelUsers {
  if (!data.channel_exist) return { exists: false };
  // Mode 1 is communication, 2 live broadcasting; without a mode, the lists present tell which.
  if (data.mode === 1 || (data.mode === undefined && data.broadcasters === undefined)) {
    const users = data.users ?? [];
    return { exists: true, profile: 'communication', users, total: data.total ?? users.length, raw };
  }
  const { audience, audience_total: audienceTotal } = data;
  const truncated = audience !== undefined && audienceTotal !== undefined && audienceTotal > audience.length;
  return { exists: true, profile: 'live', hosts: data.broadcasters ?? [], audience, audienceTotal, audienceTruncated: truncated, raw };
}

function toUserStatus(data: z.infer<typeof ChannelUserBody>['data'], uid: number, raw: unknown): ChannelUserStatus {
  if (!data.in_channel) return { inChannel: false };
  const platformCode = data.platform ?? 0;
  return {
    inChannel: true,
    uid: data.uid ?? uid,
    joinedAt: toMilliseconds(data.join ?? 0),
    role: ROLES[data.role ?? 0] ?? 'unknown',
    platform: PLATFORMS[platformCode] ?? 'unknown',
    platformCode,
    raw,
  };
}

/** Agora's rule, a target it did not set (0, "", null) read as undefined. */
export function toBanRule(rule: z.infer<typeof RuleBody>): BanRule {
  return {
    id: rule.id,
    channel: rule.cname ? rule.cname : undefined,
    uid: rule.uid ? rule.uid : undefined,
    ip: rule.ip && rule.ip !== '0' ? rule.ip : undefined,
    privileges: rule.privileges ?? [],
    expiresAt: isoMs(rule.ts),
    createdAt: isoMs(rule.createAt),
    updatedAt: isoMs(rule.updateAt),
    opid: rule.opid ?? undefined,
  };
}

/**
 * Whether a listed rule is the one a create asked for: the same targets and privileges, created
 * no earlier than `since`, and not one already known.
 */
export function ruleMatches(rule: BanRule, request: BanCreateRequest, since: number, knownIds: readonly number[] = []): boolean {
  const samePrivileges =
    rule.privileges.length === request.privileges.length && request.privileges.every((privilege) => rule.privileges.includes(privilege));
  return (
    !knownIds.includes(rule.id) &&
    rule.channel === request.channel &&
    rule.uid === request.uid &&
    rule.ip === request.ip &&
    samePrivileges &&
    (rule.createdAt === undefined || rule.createdAt >= since)
  );
}

/**
 * A create whose outcome is unknown: no answer in time, a 504, or a connection lost once sent.
 * Agora may have made the rule; list the rules (settleBanCreate) before anything else.
 */
export const isBanCreateUnsettled = (error: unknown): boolean =>
  (error instanceof AgoraTimeoutError && error.endpoint === 'banCreate') ||
  (error instanceof AgoraNetworkError && error.endpoint === 'banCreate') ||
  (error instanceof AgoraApiError && error.endpoint === 'banCreate' && error.httpStatus === 504);

/** The body a create sends: the targets that are set, the privileges, and the duration in seconds only. */
function createBody(appId: string, request: BanCreateRequest) {
  return {
    appid: appId,
    ...(request.channel === undefined ? {} : { cname: request.channel }),
    ...(request.uid === undefined ? {} : { uid: request.uid }),
    ...(request.ip === undefined ? {} : { ip: request.ip }),
    privileges: request.privileges,
    time_in_seconds: request.seconds,
  };
}

type Settling = 'settleBanCreate' | 'createBanSettled';

/** settleBanCreate and createBanSettled, on the create and list calls (docs/agora.md, "Channel management"). */
function createSettling(
  calls: Pick<ChannelManagementClient, 'createBan' | 'listBans'>,
  clock: Clock,
): Pick<ChannelManagementClient, Settling> {
  const settleBanCreate: ChannelManagementClient['settleBanCreate'] = async (request, options) => {
    const wanted = checked('banCreate', BanCreateRequest, request);
    // A rule of 0 s removes whoever matches and lasts no longer: there is nothing to find, and sending it again does no harm.
    if (wanted.seconds === 0) return undefined;
    const since = options.sentAt - (options.skewMs ?? 60_000);
    for (const delay of options.delaysMs ?? [0, 2_000, 5_000]) {
      if (delay > 0) await clock.sleep(delay, options.signal);
      const rules = await calls.listBans(options);
      const matches = rules.filter((rule) => ruleMatches(rule, wanted, since, options.knownIds));
      // Several alike made since (another caller banned the same): they do the same; the newest is taken.
      const newest = matches.sort((a, b) => (b.createdAt ?? 0) - (a.createdAt ?? 0) || b.id - a.id)[0];
      if (newest) return newest;
    }
    return undefined;
  };
  return {
    settleBanCreate,
    async createBanSettled(request, options = {}) {
      const sentAt = clock.now();
      try {
        const created = await calls.createBan(request, options);
        return { id: created.id, settled: false, rule: undefined };
      } catch (error) {
        if (!isBanCreateUnsettled(error)) throw error;
        const rule = await settleBanCreate(request, { ...options, sentAt });
        if (rule === undefined) throw error;
        return { id: rule.id, settled: true, rule };
      }
    },
  };
}

/** The channel management calls on a transport; the client (client.ts) gives them its own, its App ID and clock. */
export function createChannelManagementCalls<A extends ApiAnswer>(
  transport: ApiTransport<A>,
  context: { appId: string; clock: Clock },
): ChannelManagementClient {
  const { read } = transport;
  const { appId, clock } = context;
  const app = encodeURIComponent(appId);
  /** Sends one call; any answer but 200 is Agora's error (its `{message}`: these bodies hold no secret to cut out). */
  const call = (endpoint: ChannelManagementEndpoint, method: Method, path: string, options: RequestOptions, body?: object) =>
    sendExpectingOk(transport, { endpoint, method, path, body, signal: options.signal, priority: options.priority });

  const calls: Omit<ChannelManagementClient, Settling> = {
    async list(request = {}, options = {}) {
      const { page = 0, pageSize = 100 } = checked('channelList', ChannelListRequest, request);
      const answer = await call('channelList', 'GET', withQuery(`/channel/${app}`, { page_no: page, page_size: pageSize }), options);
      const { data } = read('channelList', answer, ChannelListBody);
      const channels = data.channels.map((item) => ({ channel: item.channel_name, userCount: item.user_count }));
      return { channels, total: data.total_size, page, pageSize };
    },
    async users(request, options = {}) {
      const { channel, hostsOnly } = checked('channelUsers', ChannelUsersRequest, request);
      // The hosts-only form is a path of its own; its query-parameter twin has no stated value.
      const path = `/channel/user/${app}/${encodeURIComponent(channel)}${hostsOnly ? '/hosts_only' : ''}`;
      const answer = await call('channelUsers', 'GET', path, options);
      return toUsers(read('channelUsers', answer, ChannelUsersBody).data, answer.json);
    },
    async user(request, options = {}) {
      const { channel, uid } = checked('channelUser', ChannelUserRequest, request);
      const answer = await call('channelUser', 'GET', `/channel/user/property/${app}/${uid}/${encodeURIComponent(channel)}`, options);
      return toUserStatus(read('channelUser', answer, ChannelUserBody).data, uid, answer.json);
    },
    async createBan(request, options = {}) {
      const body = createBody(appId, checked('banCreate', BanCreateRequest, request));
      const answer = await call('banCreate', 'POST', '/kicking-rule', options, body);
      return { id: read('banCreate', answer, BanCreatedBody).id, raw: answer.json };
    },
    async listBans(options = {}) {
      const answer = await call('banList', 'GET', withQuery('/kicking-rule', { appid: appId }), options);
      return read('banList', answer, BanListBody).rules.map(toBanRule);
    },
    async updateBan(request, options = {}) {
      const { id, seconds } = checked('banUpdate', BanUpdateRequest, request);
      const answer = await call('banUpdate', 'PUT', '/kicking-rule', options, { appid: appId, id, time_in_seconds: seconds });
      const { result } = read('banUpdate', answer, BanUpdatedBody);
      return { id: result.id, expiresAt: isoMs(result.ts), raw: answer.json };
    },
    async deleteBan(id, options = {}) {
      const { id: ruleId } = checked('banDelete', DeleteRequest, { id });
      read('banDelete', await call('banDelete', 'DELETE', '/kicking-rule', options, { appid: appId, id: ruleId }), BanDeletedBody);
    },
  };
  return { ...calls, ...createSettling(calls, clock) };
}
