import { SignJWT } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { createApiKeyAuth, createJwtAuth, hashApiKey, systemClock, type Authenticator } from '@agora-backend/server';
import { closeClient, createClient, type AgoraBackendClient } from '@agora-backend/client/node';
import { catchServerError } from './helpers/errors.js';
import { CUSTOMER_SECRET, STORAGE, startRecordingStack, type RecordingStack } from './helpers/recording-stack.js';
import { TEST_APP_CERTIFICATE } from './helpers/server.js';
import { collect } from './helpers/subscribers.js';

const SECRET = 'jwt-test-secret-0123456789abcdef-xyz';
const KEYS = {
  alice: 'agk_alice_key_000000000000000000000000',
  bob: 'agk_bob_key_11111111111111111111111111',
  tokensOnly: 'agk_tokens_2222222222222222222222222222',
  admin: 'agk_admin_33333333333333333333333333333',
};
const apiKeyAuth = createApiKeyAuth([
  { id: 'alice', hash: hashApiKey(KEYS.alice), scopes: ['token', 'record'], channels: ['room-*'], subject: '42' },
  { id: 'bob', hash: hashApiKey(KEYS.bob), scopes: ['token', 'record'], channels: ['*'] },
  { id: 'tokens', hash: hashApiKey(KEYS.tokensOnly), scopes: ['token'], channels: ['*'] },
  { id: 'ops', hash: hashApiKey(KEYS.admin), scopes: ['admin'], channels: [] },
]);
const jwtAuth = createJwtAuth({
  secret: SECRET,
  audience: 'agora-backend',
  issuer: 'https://auth.example.com',
  clockSkewSeconds: 5,
  claims: { subject: 'sub', channels: 'channels', scope: 'scope' },
  clock: systemClock,
});

async function jwt(claims: Record<string, unknown>, options: { expiresIn?: string | number; audience?: string; secret?: string } = {}) {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer('https://auth.example.com')
    .setAudience(options.audience ?? 'agora-backend')
    .setIssuedAt()
    .setExpirationTime(options.expiresIn ?? '10m')
    .sign(new TextEncoder().encode(options.secret ?? SECRET));
}

let stack: RecordingStack | undefined;
const clients: AgoraBackendClient[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) await closeClient(client);
  await stack?.close(true);
  stack = undefined;
});

function clientsFor(s: RecordingStack, auth: string | undefined) {
  const ws = createClient({ url: s.app.url, ...(auth ? { auth } : {}), transport: 'ws' });
  const sse = createClient({ url: s.app.url, ...(auth ? { auth } : {}), transport: 'sse' });
  clients.push(ws, sse);
  return { ws, sse };
}

/** Every procedure with harmless input; all must answer UNAUTHORIZED without valid credentials. */
const calls: [string, (client: AgoraBackendClient) => Promise<unknown>][] = [
  ['token.generate', (c) => c.token.generate.mutate({ channel: 'room-1', uid: 42 })],
  ['recording.start', (c) => c.recording.start.mutate({ channel: 'room-1' })],
  ['recording.query', (c) => c.recording.query.query({ id: 'x' })],
  ['recording.stop', (c) => c.recording.stop.mutate({ id: 'x' })],
  ['recording.get', (c) => c.recording.get.query({ id: 'x' })],
  ['recording.list', (c) => c.recording.list.query({})],
  ['recording.update', (c) => c.recording.update.mutate({ id: 'x', paused: true })],
  ['recording.updateLayout', (c) => c.recording.updateLayout.mutate({ id: 'x', layout: { layout: 'adaptive' } })],
];

async function expectUnauthorizedEverywhere(s: RecordingStack, auth: string | undefined, message: RegExp) {
  const { ws, sse } = clientsFor(s, auth);
  for (const [name, call] of calls) {
    for (const client of [ws, sse]) {
      const error = await catchServerError(call(client));
      expect(error.data?.code, name).toBe('UNAUTHORIZED');
      expect(error.message, name).toMatch(message);
    }
  }
  for (const client of [ws, sse]) {
    const watcher = collect(client, 'x');
    await expect.poll(() => watcher.error).toBeDefined();
    expect((watcher.error as { data?: { code?: string } }).data?.code).toBe('UNAUTHORIZED');
    watcher.unsubscribe();
  }
}

