import { createClient } from '@agora-backend/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { catchServerError } from './helpers/errors.js';
import { readToken } from './helpers/token-verifier.js';
import { startTestServer, TEST_APP_CERTIFICATE, TEST_APP_ID, type TestServer } from './helpers/server.js';
import { composeApp } from '@agora-backend/server';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.close();
});

const nowSeconds = () => Math.floor(Date.now() / 1000);

function privilegesOf(token: string) {
  const decoded = readToken(token, TEST_APP_CERTIFICATE);
  expect(decoded.signatureValid).toBe(true);
  expect(decoded.appId).toBe(TEST_APP_ID);
  expect(decoded.services).toHaveLength(1);
  return { decoded, service: decoded.services[0]!, privileges: Object.fromEntries(decoded.services[0]!.privileges) };
}

describe('token.generate: RTC', () => {
  it('builds a signed publisher token for a numeric uid with the default lifetime', async () => {
    const before = nowSeconds();
    const result = await server.client.token.generate.mutate({ kind: 'rtc', channel: 'room1', uid: 527841 });
    const after = nowSeconds();
    const { decoded, service, privileges } = privilegesOf(result.token);
    expect(service.type).toBe(1);
    expect(service.fields).toEqual(['room1', '527841']);
    expect(privileges).toEqual({ 1: 3600, 2: 3600, 3: 3600, 4: 3600 });
    expect(decoded.expire).toBe(3600);
    expect(decoded.issueTs).toBeGreaterThanOrEqual(before);
    expect(decoded.issueTs).toBeLessThanOrEqual(after);
    expect(result).toMatchObject({ kind: 'rtc', appId: TEST_APP_ID, channel: 'room1', uid: 527841, role: 'publisher' });
    // superjson brings Dates back as Dates, equal to what the token says.
    expect(result.issuedAt).toBeInstanceOf(Date);
    expect(result.issuedAt.getTime()).toBe(decoded.issueTs * 1000);
    expect(result.expiresAt.getTime()).toBe((decoded.issueTs + 3600) * 1000);
    expect(readToken(result.token, 'ffffffffffffffffffffffffffffffff').signatureValid).toBe(false);
  });

  it('gives subscribers the join privilege only', async () => {
    const result = await server.client.token.generate.mutate({ channel: 'room1', uid: 42, role: 'subscriber', expireSeconds: 600 });
    const { privileges, decoded } = privilegesOf(result.token);
    expect(privileges).toEqual({ 1: 600 });
    expect(decoded.expire).toBe(600);
  });

  it('leaves the uid empty for uid 0, so any uid may join', async () => {
    const result = await server.client.token.generate.mutate({ channel: 'room1', uid: 0 });
    expect(privilegesOf(result.token).service.fields).toEqual(['room1', '']);
    expect(result.uid).toBe(0);
  });

  it('treats a digit string as the numeric uid', async () => {
    const fromString = await server.client.token.generate.mutate({ channel: 'room1', uid: '20' });
    expect(fromString.uid).toBe(20);
    expect(privilegesOf(fromString.token).service.fields).toEqual(['room1', '20']);
  });

  it('builds a user-account token for a non-numeric uid', async () => {
    const result = await server.client.token.generate.mutate({ channel: 'Team Sync #4', uid: 'alice@example.com' });
    expect(result.uid).toBe('alice@example.com');
    expect(privilegesOf(result.token).service.fields).toEqual(['Team Sync #4', 'alice@example.com']);
  });

  it('keeps privileges shorter than the token when asked', async () => {
    const result = await server.client.token.generate.mutate({
      channel: 'room1',
      uid: 7,
      expireSeconds: 1200,
      privilegeExpireSeconds: 600,
    });
    const { decoded, privileges } = privilegesOf(result.token);
    expect(decoded.expire).toBe(1200);
    expect(privileges).toEqual({ 1: 600, 2: 600, 3: 600, 4: 600 });
  });

  it("accepts the tutorial's body unchanged: { channel, uid, role, expireTime }", async () => {
    const result = await server.client.token.generate.mutate({ channel: 'test', uid: 1234, role: 'publisher', expireTime: 900 });
    const { decoded, service } = privilegesOf(result.token);
    expect(service.fields).toEqual(['test', '1234']);
    expect(decoded.expire).toBe(900);
    expect(result.expiresAt.getTime() - result.issuedAt.getTime()).toBe(900_000);
  });
});

