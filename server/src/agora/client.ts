import { got, type Got } from 'got';
import type { z } from 'zod';
import { systemClock, type Clock } from '../clock.js';
import { createSilentLogger, type Logger } from '../logger.js';
import { AgoraApiError, AgoraNetworkError, AgoraResponseError, AgoraTimeoutError, type AgoraEndpoint } from './errors.js';
import { nextHostStep, planHosts, type AgoraArea } from './hosts.js';
import { createSlidingWindowBudget, type RateBudget, type RequestPriority } from './rate-budget.js';
import { AcquireBody, ErrorBody, normaliseQuery, normaliseStop, SessionBody, StartBody, UpdateBody } from './responses.js';
import { isRepeatable, isTransient, mergeRetryOptions, neverSent, type RetryOverrides } from './retry-policy.js';
import { createConversationalAiCalls } from './conversational-ai.js';
import type { ConversationalAiClient } from './conversational-ai-types.js';
import { createChannelManagementCalls } from './channel-management.js';
import type { ChannelManagementClient } from './channel-management-types.js';
import { createSpeechToTextCalls } from './speech-to-text.js';
import type { SpeechToTextClient } from './speech-to-text-types.js';
import type {
  AcquireParams,
  AcquireResult,
  QueryResult,
  SessionParams,
  StartParams,
  StartResult,
  StopParams,
  StopResult,
  UpdateLayoutParams,
  UpdateParams,
  UpdateResult,
} from './types.js';

/** Per-call timeouts in milliseconds. */
export interface AgoraTimeouts {
  acquire: number;
  start: number;
  query: number;
  update: number;
  updateLayout: number;
  /** A synchronous stop waits for the upload, which Agora bounds at about 20 s. */
  stop: number;
  sttJoin: number;
  sttQuery: number;
  sttUpdate: number;
  sttLeave: number;
  sttList: number;
  agentJoin: number;
  agentLeave: number;
  agentUpdate: number;
  agentQuery: number;
  agentList: number;
  agentSpeak: number;
  agentInterrupt: number;
  agentThink: number;
  agentHistory: number;
  agentTurns: number;
  channelList: number;
  channelUsers: number;
  channelUser: number;
  /** Agora asks for at least 20 s (never under 5 s), so that the rule's id comes back on a poor network. */
  banCreate: number;
  banList: number;
  banUpdate: number;
  banDelete: number;
}

/** A caller's request that waits this long for the rate budget is logged (polls wait by design: not them). */
const CALLER_WAIT_LOG_MS = 1_000;

export const DEFAULT_TIMEOUTS: AgoraTimeouts = {
  acquire: 10_000,
  start: 15_000,
  query: 10_000,
  update: 10_000,
  updateLayout: 10_000,
  stop: 30_000,
  sttJoin: 15_000,
  sttQuery: 10_000,
  sttUpdate: 10_000,
  sttLeave: 15_000,
  sttList: 10_000,
  agentJoin: 15_000,
  // Whether a graceful leave (farewell_config) answers before the agent is idle is not in Agora's spec.
  agentLeave: 15_000,
  agentUpdate: 10_000,
  agentQuery: 10_000,
  agentList: 10_000,
  agentSpeak: 10_000,
  agentInterrupt: 10_000,
  agentThink: 10_000,
  agentHistory: 10_000,
  agentTurns: 10_000,
  channelList: 10_000,
  channelUsers: 10_000,
  channelUser: 10_000,
  banCreate: 20_000,
  banList: 10_000,
  banUpdate: 10_000,
  banDelete: 10_000,
};

export interface AgoraClientOptions {
  appId: string;
  customerId: string;
  customerSecret: string;
  /**
   * Hosts to use instead of Agora's (AGORA_API_URL, the emulator, tests). The first is tried twice,
   * then the others in order.
   */
  baseUrls?: string[];
  /** Primary host when `baseUrls` is not set: https://api.agora.io (default) or https://api.sd-rtn.com. */
  primary?: string;
  /** Which regional hosts to fall back to. Default `na`. */
  area?: AgoraArea;
  timeouts?: Partial<AgoraTimeouts>;
  retry?: RetryOverrides;
  /** Shared by every call; default: `requestsPerSecond` in any second, this process only. */
  rateBudget?: RateBudget;
  /** Agora allows 10 per App ID; default 8, a margin for jitter between our count and Agora's. */
  requestsPerSecond?: number;
  /** Told about every call sent (for metrics): its outcome, time, and wait for the rate budget. */
  onCall?: (call: {
    endpoint: AgoraEndpoint;
    outcome: string;
    seconds: number;
    budgetWaitSeconds: number;
    priority: RequestPriority;
  }) => void;
  clock?: Clock;
  logger?: Logger;
  /** Sent as User-Agent: names this instance, so Agora's (or the emulator's) request log can tell instances apart. */
  userAgent?: string;
}

