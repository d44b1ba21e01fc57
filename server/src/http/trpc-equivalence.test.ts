import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAgoraClient } from '../agora/index.js';
import { createApiKeyAuth, hashApiKey } from '../auth/index.js';
import { composeServices } from '../compose.js';
import { createFakeClock } from '../clock.js';
import { createSilentLogger } from '../logger.js';
import type { RecordingRecord, Registry } from '../store/index.js';
import { createSqliteStore } from '../store/sqlite.js';
import { appRouter } from '../routers/_app.js';
import { createContextFactory } from './context.js';
import { createOriginPolicy } from './origin-policy.js';
import { createEdgeServer } from './server.js';
import { createTrpcSurface, TRPC_PATH } from './trpc.js';

const APP_ID = '970ca35de60c44645bbae8a215061b33';
const CERTIFICATE = '5cfd2fd1755d40ecb72977518be15d3b';
const KEYS = { token: 'agk_equivalence_token_key_000000000', record: 'agk_equivalence_record_key_00000000' };
const LIMIT = 1024;
const BATCH_LIMIT = 3;

/**
 * Both edges read one clock that stands still: a rate limit's Retry-After counts from it, so the
 * two answers cannot differ by the second that passed between them on a busy machine.
 */
const clock = createFakeClock(Date.now());

/** The services both edges serve: no registry, unless one is given (with an Agora client that is never called). */
function composeFor(store?: Registry) {
  const logger = createSilentLogger();
  return composeServices(
    {
      appId: APP_ID,
      appCertificate: CERTIFICATE,
      rateLimits: { tokensPerMinute: 4, startsPerMinute: 100, ipMultiplier: 100 },
      ...(store
        ? {
            recording: {
              storage: { vendor: 1, region: 0, bucket: 'b', accessKey: 'a', secretKey: 's' },
              uidRange: { min: 4_000_000_000, max: 4_294_967_295 },
              defaultMaxDurationSeconds: 3_600,
              watchdogIntervalMs: 3_600_000,
            },
          }
        : {}),
    },
    {
      logger,
      clock,
      authenticator: createApiKeyAuth([
        { id: 'token', hash: hashApiKey(KEYS.token), scopes: ['token'], channels: ['*'], subject: '7' },
        { id: 'record', hash: hashApiKey(KEYS.record), scopes: ['record'], channels: ['*'] },
      ]),
      ...(store
        ? {
            store,
            agora: createAgoraClient({ appId: APP_ID, customerId: 'c', customerSecret: 's', baseUrls: ['http://127.0.0.1:9'], logger }),
          }
        : {}),
    },
  );
}

