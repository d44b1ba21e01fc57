import { describe, expect, it } from 'vitest';
import { AppError } from '../errors.js';
import { parseFilePath, parseRange } from './files.js';

const TOKEN = `1800000000-${'a'.repeat(43)}`;

describe('file paths', () => {
  it('reads the token and the key, percent-decoded per segment', () => {
    expect(parseFilePath(`/files/${TOKEN}/recordings/abc/a%20b.ts`)).toEqual({
      expires: '1800000000',
      signature: 'a'.repeat(43),
      key: 'recordings/abc/a b.ts',
    });
  });

  it.each([
    ['an escaped slash', `/files/${TOKEN}/recordings/..%2F..%2Fregistry.sqlite`, 'NOT_FOUND'],
    ['an escaped backslash', `/files/${TOKEN}/recordings/..%5Cx`, 'NOT_FOUND'],
    ['a dot-dot segment', `/files/${TOKEN}/recordings/../x`, 'NOT_FOUND'],
    ['an empty segment', `/files/${TOKEN}/recordings//x`, 'NOT_FOUND'],
    ['a NUL', `/files/${TOKEN}/recordings/x%00.ts`, 'NOT_FOUND'],
    ['a malformed escape', `/files/${TOKEN}/recordings/%E0%A4%A`, 'MALFORMED_REQUEST'],
    ['no token', '/files/recordings/abc/x.ts', 'LINK_REFUSED'],
    ['a short signature', '/files/1800000000-abc/recordings/x.ts', 'LINK_REFUSED'],
  ])('refuses %s', (_name, path, code) => {
    try {
      parseFilePath(path);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(AppError);
      expect((error as AppError).appCode).toBe(code);
    }
  });
});

describe('byte ranges', () => {
  it.each([
    ['bytes=0-9', 100, { start: 0, end: 9 }],
    ['bytes=90-', 100, { start: 90, end: 99 }],
    ['bytes=-10', 100, { start: 90, end: 99 }],
    ['bytes=-500', 100, { start: 0, end: 99 }],
    ['bytes=50-5000', 100, { start: 50, end: 99 }],
    ['bytes=100-', 100, 'unsatisfiable'],
    ['bytes=-0', 100, 'unsatisfiable'],
    ['bytes=0-', 0, 'unsatisfiable'],
    ['bytes=9-2', 100, undefined],
    ['bytes=0-1,5-6', 100, undefined],
    ['items=0-1', 100, undefined],
    [undefined, 100, undefined],
  ] as const)('%s of %i bytes', (header, size, expected) => {
    expect(parseRange(header, size)).toEqual(expected);
  });
});
