import { createHmac } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { unlimitedBudget } from '@agora-backend/server';
import { createFakeClock } from '@agora-backend/server/testing';
import { startRecordingStack, type RecordingStack } from './helpers/recording-stack.js';
import { collect, sseClient, wsConnection, type Collected } from './helpers/subscribers.js';

let stack: RecordingStack | undefined;
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
  await stack?.close(true);
  stack = undefined;
});

const queries = (s: RecordingStack) => s.emulator.control.requestCounts().query ?? 0;
const states = (c: Collected) => c.events.map((event) => event.data.state);

describe('recording.watch fan-out', () => {
  it('serves 200 watchers (WS and SSE) of one recording and 20 watched recordings with one poller each', async () => {
    const clock = createFakeClock(Date.now());
    stack = await startRecordingStack({ clock, agora: { rateBudget: unlimitedBudget }, pollIntervalMs: 30_000, confirmDelayMs: 5_000 });
    const s = stack;
    const recordings = [];
    for (let i = 0; i < 20; i++) {
      s.emulator.control.join(`room${i}`, '100');
      recordings.push(await s.client.recording.start.mutate({ channel: `room${i}` }));
    }
    const main = recordings[0]!;
    const connections = Array.from({ length: 4 }, () => wsConnection(s.app.wsUrl));
    cleanups.push(() => Promise.all(connections.map((connection) => connection.close())));
    const sse = sseClient(s.app.url);
    const mainWatchers: Collected[] = [];
    for (let i = 0; i < 100; i++) mainWatchers.push(collect(connections[i % 4]!.client, main.id));
    for (let i = 0; i < 100; i++) mainWatchers.push(collect(sse, main.id));
    const otherWatchers = recordings.slice(1).map((recording, i) => collect(connections[i % 4]!.client, recording.id));
    cleanups.push(() => [...mainWatchers, ...otherWatchers].forEach((watcher) => watcher.unsubscribe()));

    await expect
      .poll(() => [...mainWatchers, ...otherWatchers].every((watcher) => watcher.events.length === 1), { timeout: 10_000 })
      .toBe(true);
    expect(mainWatchers[0]!.events[0]!.data).toMatchObject({ id: main.id, state: 'starting', source: 'api' });
    // Each watcher is a record in its task's set; the task has one listener on the bus for all of them.
    expect(s.app.recording!.watchers(main.id)).toBe(200);
    expect(s.app.recording!.bus.listenerCount(main.id)).toBe(1);

    // Watching adds no upstream calls: only the pollers query, one per recording per interval.
    s.emulator.control.clearRequests();
    await clock.advance(5_000);
    await expect.poll(() => queries(s)).toBe(20);
    await expect.poll(() => mainWatchers.every((watcher) => watcher.events.length === 2), { timeout: 10_000 }).toBe(true);
    expect(mainWatchers[150]!.events[1]!.data).toMatchObject({ state: 'recording', agoraStatus: 5, source: 'poll' });
    await clock.advance(30_000);
    await expect.poll(() => queries(s)).toBe(40);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(queries(s)).toBe(40);
    expect(s.app.recording!.pollers.count()).toBe(20);

    // A terminal state ends every stream, and every listener goes away.
    await s.client.recording.stop.mutate({ id: main.id });
    await expect.poll(() => mainWatchers.every((watcher) => watcher.completed), { timeout: 10_000 }).toBe(true);
    for (const watcher of mainWatchers) expect(states(watcher)).toEqual(['starting', 'recording', 'stopping', 'stopped']);
    await expect.poll(() => s.app.recording!.bus.listenerCount(main.id)).toBe(0);
    expect(s.app.recording!.watchers(main.id)).toBe(0);
    await expect.poll(() => s.app.recording!.pollers.has(main.id)).toBe(false);

    for (const watcher of otherWatchers) watcher.unsubscribe();
    await expect.poll(() => s.app.recording!.bus.listenerCount()).toBe(0);
  });
});

/** A stack with one recording started in room1, and a client that watches over `transport`. */
async function recordingAndWatcher(transport: 'ws' | 'sse') {
  stack = await startRecordingStack();
  const s = stack;
  s.emulator.control.join('room1', '100');
  const started = await s.client.recording.start.mutate({ channel: 'room1' });
  const connection = wsConnection(s.app.wsUrl);
  cleanups.push(() => connection.close());
  return { s, started, client: transport === 'ws' ? connection.client : sseClient(s.app.url) };
}

