import { TokenGenerateOutput } from '@agora-backend/shared';
import { describe, expect, it } from 'vitest';
import { createApiKeyAuth } from '../auth/index.js';
import { createFakeClock } from '../clock.js';
import { composeServices } from '../compose.js';
import { createSilentLogger } from '../logger.js';
import { decodeToken, verifyTokenSignature } from '../testing/decode-token.js';
import type { Context } from '../trpc/context.js';
import { appRouter } from './_app.js';
import { generateTokenDirect } from './token.js';

const APP_ID = '970ca35de60c44645bbae8a215061b33';
const CERTIFICATE = '5cfd2fd1755d40ecb72977518be15d3b';

function adminContext(): Context {
  const logger = createSilentLogger();
  const composed = composeServices(
    { appId: APP_ID, appCertificate: CERTIFICATE, rateLimits: { tokensPerMinute: 1000, startsPerMinute: 10, ipMultiplier: 1 } },
    // A clock that stands still: both roads issue at the same second (a real one crossed a second once).
    { logger, authenticator: createApiKeyAuth([]), clock: createFakeClock(Date.UTC(2026, 11, 3, 12)) },
  );
  return {
    logger,
    services: composed.services,
    auth: { caller: { id: 'admin', scopes: new Set(['admin']), channels: ['*'] } },
    ip: '127.0.0.1',
    origin: 'http://127.0.0.1',
    transport: 'http',
    connection: { subscriptions: 0 },
    limits: { subscriptionsPerConnection: 10 },
    rateLimits: composed.rateLimits,
  };
}

const INPUTS = [
  { channel: 'room', uid: 7, role: 'subscriber', expireSeconds: 600 },
  { channel: 'room', uid: 'alice', privilegeExpireSeconds: 60 },
  { kind: 'rtm', userId: 'bob', expireTime: 120 },
  { kind: 'chat', userId: 'carol' },
  { kind: 'chat' },
] as const;

describe('token.generate by the direct road', () => {
  it("answers what the tRPC procedure answers, already in the output schema's shape", async () => {
    const ctx = adminContext();
    const caller = appRouter.createCaller(ctx);
    for (const input of INPUTS) {
      const direct = await generateTokenDirect(ctx, () => input);
      const viaTrpc = await caller.token.generate(input);
      // Nothing the output schema would strip or change: the direct road skips that check.
      expect(TokenGenerateOutput.parse(direct), JSON.stringify(input)).toStrictEqual(direct);
      const { token: directToken, ...directRest } = direct;
      const { token: trpcToken, ...trpcRest } = viaTrpc;
      expect(directRest).toStrictEqual(trpcRest);
      // The same content, with a fresh salt each (so never the same text).
      const [a, b] = [decodeToken(directToken)!, decodeToken(trpcToken)!];
      expect({ ...a, salt: 0, issueTs: 0 }).toStrictEqual({ ...b, salt: 0, issueTs: 0 });
      expect(a.serviceTypes.length).toBeGreaterThan(0);
      expect(verifyTokenSignature(directToken, CERTIFICATE)).toBe(true);
      expect(directToken).not.toBe(trpcToken);
    }
  });
});
