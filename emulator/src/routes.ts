import { acquire } from './acquire.js';
import { refreshAll } from './lifecycle.js';
import { gateway, parseBody, service } from './replies.js';
import { findSession, query, stop, update, updateLayout } from './session.js';
import { start } from './start.js';
import { join, leave, list, query as queryAgent, sttError, update as updateAgent } from './stt/endpoints.js';
import { refreshAgents } from './stt/lifecycle.js';
import type { Endpoint, IncomingCall, Mode, Reply } from './types.js';
import { CONVO_ROUTES, conversationalAi, isConvo } from './convoai/routes.js';
import type { Dispatcher } from './dispatcher.js';
import { CHANNEL_ROUTES, channelManagement, isChannelEndpoint } from './channels/routes.js';
import { refreshChannels } from './channels/model.js';

/** Agora's REST paths, the gateway's checks in Agora's order, and the endpoint each path reaches. */

const APP = '/v1/apps/([^/]+)/cloud_recording';
/** Speech-to-Text 7.x (README, "Speech-to-Text"). */
const STT = '/api/speech-to-text/v1/projects/([^/]+)';
const SESSION = `${APP}/resourceid/([^/]+)/sid/([^/]+)/mode/(individual|mix|web)`;
const ROUTES: { endpoint: Endpoint; method: string; pattern: RegExp }[] = [
  { endpoint: 'acquire', method: 'POST', pattern: new RegExp(`^${APP}/acquire$`) },
  { endpoint: 'start', method: 'POST', pattern: new RegExp(`^${APP}/resourceid/([^/]+)/mode/(individual|mix|web)/start$`) },
  { endpoint: 'query', method: 'GET', pattern: new RegExp(`^${SESSION}/query$`) },
  { endpoint: 'update', method: 'POST', pattern: new RegExp(`^${SESSION}/update$`) },
  { endpoint: 'updateLayout', method: 'POST', pattern: new RegExp(`^${APP}/resourceid/([^/]+)/sid/([^/]+)/mode/(mix)/updateLayout$`) },
  { endpoint: 'stop', method: 'POST', pattern: new RegExp(`^${SESSION}/stop$`) },
  { endpoint: 'ncsIp', method: 'GET', pattern: /^\/v1\/ncs\/ip$/ },
  // The channel management API's spelling of the same list.
  { endpoint: 'ncsIp', method: 'GET', pattern: /^\/v2\/ncs\/ip$/ },
  { endpoint: 'sttJoin', method: 'POST', pattern: new RegExp(`^${STT}/join$`) },
  { endpoint: 'sttList', method: 'GET', pattern: new RegExp(`^${STT}/agents$`) },
  { endpoint: 'sttQuery', method: 'GET', pattern: new RegExp(`^${STT}/agents/([^/]+)$`) },
  { endpoint: 'sttUpdate', method: 'POST', pattern: new RegExp(`^${STT}/agents/([^/]+)/update$`) },
  { endpoint: 'sttLeave', method: 'POST', pattern: new RegExp(`^${STT}/agents/([^/]+)/leave$`) },
  // Conversational AI v2 (README, "Conversational AI").
  ...CONVO_ROUTES,
  // Channel management (README, "Channels").
  ...CHANNEL_ROUTES,
];

const isStt = (endpoint: Endpoint) => endpoint.startsWith('stt');

/** `GET /v1/ncs/ip`: where notifications come from; here, this machine. */
const ncsIp = (): Reply => ({ status: 200, body: { data: { service: { hosts: [{ primaryIP: '127.0.0.1' }] } } } });

function matchRoute(call: IncomingCall): { endpoint: Endpoint; params: (string | undefined)[] } | undefined {
  for (const route of ROUTES) {
    if (route.method !== call.method) continue;
    const match = route.pattern.exec(call.path);
    if (match) return { endpoint: route.endpoint, params: match.slice(1) };
  }
  return undefined;
}

/** The Speech-to-Text calls; `agentId` is the path's agent, when it names one. */
function speechToText(
  d: Dispatcher,
  endpoint: Endpoint,
  agentId: string | undefined,
  call: IncomingCall,
  body: Record<string, unknown>,
): Reply {
  const search = new URLSearchParams(call.search ?? '');
  const inFailover = d.faults.inFailover(d.world.clock.now());
  if (endpoint === 'sttJoin') return join(d.world, body);
  if (endpoint === 'sttList') return list(d.world, search);
  if (endpoint === 'sttQuery') return queryAgent(d.world, agentId!, inFailover);
  if (endpoint === 'sttLeave') return leave(d.world, agentId!, inFailover);
  return updateAgent(d.world, agentId!, search, body);
}

export async function dispatch(d: Dispatcher, call: IncomingCall): Promise<{ reply: Reply; endpoint: Endpoint | 'unknown' }> {
  const matched = matchRoute(call);
  if (!matched) return { reply: gateway(404, 'no Route matched with those values'), endpoint: 'unknown' };
  const { endpoint, params } = matched;
  const [appId, resourceId, third, fourth] = params;
  const answer = (reply: Reply) => ({ reply, endpoint });
  // Its own gateway: two kinds of credentials, and errors in its own shape.
  if (isConvo(endpoint)) return answer(await conversationalAi(d, endpoint, params, call));
  if (call.authorization === undefined) return answer(gateway(401, 'Unauthorized'));
  if (call.authorization !== d.expectedAuthorization) return answer(gateway(401, 'Invalid authentication credentials'));
  if (endpoint === 'ncsIp') return answer(ncsIp());
  if (isChannelEndpoint(endpoint)) return answer(await channelManagement(d, endpoint, params, call));
  if (appId !== d.world.appId) return answer(gateway(400, 'appid is invalid'));
  const now = d.world.clock.now();
  if (d.faults.overRateLimit(now)) return answer(gateway(429, 'API rate limit exceeded'));
  const fault = await d.faults.pick(endpoint);
  if (fault) return answer(fault);

  const reads = endpoint === 'query' || endpoint === 'sttQuery' || endpoint === 'sttList' || endpoint === 'sttLeave';
  const body = reads ? {} : parseBody(call.body);
  if (!body)
    return answer(
      isStt(endpoint) ? sttError(400, 'invalid parameter', 'the body must be a JSON object') : service(400, 8, 'invalid JSON body'),
    );
  refreshChannels(d.world, now);
  refreshAll(d.world, now);
  refreshAgents(d.world, now);
  if (isStt(endpoint)) return answer(speechToText(d, endpoint, resourceId, call, body));
  if (endpoint === 'acquire') return answer(acquire(d.world, body));
  if (endpoint === 'start') return answer(start(d.world, resourceId!, third as Mode, body));
  const found = findSession(d.world, {
    resourceId: resourceId!,
    sid: third!,
    mode: fourth as Mode,
    endpoint,
    body: endpoint === 'query' ? undefined : body,
    inFailover: d.faults.inFailover(now),
  });
  if (!('sid' in found)) return answer(found);
  if (endpoint === 'query') return answer(query(d.world, found));
  if (endpoint === 'stop') return answer(await stop(d.world, found, body.clientRequest));
  if (endpoint === 'update') return answer(update(found, body.clientRequest));
  return answer(updateLayout(found, body.clientRequest));
}
