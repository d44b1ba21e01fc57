import { z } from 'zod';
import type { ConversationalAiEndpoint } from '@agora-backend/shared';
import {
  AGENT_STATE_NUMBERS,
  CONVERSATIONAL_AGENT_STATES,
  type AgentCallOptions,
  type AgentHistoryEntry,
  type AgentInfo,
  type AgentTurnsPage,
  type AgentStartResult,
  type AgentTurn,
  type AgentUtteranceResult,
  type ConversationalAiClient,
} from './conversational-ai-types.js';
import { AgoraApiError } from './errors.js';
import { toMilliseconds } from './responses.js';
import { withQuery, type ApiAnswer, type ApiTransport } from './transport.js';

/**
 * The Conversational AI v2 calls (docs/agents.md, "Agora's Conversational AI API"), on the transport the Cloud
 * Recording client uses: the same hosts, authentication, rate budget, retries and error classes.
 * Agora's errors here are `{detail, reason}`: the AgoraApiError carries both.
 */

const looseNumber = z.union([
  z.number(),
  z
    .string()
    .regex(/^-?\d+(\.\d+)?$/)
    .transform(Number),
]);
const looseString = z.union([z.string(), z.number().transform(String)]);
const State = z.enum(CONVERSATIONAL_AGENT_STATES);
const AgentId = z.string().min(1);

const StartedBody = z.object({ agent_id: AgentId, create_ts: looseNumber.nullable().optional(), status: State });
const QueryBody = z.object({
  agent_id: AgentId,
  status: State,
  name: z.string().optional(),
  message: z.string().optional(),
  start_ts: looseNumber.nullable().optional(),
  stop_ts: looseNumber.nullable().optional(),
});
const ListBody = z.object({
  data: z.object({ count: looseNumber.optional(), list: z.array(z.object({ agent_id: AgentId, status: State, start_ts: looseNumber })) }),
  meta: z.object({ cursor: z.string().nullable().optional(), total: looseNumber.optional() }).optional(),
});
// Agora types speak's `channel` as an integer and shows a string (docs/agents.md): either is read.
const UtteranceBody = z.object({ agent_id: AgentId, channel: looseString.optional(), start_ts: looseNumber.nullable().optional() });
const HistoryBody = z.object({
  agent_id: AgentId,
  start_ts: looseNumber.nullable().optional(),
  status: z.string().optional(),
  contents: z.array(
    z.object({
      role: z.string(),
      content: z.string(),
      speech_start_ms: looseNumber.optional(),
      speech_end_ms: looseNumber.optional(),
      speech_algorithmic_delay: looseNumber.optional(),
    }),
  ),
});
const Metadata = z.record(z.string(), z.unknown()).optional();
const TurnBody = z.object({
  turn_id: looseNumber,
  start: z.object({ start_at: looseNumber, type: z.string(), metadata: Metadata }),
  end: z.object({ end_at: looseNumber.optional(), type: z.string().optional(), metadata: Metadata }).optional(),
  metrics: z
    .object({
      e2e_latency_ms: looseNumber.optional(),
      segmented_latency_ms: z.array(z.object({ name: z.string(), latency: looseNumber })).optional(),
    })
    .optional(),
});
const TurnsBody = z.object({
  agent_id: AgentId,
  name: z.string().optional(),
  channel: looseString.optional(),
  total_turn_count: looseNumber,
  pagination: z.object({ page_index: looseNumber, total_pages: looseNumber, is_last_page: z.boolean() }),
  turns: z.array(TurnBody),
});

const ms = (seconds: number | null | undefined) => (typeof seconds === 'number' ? toMilliseconds(seconds) : undefined);

function started(body: z.infer<typeof StartedBody>, raw: unknown): AgentStartResult {
  return { agentId: body.agent_id, createdAt: ms(body.create_ts), status: body.status, raw };
}

function utterance(body: z.infer<typeof UtteranceBody>, raw: unknown): AgentUtteranceResult {
  return { agentId: body.agent_id, channel: body.channel, startedAt: ms(body.start_ts), raw };
}