export interface CallOptions {
  signal?: AbortSignal | undefined;
  /** Whose wait it is in the rate budget: a caller's (default) or a background poll's. */
  priority?: RequestPriority | undefined;
}

export interface QueryOptions extends CallOptions {
  /**
   * Ride out Agora's failover: after a 404, ask again after 5, 10 and 15 s before giving up.
   * Default true. The poller turns it off to schedule its own checks.
   */
  failoverBackoff?: boolean;
}

export interface AgoraClient {
  /** Reserves a recording resource, valid 5 minutes, for one start. */
  acquire(params: AcquireParams, options?: CallOptions): Promise<AcquireResult>;
  /** Starts recording on an acquired resource; returns the sid. */
  start(params: StartParams, options?: CallOptions): Promise<StartResult>;
  /** The recording's status and files; throws AgoraApiError 404 once the task is gone. */
  query(params: SessionParams, options?: QueryOptions): Promise<QueryResult>;
  /** Changes subscriptions (individual/mix), pauses or resumes (web), or refreshes storage. */
  update(params: UpdateParams, options?: CallOptions): Promise<UpdateResult>;
  /** Replaces the whole mix layout: omitted fields return to their defaults. */
  updateLayout(params: UpdateLayoutParams, options?: CallOptions): Promise<UpdateResult>;
  /** Stops a recording. A task Agora already ended is a result (`alreadyStopped`), not an error. */
  stop(params: StopParams, options?: CallOptions): Promise<StopResult>;
  /** Real-Time Speech-to-Text 7.x, on the same hosts, credentials and rate budget. */
  stt: SpeechToTextClient;
  /** Conversational AI v2 (voice agents), on the same hosts, credentials and rate budget. */
  convoai: ConversationalAiClient;
  /** RTC channel management (who is in a channel, ban rules), on the same hosts, credentials and rate budget. */
  channels: ChannelManagementClient;
}

interface CallSpec {
  endpoint: AgoraEndpoint;
  /** Which API's paths: Cloud Recording's (default), Speech-to-Text's, Conversational AI's or channel management's. */
  api?: 'recording' | 'stt' | 'convoai' | 'channels';
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  path: string;
  body?: unknown;
  signal?: AbortSignal | undefined;
  priority?: RequestPriority | undefined;
  /** query only: whether a 404 is retried through the failover window. */
  failoverBackoff?: boolean;
}

interface Answer {
  httpStatus: number;
  /** The body as JSON, or undefined when it is not JSON. */
  json: unknown;
  text: string;
  requestId: string | undefined;
  /** `{code, reason}`, `{message}` or Speech-to-Text's `{reason, detail}`, read from the body when present. */
  error: { code?: number | undefined; reason?: string | undefined; detail?: string | undefined; message?: string | undefined };
}

/** Speech-to-Text's query errors say `{message, agent_id}`: that message is the service's reason, not the gateway's. */
function errorFields(body: z.infer<typeof ErrorBody>): Answer['error'] {
  const { agent_id: agentId, ...fields } = body;
  if (agentId === undefined || fields.reason !== undefined) return fields;
  return { code: fields.code, reason: fields.message, detail: fields.detail };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** Network failure kinds, from the system error codes got passes on. */
function classifyNetworkFailure(error: unknown): { code: string; timeout: boolean; dns: boolean } {
  const code = typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string' ? error.code : 'UNKNOWN';
  const name = error instanceof Error ? error.name : '';
  return { code, timeout: name === 'TimeoutError' || code === 'ETIMEDOUT', dns: code === 'ENOTFOUND' || code === 'EAI_AGAIN' };
}

function retryAfterMs(header: string | string[] | undefined): number | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (value === undefined) return undefined;
  const seconds = Number(value);
  return Number.isFinite(seconds) && seconds >= 0 ? Math.min(seconds, 60) * 1000 : undefined;
}