describe('token.generate: RTM and Chat', () => {
  it('builds an RTM login token', async () => {
    const result = await server.client.token.generate.mutate({ kind: 'rtm', userId: 'alice', expireSeconds: 300 });
    const { service, privileges, decoded } = privilegesOf(result.token);
    expect(service.type).toBe(2);
    expect(service.fields).toEqual(['alice']);
    expect(privileges).toEqual({ 1: 300 });
    expect(decoded.expire).toBe(300);
    expect(result).toMatchObject({ kind: 'rtm', userId: 'alice' });
  });

  it('builds a Chat user token with a userId', async () => {
    const result = await server.client.token.generate.mutate({ kind: 'chat', userId: 'bob' });
    const { service, privileges } = privilegesOf(result.token);
    expect(service.type).toBe(5);
    expect(service.fields).toEqual(['bob']);
    expect(privileges).toEqual({ 1: 3600 });
  });

  it('builds a Chat app token without one', async () => {
    const result = await server.client.token.generate.mutate({ kind: 'chat' });
    const { service, privileges } = privilegesOf(result.token);
    expect(service.type).toBe(5);
    expect(service.fields).toEqual(['']);
    expect(privileges).toEqual({ 2: 3600 });
    expect(result.userId).toBeUndefined();
  });
});

describe('token.generate: validation over HTTP', () => {
  const cases: { name: string; input: Record<string, unknown>; path: string; rule: RegExp }[] = [
    { name: 'missing channel', input: { uid: 1 }, path: 'channel', rule: /string/ },
    { name: 'empty channel', input: { channel: '', uid: 1 }, path: 'channel', rule: /must not be empty/ },
    { name: 'channel of 64 bytes', input: { channel: 'a'.repeat(64), uid: 1 }, path: 'channel', rule: /at most 63 bytes/ },
    { name: 'channel with a slash', input: { channel: 'a/b', uid: 1 }, path: 'channel', rule: /may contain only letters/ },
    { name: 'channel with non-ASCII', input: { channel: 'café', uid: 1 }, path: 'channel', rule: /may contain only/ },
    { name: 'negative uid', input: { channel: 'c', uid: -1 }, path: 'uid', rule: /0 to 4294967295/ },
    { name: 'uid above 2^32-1', input: { channel: 'c', uid: 2 ** 32 }, path: 'uid', rule: /0 to 4294967295/ },
    { name: 'fractional uid', input: { channel: 'c', uid: 1.5 }, path: 'uid', rule: /whole number/ },
    { name: 'digit-string uid out of range', input: { channel: 'c', uid: '99999999999' }, path: 'uid', rule: /numeric uid must be from 0/ },
    { name: 'account with bad characters', input: { channel: 'c', uid: 'bob/ops' }, path: 'uid', rule: /user account may contain only/ },
    { name: 'account of 256 bytes', input: { channel: 'c', uid: 'a'.repeat(256) }, path: 'uid', rule: /at most 255 bytes/ },
    { name: 'empty account', input: { channel: 'c', uid: '' }, path: 'uid', rule: /must not be empty/ },
    { name: 'unknown role', input: { channel: 'c', uid: 1, role: 'audience' }, path: 'role', rule: /'publisher' or 'subscriber'/ },
    { name: 'zero lifetime', input: { channel: 'c', uid: 1, expireSeconds: 0 }, path: 'expireSeconds', rule: /from 1 to 86400/ },
    { name: 'lifetime over 24 h', input: { channel: 'c', uid: 1, expireSeconds: 86_401 }, path: 'expireSeconds', rule: /from 1 to 86400/ },
    { name: 'fractional lifetime', input: { channel: 'c', uid: 1, expireSeconds: 1.5 }, path: 'expireSeconds', rule: /whole number/ },
    { name: 'bad expireTime alias', input: { channel: 'c', uid: 1, expireTime: 0 }, path: 'expireTime', rule: /from 1 to 86400/ },
    {
      name: 'alias conflict',
      input: { channel: 'c', uid: 1, expireSeconds: 100, expireTime: 200 },
      path: 'expireTime',
      rule: /alias of expireSeconds/,
    },
    {
      name: 'privileges outlive token',
      input: { channel: 'c', uid: 1, privilegeExpireSeconds: 7200 },
      path: 'privilegeExpireSeconds',
      rule: /must not exceed the token lifetime \(3600/,
    },
    { name: 'unknown kind', input: { kind: 'voice', channel: 'c', uid: 1 }, path: 'kind', rule: /'rtc', 'rtm' or 'chat'/ },
    { name: 'rtm without userId', input: { kind: 'rtm' }, path: 'userId', rule: /string/ },
    { name: 'rtm userId of 65 bytes', input: { kind: 'rtm', userId: 'u'.repeat(65) }, path: 'userId', rule: /at most 64 bytes/ },
    {
      name: 'rtm userId of 40 characters but 80 bytes',
      input: { kind: 'rtm', userId: 'é'.repeat(40) },
      path: 'userId',
      rule: /at most 64 bytes/,
    },
    { name: 'chat with empty userId', input: { kind: 'chat', userId: '' }, path: 'userId', rule: /must not be empty/ },
  ];

  it.each(cases)('rejects $name with BAD_REQUEST naming $path', async ({ input, path, rule }) => {
    const clientError = await catchServerError(server.client.token.generate.mutate(input as never));
    const data = clientError.data!;
    expect(data.code).toBe('BAD_REQUEST');
    expect(data.httpStatus).toBe(400);
    expect(data.appCode).toBe('VALIDATION');
    const issue = data.issues?.find((candidate) => candidate.path === path);
    expect(issue, JSON.stringify(data.issues)).toBeDefined();
    expect(issue!.message).toMatch(rule);
    expect(clientError.message).toContain(`${path}: `);
  });

  it('answers a non-JSON body with 400, not 500', async () => {
    const response = await fetch(`${server.app.url}/token.generate`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{not json',
    });
    expect(response.status).toBe(400);
  });
});

describe('token.generate: transport', () => {
  it('batches calls made together into one HTTP request', async () => {
    let requests = 0;
    const client = createClient({
      url: server.app.url,
      fetch: (input, init) => {
        requests++;
        return fetch(input, init);
      },
    });
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, index) => client.token.generate.mutate({ channel: 'batch', uid: index + 1 })),
    );
    expect(requests).toBe(1);
    results.forEach((result, index) => {
      expect(privilegesOf(result.token).service.fields).toEqual(['batch', String(index + 1)]);
    });
  });

  it('is a mutation: a GET is refused', async () => {
    const input = encodeURIComponent(JSON.stringify({ json: { channel: 'c', uid: 1 } }));
    const response = await fetch(`${server.app.url}/token.generate?input=${input}`);
    expect(response.status).toBe(405);
  });

  it('never hands out an empty token when agora-token refuses the credentials', async () => {
    const app = composeApp({ host: '127.0.0.1', port: 0, appId: 'not-an-app-id', appCertificate: TEST_APP_CERTIFICATE });
    const { url } = await app.listen();
    try {
      const error = await catchServerError(createClient({ url }).token.generate.mutate({ channel: 'c', uid: 1 }));
      const data = error.data!;
      expect(data.code).toBe('INTERNAL_SERVER_ERROR');
      expect(data.appCode).toBe('TOKEN_BUILD_FAILED');
    } finally {
      await app.close();
    }
  });
});