/** An edge with only the tRPC route, its fast path on or off; everything else identical. */
async function startEdge(fastPath: boolean, composed = composeFor()) {
  const logger = createSilentLogger();
  const createContext = createContextFactory({
    logger,
    services: composed.services,
    authenticator: composed.authenticator,
    limits: { subscriptionsPerConnection: 10 },
    rateLimits: composed.rateLimits,
    addressOf: () => '127.0.0.1',
    originOf: () => 'http://127.0.0.1',
  });
  const surface = createTrpcSurface({ router: appRouter, createContext, logger, maxBodyBytes: LIMIT, maxBatchSize: BATCH_LIMIT, fastPath });
  const server = createEdgeServer({
    routes: [
      {
        name: 'trpc',
        matches: (path) => path.startsWith(TRPC_PATH),
        methods: ['GET', 'POST'],
        surface: 'trpc',
        cors: true,
        holdsResponse: surface.holdsResponse,
        handle: surface.handle,
      },
    ],
    policy: createOriginPolicy({ allowedOrigins: [], loopbackHostsOnly: false }),
    router: appRouter,
    logger,
    draining: () => false,
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as AddressInfo).port, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

interface Case {
  name: string;
  path: string;
  body?: string;
  headers?: Record<string, string>;
}

const json = { 'content-type': 'application/json' };
const token = (key: string) => ({ ...json, authorization: `Bearer ${key}` });
const input = (value: unknown) => JSON.stringify({ json: value });
const good = { channel: 'room', uid: 7 };

/** Requests of every kind the fast path takes, or must decline in the same words as the adapter. */
const CASES: Case[] = [
  { name: 'one call', path: '/token.generate', body: input(good), headers: token(KEYS.token) },
  {
    name: 'a batch',
    path: '/token.generate,token.generate?batch=1',
    body: `{"0":${input(good)},"1":${input({ ...good, role: 'subscriber' })}}`,
    headers: token(KEYS.token),
  },
  {
    name: 'a batch, one call failing (207)',
    path: '/token.generate,token.generate?batch=1',
    body: `{"0":${input(good)},"1":${input({ channel: '', uid: 7 })}}`,
    headers: token(KEYS.token),
  },
  { name: 'invalid input', path: '/token.generate', body: input({ channel: 'x'.repeat(70), uid: -1 }), headers: token(KEYS.token) },
  { name: 'no input', path: '/token.generate', headers: token(KEYS.token) },
  { name: 'no credentials', path: '/token.generate', body: input(good), headers: json },
  { name: 'a bad credential', path: '/token.generate', body: input(good), headers: token('agk_wrong') },
  { name: 'a missing scope', path: '/token.generate', body: input(good), headers: token(KEYS.record) },
  { name: "another caller's uid", path: '/token.generate', body: input({ channel: 'room', uid: 8 }), headers: token(KEYS.token) },
  {
    name: 'an internal error (recording not configured)',
    path: '/recording.start',
    body: input({ channel: 'room' }),
    headers: token(KEYS.record),
  },
  { name: 'bad JSON', path: '/token.generate', body: '{"json":', headers: token(KEYS.token) },
  { name: 'a null body', path: '/token.generate', body: 'null', headers: token(KEYS.token) },
  {
    name: 'bad superjson framing',
    path: '/token.generate',
    body: `{"json":${JSON.stringify(good)},"meta":{"values":"Date"}}`,
    headers: token(KEYS.token),
  },
  {
    name: 'a batch over the batch limit',
    path: '/token.generate,token.generate,token.generate,token.generate?batch=1',
    body: `{"0":${input(good)}}`,
    headers: token(KEYS.token),
  },
  {
    name: 'a meta.values nested past the depth limit',
    path: '/token.generate',
    body: `{"json":${JSON.stringify(good)},"meta":{"values":${'{"a":'.repeat(20)}["Date"]${'}'.repeat(20)}}}`,
    headers: token(KEYS.token),
  },
  { name: 'a batch body that is not an object', path: '/token.generate?batch=1', body: '[1]', headers: token(KEYS.token) },
  {
    name: 'the wrong content type',
    path: '/token.generate',
    body: input(good),
    headers: { ...token(KEYS.token), 'content-type': 'text/plain' },
  },
  { name: 'over the body limit', path: '/token.generate', body: input({ channel: 'x'.repeat(LIMIT) }), headers: token(KEYS.token) },
  // The order of the checks: the caller before the input, the input before the resolver.
  { name: 'no credentials and an invalid input', path: '/token.generate', body: input({ channel: '' }), headers: json },
  {
    name: 'a missing scope and bad superjson framing',
    path: '/token.generate',
    body: `{"json":${JSON.stringify(good)},"meta":{"values":"Date"}}`,
    headers: token(KEYS.record),
  },
  { name: 'an RTM token', path: '/token.generate', body: input({ kind: 'rtm', userId: '7' }), headers: token(KEYS.token) },
  { name: 'an unknown procedure', path: '/token.nothing', body: input(good), headers: token(KEYS.token) },
  { name: 'a query POSTed', path: '/recording.list', body: input({}), headers: token(KEYS.record) },
  { name: 'a subscription POSTed', path: '/recording.watch', body: input({ id: 'r1' }), headers: token(KEYS.record) },
  // The limit is 4 per minute: with the calls above, these run into it.
  { name: 'rate limited', path: '/token.generate', body: input(good), headers: token(KEYS.token) },
  {
    name: 'rate limited in a batch',
    path: '/token.generate,token.generate?batch=1',
    body: `{"0":${input(good)},"1":${input(good)}}`,
    headers: token(KEYS.token),
  },
];

function send(port: number, testCase: Case): Promise<{ status: number; headers: Record<string, string | undefined>; body: unknown }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, method: 'POST', path: `${TRPC_PATH}${testCase.path}`, headers: testCase.headers ?? {}, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({
            status: res.statusCode ?? 0,
            headers: {
              'content-type': res.headers['content-type'],
              vary: res.headers.vary,
              allow: res.headers.allow,
              'retry-after': res.headers['retry-after'],
            },
            body: JSON.parse(text) as unknown,
          });
        });
      },
    );
    req.on('error', reject);
    if (testCase.body !== undefined) req.write(testCase.body);
    req.end();
  });
}

/** Tokens carry a random salt and the issue time: compare everything else. */
function comparable(body: unknown): unknown {
  return JSON.parse(
    JSON.stringify(body, (key, value: unknown) => {
      if (key === 'token' && typeof value === 'string') return `<token of ${value.length > 100 ? 'some' : 'no'} length>`;
      if ((key === 'issuedAt' || key === 'expiresAt') && typeof value === 'string') return '<date>';
      return value;
    }),
  ) as unknown;
}

