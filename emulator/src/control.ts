import { z } from 'zod';
import { isManualClock, type Clock } from './clock.js';
import type { EmulatorCore } from './core.js';
import { ENDPOINTS } from './types.js';
import { FAILURE_MODULES } from './convoai/types.js';
import type { JoinOutcome } from './channels/model.js';
import { PROFILES } from './channels/types.js';

/**
 * The control API under /_emulator (README, "Control API"): what no REST call can do — who
 * publishes, faults, failover, time, notification delivery — and what happened.
 */

export const CONTROL_PREFIX = '/_emulator';

export interface ControlAnswer {
  status: number;
  body: unknown;
}

const Presence = z.object({ uid: z.union([z.string(), z.number()]).transform(String) });
/** A user joining a channel: a uid of 1–4294967295, a role, Agora's platform number, an address for ip rules. */
const UserJoin = z.object({
  uid: z
    .union([z.string(), z.number()])
    .transform(String)
    .refine((uid) => /^[1-9]\d{0,9}$/.test(uid) && Number(uid) <= 2 ** 32 - 1, { error: 'must be an integer from 1 to 4294967295' }),
  role: z.enum(['host', 'audience']).default('host'),
  platform: z.number().int().min(0).max(255).default(7),
  ip: z.union([z.ipv4(), z.ipv6()]).optional(),
});
const RoleChange = z.object({ role: z.enum(['host', 'audience']) });
const ProfileInput = z.object({ profile: z.enum(PROFILES) });
const ChannelEvents = z.object({ enabled: z.boolean() });
const FaultInput = z.object({
  endpoint: z.enum(ENDPOINTS),
  times: z.number().int().min(1).default(1),
  status: z.number().int().min(100).max(599),
  body: z.unknown().default({}),
  delayMs: z.number().int().min(0).optional(),
});
const Milliseconds = z.object({ ms: z.number().int().min(0) });
const Chaos = z.object({ share: z.number().min(0).max(1), seed: z.number().int().optional() });
const share = z.number().min(0).max(1).default(0);
const NotificationSettings = z.object({
  url: z.url({ protocol: /^https?$/ }).optional(),
  secret: z.string().min(1).optional(),
  duplicateShare: share,
  dropShare: share,
  lateShare: share,
  lateMs: z.number().int().min(0).max(600_000).default(2_000),
  reorderShare: share,
  seed: z.number().int().optional(),
});
const Speech = z.object({
  uid: z.union([z.string(), z.number()]).transform(String),
  text: z.string().min(1).max(2_000),
  durationMs: z.number().int().min(1).max(60_000).default(2_000),
  language: z.string().min(2).optional(),
});
const AgentFailure = z.object({ reason: z.enum(['rtc', 'asr', 'translation']).default('rtc') });
/** A Conversational AI agent's failure: the module that failed (notice 110) and an optional message. */
const ConvoFailure = z.object({ reason: z.enum(FAILURE_MODULES).default('rtc'), message: z.string().min(1).max(500).optional() });
const TaskFailure = z.object({
  module: z.number().int().min(0).default(0),
  errorCode: z.number().int().default(52),
  errorMsg: z.string().default('emulated fatal error'),
});

const ok = (body: unknown = {}): ControlAnswer => ({ status: 200, body });
const refuse = (status: number, error: string): ControlAnswer => ({ status, body: { error } });

