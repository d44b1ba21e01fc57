import { describe, expect, it } from 'vitest';
import { parseCommonRtcInput, TokenGenerateInput } from './token.js';

/** Inputs the pre-check takes; each must parse to exactly what the schema returns. */
const common: unknown[] = [
  { channel: 'bench', uid: 4242, expireSeconds: 3600 },
  { channel: 'bench', uid: 4242, role: 'publisher', expireTime: 3600 },
  { kind: 'rtc', channel: 'a b!#$%&()+-:;<=.>?@[]^_{}|~,', uid: 0, role: 'subscriber' },
  { channel: 'x'.repeat(63), uid: 2 ** 32 - 1, expireSeconds: 86_400, expireTime: 86_400, privilegeExpireSeconds: 86_400 },
  { channel: 'c', uid: 1, privilegeExpireSeconds: 3600 },
  { channel: 'c', uid: 1, expireTime: 1, privilegeExpireSeconds: 1 },
];
/** Inputs it leaves to the schema (valid or not): the schema's answer, errors included, stands. */
const leftToSchema: unknown[] = [
  null,
  'text',
  [],
  { channel: 'c', uid: '42' },
  { channel: 'c', uid: 'account' },
  { channel: 'c', uid: -1 },
  { channel: 'c', uid: 1.5 },
  { channel: 'c', uid: 2 ** 32 },
  { channel: 'c', uid: Number.NaN },
  { channel: '', uid: 1 },
  { channel: 'x'.repeat(64), uid: 1 },
  { channel: 'é', uid: 1 },
  { channel: 3, uid: 1 },
  { uid: 1 },
  { channel: 'c' },
  { kind: 'rtm', userId: 'u' },
  { kind: 'chat' },
  { kind: 'other', channel: 'c', uid: 1 },
  { channel: 'c', uid: 1, role: 'admin' },
  { channel: 'c', uid: 1, expireSeconds: 0 },
  { channel: 'c', uid: 1, expireSeconds: 86_401 },
  { channel: 'c', uid: 1, expireSeconds: 1.5 },
  { channel: 'c', uid: 1, expireSeconds: '3600' },
  { channel: 'c', uid: 1, expireSeconds: 60, expireTime: 120 },
  { channel: 'c', uid: 1, privilegeExpireSeconds: 3601 },
  { channel: 'c', uid: 1, expireSeconds: 60, privilegeExpireSeconds: 61 },
  { channel: 'c', uid: 1, extra: true },
  { channel: 'c', uid: 1, role: undefined },
  JSON.parse('{"channel":"c","uid":1,"__proto__":{"kind":"rtm"}}') as unknown,
  Object.assign(Object.create(null) as object, { channel: 'c', uid: 1 }),
];

describe('parseCommonRtcInput', () => {
  it.each(common.map((value) => [value]))('returns what the schema returns: %o', (value) => {
    const parsed = parseCommonRtcInput(value);
    expect(parsed).toBeDefined();
    // Keys and their order included.
    expect(JSON.stringify(parsed)).toBe(JSON.stringify(TokenGenerateInput.parse(value)));
    expect(parsed).toStrictEqual(TokenGenerateInput.parse(value));
  });

  it.each(leftToSchema.map((value) => [value]))('leaves the rest to the schema: %o', (value) => {
    expect(parseCommonRtcInput(value)).toBeUndefined();
  });
});

describe('parseCommonRtcInput against the schema, on generated inputs', () => {
  // A small seeded generator (mulberry32), so a failure names an input that reproduces.
  const random = (seed: number) => () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const next = random(35);
  const pick = <T>(choices: readonly T[]): T => choices[Math.floor(next() * choices.length)] as T;
  const values: Record<string, readonly unknown[]> = {
    kind: ['rtc', 'rtm', 'chat', 'RTC', '', 1],
    channel: ['c', 'room-1', 'x'.repeat(63), 'x'.repeat(64), '', ' ', 'é', 'a\u0000b', 7, null],
    uid: [0, 1, 42, 2 ** 32 - 1, 2 ** 32, -1, 1.5, '42', 'acc', Number.NaN, Infinity, null],
    role: ['publisher', 'subscriber', 'admin', 'Publisher', 1, null],
    expireSeconds: [1, 60, 3600, 86_400, 86_401, 0, -5, 1.5, '60', null],
    expireTime: [1, 60, 3600, 86_400, 86_401, 0, 2.5, '60', null],
    privilegeExpireSeconds: [1, 60, 3600, 86_400, 86_401, 0, 0.5, null],
    extra: [true],
  };

  it('accepts only what the schema accepts, and returns what it returns (20,000 inputs)', () => {
    let taken = 0;
    for (let i = 0; i < 20_000; i += 1) {
      const input: Record<string, unknown> = {};
      for (const [key, choices] of Object.entries(values)) {
        // Most keys absent most of the time, so that plainly valid inputs come up often.
        const present = key === 'channel' || key === 'uid' ? next() < 0.9 : next() < (key === 'extra' ? 0.05 : 0.3);
        if (present) input[key] = pick(choices);
      }
      const fast = parseCommonRtcInput(input);
      if (fast === undefined) continue;
      taken += 1;
      const schema = TokenGenerateInput.safeParse(input);
      expect({ input, success: schema.success }).toEqual({ input, success: true });
      expect(JSON.stringify(fast)).toBe(JSON.stringify(schema.data));
    }
    // The generator must reach the fast path often enough for the check to mean something.
    expect(taken).toBeGreaterThan(400);
  });
});