describe('recording.watch resume', () => {
  it.each(['ws', 'sse'] as const)('replays missed events after lastEventId over %s, with no duplicates or gaps', async (transport) => {
    const { s, started, client } = await recordingAndWatcher(transport);

    const first = collect(client, started.id);
    await expect.poll(() => first.events.length).toBe(1);
    first.unsubscribe();
    await expect.poll(() => s.app.recording!.bus.listenerCount(started.id)).toBe(0);

    // Changes while nobody watches: a query (recording), then a stop (stopping, stopped).
    await s.client.recording.query.query({ id: started.id });
    await s.client.recording.stop.mutate({ id: started.id });

    const resumed = collect(client, started.id, first.events[0]!.id);
    await expect.poll(() => resumed.completed, { timeout: 10_000 }).toBe(true);
    expect(states(resumed)).toEqual(['recording', 'stopping', 'stopped']);
    const ids = [first.events[0]!.id, ...resumed.events.map((event) => event.id)].map(Number);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(new Set(ids).size).toBe(ids.length);

    // Resuming after the last event of an ended recording ends at once.
    const after = collect(client, started.id, resumed.events.at(-1)!.id);
    await expect.poll(() => after.completed).toBe(true);
    expect(after.events).toEqual([]);
  });

  it.each(['ws', 'sse'] as const)(
    'starts over with the current state when lastEventId is newer than any event (a reset registry) over %s, never silent',
    async (transport) => {
      const { s, started, client } = await recordingAndWatcher(transport);
      const latest = await s.client.recording.get.query({ id: started.id });

      const resumed = collect(client, started.id, '99999999');
      await expect.poll(() => resumed.events.length).toBe(1);
      expect(resumed.events[0]!.data).toMatchObject({ id: started.id, state: latest.state });
      await s.client.recording.stop.mutate({ id: started.id });
      await expect.poll(() => resumed.completed, { timeout: 10_000 }).toBe(true);
      expect(states(resumed).slice(-2)).toEqual(['stopping', 'stopped']);
      expect(resumed.error).toBeUndefined();

      // The same after the end: the final state, then the stream ends.
      const ended = collect(client, started.id, '99999999');
      await expect.poll(() => ended.completed).toBe(true);
      expect(states(ended)).toEqual(['stopped']);
    },
  );

  it("resumes a plain EventSource's stream from its Last-Event-ID header, with the wire format tRPC's link reads", async () => {
    stack = await startRecordingStack();
    const s = stack;
    s.emulator.control.join('room1', '100');
    const started = await s.client.recording.start.mutate({ channel: 'room1' });
    const url = `${s.app.url}/recording.watch?input=${encodeURIComponent(JSON.stringify({ json: { id: started.id } }))}`;
    /** Reads the stream until `until` appears (or it ends); the raw text. */
    const read = async (headers: Record<string, string>, until: string) => {
      const controller = new AbortController();
      const response = await fetch(url, { headers, signal: controller.signal });
      expect(response.headers.get('content-type')).toBe('text/event-stream');
      const reader = response.body!.getReader();
      let text = '';
      while (!text.includes(until)) {
        const chunk = await reader.read();
        if (chunk.done) break;
        text += new TextDecoder().decode(chunk.value);
      }
      controller.abort();
      return text;
    };
    const first = await read({}, '\nid: ');
    expect(first).toMatch(/^event: connected\ndata: \{\}\n\n\ndata: \{"json":\{"id":"[0-9a-f]+","state":"starting".*\}\nid: \d+\n\n\n$/);
    const firstId = /\nid: (\d+)\n/.exec(first)![1]!;
    await s.client.recording.stop.mutate({ id: started.id });
    const resumed = await read({ 'last-event-id': firstId }, 'event: return');
    const states = [...resumed.matchAll(/"state":"(\w+)"/g)].map((match) => match[1]);
    // What came after the first event, and only that: the stop's two changes.
    expect(states).toEqual(['stopping', 'stopped']);
    expect(resumed.endsWith('event: return\ndata: \n\n\n')).toBe(true);
    // Nobody is left listening once the streams are gone.
    await expect.poll(() => s.app.recording!.bus.listenerCount()).toBe(0);
  });

  it('answers NOT_FOUND for an unknown recording, and limits subscriptions per connection', async () => {
    stack = await startRecordingStack({ subscriptionsPerConnection: 2 });
    const s = stack;
    const started = await s.client.recording.start.mutate({ channel: 'room1' });
    const connection = wsConnection(s.app.wsUrl);
    cleanups.push(() => connection.close());
    const unknown = collect(connection.client, 'nope');
    await expect.poll(() => unknown.error).toBeDefined();
    expect((unknown.error as { data?: { code?: string } }).data?.code).toBe('NOT_FOUND');

    const a = collect(connection.client, started.id);
    const b = collect(connection.client, started.id);
    await expect.poll(() => a.events.length + b.events.length).toBe(2);
    const c = collect(connection.client, started.id);
    await expect.poll(() => c.error).toBeDefined();
    expect((c.error as { data?: { code?: string } }).data?.code).toBe('TOO_MANY_REQUESTS');
    a.unsubscribe();
    b.unsubscribe();
  });
});

describe('Agora webhooks', () => {
  const SECRET = 'whsec-test';
  // A test vector computed independently for this body and secret.
  const VECTOR_BODY =
    '{"noticeId":"n-1","productId":3,"eventType":40,"notifyMs":1700000000000,"payload":{"cname":"room1","uid":"527841","sid":"sid1","sequence":0,"sendts":1700000000000,"serviceType":1,"details":{"msgName":"recorder_started","status":0}}}';
  const VECTOR_SIGNATURE = 'de70f8f59cf3e0cdaec4897267038a85fc92f8b40d36d8fd54127e9942367022';
  const sign = (body: string, secret = SECRET) => createHmac('sha256', secret).update(body).digest('hex');

  const post = (s: RecordingStack, body: string, signature?: string) =>
    fetch(`${s.app.baseUrl}/webhooks/agora`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(signature ? { 'agora-signature-v2': signature } : {}) },
      body,
    });

  it('verifies Agora-Signature-V2 against the reference vector', async () => {
    // The vector's notifyMs is 1700000000000: the server's clock stands there, so it is fresh.
    stack = await startRecordingStack({ webhookSecret: SECRET, clock: createFakeClock(1_700_000_000_000) });
    expect(sign(VECTOR_BODY)).toBe(VECTOR_SIGNATURE);
    expect((await post(stack, VECTOR_BODY, VECTOR_SIGNATURE)).status).toBe(200);
    expect((await post(stack, VECTOR_BODY.replace('"status":0', '"status":1'), VECTOR_SIGNATURE)).status).toBe(401);
    expect((await post(stack, VECTOR_BODY, sign(VECTOR_BODY, 'another-secret'))).status).toBe(401);
    expect((await post(stack, VECTOR_BODY)).status).toBe(401);
    expect(await (await post(stack, VECTOR_BODY, VECTOR_SIGNATURE)).json()).toEqual({ ok: true, duplicate: true });
  });

  it('moves a recording forward, once per noticeId, with source "webhook"', async () => {
    stack = await startRecordingStack({ webhookSecret: SECRET });
    const s = stack;
    const started = await s.client.recording.start.mutate({ channel: 'room1' });
    const body = JSON.stringify({
      noticeId: 'n-2',
      productId: 3,
      eventType: 40,
      notifyMs: Date.now(),
      payload: {
        cname: 'room1',
        uid: started.uid,
        sid: started.sid,
        sequence: 0,
        sendts: Date.now(),
        serviceType: 1,
        details: { msgName: 'recorder_started', status: 0 },
      },
    });
    expect((await post(s, body, sign(body))).status).toBe(200);
    expect((await post(s, body, sign(body))).status).toBe(200);
    await expect.poll(async () => (await s.client.recording.get.query({ id: started.id })).state).toBe('recording');
    const events = await s.store.recordings.eventsAfter(started.id, undefined);
    expect(events.map((event) => [event.state, event.source])).toEqual([
      ['starting', 'api'],
      ['recording', 'webhook'],
    ]);
  });

  it('is off (404) without AGORA_WEBHOOK_SECRET', async () => {
    stack = await startRecordingStack();
    expect((await post(stack, VECTOR_BODY, VECTOR_SIGNATURE)).status).toBe(404);
  });
});