describe("the tRPC fast path and tRPC's own adapter", () => {
  const edges: { port: number; close(): Promise<void> }[] = [];
  beforeAll(async () => {
    edges.push(await startEdge(true), await startEdge(false));
  });
  afterAll(async () => {
    await Promise.all(edges.map((edge) => edge.close()));
  });

  it('give the same status, body and headers for the same requests', async () => {
    const [fast, adapter] = [edges[0]!, edges[1]!];
    const statuses: number[] = [];
    for (const testCase of CASES) {
      const [a, b] = [await send(fast.port, testCase), await send(adapter.port, testCase)];
      expect({ status: a.status, headers: a.headers, body: comparable(a.body) }, testCase.name).toEqual({
        status: b.status,
        headers: b.headers,
        body: comparable(b.body),
      });
      statuses.push(a.status);
    }
    // The table really covers what it claims: successes, a partial batch, and each error class.
    expect(new Set(statuses)).toEqual(new Set([200, 207, 400, 401, 403, 404, 405, 413, 415, 429, 500]));
  });
});

/** Subscriptions over SSE: what the edge writes itself against tRPC's adapter, byte for byte. */
const SSE_CASES: Case[] = [
  { name: 'no credentials', path: `/recording.watch?input=${encodeURIComponent(input({ id: 'r1' }))}` },
  { name: 'invalid input', path: `/recording.watch?input=${encodeURIComponent(input({ id: '' }))}`, headers: token(KEYS.record) },
  { name: 'a missing scope', path: `/transcription.watch?input=${encodeURIComponent(input({ id: 't1' }))}`, headers: token(KEYS.token) },
  {
    name: 'an internal error (not configured)',
    path: `/transcription.watch?input=${encodeURIComponent(input({ id: 't1' }))}`,
    headers: token(KEYS.record),
  },
  {
    name: 'a Last-Event-ID merged into the input (and refused)',
    path: `/recording.watch?input=${encodeURIComponent(input({ id: 'r1' }))}`,
    headers: { ...token(KEYS.record), 'last-event-id': 'not-a-number' },
  },
  {
    name: 'lastEventId as a query parameter',
    path: `/recording.watch?lastEventId=x&input=${encodeURIComponent(input({ id: 'r1' }))}`,
    headers: token(KEYS.record),
  },
  {
    name: 'bad superjson framing',
    path: `/recording.watch?input=${encodeURIComponent('{"json":{"id":"r1"},"meta":{"values":"Date"}}')}`,
    headers: token(KEYS.record),
  },
  { name: 'no input', path: '/recording.watch', headers: token(KEYS.record) },
];

function stream(port: number, testCase: Case): Promise<{ status: number; headers: Record<string, string | undefined>; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, method: 'GET', path: `${TRPC_PATH}${testCase.path}`, headers: testCase.headers ?? {}, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const names = ['content-type', 'vary', 'cache-control', 'x-accel-buffering', 'connection'];
          const headers = Object.fromEntries(names.map((name) => [name, res.headers[name]?.toString()]));
          resolve({ status: res.statusCode ?? 0, headers, text: Buffer.concat(chunks).toString('utf8') });
        });
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe("SSE subscriptions written by the edge and by tRPC's adapter", () => {
  const edges: { port: number; close(): Promise<void> }[] = [];
  beforeAll(async () => {
    edges.push(await startEdge(true), await startEdge(false));
  });
  afterAll(async () => {
    await Promise.all(edges.map((edge) => edge.close()));
  });

  it('are the same stream, headers and status', async () => {
    const [fast, adapter] = [edges[0]!, edges[1]!];
    const events = new Set<string>();
    for (const testCase of SSE_CASES) {
      const [a, b] = [await stream(fast.port, testCase), await stream(adapter.port, testCase)];
      expect(a, testCase.name).toEqual(b);
      expect(a.text.startsWith('event: connected\ndata: {}\n\n\n'), testCase.name).toBe(true);
      for (const match of a.text.matchAll(/"code":"([A-Z_]+)"/g)) events.add(match[1]!);
    }
    expect(events).toEqual(new Set(['UNAUTHORIZED', 'BAD_REQUEST', 'FORBIDDEN', 'INTERNAL_SERVER_ERROR']));
  });
});

