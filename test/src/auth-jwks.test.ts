import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createJwtAuth, systemClock } from '@agora-backend/server';
import { closeClient, createClient } from '@agora-backend/client/node';
import { catchServerError } from './helpers/errors.js';
import { startRecordingStack, type RecordingStack } from './helpers/recording-stack.js';

let jwksServer: ReturnType<typeof createServer>;
let jwksUrl: string;
let signingKey: CryptoKey;
let stack: RecordingStack;

beforeAll(async () => {
  const { publicKey, privateKey } = await generateKeyPair('RS256');
  signingKey = privateKey;
  const jwk = { ...(await exportJWK(publicKey)), kid: 'key-1', alg: 'RS256', use: 'sig' };
  jwksServer = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ keys: [jwk] }));
  });
  await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
  jwksUrl = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/.well-known/jwks.json`;
  stack = await startRecordingStack({
    authenticator: createJwtAuth({
      jwksUrl,
      audience: 'agora-backend',
      clockSkewSeconds: 5,
      claims: { subject: 'sub', channels: 'channels', scope: 'scope' },
      clock: systemClock,
    }),
  });
});
afterAll(async () => {
  await stack.close(true);
  await new Promise((resolve) => jwksServer.close(resolve));
});

async function sign(key: CryptoKey, kid: string) {
  return new SignJWT({ sub: '42', channels: ['room-*'], scope: 'token' })
    .setProtectedHeader({ alg: 'RS256', kid })
    .setAudience('agora-backend')
    .setExpirationTime('5m')
    .sign(key);
}

describe('AUTH_MODE=jwt with JWT_JWKS_URL', () => {
  it('accepts tokens signed by a key of the JWKS, and refuses others', async () => {
    const good = createClient({ url: stack.app.url, auth: await sign(signingKey, 'key-1') });
    expect((await good.token.generate.mutate({ channel: 'room-1', uid: 42 })).uid).toBe(42);
    const { privateKey: stranger } = await generateKeyPair('RS256');
    const bad = createClient({ url: stack.app.url, auth: await sign(stranger, 'key-1') });
    const error = await catchServerError(bad.token.generate.mutate({ channel: 'room-1', uid: 42 }));
    expect(error.data?.code).toBe('UNAUTHORIZED');
    expect(error.message).toBe('invalid token');
    await closeClient(good);
    await closeClient(bad);
  });
});
