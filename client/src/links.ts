import {
  createWSClient,
  httpBatchLink,
  httpSubscriptionLink,
  splitLink,
  wsLink,
  type TRPCLink,
} from '@trpc/client';
import { EventSource as FetchEventSource } from 'eventsource';
import type { AppRouter } from '@agora-backend/server';
import superjson from 'superjson';

/** The WebSocket constructor: browsers have one; on Node 20 pass `ws`'s. */
export type WebSocketLike = typeof globalThis.WebSocket;
/**
 * An EventSource constructor that takes a `fetch` option (the `eventsource` package's, the
 * default): credentials then travel in the Authorization header, never in the URL, which a
 * browser's own EventSource would need.
 */
export type EventSourceLike = typeof globalThis.EventSource;

export interface CreateClientOptions {
  /** The server's tRPC endpoint, e.g. `https://api.example.com/trpc`. */
  url: string;
  /**
   * Credentials sent with every call: an API key or a JWT (`Authorization: Bearer …` over HTTP
   * and SSE, the first message over WebSocket; never in a URL). A function is called per request,
   * so tokens can rotate.
   */
  auth?: string | (() => string | undefined | Promise<string | undefined>);
  /** How subscriptions travel: `ws` (default when a WebSocket is available) or `sse` (fetch-based). */
  transport?: 'ws' | 'sse';
  WebSocket?: WebSocketLike;
  EventSource?: EventSourceLike;
  fetch?: typeof globalThis.fetch;
  /** Calls sent in one HTTP batch at most: keep it within the server's MAX_BATCH_SIZE (default 100). */
  maxBatchSize?: number;
}

function wsUrlOf(url: string): string {
  return url.replace(/^http/, 'ws');
}

/** Links: queries and mutations batched over HTTP, subscriptions over WebSocket or SSE. */
export function createLinks(options: CreateClientOptions): { links: TRPCLink<AppRouter>[]; close: () => Promise<void> } {
  const headers = async (): Promise<Record<string, string>> => {
    const value = typeof options.auth === 'function' ? await options.auth() : options.auth;
    return value ? { authorization: `Bearer ${value}` } : {};
  };
  const http = httpBatchLink<AppRouter>({
    url: options.url,
    transformer: superjson,
    headers,
    maxItems: options.maxBatchSize ?? 100,
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  const WebSocketImpl = options.WebSocket ?? globalThis.WebSocket;
  const hasWebSocket = (WebSocketImpl as WebSocketLike | undefined) !== undefined;
  const transport = options.transport ?? (hasWebSocket ? 'ws' : 'sse');

  if (transport === 'ws') {
    if (!hasWebSocket) throw new Error('No WebSocket available: pass `WebSocket` (on Node 20, from the `ws` package)');
    const wsClient = createWSClient({
      url: wsUrlOf(options.url),
      WebSocket: WebSocketImpl,
      // Credentials travel in the first message, not the URL, so they stay out of access logs.
      connectionParams: headers,
    });
    return {
      links: [splitLink({ condition: (op) => op.type === 'subscription', true: wsLink({ client: wsClient, transformer: superjson }), false: http })],
      close: () => wsClient.close(),
    };
  }
  const fetchImpl = options.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => globalThis.fetch(input, init));
  return {
    links: [
      splitLink({
        condition: (op) => op.type === 'subscription',
        true: httpSubscriptionLink({
          url: options.url,
          transformer: superjson,
          EventSource: options.EventSource ?? (FetchEventSource as unknown as EventSourceLike),
          // The stream is opened with fetch, so the credentials go in a header like every other call.
          eventSourceOptions: async () => {
            const auth = await headers();
            return {
              fetch: (input: RequestInfo | URL, init?: RequestInit) =>
                fetchImpl(input, { ...init, headers: { ...(init?.headers as Record<string, string> | undefined), ...auth } }),
            } as EventSourceInit;
          },
        }),
        false: http,
      }),
    ],
    close: () => Promise.resolve(),
  };
}
