import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type * as Agora from '@agora-backend/client';
import { clientBundle, launchChromium, runBrowserTests, servePage, startCuttableProxy } from '../helpers/browser.js';
import { startRecordingStack, type RecordingStack } from '../helpers/recording-stack.js';
import { TEST_APP_CERTIFICATE } from '../helpers/server.js';
import { readToken } from '../helpers/token-verifier.js';

/**
 * The client package in real Chromium, bundled as a frontend bundles it, on a page of another
 * origin: tokens, typed errors, dates and recording.watch over each transport, as in Node.
 */
declare global {
  interface Window {
    agora: typeof Agora;
  }
}

let browser: Browser;
let page: Page;
let stack: RecordingStack;
let site: Awaited<ReturnType<typeof servePage>>;
let foreign: Awaited<ReturnType<typeof servePage>>;

describe.skipIf(!runBrowserTests)('the client in Chromium', { timeout: 60_000 }, () => {
  const cleanups: (() => Promise<void>)[] = [];
  beforeAll(async () => {
    const script = await clientBundle();
    site = await servePage(script);
    cleanups.push(() => site.close());
    foreign = await servePage(script);
    cleanups.push(() => foreign.close());
    stack = await startRecordingStack({ corsOrigins: [site.origin], pollIntervalMs: 200, confirmDelayMs: 100 });
    cleanups.push(() => stack.close(true));
    browser = await launchChromium();
    cleanups.push(() => browser.close());
    page = await browser.newPage();
    await page.goto(site.origin);
  }, 60_000);
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  it('mints a token over HTTP (queries and mutations of the sse transport): a real Date, a token that decodes for the channel and uid', async () => {
    const result = await page.evaluate(async (url) => {
      const client = window.agora.createClient({ url, transport: 'sse' });
      const answer = await client.token.generate.mutate({ channel: 'browser-room', uid: 7 });
      return { token: answer.token, isDate: answer.expiresAt instanceof Date, at: answer.expiresAt.getTime() };
    }, stack.app.url);
    expect(result.isDate).toBe(true);
    expect(result.at).toBeGreaterThan(Date.now());
    const decoded = readToken(result.token, TEST_APP_CERTIFICATE);
    expect(decoded.signatureValid).toBe(true);
    expect(decoded.services[0]!.fields).toEqual(['browser-room', '7']);
  });

  it('reads field issues from a refused input, as in Node', async () => {
    const error = await page.evaluate(async (url) => {
      const client = window.agora.createClient({ url, transport: 'sse' });
      try {
        await client.recording.start.mutate({ channel: '' });
        return undefined;
      } catch (caught) {
        const data = (caught as { data?: { code?: string; appCode?: string; issues?: unknown } }).data;
        return { code: data?.code, appCode: data?.appCode, issues: data?.issues };
      }
    }, stack.app.url);
    expect(error).toEqual({
      code: 'BAD_REQUEST',
      appCode: 'VALIDATION',
      issues: [{ path: 'channel', message: expect.any(String) as unknown }],
    });
  });

  for (const transport of ['ws', 'sse'] as const) {
    it(`watches a recording to its end over ${transport}`, async () => {
      const channel = `browser-${transport}`;
      stack.emulator.control.join(channel, '100');
      const started = await stack.client.recording.start.mutate({ channel });
      const watching = page.evaluate(
        ({ url, id, transport }) =>
          new Promise<{ states: string[]; dates: boolean }>((resolve, reject) => {
            const client = window.agora.createClient({ url, transport });
            const states: string[] = [];
            let dates = true;
            window.agora.watchRecording(client, id, {
              onEvent: (event) => {
                states.push(event.state);
                dates &&= event.at instanceof Date;
              },
              onEnd: () => resolve({ states, dates }),
              onError: (error) => reject(error instanceof Error ? error : new Error(String(error))),
            });
          }),
        { url: stack.app.url, id: started.id, transport },
      );
      await expect
        .poll(async () => (await stack.client.recording.get.query({ id: started.id })).state, { timeout: 10_000 })
        .toBe('recording');
      await stack.client.recording.stop.mutate({ id: started.id });
      const seen = await watching;
      expect(seen.dates).toBe(true);
      expect(seen.states.at(-1)).toBe('stopped');
      expect(seen.states).toContain('recording');
    });
  }

  for (const transport of ['ws', 'sse'] as const) {
    it(`resumes a watch after its connection is cut, with the last event id: nothing missed, nothing twice (${transport})`, async () => {
      const proxy = await startCuttableProxy(stack.app.baseUrl);
      try {
        const channel = `resume-${transport}`;
        stack.emulator.control.join(channel, '100');
        const started = await stack.client.recording.start.mutate({ channel });
        await page.evaluate(
          ({ url, id, transport }) => {
            const seen: { id: string; state: string }[] = [];
            const client = window.agora.createClient({ url, transport });
            const done = new Promise((resolve) => {
              window.agora.watchRecording(client, id, {
                onEvent: (event, eventId) => seen.push({ id: eventId, state: event.state }),
                onEnd: resolve,
                retryDelayMs: () => 100,
              });
            });
            Object.assign(window, { resumeTest: { seen, done } });
          },
          { url: `${proxy.url}/trpc`, id: started.id, transport },
        );
        const seen = () =>
          page.evaluate(() => (window as unknown as { resumeTest: { seen: { id: string; state: string }[] } }).resumeTest.seen);
        await expect.poll(async () => (await seen()).map((event) => event.state), { timeout: 10_000 }).toContain('recording');
        const before = proxy.connections();
        proxy.cut();
        await stack.client.recording.stop.mutate({ id: started.id });
        await page.evaluate(() => (window as unknown as { resumeTest: { done: Promise<unknown> } }).resumeTest.done);
        expect(proxy.connections()).toBeGreaterThan(before);
        const events = await seen();
        const stored = await stack.store.recordings.eventsAfter(started.id, undefined);
        // The watch opens with the current state, then every later event once, across the cut.
        const ids = stored.map((event) => String(event.id));
        expect(events.map((event) => event.id)).toEqual(ids.slice(ids.indexOf(events[0]!.id)));
        expect(events.at(-1)?.state).toBe('stopped');
      } finally {
        await proxy.close();
      }
    });
  }

  it('stops a WebSocket the server refuses (403) instead of retrying it, and says why', async () => {
    const other = await browser.newPage();
    try {
      await other.goto(foreign.origin);
      const outcome = await other.evaluate(async (url) => {
        let sockets = 0;
        // Counts connection attempts: a refused socket must not be retried for ever.
        const Counting = class extends WebSocket {
          constructor(address: string | URL, protocols?: string | string[]) {
            super(address, protocols);
            sockets++;
          }
        };
        const client = window.agora.createClient({ url, transport: 'ws', WebSocket: Counting });
        const error = await new Promise<{ message: string; data?: { appCode?: string } }>((resolve) => {
          window.agora.watchRecording(client, '0123456789abcdef0123456789abcdef', {
            onEvent: () => undefined,
            onError: (cause) => resolve(cause as never),
          });
        });
        const afterRefusal = sockets;
        await new Promise((resolve) => setTimeout(resolve, 2_500));
        return { message: error.message, appCode: error.data?.appCode, afterRefusal, later: sockets };
      }, stack.app.url);
      expect(outcome).toMatchObject({
        message: `origin "${foreign.origin}" is not allowed: add it to CORS_ORIGINS`,
        appCode: 'ORIGIN_REFUSED',
      });
      expect(outcome.later).toBe(outcome.afterRefusal);
      expect(outcome.afterRefusal).toBeLessThanOrEqual(2);
    } finally {
      await other.close();
    }
  });

  it('is refused from an origin not in CORS_ORIGINS, and starts nothing', async () => {
    const other = await browser.newPage();
    try {
      await other.goto(foreign.origin);
      const before = stack.emulator.control.requestCounts().acquire ?? 0;
      const outcome = await other.evaluate(async (url) => {
        const client = window.agora.createClient({ url, transport: 'sse' });
        try {
          await client.recording.start.mutate({ channel: 'foreign-room' });
          return 'started';
        } catch (error) {
          const refusal = error as { message: string; data?: { appCode?: string; httpStatus?: number } };
          return { message: refusal.message, appCode: refusal.data?.appCode, httpStatus: refusal.data?.httpStatus };
        }
      }, stack.app.url);
      // Not a bare "Failed to fetch": the page learns it was refused, and which setting allows it.
      expect(outcome).toEqual({
        message: `origin "${foreign.origin}" is not allowed: add it to CORS_ORIGINS`,
        appCode: 'ORIGIN_REFUSED',
        httpStatus: 403,
      });
      expect(stack.emulator.control.requestCounts().acquire ?? 0).toBe(before);
    } finally {
      await other.close();
    }
  });
});
