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

  it("closes a frame over the limit with 1009 and logs it as the client's mistake: info, no stack, no error line", async () => {
    const server = await startTestServer();
    try {
      const socket = new WebSocket(server.app.wsUrl);
      await new Promise((resolve) => socket.once('open', resolve));
      const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
      socket.send('x'.repeat(1024 * 1024 + 1));
      expect(await closed).toBe(1009);
      await expect.poll(() => server.logs.filter((line) => line.includes('WS_ERR_UNSUPPORTED_MESSAGE_LENGTH'))).toHaveLength(1);
      const line = JSON.parse(server.logs.find((entry) => entry.includes('WS_ERR_UNSUPPORTED_MESSAGE_LENGTH'))!) as Record<string, unknown>;
      expect({ level: line.level, msg: line.msg, code: line.code, closeCode: line.closeCode }).toEqual({
        level: 30,
        msg: 'WebSocket closed: the client broke the protocol',
        code: 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH',
        closeCode: 1009,
      });
      expect(server.logs.join('\n')).not.toMatch(/"stack"/);
      expect(server.logs.filter((entry) => (JSON.parse(entry) as { level: number }).level >= 50)).toEqual([]);
    } finally {
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
