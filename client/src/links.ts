import {
  createWSClient,
  httpBatchLink,
  httpSubscriptionLink,
  splitLink,
  wsLink,
  TRPCClientError,
  type TRPCLink,
} from '@trpc/client';
import { observable } from '@trpc/server/observable';
import type { AppRouter } from '@agora-backend/server';
import superjson from 'superjson';

/** The WebSocket constructor: browsers have one; on Node 20 pass `ws`'s. */
export type WebSocketLike = typeof globalThis.WebSocket;
/** The EventSource constructor: browsers have one; on Node 20 pass `eventsource`'s. */
export type EventSourceLike = typeof globalThis.EventSource;

export interface CreateClientOptions {
  /** The server's tRPC endpoint, e.g. `https://api.example.com/trpc`. */
  url: string;
  /**
   * Credentials sent with every call: an API key or a JWT (`Authorization: Bearer …` over HTTP,
   * connection params over WebSocket). A function is called per request, so tokens can rotate.
   */
  auth?: string | (() => string | undefined | Promise<string | undefined>);
  /** How subscriptions travel: `ws` (default when a WebSocket is available) or `sse`. */
  transport?: 'ws' | 'sse';
  WebSocket?: WebSocketLike;
  EventSource?: EventSourceLike;
  fetch?: typeof globalThis.fetch;
}

/** Stands in for a subscription transport where the runtime has neither WebSocket nor EventSource. */
const noSubscriptions: TRPCLink<AppRouter> = () => () =>
  observable((observer) => {
    observer.error(
      TRPCClientError.from(new Error('Subscriptions need a WebSocket or EventSource: on Node 20 import createClient from @agora-backend/client/node')),
    );
    return () => undefined;
  });

function wsUrlOf(url: string): string {
  return url.replace(/^http/, 'ws');
}

/** Links: queries and mutations batched over HTTP, subscriptions over WebSocket or SSE. */
export function createLinks(options: CreateClientOptions): { links: TRPCLink<AppRouter>[]; close: () => Promise<void> } {
  const token = async () => (typeof options.auth === 'function' ? await options.auth() : options.auth);
  const headers = async (): Promise<Record<string, string>> => {
    const value = await token();
    return value ? { authorization: `Bearer ${value}` } : {};
  };
  const http = httpBatchLink<AppRouter>({
    url: options.url,
    transformer: superjson,
    headers,
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  const WebSocketImpl = options.WebSocket ?? globalThis.WebSocket;
  const EventSourceImpl = options.EventSource ?? globalThis.EventSource;
  const hasWebSocket = (WebSocketImpl as WebSocketLike | undefined) !== undefined;
  const hasEventSource = (EventSourceImpl as EventSourceLike | undefined) !== undefined;
  const transport = options.transport ?? (hasWebSocket ? 'ws' : hasEventSource ? 'sse' : 'none');
  if (transport === 'none') {
    // Queries and mutations still work; a subscription explains what is missing.
    return {
      links: [splitLink({ condition: (op) => op.type === 'subscription', true: noSubscriptions, false: http })],
      close: () => Promise.resolve(),
    };
  }

  if (transport === 'ws') {
    if (!hasWebSocket) throw new Error('No WebSocket available: pass `WebSocket` (on Node 20, from the `ws` package)');
    const wsClient = createWSClient({
      url: wsUrlOf(options.url),
      WebSocket: WebSocketImpl,
      // Credentials travel in the first message, not the URL, so they stay out of access logs.
      connectionParams: async () => {
        const value = await token();
        return value ? { authorization: `Bearer ${value}` } : {};
      },
    });
    return {
      links: [splitLink({ condition: (op) => op.type === 'subscription', true: wsLink({ client: wsClient, transformer: superjson }), false: http })],
      close: () => wsClient.close(),
    };
  }
  if (!hasEventSource) throw new Error('No EventSource available: pass `EventSource` (on Node 20, from the `eventsource` package)');
  // A browser's EventSource cannot send headers: credentials then go as connection parameters.
  const nativeEventSource = options.EventSource === undefined;
  return {
    links: [
      splitLink({
        condition: (op) => op.type === 'subscription',
        true: httpSubscriptionLink({
          url: options.url,
          transformer: superjson,
          EventSource: EventSourceImpl,
          ...(nativeEventSource ? { connectionParams: async () => headers() } : {}),
          // EventSource cannot send headers in browsers; the eventsource package can, through fetch.
          eventSourceOptions: async () => {
            const auth = await headers();
            return {
              fetch: (input: RequestInfo | URL, init?: RequestInit) =>
                (options.fetch ?? globalThis.fetch)(input, { ...init, headers: { ...(init?.headers as Record<string, string> | undefined), ...auth } }),
            } as EventSourceInit;
          },
        }),
        false: http,
      }),
    ],
    close: () => Promise.resolve(),
  };
}
