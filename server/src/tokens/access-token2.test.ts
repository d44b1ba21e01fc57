import { inflateSync } from 'node:zlib';
import agora from 'agora-token';
import { describe, expect, it } from 'vitest';
import { encodeAccessToken2, zlibStored, type TokenService } from './access-token2.js';
import { AccessToken2, ServiceChat, ServiceRtc, ServiceRtm } from '../testing/agora-token.js';
import { decodeToken, verifyTokenSignature } from '../testing/decode-token.js';

/**
 * Our AccessToken2 encoder against agora-token, the reference: for thousands of random inputs
 * agora-token's parser reads our tokens back to the same content with a valid signature, and our
 * decoder reads agora-token's; with a fixed salt both sign the same bytes.
 */

const { RtcTokenBuilder, RtcRole } = agora;
const APP_ID = '970CA35de60c44645bbae8a215061b33';
const CERT = '5CFd2fd1755d40ecb72977518be15d3b';

/** A small seeded generator (mulberry32), so a failure names a reproducible case. */
function generator(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let value = Math.imul(state ^ (state >>> 15), 1 | state);
    value = (value + Math.imul(value ^ (value >>> 7), 61 | value)) ^ value;
    return ((value ^ (value >>> 14)) >>> 0) / 4_294_967_296;
  };
  const int = (min: number, max: number) => min + Math.floor(next() * (max - min + 1));
  const CHARS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 !#$%&()+-:;<=.>?@[]^_{}|~,é中';
  const text = (min: number, max: number) => Array.from({ length: int(min, max) }, () => CHARS[int(0, CHARS.length - 1)]).join('');
  const hex32 = () => Array.from({ length: 32 }, () => '0123456789abcdefABCDEF'[int(0, 21)]).join('');
  return { int, text, hex32, pick: <T>(items: readonly T[]) => items[int(0, items.length - 1)]! };
}

interface Case {
  appId: string;
  cert: string;
  issueTs: number;
  expire: number;
  salt: number;
  kind: 'rtc' | 'rtm' | 'chat';
  fields: string[];
  privileges: [number, number][];
}

function randomCase(g: ReturnType<typeof generator>): Case {
  const kind = g.pick(['rtc', 'rtm', 'chat'] as const);
  const expire = g.int(1, 86_400);
  const seconds = () => g.pick([0, expire, g.int(1, expire)]);
  const base = {
    appId: g.hex32(),
    cert: g.hex32(),
    issueTs: g.int(1_500_000_000, 2_100_000_000),
    expire,
    salt: g.int(1, 99_999_999),
    kind,
  };
  if (kind === 'rtc') {
    const uid = g.pick(['', String(g.int(1, 4_294_967_295)), g.text(1, 255)]);
    const privileges: [number, number][] = g.int(0, 1) === 0 ? [[1, seconds()]] : [1, 2, 3, 4].map((id) => [id, seconds()]);
    return { ...base, fields: [g.text(1, 64), uid], privileges };
  }
  if (kind === 'rtm') return { ...base, fields: [g.text(1, 64)], privileges: [[1, seconds()]] };
  return g.int(0, 1) === 0
    ? { ...base, fields: [''], privileges: [[2, seconds()]] }
    : { ...base, fields: [g.text(1, 64)], privileges: [[1, seconds()]] };
}

const TYPE = { rtc: 1, rtm: 2, chat: 5 } as const;
const ours = (c: Case) =>
  encodeAccessToken2({
    appId: c.appId,
    appCertificate: c.cert,
    issueTs: c.issueTs,
    expire: c.expire,
    salt: c.salt,
    services: [{ type: TYPE[c.kind], privileges: c.privileges, fields: c.fields } satisfies TokenService],
  });

function reference(c: Case): string {
  const token = new AccessToken2(c.appId, c.cert, c.issueTs, c.expire);
  token.salt = c.salt;
  const service =
    c.kind === 'rtc'
      ? new ServiceRtc(c.fields[0], c.fields[1])
      : c.kind === 'rtm'
        ? new ServiceRtm(c.fields[0])
        : new ServiceChat(c.fields[0]);
  for (const [id, seconds] of c.privileges) service.add_privilege(id, seconds);
  token.add_service(service);
  return token.build();
}

