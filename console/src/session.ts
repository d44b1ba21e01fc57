import { createClient, type AgoraBackendClient } from '@agora-backend/client';

/**
 * Who the console calls as: an API key or JWT pasted on the sign-in page, kept in sessionStorage
 * (gone with the tab) and sent as the client sends it (Authorization header, or the WebSocket's
 * connection parameters). `?transport=sse` in the page's URL uses SSE instead of a WebSocket.
 */
const KEY = 'agora-console-credential';
let client: AgoraBackendClient | undefined;

export const credential = () => sessionStorage.getItem(KEY) ?? undefined;

export function setCredential(value: string | undefined): void {
  if (value) sessionStorage.setItem(KEY, value);
  else sessionStorage.removeItem(KEY);
  client = undefined;
}

export function transport(): 'ws' | 'sse' {
  return new URLSearchParams(location.search).get('transport') === 'sse' ? 'sse' : 'ws';
}

/** The client for this page's server (same origin), made once per credential. */
export function api(): AgoraBackendClient {
  const auth = credential();
  client ??= createClient({ url: `${location.origin}/trpc`, transport: transport(), ...(auth ? { auth } : {}) });
  return client;
}
