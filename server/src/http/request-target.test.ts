import { describe, expect, it } from 'vitest';
import { parseRequestTarget } from './request-target.js';

/** What URL makes of a target: the reference the edge's own reading must equal. */
function byUrl(target: string) {
  try {
    const url = new URL(target, 'http://localhost');
    return { pathname: url.pathname, hasQuery: url.search !== '', query: [...url.searchParams] };
  } catch {
    return 'refused';
  }
}

function ours(target: string) {
  try {
    const parsed = parseRequestTarget(target);
    return { pathname: parsed.pathname, hasQuery: parsed.hasQuery, query: [...parsed.searchParams] };
  } catch {
    return 'refused';
  }
}

const TRICKY = [
  '/',
  '/trpc/token.generate',
  '/trpc/token.generate,token.generate?batch=1',
  '/api/token.json',
  '/api/v1/tokens/',
  '/console/',
  '/console/../api/v1/tokens',
  '/console/./x',
  '/./',
  '/..',
  '/a/..',
  '/a/.',
  '/a/...',
  '/a/.b',
  '//evil.example/x',
  '/a//b',
  '/a\\b',
  '/%2e%2e/x',
  '/a%2Fb',
  '/files/a b',
  '/a?b=1#frag',
  '/a?x=%zz&y=%41',
  '/a?x=1&x=2&connectionParams=1',
  '/a?x=a+b&y="<>`{}|^',
  '/a?input=%7B%22json%22%3A%7B%7D%7D',
  '/a?',
  '/a?&&=',
  '/ümlaut',
  '/a?q=ü',
  '/a\t/b',
  '*',
  'http://other.example/x?y=1',
  '',
];

describe('request targets read without a URL object', () => {
  it.each(TRICKY)('reads %j as URL does', (target) => {
    expect(ours(target)).toEqual(byUrl(target));
  });

  it('agrees with URL on 20,000 generated targets', () => {
    const pieces = [
      '/',
      '/',
      'a',
      'b',
      '.',
      '..',
      '%2e',
      '%41',
      '?',
      '&',
      '=',
      '#',
      '+',
      '\\',
      ',',
      '~',
      '-',
      '_',
      'é',
      '"',
      ' ',
      'trpc',
      'json',
    ];
    let seed = 35;
    const next = () => (seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0) / 2 ** 32;
    for (let round = 0; round < 20_000; round++) {
      let target = '/';
      const length = Math.floor(next() * 12);
      for (let index = 0; index < length; index++) target += pieces[Math.floor(next() * pieces.length)]!;
      expect(ours(target), target).toEqual(byUrl(target));
    }
  });

  it('parses the query only when it is read', () => {
    const target = parseRequestTarget('/trpc/x?batch=1&input=%7B%7D');
    expect(target.pathname).toBe('/trpc/x');
    expect(target.searchParams.get('batch')).toBe('1');
    expect(target.searchParams.get('input')).toBe('{}');
    expect(target.searchParams).toBe(target.searchParams);
  });
});
