import { describe, expect, it } from 'vitest';
import { jsonText } from './respond.js';

describe('jsonText', () => {
  it.each([
    [{ token: 't', issuedAt: new Date(1e12), expiresAt: new Date(0), n: 1 }],
    [{ bad: new Date(Number.NaN), nested: { at: new Date(5) }, list: [new Date(6)] }],
    [{ 'a.b': new Date(7), u: undefined, f: () => 1 }],
    [[new Date(8)]],
    [new Date(9)],
    ['text'],
    [null],
    [{}],
  ])('writes what JSON.stringify writes: %o', (body) => {
    expect(jsonText(body)).toBe(JSON.stringify(body));
  });
});
