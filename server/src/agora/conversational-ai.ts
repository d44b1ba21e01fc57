import { z } from 'zod';
import {
  AGENT_STATE_NUMBERS,
  CONVERSATIONAL_AGENT_STATES,
  type AgentHistoryEntry,
  type AgentStartResult,
  type AgentTurn,
  type AgentUtteranceResult,
  type ConversationalAiClient,
} from './conversational-ai-types.js';
import { AgoraApiError, type AgoraEndpoint } from './errors.js';
import { toMilliseconds } from './responses.js';

/**
 * The Conversational AI v2 calls (docs/agents.md, "Agora's Conversational AI API"), on the transport the Cloud
 * Recording client uses: the same hosts, authentication, rate budget, retries and error classes.
 * Agora's errors here are `{detail, reason}`: the AgoraApiError carries both.
 */

export interface ConvoAnswer {
  httpStatus: number;
  json: unknown;
}

/** The client's transport; `A` is its answer type, handed back to read and fail as it came. */
export interface ConvoTransport<A extends ConvoAnswer> {
  send: (spec: { endpoint: AgoraEndpoint; method: 'GET' | 'POST'; path: string; body?: unknown; signal?: AbortSignal | undefined; priority?: 'user' | 'background' | undefined }) => Promise<A>;
  /** Reads a success body, or throws AgoraResponseError explaining what was wrong with it. */
  read: <T>(endpoint: AgoraEndpoint, answer: A, schema: z.ZodType<T>) => T;
  /** Agora's error answer as an AgoraApiError, its texts passed through `redact`. */
  fail: (endpoint: AgoraEndpoint, answer: A, redact?: (text: string) => string) => AgoraApiError;
}

const looseNumber = z.union([z.number(), z.string().regex(/^-?\d+(\.\d+)?$/).transform(Number)]);
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

