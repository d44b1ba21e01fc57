import { createWSClient, httpBatchLink, httpSubscriptionLink, splitLink, TRPCClientError, wsLink, type TRPCLink } from '@trpc/client';
import { observable } from '@trpc/server/observable';
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
    let opened = false;
    const guard = createRefusalGuard(
      () => askWhyRefused(options.url, options.fetch ?? ((input, init) => globalThis.fetch(input, init)), headers),
      () => void wsClient.close(),
    );
    const wsClient = createWSClient({
      url: wsUrlOf(options.url),
      WebSocket: WebSocketImpl,
      // Credentials travel in the first message, not the URL, so they stay out of access logs.
      connectionParams: headers,
      onOpen: () => (opened = true),
      // A connection that closed before it opened may have been refused: ask why, once.
      onClose: () => {
        if (!opened) guard.check();
        opened = false;
      },
    });
    return {
      links: [
        splitLink({
          condition: (op) => op.type === 'subscription',
          true: guard.link(wsLink({ client: wsClient, transformer: superjson })),
          false: http,
        }),
      ],
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

type Refusal = TRPCClientError<AppRouter>;

/**
 * Asks over HTTP why the WebSocket closed before it opened: a browser never sees the upgrade's
 * status, and a 403 (an origin or Host the server refuses) must not be retried for ever. The same
 * policy answers HTTP, and its 403 carries ORIGIN_REFUSED and the setting to change.
 */
async function askWhyRefused(
  url: string,
  fetchImpl: typeof globalThis.fetch,
  headers: () => Promise<Record<string, string>>,
): Promise<Refusal | undefined> {
  let response: Response;
  try {
    response = await fetchImpl(url, { headers: await headers() });
  } catch {
    return undefined; // unreachable: the WebSocket's own retries go on
  }
  if (response.status !== 403) return undefined;
  const body = (await response.json().catch(() => undefined)) as { error?: Parameters<typeof superjson.deserialize>[0] } | undefined;
  const error = body?.error
    ? superjson.deserialize<{ message?: string; code?: number; data?: Record<string, unknown> }>(body.error)
    : undefined;
  const message = error?.message ?? 'the server refused the WebSocket (403)';
  return TRPCClientError.from<AppRouter>({
    error: {
      message,
      code: error?.code ?? -32003,
      data: { code: 'FORBIDDEN', httpStatus: 403, appCode: 'ORIGIN_REFUSED', ...error?.data },
    },
  });
}

/**
 * Ends every subscription with the server's refusal, once it is known, and stops the WebSocket's
 * retries (`stop`); later subscriptions fail at once with it.
 */
function createRefusalGuard(ask: () => Promise<Refusal | undefined>, stop: () => void) {
  let refusal: Refusal | undefined;
  let asking = false;
  const waiting = new Set<(error: Refusal) => void>();
  return {
    check() {
      if (refusal || asking) return;
      asking = true;
      void ask().then((found) => {
        asking = false;
        if (!found) return;
        refusal = found;
        for (const fail of [...waiting]) fail(found);
        stop();
      });
    },
    link(inner: TRPCLink<AppRouter>): TRPCLink<AppRouter> {
      return (runtime) => {
        const next = inner(runtime);
        return (context) =>
          observable((observer) => {
            if (refusal) {
              observer.error(refusal);
              return () => undefined;
            }
            const subscription = next(context).subscribe(observer);
            const fail = (error: Refusal) => {
              waiting.delete(fail);
              subscription.unsubscribe();
              observer.error(error);
            };
            waiting.add(fail);
            return () => {
              waiting.delete(fail);
              subscription.unsubscribe();
            };
          });
      };
    },
  };
}
