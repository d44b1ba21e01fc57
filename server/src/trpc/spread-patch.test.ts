import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * patches/@trpc__server@11.25.2.patch replaces the object-spread helper tRPC's bundle runs for
 * every middleware step (see patches/README.md). These tests find the helper in the installed
 * package, so they fail if the patch stops applying (a tRPC upgrade) or if it stops behaving like
 * a native spread.
 */
type Spread = (target: object, ...sources: unknown[]) => Record<PropertyKey, unknown>;

async function loadSpreadHelper(): Promise<Spread> {
  const dist = dirname(fileURLToPath(import.meta.resolve('@trpc/server')));
  for (const file of readdirSync(dist).filter((name) => name.startsWith('getErrorShape-') && name.endsWith('.mjs'))) {
    const chunk = (await import(pathToFileURL(join(dist, file)).href)) as Record<string, unknown>;
    const helper = Object.values(chunk).find((value): value is Spread => typeof value === 'function' && value.name === '_objectSpread2');
    if (helper) return helper;
  }
  throw new Error(`no _objectSpread2 in ${dist}`);
}

describe('the patched tRPC spread helper', () => {
  it('is installed (the fast path is Object.assign)', async () => {
    expect((await loadSpreadHelper()).toString()).toContain('Object.assign');
  });

  it('builds what a native spread builds, as tRPC calls it: _objectSpread2(_objectSpread2({}, source), {}, literal)', async () => {
    const spread = await loadSpreadHelper();
    const symbol = Symbol('key');
    const source = { ctx: { a: 1 }, input: 'x', [symbol]: 2, gone: undefined };
    Object.defineProperty(source, 'hidden', { value: 3, enumerable: false });
    const literal = { input: 'y', next() {} };
    const ours = spread(spread({}, source), {}, literal);
    const native = { ...source, ...literal };
    expect(ours).toEqual(native);
    expect(Reflect.ownKeys(ours)).toEqual(Reflect.ownKeys(native));
    expect(ours[symbol]).toBe(2);
    expect('hidden' in ours).toBe(false);
  });

  it('copies an own "__proto__" key as a property and never sets the prototype (input from JSON.parse)', async () => {
    const spread = await loadSpreadHelper();
    const hostile = JSON.parse('{"__proto__": {"isAdmin": true}, "channel": "c"}') as object;
    const ours = spread(spread({}, hostile), {}, { extra: 1 });
    expect(Object.getPrototypeOf(ours)).toBe(Object.prototype);
    expect((ours as { isAdmin?: unknown }).isAdmin).toBeUndefined();
    expect(Object.getOwnPropertyDescriptor(ours, '__proto__')?.value).toEqual({ isAdmin: true });
    expect(ours).toMatchObject({ channel: 'c', extra: 1 });
  });
});