function historyEntry(entry: z.infer<typeof HistoryBody>['contents'][number]): AgentHistoryEntry {
  return {
    role: entry.role,
    content: entry.content,
    ...(entry.speech_start_ms === undefined ? {} : { speechStartMs: entry.speech_start_ms }),
    ...(entry.speech_end_ms === undefined ? {} : { speechEndMs: entry.speech_end_ms }),
    ...(entry.speech_algorithmic_delay === undefined ? {} : { speechAlgorithmicDelayMs: entry.speech_algorithmic_delay }),
  };
}

function turn(body: z.infer<typeof TurnBody>): AgentTurn {
  return {
    turnId: body.turn_id,
    start: { at: body.start.start_at, type: body.start.type, metadata: body.start.metadata ?? {} },
    end: { at: body.end?.end_at, type: body.end?.type, metadata: body.end?.metadata ?? {} },
    e2eLatencyMs: body.metrics?.e2e_latency_ms,
    segmentedLatencyMs: body.metrics?.segmented_latency_ms ?? [],
  };
}

/** Keys whose values are credentials wherever they sit in a body (vendor params included). */
const SECRET_KEY = /key(?!word)|secret|token|password|passwd|auth|credential|signature|cookie/i;

/**
 * Every string of a request body that may be a credential: values under secret-sounding keys,
 * every header value, and URLs that carry a query (some vendors take their key there). Agora's
 * `detail` may quote what it was sent; these are cut out of an error before anyone sees it.
 */
export function secretsIn(value: unknown, secret = false, found: Set<string> = new Set()): Set<string> {
  if (typeof value === 'string') {
    if (value.length >= 4 && (secret || /^(https?|wss?):\/\/[^?]*\?./i.test(value))) found.add(value);
  } else if (Array.isArray(value)) {
    for (const item of value) secretsIn(item, secret, found);
  } else if (typeof value === 'object' && value !== null) {
    // Whatever sits under a secret-sounding key is secret, and a header map's values are credentials
    // whatever their names (Authorization, X-Api-Key, …).
    for (const [name, item] of Object.entries(value)) secretsIn(item, secret || SECRET_KEY.test(name) || /^headers$/i.test(name), found);
  }
  return found;
}

/** A function that replaces every secret of `body` in a text by `[redacted]`, longest first. */
export function redactorFor(body: unknown): (text: string) => string {
  const secrets = [...secretsIn(body)].sort((a, b) => b.length - a.length);
  return (text) => secrets.reduce((result, secret) => result.split(secret).join('[redacted]'), text);
}

function info(body: z.infer<typeof QueryBody>, raw: unknown): AgentInfo {
  // Agora may send a stop time of 0 and an empty message for an agent that has not stopped.
  const { agent_id: agentId, name, status, message } = body;
  return {
    agentId,
    name,
    status,
    startedAt: ms(body.start_ts),
    stoppedAt: body.stop_ts ? ms(body.stop_ts) : undefined,
    message: message === '' ? undefined : message,
    raw,
  };
}

function turnsPage(body: z.infer<typeof TurnsBody>, raw: unknown): AgentTurnsPage {
  const { agent_id: agentId, name, channel, pagination } = body;
  const pages = { pageIndex: pagination.page_index, totalPages: pagination.total_pages, isLastPage: pagination.is_last_page };
  return { agentId, name, channel, totalTurns: body.total_turn_count, ...pages, turns: body.turns.map(turn), raw };
}