/** The Conversational AI calls on a transport; the client (client.ts) gives them its own. */
export function createConversationalAiCalls<A extends ConvoAnswer>(transport: ConvoTransport<A>): ConversationalAiClient {
  const { send, read, fail } = transport;
  const agentPath = (agentId: string, action = '') => `/agents/${encodeURIComponent(agentId)}${action ? `/${action}` : ''}`;
  return {
    async join(body, options = {}) {
      const answer = await send({ endpoint: 'agentJoin', method: 'POST', path: '/join', body, signal: options.signal, priority: options.priority });
      if (answer.httpStatus !== 200) throw fail('agentJoin', answer, redactorFor(body));
      return started(read('agentJoin', answer, StartedBody), answer.json);
    },
    async leave(agentId, options = {}) {
      const answer = await send({ endpoint: 'agentLeave', method: 'POST', path: agentPath(agentId, 'leave'), signal: options.signal, priority: options.priority });
      if (answer.httpStatus !== 200) throw fail('agentLeave', answer);
    },
    async update(agentId, body, options = {}) {
      const answer = await send({ endpoint: 'agentUpdate', method: 'POST', path: agentPath(agentId, 'update'), body, signal: options.signal, priority: options.priority });
      if (answer.httpStatus !== 200) throw fail('agentUpdate', answer, redactorFor(body));
      return started(read('agentUpdate', answer, StartedBody), answer.json);
    },
    async query(agentId, options = {}) {
      const answer = await send({ endpoint: 'agentQuery', method: 'GET', path: agentPath(agentId), signal: options.signal, priority: options.priority });
      if (answer.httpStatus !== 200) throw fail('agentQuery', answer);
      const body = read('agentQuery', answer, QueryBody);
      return {
        agentId: body.agent_id,
        name: body.name,
        status: body.status,
        startedAt: ms(body.start_ts),
        // Agora may send 0 for an agent that has not stopped.
        stoppedAt: body.stop_ts ? ms(body.stop_ts) : undefined,
        message: body.message === '' ? undefined : body.message,
        raw: answer.json,
      };
    },
    async list(filter = {}, options = {}) {
      const query = new URLSearchParams();
      if (filter.channel !== undefined) query.set('channel', filter.channel);
      if (filter.states !== undefined) query.set('state', filter.states.map((state) => AGENT_STATE_NUMBERS[state]).join(','));
      if (filter.fromTime !== undefined) query.set('from_time', String(filter.fromTime));
      if (filter.toTime !== undefined) query.set('to_time', String(filter.toTime));
      if (filter.limit !== undefined) query.set('limit', String(filter.limit));
      if (filter.cursor !== undefined) query.set('cursor', filter.cursor);
      const search = query.size > 0 ? `?${query}` : '';
      const answer = await send({ endpoint: 'agentList', method: 'GET', path: `/agents${search}`, signal: options.signal, priority: options.priority });
      if (answer.httpStatus !== 200) throw fail('agentList', answer);
      const body = read('agentList', answer, ListBody);
      const agents = body.data.list.map((item) => ({ agentId: item.agent_id, status: item.status, startedAt: toMilliseconds(item.start_ts) }));
      return { agents, count: body.data.count ?? agents.length, total: body.meta?.total ?? agents.length, cursor: body.meta?.cursor ? body.meta.cursor : undefined };
    },
    async speak(agentId, body, options = {}) {
      const answer = await send({ endpoint: 'agentSpeak', method: 'POST', path: agentPath(agentId, 'speak'), body, signal: options.signal, priority: options.priority });
      if (answer.httpStatus !== 200) throw fail('agentSpeak', answer);
      return utterance(read('agentSpeak', answer, UtteranceBody), answer.json);
    },
    async interrupt(agentId, options = {}) {
      // Agora's samples send `{}`; its answer has no schema, so only the status is read.
      const answer = await send({ endpoint: 'agentInterrupt', method: 'POST', path: agentPath(agentId, 'interrupt'), body: {}, signal: options.signal, priority: options.priority });
      if (answer.httpStatus !== 200) throw fail('agentInterrupt', answer);
    },
    async think(agentId, body, options = {}) {
      const answer = await send({ endpoint: 'agentThink', method: 'POST', path: agentPath(agentId, 'think'), body, signal: options.signal, priority: options.priority });
      if (answer.httpStatus !== 200) throw fail('agentThink', answer);
      return utterance(read('agentThink', answer, UtteranceBody), answer.json);
    },
    async history(agentId, options = {}) {
      const answer = await send({ endpoint: 'agentHistory', method: 'GET', path: agentPath(agentId, 'history'), signal: options.signal, priority: options.priority });
      if (answer.httpStatus !== 200) throw fail('agentHistory', answer);
      const body = read('agentHistory', answer, HistoryBody);
      return { agentId: body.agent_id, status: body.status, startedAt: ms(body.start_ts), contents: body.contents.map(historyEntry), raw: answer.json };
    },
    async turns(agentId, page = {}, options = {}) {
      const query = new URLSearchParams();
      if (page.pageIndex !== undefined) query.set('page_index', String(page.pageIndex));
      if (page.pageSize !== undefined) query.set('page_size', String(page.pageSize));
      const search = query.size > 0 ? `?${query}` : '';
      const answer = await send({ endpoint: 'agentTurns', method: 'GET', path: `${agentPath(agentId, 'turns')}${search}`, signal: options.signal, priority: options.priority });
      if (answer.httpStatus !== 200) throw fail('agentTurns', answer);
      const body = read('agentTurns', answer, TurnsBody);
      return {
        agentId: body.agent_id,
        name: body.name,
        channel: body.channel,
        totalTurns: body.total_turn_count,
        pageIndex: body.pagination.page_index,
        totalPages: body.pagination.total_pages,
        isLastPage: body.pagination.is_last_page,
        turns: body.turns.map(turn),
        raw: answer.json,
      };
    },
  };
}

const isConvoError = (error: unknown): error is AgoraApiError => error instanceof AgoraApiError && error.endpoint.startsWith('agent');
/** Agora's service answered `{detail, reason}` (not the gateway's `{message}`). */
const fromService = (error: AgoraApiError) => error.reason !== undefined || error.detail !== undefined;

/** Agora's Conversational AI service does not know the agent (a 404 of its own, not the gateway's wrong route). */
export const isConversationalAgentNotFound = (error: unknown): error is AgoraApiError => isConvoError(error) && error.httpStatus === 404 && fromService(error);

/** Agora refused a join because an agent of that `name` exists (or existed): a repeated join of ours, or a clash. */
export const isAgentNameConflict = (error: unknown): error is AgoraApiError => isConvoError(error) && error.endpoint === 'agentJoin' && error.httpStatus === 409;
