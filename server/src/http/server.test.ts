import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { AppErrorCode } from '@agora-backend/shared';
import { AppError } from '../errors.js';
import { appRouter } from '../routers/_app.js';
import { captureLogs } from '../testing/agora-client.js';
import { createOriginPolicy } from './origin-policy.js';
import { sendJson } from './respond.js';
import { createEdgeServer, type Route } from './server.js';

/**
 * The edge's request handler is not an async function (a route that answers at once makes no
 * promise): whatever a route does — answers at once, throws, rejects later, or fails in a way that
 * even the error's answer cannot be written — the request is answered or closed, and the server
 * keeps serving. A throw out of the 'request' event would be an uncaught exception (shutdown).
 */
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

/** An error whose every inspection throws: writing its answer fails too. */
const unanswerable = new Proxy(new Error('unanswerable'), {
  get() {
    throw new Error('inspected');
  },
  getPrototypeOf() {
    throw new Error('inspected');
  },
});

async function edge() {
  const { logger, lines } = captureLogs();
  const route = (name: string, handle: Route['handle']): Route => ({
    name,
    matches: (pathname) => pathname === `/${name}`,
    methods: ['GET'],
    surface: 'rest',
    cors: false,
    handle,
  });
  const server = createEdgeServer({
    routes: [
      route('at-once', (_req, res) => sendJson(res, 200, { answered: 'at once' })),
      route('later', (_req, res) =>
        new Promise<void>((resolve) => setTimeout(resolve, 5)).then(() => sendJson(res, 200, { answered: 'later' })),
      ),
      route('throws', () => {
        throw new AppError(AppErrorCode.NOT_FOUND, 'thrown at once');
      }),
      route('rejects', () => Promise.reject(new AppError(AppErrorCode.FORBIDDEN, 'rejected later'))),
      route('unanswerable', () => {
        throw unanswerable;
      }),
      route('unanswerable-later', () => Promise.reject(unanswerable)),
    ],
    policy: createOriginPolicy({ allowedOrigins: [], loopbackHostsOnly: false }),
    router: appRouter,
    logger,
    draining: () => false,
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { base, lines };
}

describe('the edge answers whatever a route does', () => {
  it('answers a route that answers at once and one that waits', async () => {
    const { base } = await edge();
    for (const [path, answered] of [
      ['at-once', 'at once'],
      ['later', 'later'],
    ]) {
      const response = await fetch(`${base}/${path}`);
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ answered });
    }
  });

  it('writes the error of a route that throws at once or rejects later', async () => {
    const { base } = await edge();
    const thrown = await fetch(`${base}/throws`);
    expect(thrown.status).toBe(404);
    expect(await thrown.json()).toMatchObject({ code: 'NOT_FOUND', message: 'thrown at once' });
    const rejected = await fetch(`${base}/rejects`);
    expect(rejected.status).toBe(403);
    expect(await rejected.json()).toMatchObject({ code: 'FORBIDDEN', message: 'rejected later' });
  });

  it('closes a request whose error cannot be written, logs why, and keeps serving', async () => {
    const { base, lines } = await edge();
    for (const path of ['unanswerable', 'unanswerable-later']) {
      await expect(fetch(`${base}/${path}`)).rejects.toThrow();
    }
    expect(lines.filter((line) => line.includes('could not answer a failed request'))).toHaveLength(2);
    const after = await fetch(`${base}/at-once`);
    expect(after.status).toBe(200);
  });
});
