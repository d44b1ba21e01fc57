import type { Dispatcher } from '../dispatcher.js';
import { gateway, parseBody } from '../replies.js';
import type { Endpoint, IncomingCall, Reply } from '../types.js';
import { channelUsers, createRule, deleteRule, listChannels, listRules, updateRule, userStatus } from './endpoints.js';
import { refreshChannels } from './model.js';

/**
 * The channel management API's routes and gateway (README, "Channels"): Basic credentials are
 * checked before this; here the App ID, the rate limit, injected faults and chaos, the failover
 * window, then the endpoint.
 */

const CHANNEL = '/dev/v1/channel';
export const CHANNEL_ROUTES: { endpoint: Endpoint; method: string; pattern: RegExp }[] = [
  { endpoint: 'channelUser', method: 'GET', pattern: new RegExp(`^${CHANNEL}/user/property/([^/]+)/([^/]+)/([^/]+)$`) },
  { endpoint: 'channelHosts', method: 'GET', pattern: new RegExp(`^${CHANNEL}/user/([^/]+)/([^/]+)/hosts_only$`) },
  { endpoint: 'channelUsers', method: 'GET', pattern: new RegExp(`^${CHANNEL}/user/([^/]+)/([^/]+)$`) },
  { endpoint: 'channelList', method: 'GET', pattern: new RegExp(`^${CHANNEL}/([^/]+)$`) },
  { endpoint: 'banCreate', method: 'POST', pattern: /^\/dev\/v1\/kicking-rule$/ },
  { endpoint: 'banList', method: 'GET', pattern: /^\/dev\/v1\/kicking-rule$/ },
  { endpoint: 'banUpdate', method: 'PUT', pattern: /^\/dev\/v1\/kicking-rule$/ },
  { endpoint: 'banDelete', method: 'DELETE', pattern: /^\/dev\/v1\/kicking-rule$/ },
];

export const isChannelEndpoint = (endpoint: Endpoint) => endpoint.startsWith('channel') || endpoint.startsWith('ban');

/** What chaos answers for these endpoints: Agora's gateway timing out, with no effect. */
export const channelTransientFailure = (): Reply => gateway(504, 'Gateway Time-out');

function decode(segment: string | undefined): string | undefined {
  try {
    return segment === undefined ? undefined : decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

function carryOut(d: Dispatcher, endpoint: Endpoint, params: (string | undefined)[], call: IncomingCall): Reply {
  const search = new URLSearchParams(call.search ?? '');
  if (endpoint === 'channelList') return listChannels(d.world, search);
  if (endpoint === 'banList') return listRules(d.world, search);
  const segments = params.slice(1).map(decode);
  if (segments.some((segment) => segment === undefined)) return gateway(400, 'invalid parameter: malformed percent-escape in the path');
  if (endpoint === 'channelUsers') return channelUsers(d.world, segments[0]!, search.has('hosts_only'));
  if (endpoint === 'channelHosts') return channelUsers(d.world, segments[0]!, true);
  if (endpoint === 'channelUser') return userStatus(d.world, segments[0]!, segments[1]!);
  const body = parseBody(call.body);
  if (!body) return gateway(400, 'invalid parameter: the body must be a JSON object');
  if (endpoint === 'banCreate') return createRule(d.world, body);
  if (endpoint === 'banUpdate') return updateRule(d.world, body);
  return deleteRule(d.world, body);
}

/** One channel management call after Basic authentication. */
export async function channelManagement(
  d: Dispatcher,
  endpoint: Endpoint,
  params: (string | undefined)[],
  call: IncomingCall,
): Promise<Reply> {
  const inPath = endpoint.startsWith('channel');
  if (inPath && params[0] !== d.world.appId) return gateway(400, 'appid is invalid');
  const now = d.world.clock.now();
  if (d.faults.overRateLimit(now)) return gateway(429, 'API rate limit exceeded');
  const fault = await d.faults.pick(endpoint);
  if (fault) return fault;
  refreshChannels(d.world, now);
  const reply = carryOut(d, endpoint, params, call);
  // In a failover window the call takes effect but its answer is lost: Agora's reason to list rules after a 504.
  return d.faults.inFailover(now) ? gateway(504, 'Gateway Time-out') : reply;
}
