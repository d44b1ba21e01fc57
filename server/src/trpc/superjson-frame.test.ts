import superjson from 'superjson';
import { TRPCError } from '@trpc/server';
import { describe, expect, it } from 'vitest';
import { superjsonFrameProblem, valueDepthExceeds } from './superjson-frame.js';
import { transformer } from './transformer.js';

const json = { channel: 'room1', uid: 1 };

/** What the transformer refuses a frame with: the message callers see. */
function refusal(frame: unknown): string {
  try {
    transformer.input.deserialize(frame);
  } catch (error) {
    expect(error).toBeInstanceOf(TRPCError);
    expect((error as TRPCError).code).toBe('BAD_REQUEST');
    return (error as TRPCError).message;
  }
  throw new Error('the frame was accepted');
}

describe('superjson frames of inputs', () => {
  it('accepts what superjson itself writes for our inputs', () => {
    const set = ['a', 'b'];
    const inputs = [
      json,
      { channel: 'room1', uid: undefined, role: 'publisher' },
      { id: 'r1', at: new Date(0), list: [1, undefined, 3] },
      {
        translate: [
          { source: 'en-US', targets: set },
          { source: 'fr-FR', targets: set },
        ],
      },
      undefined,
      new Date(5),
    ];
    for (const input of inputs) {
      const frame = superjson.serialize(input);
      expect(superjsonFrameProblem(frame), JSON.stringify(frame)).toBeUndefined();
      expect(transformer.input.deserialize(JSON.parse(JSON.stringify(frame)))).toEqual(input);
    }
  });

  it('refuses a meta.values that superjson would recurse on, naming the field and rule', () => {
    // superjson walked the string's characters as children until the stack overflowed.
    expect(refusal({ json, meta: { values: 'Date' } })).toBe(
      "input.meta.values: must be superjson's annotation tree (an object of paths, or a [type, children?] pair)",
    );
    expect(refusal({ json, meta: { values: { channel: 'Date' } } })).toBe(
      "input.meta.values: must be superjson's annotation tree (an object of paths, or a [type, children?] pair)",
    );
    expect(refusal({ json, meta: { values: { channel: ['Date', 'Date'] } } })).toBe(
      "input.meta.values: must be superjson's annotation tree (an object of paths, or a [type, children?] pair)",
    );
  });

  it("refuses every other malformed framing in its own words, never the engine's", () => {
    const cases: [unknown, string][] = [
      [null, 'input: must be a superjson frame, an object { json, meta? }'],
      [[json], 'input: must be a superjson frame, an object { json, meta? }'],
      [{ json, meta: 'x' }, 'input.meta: must be an object'],
      [{ json, meta: { v: 7 } }, 'input.meta.v: must be 0 or 1'],
      [
        { json, meta: { values: { channel: ['set'] } } },
        'input.meta.values: inputs carry only these types: undefined, number, bigint, Date',
      ],
      [
        { json, meta: { values: { channel: [['custom', 'x']] } } },
        "input.meta.values: must be superjson's annotation tree (an object of paths, or a [type, children?] pair)",
      ],
      [
        JSON.parse('{"json":{},"meta":{"values":{"__proto__":["Date"]}}}'),
        'input.meta.values: a path may not name __proto__, prototype or constructor',
      ],
      [
        { json, meta: { values: { 'constructor.prototype': ['Date'] } } },
        'input.meta.values: a path may not name __proto__, prototype or constructor',
      ],
      [
        { json, meta: { values: { [Array.from({ length: 40 }, () => 'a').join('.')]: ['Date'] } } },
        'input.meta.values: a path may be at most 32 levels deep',
      ],
      [
        { json, meta: { referentialEqualities: { channel: 'uid' } } },
        "input.meta.referentialEqualities: must be superjson's map of paths to lists of paths",
      ],
      [
        { json, meta: { referentialEqualities: [['a.__proto__']] } },
        'input.meta.referentialEqualities: a path may not name __proto__, prototype or constructor',
      ],
      [{ json: JSON.parse(`${'['.repeat(40)}${']'.repeat(40)}`) as unknown }, 'input: nests deeper than 32 levels'],
      // A well-formed annotation that does not match the json: superjson's own refusal, in our words.
      [{ json, meta: { values: { channel: ['bigint'] } } }, "input.meta: its annotations do not match the input's json"],
    ];
    for (const [frame, message] of cases) expect(refusal(frame), message).toBe(message);
  });

  it('measures depth without recursion', () => {
    let deep: unknown = 1;
    for (let level = 0; level < 100_000; level++) deep = [deep];
    expect(valueDepthExceeds(deep, 32)).toBe(true);
    expect(valueDepthExceeds({ a: [{ b: 1 }] }, 3)).toBe(false);
    expect(valueDepthExceeds({ a: [{ b: 1 }] }, 2)).toBe(true);
  });
});
