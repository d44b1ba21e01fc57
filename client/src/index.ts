/**
 * The typed client of the Agora backend, for browsers and Node alike (no Node built-ins here;
 * on Node 20 use `@agora-backend/client/node`, which brings `ws` and `eventsource`).
 */
import { createTRPCClient, TRPCClientError, type TRPCClient } from '@trpc/client';
import type { AppRouter } from '@agora-backend/server';
import type { inferRouterInputs, inferRouterOutputs } from '@trpc/server';
import { createLinks, type CreateClientOptions } from './links.js';

export type { AppRouter } from '@agora-backend/server';
export * from '@agora-backend/shared';
export type { CreateClientOptions, EventSourceLike, WebSocketLike } from './links.js';
export {
  watchAgent,
  watchChannel,
  watchRecording,
  watchTranscription,
  type ChannelWatchHandlers,
  type WatchHandlers,
  type WatchHandle,
} from './watch.js';

export type AgoraBackendClient = TRPCClient<AppRouter>;
/** Every procedure's input type, e.g. `RouterInputs['recording']['start']`. */
export type RouterInputs = inferRouterInputs<AppRouter>;
/** Every procedure's output type, e.g. `RouterOutputs['token']['generate']`. */
export type RouterOutputs = inferRouterOutputs<AppRouter>;

const closers = new WeakMap<object, () => Promise<void>>();

/** A typed client: queries and mutations batched over HTTP, subscriptions over WebSocket or SSE. */
export function createClient(options: CreateClientOptions): AgoraBackendClient {
  const { links, close } = createLinks(options);
  const client = createTRPCClient<AppRouter>({ links });
  closers.set(client, close);
  return client;
}

/** Closes the client's WebSocket, if it opened one. */
export async function closeClient(client: AgoraBackendClient): Promise<void> {
  await closers.get(client)?.();
}

/** Narrows an unknown error to an error answered by this server. */
export function isServerError(error: unknown): error is TRPCClientError<AppRouter> {
  return error instanceof TRPCClientError;
}

/** What Agora said, when the error came from Agora (`{ code, reason, httpStatus }`). */
export function getAgoraError(error: unknown): { code: number | undefined; reason: string | undefined; httpStatus: number } | undefined {
  if (!isServerError(error)) return undefined;
  const agora = error.data?.agora;
  return agora ? { code: agora.code, reason: agora.reason, httpStatus: agora.httpStatus } : undefined;
}
