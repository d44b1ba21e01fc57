import { createTRPCClient, createWSClient, httpSubscriptionLink, wsLink, type TRPCClient } from '@trpc/client';
import type { AppRouter, RecordingStatusEvent } from '@agora-backend/client';
import { EventSource } from 'eventsource';
import superjson from 'superjson';
import WebSocket from 'ws';

export interface Collected {
  events: { id: string; data: RecordingStatusEvent }[];
  completed: boolean;
  error: unknown;
  unsubscribe(): void;
}

/** A WebSocket connection carrying any number of subscriptions. */
export function wsConnection(url: string) {
  const wsClient = createWSClient({ url, WebSocket: WebSocket as unknown as typeof globalThis.WebSocket, retryDelayMs: () => 50 });
  const client = createTRPCClient<AppRouter>({ links: [wsLink({ client: wsClient, transformer: superjson })] });
  return { client, close: () => wsClient.close() };
}

/** A client whose subscriptions go over SSE (httpSubscriptionLink), one HTTP stream each. */
export function sseClient(url: string): TRPCClient<AppRouter> {
  return createTRPCClient<AppRouter>({ links: [httpSubscriptionLink({ url, transformer: superjson, EventSource })] });
}

/** Subscribes to recording.watch and collects what arrives. */
export function collect(client: TRPCClient<AppRouter>, id: string, lastEventId?: string): Collected {
  const collected: Collected = { events: [], completed: false, error: undefined, unsubscribe: () => undefined };
  const subscription = client.recording.watch.subscribe(
    { id, ...(lastEventId ? { lastEventId } : {}) },
    {
      onData: (value) => collected.events.push(value),
      onComplete: () => (collected.completed = true),
      onError: (error) => (collected.error = error),
    },
  );
  collected.unsubscribe = () => subscription.unsubscribe();
  return collected;
}