describe.each([
  ['apikey', apiKeyAuth, () => Promise.resolve(KEYS.alice)],
  ['jwt', jwtAuth, () => jwt({ sub: '42', channels: ['room-*'], scope: 'token record' })],
] as [string, Authenticator, () => Promise<string>][])('AUTH_MODE=%s', (mode, authenticator, validCredential) => {
  it('refuses missing and malformed credentials on every procedure and transport', async () => {
    stack = await startRecordingStack({ authenticator });
    await expectUnauthorizedEverywhere(stack, undefined, /missing credentials/);
    await expectUnauthorizedEverywhere(stack, 'not-a-credential', mode === 'apikey' ? /invalid API key/ : /invalid token/);
  });

  if (mode === 'jwt') {
    it('refuses expired, wrong-audience and wrongly signed tokens', async () => {
      stack = await startRecordingStack({ authenticator });
      await expectUnauthorizedEverywhere(
        stack,
        await jwt({ sub: '42', scope: 'token' }, { expiresIn: Math.floor(Date.now() / 1000) - 60 }),
        /token expired/,
      );
      await expectUnauthorizedEverywhere(
        stack,
        await jwt({ sub: '42', scope: 'token' }, { audience: 'someone-else' }),
        /aud claim check failed/,
      );
      await expectUnauthorizedEverywhere(
        stack,
        await jwt({ sub: '42', scope: 'token' }, { secret: 'another-secret-that-is-long-enough-000' }),
        /invalid token/,
      );
    });
  }

  it('serves a valid caller over HTTP, WebSocket and SSE', async () => {
    stack = await startRecordingStack({ authenticator });
    const credential = await validCredential();
    const { ws, sse } = clientsFor(stack, credential);
    const token = await ws.token.generate.mutate({ channel: 'room-1', uid: 42 });
    expect(token.uid).toBe(42);
    const started = await ws.recording.start.mutate({ channel: 'room-1' });
    expect((await ws.recording.get.query({ id: started.id })).owner).toBe('42');
    for (const client of [ws, sse]) {
      const watcher = collect(client, started.id);
      await expect.poll(() => watcher.events.length).toBe(1);
      watcher.unsubscribe();
    }
  });
});

describe('authorization', () => {
  it('mints tokens only for the caller’s own uid and channels, unless admin', async () => {
    stack = await startRecordingStack({ authenticator: apiKeyAuth });
    const { ws: alice } = clientsFor(stack, KEYS.alice);
    expect((await alice.token.generate.mutate({ channel: 'room-1', uid: '42' })).uid).toBe(42);
    const otherUid = await catchServerError(alice.token.generate.mutate({ channel: 'room-1', uid: 43 }));
    expect(otherUid.data).toMatchObject({ code: 'FORBIDDEN', appCode: 'FORBIDDEN' });
    expect(otherUid.message).toBe('tokens are issued for your own uid (42) only');
    const otherChannel = await catchServerError(alice.token.generate.mutate({ channel: 'lobby', uid: 42 }));
    expect(otherChannel.message).toBe('this credential may not use channel "lobby"');
    const appToken = await catchServerError(alice.token.generate.mutate({ kind: 'chat' }));
    expect(appToken.data?.code).toBe('FORBIDDEN');
    const { ws: admin } = clientsFor(stack, KEYS.admin);
    expect((await admin.token.generate.mutate({ channel: 'anything', uid: 7 })).uid).toBe(7);
    expect((await admin.token.generate.mutate({ kind: 'chat' })).kind).toBe('chat');
  });

  it('checks scopes and recordable channels', async () => {
    stack = await startRecordingStack({ authenticator: apiKeyAuth });
    const { ws: tokensOnly } = clientsFor(stack, KEYS.tokensOnly);
    const noScope = await catchServerError(tokensOnly.recording.start.mutate({ channel: 'room-1' }));
    expect(noScope.data?.code).toBe('FORBIDDEN');
    expect(noScope.message).toBe('this credential lacks the "record" scope');
    const { ws: alice } = clientsFor(stack, KEYS.alice);
    const channel = await catchServerError(alice.recording.start.mutate({ channel: 'lobby' }));
    expect(channel.message).toBe('this credential may not record channel "lobby"');
    expect(stack.emulator.control.requestCounts()).toEqual({});
  });

  it("answers someone else's recording exactly like a missing one; admins see everything", async () => {
    stack = await startRecordingStack({ authenticator: apiKeyAuth });
    const { ws: alice } = clientsFor(stack, KEYS.alice);
    const { ws: bob, sse: bobSse } = clientsFor(stack, KEYS.bob);
    const { ws: admin } = clientsFor(stack, KEYS.admin);
    const started = await alice.recording.start.mutate({ channel: 'room-1' });
    const missing = await catchServerError(bob.recording.get.query({ id: 'does-not-exist' }));
    for (const call of [
      bob.recording.get.query({ id: started.id }),
      bob.recording.query.query({ id: started.id }),
      bob.recording.query.query({ resourceId: started.resourceId, sid: started.sid }),
      bob.recording.stop.mutate({ id: started.id }),
      bob.recording.update.mutate({ id: started.id, unsubscribeAudioUids: ['1'] }),
    ]) {
      const error = await catchServerError(call);
      expect(error.data).toMatchObject({ code: missing.data!.code, appCode: missing.data!.appCode });
      expect(error.message).toBe(missing.message);
    }
    const watcher = collect(bobSse, started.id);
    await expect.poll(() => watcher.error).toBeDefined();
    expect((watcher.error as { data?: { code?: string } }).data?.code).toBe('NOT_FOUND');
    expect((await bob.recording.list.query({})).items).toEqual([]);
    expect((await alice.recording.list.query({})).items.map((item) => item.id)).toEqual([started.id]);
    expect((await admin.recording.list.query({})).items.map((item) => item.id)).toEqual([started.id]);
    expect((await admin.recording.stop.mutate({ id: started.id })).state).toBe('stopped');
  });
});

