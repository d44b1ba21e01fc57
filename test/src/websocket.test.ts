import { createTRPCClient, createWSClient, wsLink } from '@trpc/client';
import type { AppRouter } from '@agora-backend/client';
import superjson from 'superjson';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startTestServer } from './helpers/server.js';
import { readToken } from './helpers/token-verifier.js';
import { TEST_APP_CERTIFICATE } from './helpers/server.js';

describe('WebSocket transport on the same port and path', () => {
  it('serves token.generate over /trpc, and closes sockets on shutdown', async () => {
    const server = await startTestServer();
    const closes: number[] = [];
    const wsClient = createWSClient({
      url: server.app.wsUrl,
      WebSocket: WebSocket as unknown as typeof globalThis.WebSocket,
      retryDelayMs: () => 60_000,
      onClose: (cause) => closes.push(cause?.code ?? 0),
    });
    try {
      const client = createTRPCClient<AppRouter>({ links: [wsLink({ client: wsClient, transformer: superjson })] });
      const result = await client.token.generate.mutate({ channel: 'ws-room', uid: 5 });
      expect(readToken(result.token, TEST_APP_CERTIFICATE).services[0]!.fields).toEqual(['ws-room', '5']);

      await server.close();
      await expect.poll(() => closes.length).toBeGreaterThan(0);
      // 1001 "going away": the server asked clients to reconnect elsewhere.
      expect(closes[0]).toBe(1001);
    } finally {
      await wsClient.close();
      await server.close();
    }
  });

  it('refuses upgrades on other paths', async () => {
    const server = await startTestServer();
    try {
      const socket = new WebSocket(`${server.app.baseUrl.replace('http', 'ws')}/elsewhere`);
      const outcome = await new Promise<string>((resolve) => {
        socket.on('open', () => resolve('open'));
        socket.on('error', (error) => resolve(error.message));
      });
      expect(outcome).toMatch(/404/);
    } finally {
      await server.close();
    }
  });
});
