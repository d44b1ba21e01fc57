import superjson from 'superjson';
import { describe, expect, it } from 'vitest';
import { deserializeFlat, serializeFlat, transformer } from './transformer.js';

/** Values the flat encoder takes, and values it must leave to superjson. */
const flat: unknown[] = [
  {},
  {
    token: '007abc',
    kind: 'rtc',
    appId: 'a',
    channel: 'c',
    uid: 42,
    role: 'publisher',
    issuedAt: new Date(1e12),
    expiresAt: new Date(1e12 + 3.6e6),
  },
  { kind: 'chat', appId: 'a', issuedAt: new Date(0), expiresAt: new Date(-1) },
  { a: null, b: true, c: false, d: 0, e: 1.5, f: -3, 'g.h': 'dotted, not a Date', i: '' },
  { uid: 'account with spaces' },
];
const notFlat: unknown[] = [
  null,
  undefined,
  'text',
  3,
  [1, 2],
  new Date(0),
  { nested: { a: 1 } },
  { list: [] },
  { a: undefined },
  { a: Number.NaN },
  { a: Infinity },
  { a: -0 },
  { a: 10n },
  { a: new Date(Number.NaN) },
  { 'a.b': new Date(0) },
  { 'a\\b': new Date(0) },
  { a: new Map() },
  { a: /x/ },
  Object.create(null) as unknown,
  new (class Answer {
    a = 1;
  })(),
];

describe('the flat superjson encoder (token answers)', () => {
  it.each(flat.map((value) => [value]))('writes what superjson writes: %o', (value) => {
    const ours = serializeFlat(value);
    expect(ours).toBeDefined();
    // Key order included: the wire text is what clients and the equivalence tests read.
    expect(JSON.stringify(ours)).toBe(JSON.stringify(superjson.serialize(value)));
    expect(superjson.deserialize(ours as Parameters<typeof superjson.deserialize>[0])).toEqual(value);
  });

  it.each(notFlat.map((value) => [value]))('leaves the rest to superjson: %o', (value) => {
    expect(serializeFlat(value)).toBeUndefined();
    expect(JSON.stringify(transformer.output.serialize(value))).toBe(JSON.stringify(superjson.serialize(value)));
  });
});

describe('the flat superjson decoder (token inputs)', () => {
  const frames: unknown[] = [
    { json: {} },
    { json: { channel: 'bench', uid: 4242, expireSeconds: 3600 } },
    { json: { a: null, b: true, c: 'x', d: -1.5, 'e.f': 'g' } },
  ];
  const others: unknown[] = [
    null,
    {},
    { json: 'text' },
    { json: null },
    { json: [1] },
    { json: { a: { b: 1 } } },
    { json: { a: [1] } },
    { json: { a: 1 }, meta: { values: { a: ['undefined'] } } },
    { json: { a: 1 }, other: true },
    JSON.parse('{"json":{"__proto__":{"a":1}}}') as unknown,
    Object.assign(Object.create(null) as object, { json: { a: 1 } }),
  ];

  it.each(frames.map((frame) => [frame]))('returns what superjson returns: %o', (frame) => {
    const ours = deserializeFlat(frame);
    expect(ours).toBeDefined();
    expect(JSON.stringify(ours)).toBe(JSON.stringify(superjson.deserialize(frame as Parameters<typeof superjson.deserialize>[0])));
    expect(ours).not.toBe((frame as { json: unknown }).json);
  });

  it.each(others.map((frame) => [frame]))('leaves the rest to the frame check and superjson: %o', (frame) => {
    expect(deserializeFlat(frame)).toBeUndefined();
  });
});