/** The Conversational AI calls on a transport; the client (client.ts) gives them its own. */
export function createConversationalAiCalls<A extends ApiAnswer>(transport: ApiTransport<A>): ConversationalAiClient {
  const { send, read, fail } = transport;
  const agentPath = (agentId: string, action = '') => `/agents/${encodeURIComponent(agentId)}${action ? `/${action}` : ''}`;
  /** Sends one call; any answer but 200 is Agora's error (its texts cleaned of `body`'s secrets). */
  async function call(endpoint: ConversationalAiEndpoint, path: string, options: AgentCallOptions, body?: object): Promise<A> {
    const method =
      endpoint === 'agentQuery' || endpoint === 'agentList' || endpoint === 'agentHistory' || endpoint === 'agentTurns' ? 'GET' : 'POST';
    const answer = await send({
      endpoint,
      method,
      path,
      ...(body === undefined ? {} : { body }),
      signal: options.signal,
      priority: options.priority,
    });
    if (answer.httpStatus !== 200) throw fail(endpoint, answer, body === undefined ? undefined : redactorFor(body));
    return answer;
  }
  return {
    async join(body, options = {}) {
      const answer = await call('agentJoin', '/join', options, body);
      return started(read('agentJoin', answer, StartedBody), answer.json);
    },
    async leave(agentId, options = {}) {
      await call('agentLeave', agentPath(agentId, 'leave'), options);
    },
    async update(agentId, body, options = {}) {
      const answer = await call('agentUpdate', agentPath(agentId, 'update'), options, body);
      return started(read('agentUpdate', answer, StartedBody), answer.json);
    },
    async query(agentId, options = {}) {
      const answer = await call('agentQuery', agentPath(agentId), options);
      return info(read('agentQuery', answer, QueryBody), answer.json);
    },
    async list(filter = {}, options = {}) {
      const path = withQuery('/agents', {
        channel: filter.channel,
        state: filter.states?.map((state) => AGENT_STATE_NUMBERS[state]).join(','),
        from_time: filter.fromTime,
        to_time: filter.toTime,
        limit: filter.limit,
        cursor: filter.cursor,
      });
      const body = read('agentList', await call('agentList', path, options), ListBody);
      const agents = body.data.list.map((item) => ({
        agentId: item.agent_id,
        status: item.status,
        startedAt: toMilliseconds(item.start_ts),
      }));
      return {
        agents,
        count: body.data.count ?? agents.length,
        total: body.meta?.total ?? agents.length,
        cursor: body.meta?.cursor ? body.meta.cursor : undefined,
      };
    },
    async speak(agentId, body, options = {}) {
      const answer = await call('agentSpeak', agentPath(agentId, 'speak'), options, body);
      return utterance(read('agentSpeak', answer, UtteranceBody), answer.json);
    },
    async interrupt(agentId, options = {}) {
      // Agora's samples send `{}`; its answer has no schema, so only the status is read.
      await call('agentInterrupt', agentPath(agentId, 'interrupt'), options, {});
    },
    async think(agentId, body, options = {}) {
      const answer = await call('agentThink', agentPath(agentId, 'think'), options, body);
      return utterance(read('agentThink', answer, UtteranceBody), answer.json);
    },
    async history(agentId, options = {}) {
      const answer = await call('agentHistory', agentPath(agentId, 'history'), options);
      const body = read('agentHistory', answer, HistoryBody);
      return {
        agentId: body.agent_id,
        status: body.status,
        startedAt: ms(body.start_ts),
        contents: body.contents.map(historyEntry),
        raw: answer.json,
      };
    },
    async turns(agentId, page = {}, options = {}) {
      const answer = await call(
        'agentTurns',
        withQuery(agentPath(agentId, 'turns'), { page_index: page.pageIndex, page_size: page.pageSize }),
        options,
      );
      return turnsPage(read('agentTurns', answer, TurnsBody), answer.json);
    },
  };
}

const isConvoError = (error: unknown): error is AgoraApiError => error instanceof AgoraApiError && error.endpoint.startsWith('agent');
/** Agora's service answered `{detail, reason}` (not the gateway's `{message}`). */
const fromService = (error: AgoraApiError) => error.reason !== undefined || error.detail !== undefined;

/** Agora's Conversational AI service does not know the agent (a 404 of its own, not the gateway's wrong route). */
export const isConversationalAgentNotFound = (error: unknown): error is AgoraApiError =>
  isConvoError(error) && error.httpStatus === 404 && fromService(error);

/** Agora refused a join because an agent of that `name` exists (or existed): a repeated join of ours, or a clash. */
export const isAgentNameConflict = (error: unknown): error is AgoraApiError =>
  isConvoError(error) && error.endpoint === 'agentJoin' && error.httpStatus === 409;
