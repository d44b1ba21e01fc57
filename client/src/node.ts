/** The client on Node 20, which has no global WebSocket: `ws` fills in. */
import WebSocket from 'ws';
import { createClient as createBrowserClient, type AgoraBackendClient, type CreateClientOptions } from './index.js';

export * from './index.js';

/** As `createClient`, with `ws` as the WebSocket. */
export function createClient(options: CreateClientOptions): AgoraBackendClient {
  return createBrowserClient({
    WebSocket: WebSocket as unknown as typeof globalThis.WebSocket,
    ...options,
  });
}
