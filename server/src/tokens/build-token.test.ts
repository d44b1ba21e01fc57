import agora from 'agora-token';
import { TokenGenerateInput } from '@agora-backend/shared';
import { describe, expect, it } from 'vitest';
import { createFakeClock } from '../clock.js';
import { createTokenIssuer, TokenBuildError } from './build-token.js';
import { decodeToken, verifyTokenSignature } from '../testing/decode-token.js';

const { RtcRole, RtcTokenBuilder, RtmTokenBuilder, ChatTokenBuilder } = agora;
const APP_ID = '970ca35de60c44645bbae8a215061b33';
const CERT = '5cfd2fd1755d40ecb72977518be15d3b';

const issuerAt = (ms: number) => createTokenIssuer({ appId: APP_ID, appCertificate: CERT, clock: createFakeClock(ms) });
const parse = (input: unknown) => TokenGenerateInput.parse(input);

/** Everything but the salt and signature, which are random per token. */
function comparable(token: string) {
  const decoded = decodeToken(token);
  if (!decoded) throw new Error('undecodable token');
  const { salt: _salt, issueTs: _issueTs, ...rest } = decoded;
  return rest;
}

describe('createTokenIssuer', () => {
  it('stamps issueTs from the injected clock and derives expiresAt from it', () => {
    const result = issuerAt(1_700_000_000_500).issue(parse({ channel: 'room1', uid: 527841, expireSeconds: 600 }));
    const decoded = decodeToken(result.token)!;
    expect(decoded.issueTs).toBe(1_700_000_000);
    expect(result.issuedAt).toEqual(new Date(1_700_000_000_000));
    expect(result.expiresAt).toEqual(new Date(1_700_000_600_000));
    expect(verifyTokenSignature(result.token, CERT)).toBe(true);
  });

  it("lays out RTC, RTM and Chat tokens exactly as agora-token's public builders do", () => {
    const issuer = issuerAt(Date.now());
    const cases: [unknown, string][] = [
      [
        { channel: 'room1', uid: 527841, expireSeconds: 600 },
        RtcTokenBuilder.buildTokenWithUid(APP_ID, CERT, 'room1', 527841, RtcRole.PUBLISHER, 600, 600),
      ],
      [
        { channel: 'room1', uid: 'alice', role: 'subscriber', expireSeconds: 600, privilegeExpireSeconds: 300 },
        RtcTokenBuilder.buildTokenWithUserAccount(APP_ID, CERT, 'room1', 'alice', RtcRole.SUBSCRIBER, 600, 300),
      ],
      [
        { channel: 'room1', uid: 0, expireSeconds: 60 },
        RtcTokenBuilder.buildTokenWithUid(APP_ID, CERT, 'room1', 0, RtcRole.PUBLISHER, 60, 60),
      ],
      [{ kind: 'rtm', userId: 'bob', expireSeconds: 900 }, RtmTokenBuilder.buildToken(APP_ID, CERT, 'bob', 900)],
      [{ kind: 'chat', userId: 'bob', expireSeconds: 900 }, ChatTokenBuilder.buildUserToken(APP_ID, CERT, 'bob', 900)],
      [{ kind: 'chat', expireSeconds: 900 }, ChatTokenBuilder.buildAppToken(APP_ID, CERT, 900)],
    ];
    for (const [input, reference] of cases) {
      expect(comparable(issuer.issue(parse(input)).token)).toEqual(comparable(reference));
    }
  });

  it('throws TokenBuildError instead of returning the empty string agora-token gives for bad credentials', () => {
    const issuer = createTokenIssuer({ appId: 'short', appCertificate: CERT, clock: createFakeClock() });
    expect(() => issuer.issue(parse({ channel: 'c', uid: 1 }))).toThrow(TokenBuildError);
  });
});