describe('limits', () => {
  it('rate-limits recording.start per caller with a retry-after hint', async () => {
    stack = await startRecordingStack({
      authenticator: apiKeyAuth,
      rateLimits: { tokensPerMinute: 100, startsPerMinute: 2, ipMultiplier: 10 },
    });
    const { ws: bob } = clientsFor(stack, KEYS.bob);
    await bob.recording.start.mutate({ channel: 'a' });
    await bob.recording.start.mutate({ channel: 'b' });
    const limited = await catchServerError(bob.recording.start.mutate({ channel: 'c' }));
    expect(limited.data).toMatchObject({ code: 'TOO_MANY_REQUESTS', appCode: 'RATE_LIMITED', retryAfterSeconds: 30 });
    expect(limited.message).toBe('too many recording starts; retry after 30 s');
    // Another caller has a bucket of its own.
    const { ws: alice } = clientsFor(stack, KEYS.alice);
    expect((await alice.recording.start.mutate({ channel: 'room-9' })).channel).toBe('room-9');
  });

  it('rate-limits token.generate per address across callers', async () => {
    stack = await startRecordingStack({
      authenticator: apiKeyAuth,
      rateLimits: { tokensPerMinute: 3, startsPerMinute: 100, ipMultiplier: 1 },
    });
    const { ws: admin } = clientsFor(stack, KEYS.admin);
    const { ws: bob } = clientsFor(stack, KEYS.bob);
    for (let i = 0; i < 3; i++) await admin.token.generate.mutate({ channel: 'c', uid: i + 1 });
    const limited = await catchServerError(bob.token.generate.mutate({ channel: 'c', uid: 'bob' }));
    expect(limited.data?.code).toBe('TOO_MANY_REQUESTS');
  });

  it('allows CORS only for listed origins, and caps WebSocket connections per address', async () => {
    stack = await startRecordingStack({ corsOrigins: ['https://app.example.com'], wsConnectionsPerIp: 1 });
    const preflight = (origin: string) =>
      fetch(`${stack!.app.url}/token.generate`, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST' } });
    expect((await preflight('https://app.example.com')).headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    // Another origin's preflight is answered (so its page can read why), its request refused.
    expect((await preflight('https://evil.example.com')).headers.get('access-control-max-age')).toBeNull();
    const refused = await fetch(`${stack.app.url}/token.generate`, {
      method: 'POST',
      headers: { origin: 'https://evil.example.com', 'content-type': 'application/json' },
      body: '{}',
    });
    expect(refused.status).toBe(403);
    expect(await refused.text()).toContain('ORIGIN_REFUSED');
    const { default: WebSocket } = await import('ws');
    const open = (url: string) =>
      new Promise<string>((resolve) => {
        const socket = new WebSocket(url);
        socket.on('open', () => resolve('open'));
        socket.on('error', (error) => resolve(error.message));
      });
    expect(await open(stack.app.wsUrl)).toBe('open');
    expect(await open(stack.app.wsUrl)).toMatch(/429/);
  });

  it('refuses bodies over the limit', async () => {
    stack = await startRecordingStack();
    const response = await fetch(`${stack.app.url}/token.generate`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ json: { channel: 'c', uid: 1, padding: 'x'.repeat(2 * 1024 * 1024) } }),
    });
    expect(response.status).toBe(413);
  });
});

describe('secrets stay out of the logs', () => {
  it('runs the whole flow at debug level without logging a key, JWT, secret, certificate or token', async () => {
    stack = await startRecordingStack({ authenticator: jwtAuth, webhookSecret: 'whsec-test-secret' });
    const credential = await jwt({ sub: '42', channels: ['*'], scope: 'token record' });
    const { ws, sse } = clientsFor(stack, credential);
    stack.emulator.control.join('room-1', '100');
    const issued = await ws.token.generate.mutate({ channel: 'room-1', uid: 42 });
    const started = await ws.recording.start.mutate({ channel: 'room-1' });
    const watcher = collect(sse, started.id);
    await ws.recording.query.query({ id: started.id });
    await ws.recording.stop.mutate({ id: started.id });
    await expect.poll(() => watcher.completed).toBe(true);
    await catchServerError(createClient({ url: stack.app.url, auth: KEYS.alice }).recording.list.query({}));
    const logs = stack.logs.join('\n');
    expect(stack.logs.length).toBeGreaterThan(3);
    for (const secret of [
      credential,
      issued.token,
      KEYS.alice,
      CUSTOMER_SECRET,
      STORAGE.accessKey,
      STORAGE.secretKey,
      TEST_APP_CERTIFICATE,
      'whsec-test-secret',
    ]) {
      expect(logs).not.toContain(secret);
    }
  });
});
