/** The client on Node 20, which has no global WebSocket or EventSource: `ws` and `eventsource` fill in. */
import { EventSource } from 'eventsource';
import WebSocket from 'ws';
import { createClient as createBrowserClient, type AgoraBackendClient, type CreateClientOptions } from './index.js';

export * from './index.js';

/** As `createClient`, with `ws` and `eventsource` as defaults. */
export function createClient(options: CreateClientOptions): AgoraBackendClient {
  return createBrowserClient({
    WebSocket: WebSocket as unknown as typeof globalThis.WebSocket,
    EventSource: EventSource,
    ...options,
  });
}