describe('health endpoints', () => {
  it('answers /healthz and /readyz, and 404 elsewhere', async () => {
    const health = await fetch(`${server.app.baseUrl}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${server.app.baseUrl}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ready' });
    expect((await fetch(`${server.app.baseUrl}/nope`)).status).toBe(404);
  });

  it('reports not ready when a dependency check fails', async () => {
    const other = await startTestServer({ readinessChecks: [{ name: 'store', check: () => Promise.resolve(false) }] });
    try {
      const ready = await fetch(`${other.app.baseUrl}/readyz`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toEqual({ status: 'not ready', checks: { accepting: true, store: false } });
    } finally {
      await other.close();
    }
  });
});

describe('single, unbatched calls (the fast road)', () => {
  it('answer httpLink clients exactly as the batched road does, results and errors alike', async () => {
    const { createTRPCClient, httpLink } = await import('@trpc/client');
    const superjson = (await import('superjson')).default;
    const single = createTRPCClient<import('@agora-backend/client').AppRouter>({
      links: [httpLink({ url: server.app.url, transformer: superjson })],
    });
    const viaSingle = await single.token.generate.mutate({ channel: 'room1', uid: 99, expireSeconds: 600 });
    const viaBatch = await server.client.token.generate.mutate({ channel: 'room1', uid: 99, expireSeconds: 600 });
    expect(viaSingle.expiresAt).toBeInstanceOf(Date);
    expect({ ...viaSingle, token: '', issuedAt: 0, expiresAt: 0 }).toEqual({ ...viaBatch, token: '', issuedAt: 0, expiresAt: 0 });
    expect(privilegesOf(viaSingle.token).service.fields).toEqual(['room1', '99']);

    const bad = { channel: 'a/b', uid: -1 };
    const singleError = await catchServerError(single.token.generate.mutate(bad));
    const batchError = await catchServerError(server.client.token.generate.mutate(bad));
    expect(singleError.message).toBe(batchError.message);
    expect(singleError.data).toEqual({ ...batchError.data, path: 'token.generate' });

    const notJson = await fetch(`${server.app.url}/token.generate`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{oops',
    });
    expect(notJson.status).toBe(400);
    const tooBig = await fetch(`${server.app.url}/token.generate`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ json: { channel: 'c', uid: 1, pad: 'x'.repeat(2 * 1024 * 1024) } }),
    });
    expect(tooBig.status).toBe(413);
  });
});