/** What a token says, read by agora-token's parser. */
function readByReference(token: string) {
  const parsed = new AccessToken2();
  expect(parsed.from_string(token)).toBe(true);
  return parsed;
}

const signatureOf = (token: string) => {
  const body = inflateSync(Buffer.from(token.slice(3), 'base64'));
  return body.subarray(2, 2 + body.readUInt16LE(0)).toString('hex');
};

describe('our AccessToken2 encoder', () => {
  it('agrees with agora-token on 3000 random tokens, both ways', () => {
    const g = generator(20_261_201);
    for (let n = 0; n < 3_000; n++) {
      const c = randomCase(g);
      const mine = ours(c);
      const theirs = reference(c);
      const label = JSON.stringify(c);
      // agora-token reads ours, and its signature check passes with the certificate (not another).
      const read = readByReference(mine);
      expect(read.verifySignature(c.cert), label).toBe(true);
      expect(read.verifySignature(c.cert.replace(/^./, (ch) => (ch === '0' ? '1' : '0'))), label).toBe(false);
      // Same signed content: our decoder reads both to the same thing, and the signatures match.
      expect(decodeToken(mine), label).toEqual(decodeToken(theirs));
      expect(signatureOf(mine), label).toBe(signatureOf(theirs));
      expect(verifyTokenSignature(theirs, c.cert), label).toBe(true);
    }
  });

  it('reproduces the reference vector’s signature and content', () => {
    const c: Case = {
      appId: APP_ID,
      cert: CERT,
      issueTs: 1_700_000_000,
      expire: 600,
      salt: 12_345,
      kind: 'rtc',
      fields: ['room1', '527841'],
      privileges: [[1, 600]],
    };
    const vector =
      '007eJxTYPj/vvq+EWffxM1ZHFUW93J3CdxbXyV4RzWvboZGPJPCZ0UFBktzA2dHY9OUVDODZBMTMxPTpKTEVItEI0NTAzPDJGNjho/BqRFMDAyWBgwMjFAI4rMyFOXn5xqyMZgamVuYGAIAqZIdZg==';
    expect(signatureOf(ours(c)).slice(0, 16)).toBe('ffef7bdf32098e91');
    expect(signatureOf(ours(c))).toBe(signatureOf(vector));
    expect(decodeToken(ours(c))).toEqual(decodeToken(vector));
  });

  it('builds what RtcTokenBuilder builds, read back by its own parser', () => {
    const now = Math.floor(Date.now() / 1000);
    const theirs = RtcTokenBuilder.buildTokenWithUid(APP_ID, CERT, 'room1', 527_841, RtcRole.PUBLISHER, 600, 600);
    const mine = encodeAccessToken2({
      appId: APP_ID,
      appCertificate: CERT,
      issueTs: now,
      expire: 600,
      services: [
        {
          type: 1,
          privileges: [
            [1, 600],
            [2, 600],
            [3, 600],
            [4, 600],
          ],
          fields: ['room1', '527841'],
        },
      ],
    });
    const { salt: _a, issueTs: _b, ...theirContent } = decodeToken(theirs)!;
    const { salt: _c, issueTs: _d, ...myContent } = decodeToken(mine)!;
    expect(myContent).toEqual(theirContent);
  });

  it('refuses a malformed App ID or certificate', () => {
    const service: TokenService = { type: 1, privileges: [[1, 60]], fields: ['c', ''] };
    expect(() => encodeAccessToken2({ appId: 'nope', appCertificate: CERT, issueTs: 1, expire: 60, services: [service] })).toThrow(
      RangeError,
    );
    expect(() => encodeAccessToken2({ appId: APP_ID, appCertificate: `${CERT}0`, issueTs: 1, expire: 60, services: [service] })).toThrow(
      RangeError,
    );
  });
});

describe('zlibStored', () => {
  it('makes streams zlib inflates back, across the 64 KiB block boundary', () => {
    for (const size of [0, 1, 100, 65_535, 65_536, 200_000]) {
      const data = Buffer.from(Array.from({ length: size }, (_, i) => (i * 7919) % 256));
      expect(inflateSync(zlibStored(data)).equals(data), `size ${size}`).toBe(true);
    }
  });
});
