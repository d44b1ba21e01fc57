import superjson from 'superjson';
import { describe, expect, it } from 'vitest';
import { flatJson, isoText, superjsonFlatText } from './flat-json.js';

/** A generator of field values, flat and not, so both roads are exercised. */
function valueOf(pick: number, index: number): unknown {
  const values: unknown[] = [
    'plain',
    '',
    'quote " backslash \\ newline \n tab \t and \u0001 \u2028 é 😀',
    '\ud800 lone surrogate',
    0,
    -0,
    42,
    -7.25,
    1e21,
    5e-324,
    Number.NaN,
    Infinity,
    true,
    false,
    null,
    undefined,
    new Date(1_796_407_968_000 + index * 1000),
    new Date(-1),
    new Date(Number.NaN),
    { nested: 1 },
    [1],
    10n,
  ];
  return values[pick % values.length];
}

const KEYS = ['token', 'kind', 'uid', 'a.b', 'back\\slash', '"quoted"', '10', '2', 'issuedAt', 'expiresAt', '__proto__', 'é'];

function generated(count: number): unknown[] {
  let seed = 35;
  const next = () => (seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0);
  return Array.from({ length: count }, (_unused, index) => {
    const value: Record<string, unknown> = {};
    const fields = next() % 6;
    for (let field = 0; field < fields; field++) {
      const key = KEYS[next() % KEYS.length]!;
      // Assigning `__proto__` would set the prototype; define it as an own key instead.
      Object.defineProperty(value, key, { value: valueOf(next(), index), enumerable: true, writable: true, configurable: true });
    }
    return value;
  });
}

describe('flat answers written directly', () => {
  const values = [
    {
      token: '007eAEB/+=',
      kind: 'rtc',
      appId: 'a',
      channel: 'c',
      uid: 42,
      role: 'publisher',
      issuedAt: new Date(1e12),
      expiresAt: new Date(1e12 + 3.6e6),
    },
    {},
    ...generated(20_000),
  ];

  it('writes JSON.stringify’s text for every flat object, and declines the rest', () => {
    let written = 0;
    for (const value of values) {
      const flat = flatJson(value);
      if (flat === undefined) continue;
      written++;
      expect(flat).toBe(JSON.stringify(value));
    }
    // Both roads were taken many times.
    expect(written).toBeGreaterThan(2_000);
    expect(values.length - written).toBeGreaterThan(2_000);
  });

  it('writes superjson’s text, meta included, for every flat object', () => {
    for (const value of values) {
      const text = superjsonFlatText(value);
      if (text === undefined) continue;
      expect(text).toBe(JSON.stringify(superjson.serialize(value)));
      expect(superjson.deserialize(JSON.parse(text) as Parameters<typeof superjson.deserialize>[0])).toEqual(value);
    }
  });

  it('declines what superjson tags or JSON.stringify writes differently', () => {
    for (const value of [
      { a: -0 },
      { a: Number.NaN },
      { a: undefined },
      { a: new Date(Number.NaN) },
      { 'a.b': new Date(0) },
      { a: { b: 1 } },
      [1],
      new Date(0),
      Object.create({ inherited: 1 }) as unknown,
      null,
      'text',
    ])
      expect(flatJson(value), JSON.stringify(value)).toBeUndefined();
  });

  it('remembers ISO texts without mixing instants up', () => {
    for (let time = -5_000; time < 200_000; time += 997) expect(isoText(new Date(time))).toBe(new Date(time).toISOString());
  });
});