/** A recording in the registry, as a start leaves it (no Agora call is made: the test moves it itself). */
function recordingRow(id: string): RecordingRecord {
  const at = clock.now();
  return {
    ...{ id, channel: 'room1', uid: '4000000001', mode: 'individual', owner: 'record', state: 'starting' },
    ...{ resourceId: null, sid: null, agoraStatus: null, files: [], uploadingStatus: null, options: { channel: 'room1' } },
    ...{ fileNamePrefix: 'recordings/x', maxDurationSeconds: 3600, lastError: null, createdAt: at, startedAt: null, updatedAt: at },
    ...{ stoppedAt: null, version: 0, notFoundSince: null, notFoundLastAt: null },
  };
}

/** Opens a stream and reads it until it ends; `seen(text)` resolves once the text so far contains it. */
function openStream(port: number, testCase: Case) {
  let text = '';
  const waiting: { needle: string; resolve: () => void }[] = [];
  const done = new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, method: 'GET', path: `${TRPC_PATH}${testCase.path}`, headers: testCase.headers ?? {}, agent: false },
      (res) => {
        res.on('data', (chunk: Buffer) => {
          text += chunk.toString('utf8');
          for (const wait of waiting.filter((entry) => text.includes(entry.needle))) wait.resolve();
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on('error', reject);
    req.end();
  });
  const seen = (needle: string) =>
    text.includes(needle) ? Promise.resolve() : new Promise<void>((resolve) => waiting.push({ needle, resolve }));
  return { done, seen };
}

describe("watch streams with events, written by the edge and by tRPC's adapter", () => {
  const watchPath = (id: string) => `/recording.watch?input=${encodeURIComponent(input({ id }))}`;
  let store: Registry;
  let composed: ReturnType<typeof composeFor>;
  const edges: { port: number; close(): Promise<void> }[] = [];
  beforeAll(async () => {
    store = await createSqliteStore(':memory:');
    composed = composeFor(store);
    edges.push(await startEdge(true, composed), await startEdge(false, composed));
  });
  afterAll(async () => {
    await Promise.all(edges.map((edge) => edge.close()));
    await composed.recording?.close();
  });

  /** Moves the recording to `state`, logging and publishing its event as the service does. */
  async function move(id: string, state: RecordingRecord['state']) {
    const record = (await store.recordings.get(id))!;
    const patch = state === 'stopped' ? { state, stoppedAt: clock.now() } : { state };
    const moved = (await store.recordings.transition(id, record.version, patch, clock.now(), { source: 'poll' }))!;
    composed.recording!.bus.publish(moved.event!);
    return moved.event!;
  }

  it('are the same bytes: live, resumed, finished and refused', async () => {
    const [fast, adapter] = [edges[0]!, edges[1]!];
    await store.recordings.insert(recordingRow('live1'));
    const live = [openStream(fast.port, { name: 'live', path: watchPath('live1'), headers: token(KEYS.record) })];
    live.push(openStream(adapter.port, { name: 'live', path: watchPath('live1'), headers: token(KEYS.record) }));
    await Promise.all(live.map((stream) => stream.seen('\nid: ')));
    const first = await move('live1', 'recording');
    await Promise.all(live.map((stream) => stream.seen(`\nid: ${first.id}\n`)));
    await move('live1', 'stopping');
    await move('live1', 'stopped');
    const [a, b] = await Promise.all(live.map((stream) => stream.done));
    expect(a).toEqual(b);
    expect([...a!.text.matchAll(/"state":"(\w+)"/g)].map((match) => match[1])).toEqual(['starting', 'recording', 'stopping', 'stopped']);
    expect(a!.text.endsWith('event: return\ndata: \n\n\n')).toBe(true);

    const finished: Case[] = [
      { name: 'finished', path: watchPath('live1'), headers: token(KEYS.record) },
      { name: 'resumed', path: watchPath('live1'), headers: { ...token(KEYS.record), 'last-event-id': String(first.id) } },
      { name: 'resumed past the end', path: `/recording.watch?lastEventId=999999&input=${encodeURIComponent(input({ id: 'live1' }))}` },
      { name: 'someone else', path: watchPath('live1'), headers: token(KEYS.token) },
      { name: 'unknown', path: watchPath('nope'), headers: token(KEYS.record) },
    ];
    finished[2]!.headers = token(KEYS.record);
    for (const testCase of finished) {
      const [x, y] = [await stream(fast.port, testCase), await stream(adapter.port, testCase)];
      expect(x, testCase.name).toEqual(y);
    }
    expect(composed.recording!.watchers()).toBe(0);
    expect(composed.recording!.bus.listenerCount()).toBe(0);
  });
});
