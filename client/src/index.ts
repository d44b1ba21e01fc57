import { createTRPCClient, httpBatchLink, TRPCClientError, type TRPCClient } from '@trpc/client';
import type { AppRouter } from '@agora-backend/server';
import superjson from 'superjson';

export type { AppRouter } from '@agora-backend/server';
export * from '@agora-backend/shared';

export interface CreateClientOptions {
  /** The server's tRPC endpoint, e.g. `http://127.0.0.1:4000/trpc`. */
  url: string;
  /** A fetch implementation, for runtimes without a global one. */
  fetch?: typeof globalThis.fetch;
  /** Extra headers sent with every HTTP request. */
  headers?: () => Record<string, string>;
}

export type AgoraBackendClient = TRPCClient<AppRouter>;

/** A typed client of the server: queries and mutations batched over HTTP, superjson on the wire. */
export function createClient(options: CreateClientOptions): AgoraBackendClient {
  return createTRPCClient<AppRouter>({
    links: [
      httpBatchLink({
        url: options.url,
        transformer: superjson,
        ...(options.fetch ? { fetch: options.fetch } : {}),
        ...(options.headers ? { headers: options.headers } : {}),
      }),
    ],
  });
}

/** Narrows an unknown error to a tRPC client error of this server's router. */
export function isServerError(error: unknown): error is TRPCClientError<AppRouter> {
  return error instanceof TRPCClientError;
}