/**
 * The Cloud Recording REST client: the only code that knows Agora's URLs, authentication and
 * status codes (docs/agora.md).
 * @see https://docs.agora.io/en/cloud-recording/reference/rest-api/overview
 */
export function createAgoraClient(options: AgoraClientOptions): AgoraClient {
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? createSilentLogger();
  const timeouts = { ...DEFAULT_TIMEOUTS, ...options.timeouts };
  const retry = mergeRetryOptions(options.retry);
  const budget = options.rateBudget ?? createSlidingWindowBudget({ limit: options.requestsPerSecond ?? 8, windowMs: 1_000, clock });
  const plan = planHosts({
    ...(options.baseUrls ? { baseUrls: options.baseUrls } : {}),
    ...(options.primary ? { primary: options.primary } : {}),
    ...(options.area ? { area: options.area } : {}),
  });
  const userAgent = options.userAgent ?? 'agora-backend';
  const authorization = `Basic ${Buffer.from(`${options.customerId}:${options.customerSecret}`).toString('base64')}`;
  const basePaths = {
    recording: `/v1/apps/${encodeURIComponent(options.appId)}/cloud_recording`,
    stt: `/api/speech-to-text/v1/projects/${encodeURIComponent(options.appId)}`,
    convoai: `/api/conversational-ai-agent/v2/projects/${encodeURIComponent(options.appId)}`,
    // Channel management puts the App ID in the path, the body or the query, per call: its paths carry it.
    channels: '/dev/v1',
  };

  // got's own retry is off: it would repeat POSTs blindly and consume test interceptors.
  const http: Got = got.extend({
    retry: { limit: 0 },
    throwHttpErrors: false,
    followRedirect: false,
    responseType: 'text',
  });

  async function send(spec: CallSpec): Promise<Answer> {
    let step = 0;
    let networkTries = 0;
    let rateTries = 0;
    let transientTries = 0;
    let notFoundTries = 0;
    const timeoutMs = timeouts[spec.endpoint];

    for (;;) {
      const queued = clock.now();
      const answered = await budget.take(spec.signal, spec.priority);
      const host = plan.steps[step]!.baseUrl;
      const started = clock.now();
      // A caller kept waiting by the budget is worth a line: which call, and for how long.
      if ((spec.priority ?? 'user') === 'user' && started - queued >= CALLER_WAIT_LOG_MS) {
        logger.warn({ endpoint: spec.endpoint, waitedMs: started - queued }, "a caller's request waited for Agora's rate budget");
      }
      const report = (outcome: string) =>
        options.onCall?.({
          endpoint: spec.endpoint,
          outcome,
          seconds: (clock.now() - started) / 1000,
          budgetWaitSeconds: (started - queued) / 1000,
          priority: spec.priority ?? 'user',
        });
      let response;
      try {
        response = await http(`${host}${basePaths[spec.api ?? 'recording']}${spec.path}`, {
          method: spec.method,
          headers: { authorization, 'content-type': 'application/json', accept: 'application/json', 'user-agent': userAgent },
          ...(spec.body === undefined ? {} : { body: JSON.stringify(spec.body) }),
          timeout: { request: timeoutMs },
          ...(spec.signal ? { signal: spec.signal } : {}),
        });
      } catch (error) {
        answered?.();
        if (spec.signal?.aborted) throw spec.signal.reason;
        const failure = classifyNetworkFailure(error);
        report(failure.timeout ? 'timeout' : 'network');
        // speak and think go again only when the first try never left: Agora may have acted on it.
        const next = isRepeatable(spec.endpoint) || neverSent(failure.code) ? nextHostStep(plan, step, failure.dns) : undefined;
        const delay = retry.networkDelaysMs[networkTries++];
        logger.warn(
          { endpoint: spec.endpoint, host, code: failure.code, retrying: next !== undefined && delay !== undefined },
          'Agora unreachable',
        );
        if (next === undefined || delay === undefined) {
          if (failure.timeout) throw new AgoraTimeoutError(spec.endpoint, host, timeoutMs);
          // A plain error instead of got's: its options hold the Authorization header.
          const cause = Object.assign(new Error(error instanceof Error ? error.message : String(error)), {
            code: failure.code,
          });
          throw new AgoraNetworkError(spec.endpoint, host, failure.code, cause);
        }
        await clock.sleep(delay, spec.signal);
        step = next;
        continue;
      }

      answered?.();
      report(response.statusCode >= 500 ? '5xx' : String(response.statusCode));
      const json = parseJson(response.body);
      const errorBody = ErrorBody.safeParse(json);
      const answer: Answer = {
        httpStatus: response.statusCode,
        json,
        text: response.body,
        requestId: typeof response.headers['x-request-id'] === 'string' ? response.headers['x-request-id'] : undefined,
        error: errorBody.success ? errorFields(errorBody.data) : {},
      };
      const { code } = answer.error;
      logger.debug({ endpoint: spec.endpoint, host, httpStatus: answer.httpStatus, code, ms: clock.now() - started }, 'Agora answered');

      let delay: number | undefined;
      if (answer.httpStatus === 429) {
        delay = retryAfterMs(response.headers['retry-after']) ?? retry.rateLimitedDelaysMs[rateTries];
        rateTries++;
        if (rateTries > retry.rateLimitedDelaysMs.length) delay = undefined;
      } else if (
        spec.failoverBackoff &&
        answer.httpStatus === 404 &&
        answer.error.message === undefined // the gateway's 404 is a wrong route, not a failover
      ) {
        delay = retry.queryNotFoundDelaysMs[notFoundTries++];
      } else if (isTransient(spec.endpoint, answer.httpStatus, code)) {
        delay = retry.transientDelaysMs[spec.endpoint][transientTries++];
      }
      if (delay === undefined) return answer;
      logger.warn({ endpoint: spec.endpoint, httpStatus: answer.httpStatus, code, delayMs: delay }, 'retrying Agora call');
      await clock.sleep(delay, spec.signal);
    }
  }

  /** Agora's error answer; `redact` cuts what the request sent (vendor keys, tokens) out of Agora's texts, which may quote it. */
  const apiError = (endpoint: AgoraEndpoint, answer: Answer, redact: (text: string) => string = (text) => text) => {
    const clean = (text: string | undefined) => (text === undefined ? undefined : redact(text));
    return new AgoraApiError({
      endpoint,
      httpStatus: answer.httpStatus,
      code: answer.error.code,
      reason: clean(answer.error.reason),
      detail: clean(answer.error.detail),
      gatewayMessage: clean(answer.error.message),
      requestId: answer.requestId,
    });
  };

  /** Reads a success body, or explains in the error what was wrong with it. */
  function read<T>(endpoint: AgoraEndpoint, answer: Answer, schema: z.ZodType<T>): T {
    if (answer.json === undefined) throw new AgoraResponseError(endpoint, answer.httpStatus, 'the body is not JSON');
    const parsed = schema.safeParse(answer.json);
    if (!parsed.success) {
      const problem = parsed.error.issues.map((issue) => `${issue.path.map(String).join('.')}: ${issue.message}`).join('; ');
      throw new AgoraResponseError(endpoint, answer.httpStatus, problem);
    }
    return parsed.data;
  }

  /** update and updateLayout: the same call shape and answer, at different paths. */
  async function changeSession(
    endpoint: 'update' | 'updateLayout',
    mode: string,
    params: { resourceId: string; sid: string; cname: string; uid: string; clientRequest: object },
    callOptions: CallOptions,
  ): Promise<UpdateResult> {
    const answer = await send({
      endpoint,
      method: 'POST',
      path: sessionPath(params, mode, endpoint),
      body: { cname: params.cname, uid: params.uid, clientRequest: params.clientRequest },
      signal: callOptions.signal,
    });
    if (answer.httpStatus !== 200) throw apiError(endpoint, answer);
    const body = read(endpoint, answer, UpdateBody);
    return { resourceId: body.resourceId, sid: body.sid, raw: answer.json };
  }

  const sessionPath = (params: { resourceId: string; sid: string }, mode: string, action: string) =>
    `/resourceid/${encodeURIComponent(params.resourceId)}/sid/${encodeURIComponent(params.sid)}/mode/${mode}/${action}`;

  const stt = createSpeechToTextCalls({
    send: (spec) => send({ ...spec, api: 'stt' }),
    read,
    fail: apiError,
  });

  const convoai = createConversationalAiCalls({
    send: (spec) => send({ ...spec, api: 'convoai' }),
    read,
    fail: apiError,
  });

  const channels = createChannelManagementCalls(
    { send: (spec) => send({ ...spec, api: 'channels' }), read, fail: apiError },
    { appId: options.appId, clock },
  );

  return {
    stt,
    convoai,
    channels,
    async acquire(params, callOptions = {}) {
      const answer = await send({
        endpoint: 'acquire',
        method: 'POST',
        path: '/acquire',
        body: { cname: params.cname, uid: params.uid, clientRequest: params.clientRequest ?? {} },
        signal: callOptions.signal,
      });
      if (answer.httpStatus !== 200) throw apiError('acquire', answer);
      const body = read('acquire', answer, AcquireBody);
      return { resourceId: body.resourceId, cname: body.cname, uid: body.uid, raw: answer.json };
    },

    async start(params, callOptions = {}) {
      const answer = await send({
        endpoint: 'start',
        method: 'POST',
        path: `/resourceid/${encodeURIComponent(params.resourceId)}/mode/${params.mode}/start`,
        body: { cname: params.cname, uid: params.uid, clientRequest: params.clientRequest },
        signal: callOptions.signal,
      });
      // 201 + code 7: this resource already served a start. If the body names the sid (whether it
      // does is unconfirmed, docs/agora.md, "Unconfirmed"), that start was ours, e.g. a retry after a lost answer.
      if (answer.httpStatus === 201) {
        const started = StartBody.safeParse(answer.json);
        if (started.success) return { ...started.data, raw: answer.json };
        throw apiError('start', { ...answer, error: { code: 7, ...answer.error } });
      }
      if (answer.httpStatus !== 200) throw apiError('start', answer);
      const body = read('start', answer, StartBody);
      return { ...body, raw: answer.json };
    },

    async query(params, callOptions = {}) {
      const answer = await send({
        endpoint: 'query',
        method: 'GET',
        path: sessionPath(params, params.mode, 'query'),
        signal: callOptions.signal,
        priority: callOptions.priority,
        failoverBackoff: callOptions.failoverBackoff ?? true,
      });
      if (answer.httpStatus !== 200) throw apiError('query', answer);
      return normaliseQuery(read('query', answer, SessionBody), params, answer.json);
    },

    update: (params, callOptions = {}) => changeSession('update', params.mode, params, callOptions),

    // updateLayout exists in mix mode only, so the path names it whatever the caller's type says.
    updateLayout: (params, callOptions = {}) => changeSession('updateLayout', 'mix', params, callOptions),

    async stop(params, callOptions = {}) {
      const answer = await send({
        endpoint: 'stop',
        method: 'POST',
        path: sessionPath(params, params.mode, 'stop'),
        body: { cname: params.cname, uid: params.uid, clientRequest: { async_stop: params.asyncStop ?? false } },
        signal: callOptions.signal,
      });
      const { code, reason } = answer.error;
      const gatewayAnswer = answer.error.message !== undefined && code === undefined;
      // docs/agora.md, "Stop answers" and "Files" / "Errors and retries": 404 = task gone, 49 = already exiting. Both mean "stopped".
      if ((answer.httpStatus === 404 && !gatewayAnswer) || code === 49) {
        return { alreadyStopped: true, httpStatus: answer.httpStatus, code, reason };
      }
      const noRecordedData = answer.httpStatus === 206 && code === 435;
      const uploadTimedOut = code === 50;
      const stopped = (body: z.infer<typeof SessionBody> | undefined): StopResult => ({
        alreadyStopped: false,
        resourceId: body?.resourceId ?? params.resourceId,
        sid: body?.sid ?? params.sid,
        ...(body ? normaliseStop(body) : { files: [], fileListMode: undefined, uploadingStatus: undefined }),
        noRecordedData,
        uploadTimedOut,
        raw: answer.json,
      });
      if (answer.httpStatus === 200) return stopped(read('stop', answer, SessionBody));
      // 206 with files: stopped, some of them still uploading (DS-old). 435 and 50: stopped all the same.
      const session = SessionBody.safeParse(answer.json);
      if (noRecordedData || uploadTimedOut || (answer.httpStatus === 206 && session.success)) {
        return stopped(session.success ? session.data : undefined);
      }
      throw apiError('stop', answer);
    },
  };
}
