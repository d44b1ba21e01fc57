import type { Dispatcher } from '../dispatcher.js';
import { parseBody } from '../replies.js';
import type { Endpoint, IncomingCall, Reply } from '../types.js';
import { refreshAll } from '../lifecycle.js';
import { refreshChannels } from '../channels/model.js';
import { refreshAgents } from '../stt/lifecycle.js';
import { convoError, history, interrupt, join, leave, list, query, speak, think, turns, update, type Access } from './endpoints.js';
import { refreshConvoAgents } from './lifecycle.js';
import { checkAuthToken } from './token.js';

/**
 * Conversational AI's gateway and routes (README, "Conversational AI"): Basic or `agora token=`
 * credentials, the App ID, the rate limit and injected faults, each answered as `{detail, reason}`,
 * then the endpoint.
 */

export const CONVO_BASE = '/api/conversational-ai-agent/v2/projects/([^/]+)';

export const CONVO_ROUTES: { endpoint: Endpoint; method: string; pattern: RegExp }[] = [
  { endpoint: 'convoJoin', method: 'POST', pattern: new RegExp(`^${CONVO_BASE}/join$`) },
  { endpoint: 'convoList', method: 'GET', pattern: new RegExp(`^${CONVO_BASE}/agents$`) },
  { endpoint: 'convoQuery', method: 'GET', pattern: new RegExp(`^${CONVO_BASE}/agents/([^/]+)$`) },
  { endpoint: 'convoLeave', method: 'POST', pattern: new RegExp(`^${CONVO_BASE}/agents/([^/]+)/leave$`) },
  { endpoint: 'convoUpdate', method: 'POST', pattern: new RegExp(`^${CONVO_BASE}/agents/([^/]+)/update$`) },
  { endpoint: 'convoSpeak', method: 'POST', pattern: new RegExp(`^${CONVO_BASE}/agents/([^/]+)/speak$`) },
  { endpoint: 'convoInterrupt', method: 'POST', pattern: new RegExp(`^${CONVO_BASE}/agents/([^/]+)/interrupt$`) },
  { endpoint: 'convoThink', method: 'POST', pattern: new RegExp(`^${CONVO_BASE}/agents/([^/]+)/think$`) },
  { endpoint: 'convoHistory', method: 'GET', pattern: new RegExp(`^${CONVO_BASE}/agents/([^/]+)/history$`) },
  { endpoint: 'convoTurns', method: 'GET', pattern: new RegExp(`^${CONVO_BASE}/agents/([^/]+)/turns$`) },
];

export const isConvo = (endpoint: Endpoint) => endpoint.startsWith('convo');

/** Basic with the customer's credentials, or `agora token=` with a token signed for this App. */
function authenticate(d: Dispatcher, authorization: string | undefined): Access | Reply {
  if (authorization === undefined) return convoError(401, 'Unauthorized', 'the Authorization header is missing');
  if (authorization === d.expectedAuthorization) return { channel: undefined };
  const token = /^agora token=(\S+)$/i.exec(authorization.trim())?.[1];
  if (token === undefined) return convoError(401, 'Unauthorized', 'invalid authentication credentials');
  const verdict = checkAuthToken({ token, appId: d.world.appId, appCertificate: d.world.appCertificate, nowMs: d.world.clock.now() });
  if (!verdict.ok) return convoError(401, 'Unauthorized', `agora token: ${verdict.reason}`);
  return { channel: verdict.channel };
}

/** One Conversational AI call: the gateway's checks in order, then its endpoint. */
export async function conversationalAi(
  d: Dispatcher,
  endpoint: Endpoint,
  params: (string | undefined)[],
  call: IncomingCall,
): Promise<Reply> {
  const [appId, agentParam] = params;
  const access = authenticate(d, call.authorization);
  if ('status' in access) return access;
  if (appId !== d.world.appId) return convoError(400, 'InvalidRequest', 'appid is invalid');
  const now = d.world.clock.now();
  if (d.faults.overRateLimit(now)) return convoError(429, 'TooManyRequests', 'API rate limit exceeded');
  const fault = await d.faults.pick(endpoint);
  if (fault) return fault;
  const body = parseBody(call.body);
  if (!body) return convoError(400, 'InvalidRequest', 'the body must be a JSON object');
  refreshChannels(d.world, now);
  refreshAll(d.world, now);
  refreshAgents(d.world, now);
  refreshConvoAgents(d.world, now);
  const search = new URLSearchParams(call.search ?? '');
  const inFailover = d.faults.inFailover(now);
  const agentId = agentParam ?? '';
  switch (endpoint) {
    case 'convoJoin':
      return join(d.world, body, access);
    case 'convoList':
      return list(d.world, search, access);
    case 'convoQuery':
      return query(d.world, agentId, access, inFailover);
    case 'convoLeave':
      return leave(d.world, agentId, access, inFailover);
    case 'convoUpdate':
      return update(d.world, agentId, body, access, inFailover);
    case 'convoSpeak':
      return speak(d.world, agentId, body, access, inFailover);
    case 'convoInterrupt':
      return interrupt(d.world, agentId, access, inFailover);
    case 'convoThink':
      return think(d.world, agentId, body, access, inFailover);
    case 'convoHistory':
      return history(d.world, agentId, access, inFailover);
    default:
      return turns(d.world, agentId, search, access);
  }
}
