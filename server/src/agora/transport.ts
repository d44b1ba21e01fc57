import type { z } from 'zod';
import type { AgoraApiError, AgoraEndpoint } from './errors.js';
import type { RequestPriority } from './rate-budget.js';

/**
 * What the Speech-to-Text, Conversational AI and channel management calls need of the client's transport (client.ts):
 * the same hosts, authentication, rate budget, retries and error classes as Cloud Recording.
 */

/** An answer as the transport hands it back: its status and its body as JSON (undefined when not JSON). */
export interface ApiAnswer {
  httpStatus: number;
  json: unknown;
}

/** The client's transport; `A` is its answer type, handed back to read and fail as it came. */
export interface ApiTransport<A extends ApiAnswer> {
  send: (spec: {
    endpoint: AgoraEndpoint;
    method: 'GET' | 'POST' | 'PUT' | 'DELETE';
    path: string;
    body?: unknown;
    signal?: AbortSignal | undefined;
    priority?: RequestPriority | undefined;
  }) => Promise<A>;
  /** Reads a success body, or throws AgoraResponseError explaining what was wrong with it. */
  read: <T>(endpoint: AgoraEndpoint, answer: A, schema: z.ZodType<T>) => T;
  /** Agora's error answer as an AgoraApiError, its texts passed through `redact` (default: as they are). */
  fail: (endpoint: AgoraEndpoint, answer: A, redact?: (text: string) => string) => AgoraApiError;
}

/** What a call sends: the transport's `send` argument. */
export type ApiCallSpec<A extends ApiAnswer> = Parameters<ApiTransport<A>['send']>[0];

/** Sends one call and hands back its 200; any other answer is thrown as Agora's error, its texts passed through `redact`. */
export async function sendExpectingOk<A extends ApiAnswer>(
  transport: ApiTransport<A>,
  spec: ApiCallSpec<A>,
  redact?: (text: string) => string,
): Promise<A> {
  const answer = await transport.send(spec);
  if (answer.httpStatus !== 200) throw transport.fail(spec.endpoint, answer, redact);
  return answer;
}

/** A call's abort signal and its priority in the rate budget (background: a poller's read). */
export interface RequestOptions {
  signal?: AbortSignal | undefined;
  priority?: RequestPriority | undefined;
}

/** A path with the query parameters that are set, in the order given. */
export function withQuery(path: string, parameters: Record<string, string | number | undefined>): string {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(parameters)) if (value !== undefined) query.set(name, String(value));
  return query.size > 0 ? `${path}?${query}` : path;
}
