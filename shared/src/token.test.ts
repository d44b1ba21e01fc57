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