/** A percent-decoded path segment; undefined when the escape is malformed. */
function safeDecode(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

type Handler = (input: { json: unknown; params: string[] }) => ControlAnswer | Promise<ControlAnswer>;

function parsed<T>(schema: z.ZodType<T>, json: unknown, then: (value: T) => ControlAnswer | Promise<ControlAnswer>) {
  const result = schema.safeParse(json);
  if (result.success) return then(result.data);
  return refuse(400, result.error.issues.map((issue) => `${issue.path.join('.') || 'body'}: ${issue.message}`).join('; '));
}

function routes(core: EmulatorCore, clock: Clock): { method: string; pattern: RegExp; handle: Handler }[] {
  const publishers = (cname: string) => ok({ cname, publishers: core.publishersIn(cname) });
  return [
    { method: 'GET', pattern: /^\/channels\/([^/]+)\/publishers$/, handle: ({ params }) => publishers(params[0]!) },
    {
      method: 'POST',
      pattern: /^\/channels\/([^/]+)\/publishers$/,
      handle: ({ json, params }) => parsed(Presence, json, ({ uid }) => outcome(core.join(params[0]!, uid), () => publishers(params[0]!))),
    },
    ...channelRoutes(core),
    {
      method: 'DELETE',
      pattern: /^\/channels\/([^/]+)\/publishers\/([^/]+)$/,
      handle: ({ params }) => (core.leave(params[0]!, params[1]!), publishers(params[0]!)),
    },
    {
      method: 'GET',
      pattern: /^\/state$/,
      handle: () =>
        ok({ tasks: core.tasks(), agents: core.agents(), convoAgents: core.convoAgents(), channels: core.channels(), now: clock.now() }),
    },
    {
      method: 'POST',
      pattern: /^\/channels\/([^/]+)\/speech$/,
      handle: ({ json, params }) => parsed(Speech, json, (speech) => ok({ heardBy: core.speak(params[0]!, speech) })),
    },
    {
      method: 'POST',
      pattern: /^\/agents\/([^/]+)\/fail$/,
      handle: ({ json, params }) => failAnyAgent(core, params[0]!, json),
    },
    { method: 'GET', pattern: /^\/requests$/, handle: () => ok({ requests: core.requests(), counts: core.requestCounts() }) },
    { method: 'DELETE', pattern: /^\/requests$/, handle: () => (core.clearRequests(), ok()) },
    { method: 'POST', pattern: /^\/faults$/, handle: ({ json }) => parsed(FaultInput, json, (fault) => (core.injectFault(fault), ok())) },
    { method: 'DELETE', pattern: /^\/faults$/, handle: () => (core.clearFaults(), ok()) },
    { method: 'POST', pattern: /^\/failover$/, handle: ({ json }) => parsed(Milliseconds, json, ({ ms }) => (core.failover(ms), ok())) },
    {
      method: 'POST',
      pattern: /^\/chaos$/,
      handle: ({ json }) => parsed(Chaos, json, (input) => (core.setChaos(input.share, input.seed), ok())),
    },
    { method: 'POST', pattern: /^\/latency$/, handle: ({ json }) => parsed(Milliseconds, json, ({ ms }) => (core.setLatency(ms), ok())) },
    {
      method: 'POST',
      pattern: /^\/tasks\/([^/]+)\/fail$/,
      handle: ({ json, params }) =>
        parsed(TaskFailure, json, (error) => (core.failTask(params[0]!, error) ? ok() : refuse(404, `no active task ${params[0]}`))),
    },
    { method: 'GET', pattern: /^\/notifications$/, handle: () => ok(notificationState(core)) },
    {
      method: 'POST',
      pattern: /^\/notifications$/,
      handle: ({ json }) => parsed(NotificationSettings, json, (settings) => configureNotifications(core, settings)),
    },
    { method: 'DELETE', pattern: /^\/notifications$/, handle: () => (core.notifications.clearLog(), ok()) },
    {
      method: 'POST',
      pattern: /^\/clock\/advance$/,
      handle: ({ json }) => {
        if (!isManualClock(clock)) return refuse(409, 'the emulator runs on the real clock; start it with a manual clock to drive time');
        return parsed(Milliseconds, json, async ({ ms }) => (await clock.advance(ms), ok({ now: clock.now() })));
      },
    },
  ];
}

/** A refused channel change answers its status and reason; a done one, `then`. */
const outcome = (result: JoinOutcome, then: () => ControlAnswer): ControlAnswer =>
  result.ok ? then() : refuse(result.status, result.error);

/** Channels, their users and profiles, ban rules, and whether channel events are sent (README, "Channels"). */
function channelRoutes(core: EmulatorCore): { method: string; pattern: RegExp; handle: Handler }[] {
  const view = (cname: string) => ok(core.channel(cname));
  return [
    { method: 'GET', pattern: /^\/channels$/, handle: () => ok({ channels: core.channels() }) },
    { method: 'GET', pattern: /^\/channels\/([^/]+)$/, handle: ({ params }) => view(params[0]!) },
    { method: 'GET', pattern: /^\/channels\/([^/]+)\/users$/, handle: ({ params }) => view(params[0]!) },
    {
      method: 'POST',
      pattern: /^\/channels\/([^/]+)\/users$/,
      handle: ({ json, params }) =>
        parsed(UserJoin, json, ({ uid, ...request }) => outcome(core.join(params[0]!, uid, request), () => view(params[0]!))),
    },
    {
      method: 'DELETE',
      pattern: /^\/channels\/([^/]+)\/users\/([^/]+)$/,
      handle: ({ params }) =>
        core.leave(params[0]!, params[1]!) ? view(params[0]!) : refuse(404, `uid ${params[1]} is not in channel ${params[0]}`),
    },
    {
      method: 'POST',
      pattern: /^\/channels\/([^/]+)\/users\/([^/]+)\/role$/,
      handle: ({ json, params }) =>
        parsed(RoleChange, json, ({ role }) => outcome(core.setRole(params[0]!, params[1]!, role), () => view(params[0]!))),
    },
    {
      method: 'PUT',
      pattern: /^\/channels\/([^/]+)\/profile$/,
      handle: ({ json, params }) =>
        parsed(ProfileInput, json, ({ profile }) => outcome(core.setProfile(params[0]!, profile), () => view(params[0]!))),
    },
    { method: 'GET', pattern: /^\/bans$/, handle: () => ok({ rules: core.banRules() }) },
    {
      method: 'POST',
      pattern: /^\/notifications\/channel-events$/,
      handle: ({ json }) => parsed(ChannelEvents, json, ({ enabled }) => (core.setChannelEvents(enabled), ok({ enabled }))),
    },
  ];
}

/** `/agents/{id}/fail` serves both kinds of agent: Speech-to-Text's and Conversational AI's. */
function failAnyAgent(core: EmulatorCore, agentId: string, json: unknown): ControlAnswer | Promise<ControlAnswer> {
  if (core.convoAgent(agentId)) {
    return parsed(ConvoFailure, json, ({ reason, message }) =>
      core.failConvoAgent(agentId, reason, message) ? ok() : refuse(404, `no active agent ${agentId}`),
    );
  }
  return parsed(AgentFailure, json, ({ reason }) => (core.failAgent(agentId, reason) ? ok() : refuse(404, `no active agent ${agentId}`)));
}

function notificationState(core: EmulatorCore) {
  const target = core.notifications.target;
  // The secret never comes back out.
  return { url: target?.url ?? null, delivery: core.notifications.delivery, log: core.notifications.log() };
}

function configureNotifications(core: EmulatorCore, settings: z.infer<typeof NotificationSettings>): ControlAnswer {
  const { url, secret, ...delivery } = settings;
  if (url !== undefined) {
    const key = secret ?? core.notifications.target?.secret;
    if (!key) return refuse(400, 'secret: required with a new url');
    core.setNotificationTarget({ url, secret: key });
  }
  core.notifications.setDelivery(delivery);
  return ok(notificationState(core));
}

export function createControl(core: EmulatorCore, clock: Clock) {
  const table = routes(core, clock);
  return async (method: string, path: string, body: string): Promise<ControlAnswer> => {
    let json: unknown;
    try {
      json = body.trim() === '' ? {} : JSON.parse(body);
    } catch {
      return refuse(400, 'body must be JSON');
    }
    let pathMatched = false;
    for (const route of table) {
      const match = route.pattern.exec(path);
      if (!match) continue;
      pathMatched = true;
      if (route.method !== method) continue;
      const params = match.slice(1).map(safeDecode);
      if (params.some((param) => param === undefined)) return refuse(400, 'malformed percent-escape in the path');
      return route.handle({ json, params: params as string[] });
    }
    return pathMatched ? refuse(405, `${method} is not allowed on ${path}`) : refuse(404, `no control route ${method} ${path}`);
  };
}
