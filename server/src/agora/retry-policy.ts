import type { AgoraEndpoint } from './errors.js';

/**
 * When to try a Cloud Recording call again, per docs/agora.md, "Errors and retries": never after a 4xx, except 429 (back
 * off) and 404 on query (failover); transient answers (5xx, 504/62, 206/65) after a back-off.
 * @see https://docs.agora.io/en/cloud-recording/reference/rest-api/status-codes
 */
export interface RetryOptions {
  /** Delays before each retry after a network failure, one per fallback host. */
  networkDelaysMs: number[];
  /** Delays before each retry after 429 when Agora sends no Retry-After. */
  rateLimitedDelaysMs: number[];
  /** Delays before each retry of a transient answer, per endpoint. */
  transientDelaysMs: Record<AgoraEndpoint, number[]>;
  /** query only: delays before asking again after a 404, to ride out Agora's failover. */
  queryNotFoundDelaysMs: number[];
}

export const DEFAULT_RETRY: RetryOptions = {
  // docs/agora.md, "Hosts, authentication and rate limits": back off about 1 s, 3 s, 6 s while moving through the hosts.
  networkDelaysMs: [1_000, 3_000, 6_000, 6_000],
  rateLimitedDelaysMs: [1_000, 2_000, 4_000, 8_000],
  transientDelaysMs: {
    acquire: [1_000, 3_000, 6_000],
    // docs/agora.md, "Errors and retries": start on 5xx, 62 or 65 again with the same parameters after 3, 6 and 9 s.
    start: [3_000, 6_000, 9_000],
    query: [1_000, 3_000, 6_000],
    update: [1_000, 3_000, 6_000],
    updateLayout: [1_000, 3_000, 6_000],
    stop: [1_000, 3_000, 6_000],
    // A repeated join cannot start a second agent: Agora refuses a second task of the same name.
    sttJoin: [1_000, 3_000, 6_000],
    sttQuery: [1_000, 3_000, 6_000],
    sttUpdate: [1_000, 3_000, 6_000],
    sttLeave: [1_000, 3_000, 6_000],
    sttList: [1_000, 3_000, 6_000],
    // Conversational AI: a repeated join cannot start a second agent either (`name` is unique).
    // Leave, update (a token or params set to a value) and interrupt do the same thing twice.
    agentJoin: [1_000, 3_000, 6_000],
    agentLeave: [1_000, 3_000, 6_000],
    agentUpdate: [1_000, 3_000, 6_000],
    agentQuery: [1_000, 3_000, 6_000],
    agentList: [1_000, 3_000, 6_000],
    agentInterrupt: [1_000, 3_000, 6_000],
    agentHistory: [1_000, 3_000, 6_000],
    agentTurns: [1_000, 3_000, 6_000],
    // speak and think are never repeated: a 5xx may come after the agent already said (or heard) the text.
    agentSpeak: [],
    agentThink: [],
    // Channel management (docs/agora.md, "Channel management"): reads, and writes that do the same thing twice
    // (an expiry set to a value; a rule deleted by id), go again.
    channelList: [1_000, 3_000, 6_000],
    channelUsers: [1_000, 3_000, 6_000],
    channelUser: [1_000, 3_000, 6_000],
    banList: [1_000, 3_000, 6_000],
    banUpdate: [1_000, 3_000, 6_000],
    banDelete: [1_000, 3_000, 6_000],
    // A ban create is never repeated after a 5xx (504 included): a repeat could make a second rule.
    // It is settled by listing the rules instead (settleBanCreate).
    banCreate: [],
  },
  // docs/agora.md, "Identity, uids and resource lifetime" / "Errors and retries": a transient 404 lasts ≤ 30 s after a crash, ≤ 60 s after a disconnect.
  queryNotFoundDelaysMs: [5_000, 10_000, 15_000],
};

/**
 * Whether Agora's answer is worth repeating unchanged. 206 means "accepted but not completed":
 * only code 65 says to try again (435 on stop is a final answer). Code 502 on start needs a new
 * resource, and 501 on query/stop means the task is exiting, so repeating either is pointless.
 */
export function isTransient(endpoint: AgoraEndpoint, httpStatus: number, code: number | undefined): boolean {
  if (code === 65 || code === 62) return true;
  if (httpStatus === 206) return false;
  if (endpoint === 'start' && code === 502) return false;
  if ((endpoint === 'query' || endpoint === 'stop') && code === 501) return false;
  return httpStatus >= 500;
}

/** What a caller may change: any field, and the delays of only the endpoints it names. */
export type RetryOverrides = Partial<Omit<RetryOptions, 'transientDelaysMs'>> & {
  transientDelaysMs?: Partial<RetryOptions['transientDelaysMs']>;
};

export function mergeRetryOptions(overrides: RetryOverrides | undefined): RetryOptions {
  return {
    ...DEFAULT_RETRY,
    ...overrides,
    transientDelaysMs: { ...DEFAULT_RETRY.transientDelaysMs, ...overrides?.transientDelaysMs },
  };
}

/**
 * Calls that must not reach Agora twice: speak and think make the agent say or hear a text again, a
 * ban create may make a second rule. They are sent again only when the first try provably never
 * left (`neverSent`), never after a 5xx or a timeout.
 */
const UNREPEATABLE: ReadonlySet<AgoraEndpoint> = new Set<AgoraEndpoint>(['agentSpeak', 'agentThink', 'banCreate']);

/** Whether a call may be sent again after a failure that Agora may have seen. */
export const isRepeatable = (endpoint: AgoraEndpoint): boolean => !UNREPEATABLE.has(endpoint);

/** System error codes that mean no byte of the request reached Agora: the name did not resolve, or the connection was refused. */
export const neverSent = (code: string): boolean => code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'ECONNREFUSED';
