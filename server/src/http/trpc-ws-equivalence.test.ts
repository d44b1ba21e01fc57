import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { applyWSSHandler } from '@trpc/server/adapters/ws';
import { AppErrorCode, type RecordingStatusEvent } from '@agora-backend/shared';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { createApiKeyAuth, hashApiKey } from '../auth/index.js';
import { createFakeClock } from '../clock.js';
import { composeServices } from '../compose.js';
import { AppError } from '../errors.js';
import { createSilentLogger } from '../logger.js';
import { appRouter } from '../routers/_app.js';
import type { Services } from '../trpc/context.js';
import { createConnectionContextFactory, createContextFactory, type ContextFactoryOptions } from './context.js';
import { createOriginPolicy } from './origin-policy.js';
import { TRPC_PATH } from './trpc.js';
import { createWebSocketEdge } from './websocket.js';
import { iterableOpener } from '../trpc/watch-stream.js';

const APP_ID = '970ca35de60c44645bbae8a215061b33';
const CERTIFICATE = '5cfd2fd1755d40ecb72977518be15d3b';
const KEYS = { token: 'agk_equivalence_token_key_000000000', record: 'agk_equivalence_record_key_00000000' };
const BATCH_LIMIT = 3;
const SUBSCRIPTIONS_PER_CONNECTION = 2;
const clock = createFakeClock(Date.now());

/**
 * Recording events without a recording service: `r…` ids give events 1–3 (after lastEventId) and
 * then wait for their stop, `ends` ends after them, `fails` throws after them, `missing` is
 * unknown. The protocol is under test here; the real watch runs over WS in test/src/watch.test.ts.
 */
function fakeWatch(open: { count: number }): Services['watch'] {
  const eventOf = (id: string, eventId: number): RecordingStatusEvent => ({
    id,
    state: 'recording',
    agoraStatus: eventId,
    files: [],
    at: new Date(clock.now() + eventId),
    source: 'poll',
    lastError: null,
  });
  return (id, lastEventId) =>
    iterableOpener((signal) => {
      if (id === 'missing') return Promise.reject(new AppError(AppErrorCode.RECORDING_NOT_FOUND, `no recording ${id}`));
      async function* events() {
        open.count++;
        try {
          for (let eventId = lastEventId === undefined ? 1 : Number(lastEventId) + 1; eventId <= 3; eventId++)
            yield { eventId, event: eventOf(id, eventId) };
          if (id === 'ends') return;
          if (id === 'fails') throw new Error('the event log broke');
          if (!signal.aborted) await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
        } finally {
          open.count--;
        }
      }
      return Promise.resolve(events());
    });
}

interface Edge {
  url: string;
  /** Subscriptions whose source is still open. */
  open: { count: number };
  /** Asks clients to reconnect and closes their sockets (1001). */
  shutdown(): void;
  close(): Promise<void>;
}

const KEEP_ALIVE = { pingMs: 30_000, pongWaitMs: 5_000 };

/** Services and context options shared by both edges' construction (each edge gets its own). */
function contextOptions(open: { count: number }): ContextFactoryOptions {
  const logger = createSilentLogger();
  const composed = composeServices(
    { appId: APP_ID, appCertificate: CERTIFICATE, rateLimits: { tokensPerMinute: 100, startsPerMinute: 100, ipMultiplier: 100 } },
    {
      logger,
      clock,
      authenticator: createApiKeyAuth([
        { id: 'token', hash: hashApiKey(KEYS.token), scopes: ['token'], channels: ['*'], subject: '7' },
        { id: 'record', hash: hashApiKey(KEYS.record), scopes: ['record'], channels: ['*'] },
      ]),
    },
  );
  const services: Services = {
    ...composed.services,
    watch: fakeWatch(open),
    recordingHistory: (id) => Promise.resolve({ id, events: [] }),
  };
  return {
    logger,
    services,
    authenticator: composed.authenticator,
    limits: { subscriptionsPerConnection: SUBSCRIPTIONS_PER_CONNECTION },
    rateLimits: composed.rateLimits,
    addressOf: () => '127.0.0.1',
    originOf: () => 'http://127.0.0.1',
  };
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `ws://127.0.0.1:${(server.address() as AddressInfo).port}${TRPC_PATH}`;
}

/** Our edge (trpc-ws.ts behind websocket.ts). */
async function startOurs(keepAlive = { ...KEEP_ALIVE, sweepMs: 1_000 }): Promise<Edge> {
  const open = { count: 0 };
  const server = createServer((_req, res) => res.end());
  const edge = createWebSocketEdge({
    server,
    router: appRouter,
    contextOf: createConnectionContextFactory(contextOptions(open)),
    policy: createOriginPolicy({ allowedOrigins: [], loopbackHostsOnly: false }),
    addressOf: () => '127.0.0.1',
    maxPayloadBytes: 1024 * 1024,
    maxBatchSize: BATCH_LIMIT,
    connectionsPerAddress: 100,
    logger: createSilentLogger(),
    draining: () => false,
    keepAlive,
  });
  const url = await listen(server);
  return {
    url,
    open,
    shutdown: () => edge.announceShutdown(),
    close: async () => {
      edge.terminate();
      await edge.close();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** tRPC's own adapter, configured as the edge used to configure it. */
async function startAdapter(keepAlive = KEEP_ALIVE): Promise<Edge> {
  const open = { count: 0 };
  const server = createServer((_req, res) => res.end());
  const wss = new WebSocketServer({ noServer: true, maxPayload: 1024 * 1024 });
  const handler = applyWSSHandler({
    wss,
    router: appRouter,
    createContext: createContextFactory(contextOptions(open)),
    maxBatchSize: BATCH_LIMIT,
    keepAlive: { enabled: true, ...keepAlive },
  });
  server.on('upgrade', (req, socket, head) => wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req)));
  const url = await listen(server);
  return {
    url,
    open,
    shutdown: () => {
      handler.broadcastReconnectNotification();
      for (const client of wss.clients) client.close(1001, 'server shutting down');
    },
    close: async () => {
      for (const client of wss.clients) client.terminate();
      await new Promise((resolve) => wss.close(resolve));
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

interface Step {
  /** A text frame, or a binary one. */
  send: string | Buffer;
  /** Frames the step is answered with (waited for; any extra within a short while is caught too). */
  frames: number;
}

interface Scenario {
  name: string;
  authorization?: string;
  /** The client's URL says its first message carries connection parameters. */
  connectionParams?: boolean;
  steps: Step[];
  /** After the steps: the server announces its shutdown (else the client closes). */
  shutdown?: boolean;
}

const call = (id: unknown, method: string, path: string, input?: unknown, extra: { jsonrpc?: string } = {}) =>
  JSON.stringify({ id, ...extra, method, params: { path, ...(input === undefined ? {} : { input: { json: input } }) } });
const watch = (id: unknown, recording: string, lastEventId?: string) =>
  JSON.stringify({
    id,
    method: 'subscription',
    params: { path: 'recording.watch', input: { json: { id: recording } }, ...(lastEventId ? { lastEventId } : {}) },
  });
const stop = (id: unknown) => JSON.stringify({ id, method: 'subscription.stop' });
const params = (data: unknown) => JSON.stringify({ method: 'connectionParams', data });
const good = { channel: 'room', uid: 7 };

const SCENARIOS: Scenario[] = [
  {
    name: 'calls and batches with an Authorization header',
    authorization: `Bearer ${KEYS.token}`,
    steps: [
      { send: call(1, 'mutation', 'token.generate', good), frames: 1 },
      { send: call('two', 'mutation', 'token.generate', good, { jsonrpc: '2.0' }), frames: 1 },
      {
        send: `[${call(3, 'mutation', 'token.generate', good)},${call(4, 'mutation', 'token.generate', { ...good, role: 'subscriber' })}]`,
        frames: 2,
      },
      { send: call(5, 'mutation', 'token.generate', { channel: '', uid: -1 }), frames: 1 },
      { send: call(6, 'query', 'token.generate', good), frames: 1 },
      { send: call(7, 'mutation', 'token.nothing', good), frames: 1 },
      { send: call(8, 'query', 'recording.list', {}), frames: 1 },
      { send: call(9, 'mutation', 'token.generate', { kind: 'rtm', userId: '7' }), frames: 1 },
      {
        send: `[${call(10, 'mutation', 'token.generate', good)},${call('11', 'query', 'x', undefined, { jsonrpc: '2.0' })},${stop(12)},{"id":true}]`,
        frames: 2,
      },
      { send: '[1,2,3,4]', frames: 1 },
      {
        send: JSON.stringify({
          id: 13,
          method: 'mutation',
          params: { path: 'token.generate', input: { json: good, meta: { values: 'Date' } } },
        }),
        frames: 1,
      },
    ],
  },
  {
    name: 'messages that are not calls',
    authorization: `Bearer ${KEYS.token}`,
    steps: [
      { send: 'not json', frames: 1 },
      { send: '{"id":1}', frames: 1 },
      { send: '{"id":{},"method":"query","params":{"path":"x"}}', frames: 1 },
      { send: '{"id":1,"method":"query","params":{"path":"x","lastEventId":5}}', frames: 1 },
      { send: call(null, 'mutation', 'token.generate', good), frames: 1 },
      { send: Buffer.from(call(2, 'mutation', 'token.generate', good)), frames: 1 },
      { send: 'PING', frames: 1 },
      { send: 'PONG', frames: 0 },
      { send: '[]', frames: 0 },
      { send: stop(99), frames: 0 },
      { send: call(3, 'query', 'recording.watch', { id: 'r1' }), frames: 1 },
      { send: call(4, 'subscription', 'token.generate', good), frames: 1 },
      { send: call(5, 'mutation', 'token.generate', good), frames: 1 },
    ],
  },
  {
    name: 'a watch with connection params: resumed, duplicated, stopped, reused',
    connectionParams: true,
    steps: [
      { send: params({ authorization: `Bearer ${KEYS.record}` }), frames: 0 },
      { send: watch(1, 'r1', '1'), frames: 3 },
      { send: watch(1, 'r2'), frames: 1 },
      { send: call(2, 'query', 'recording.history', { id: 'r1' }), frames: 1 },
      { send: stop(1), frames: 1 },
      { send: watch(1, 'r1'), frames: 4 },
      { send: watch('s', 'r3', '3'), frames: 1 },
    ],
  },
  {
    name: 'watches that end, fail mid-stream or are refused',
    authorization: `Bearer ${KEYS.record}`,
    steps: [
      { send: watch(1, 'ends'), frames: 5 },
      { send: watch(2, 'fails', '1'), frames: 5 },
      { send: watch(3, 'missing'), frames: 3 },
      { send: watch(4, ''), frames: 1 },
      { send: watch(5, 'r1', 'x'), frames: 1 },
      { send: JSON.stringify({ id: 6, method: 'subscription', params: { path: 'recording.watch', lastEventId: '2' } }), frames: 1 },
    ],
  },
  {
    name: 'more subscriptions than a connection may hold',
    authorization: `Bearer ${KEYS.record}`,
    steps: [
      { send: `[${watch(1, 'r1', '2')},${watch(2, 'r2', '2')}]`, frames: 4 },
      { send: watch(3, 'r3', '2'), frames: 3 },
      { send: stop(1), frames: 1 },
      { send: watch(4, 'r4', '2'), frames: 2 },
    ],
  },
  {
    name: 'no credentials',
    steps: [
      { send: call(1, 'mutation', 'token.generate', good), frames: 1 },
      { send: watch(2, 'r1'), frames: 1 },
    ],
  },
  {
    name: 'a bad bearer key in connection params',
    connectionParams: true,
    steps: [
      { send: params({ authorization: 'Bearer agk_wrong' }), frames: 0 },
      { send: watch(1, 'r1'), frames: 1 },
      { send: call(2, 'mutation', 'token.generate', good), frames: 1 },
    ],
  },
  {
    name: 'a token key in connection params',
    connectionParams: true,
    steps: [
      { send: 'PING', frames: 1 },
      { send: params({ authorization: `Bearer ${KEYS.token}` }), frames: 0 },
      { send: call(1, 'mutation', 'token.generate', good), frames: 1 },
      { send: watch(2, 'r1'), frames: 1 },
    ],
  },
  { name: 'connection params that are not JSON', connectionParams: true, steps: [{ send: 'nope', frames: 1 }] },
  { name: 'connection params that are not strings', connectionParams: true, steps: [{ send: params({ authorization: 5 }), frames: 1 }] },
  { name: 'connection params that are no object', connectionParams: true, steps: [{ send: '[1]', frames: 1 }] },
  {
    name: 'a shutdown while a watch runs',
    authorization: `Bearer ${KEYS.record}`,
    steps: [{ send: watch(1, 'r1'), frames: 4 }],
    shutdown: true,
  },
];

/** Tokens carry a random salt: everything else must be the same bytes. */
const comparable = (frame: string) => frame.replace(/"token":"[^"]*"/g, '"token":"<token>"');

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Plays a scenario on an edge: each step's frames grouped by id (their order between ids is the scheduler's), then how it closed. */
async function play(edge: Edge, scenario: Scenario) {
  const socket = new WebSocket(`${edge.url}${scenario.connectionParams ? '?connectionParams=1' : ''}`, {
    headers: scenario.authorization ? { authorization: scenario.authorization } : {},
  });
  const frames: string[] = [];
  socket.on('message', (data: Buffer) => frames.push(data.toString('utf8')));
  const closed = new Promise<number>((resolve) => socket.once('close', resolve));
  await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
  const steps: Record<string, string[]>[] = [];
  for (const step of scenario.steps) {
    const from = frames.length;
    socket.send(step.send, { binary: typeof step.send !== 'string' });
    await expect.poll(() => frames.length - from, { timeout: 5_000 }).toBeGreaterThanOrEqual(step.frames);
    await sleep(30);
    const byId: Record<string, string[]> = {};
    for (const frame of frames.slice(from)) {
      const parsed = JSON.parse(frame === 'PONG' ? '{"id":"PONG"}' : frame) as { id: unknown };
      (byId[String(parsed.id)] ??= []).push(comparable(frame));
    }
    steps.push(byId);
  }
  const from = frames.length;
  if (scenario.shutdown) edge.shutdown();
  else if (socket.readyState === WebSocket.OPEN) socket.close();
  const code = await closed;
  // Every subscription's source was stopped once the socket closed.
  await expect.poll(() => edge.open.count).toBe(0);
  return { steps, afterwards: frames.slice(from).map(comparable), code };
}

describe("WebSocket: our edge and tRPC's adapter", () => {
  const edges: Edge[] = [];
  afterEach(async () => {
    await Promise.all(edges.splice(0).map((edge) => edge.close()));
  });

  it.each(SCENARIOS.map((scenario) => [scenario.name, scenario] as const))('send the same frames: %s', async (_name, scenario) => {
    const ours = await startOurs();
    const adapter = await startAdapter();
    edges.push(ours, adapter);
    const [a, b] = [await play(ours, scenario), await play(adapter, scenario)];
    expect(a).toEqual(b);
    // Each step was answered with what the scenario says (the adapter included), nothing more.
    expect(a.steps.map((step) => Object.values(step).flat().length)).toEqual(scenario.steps.map((step) => step.frames));
  });

  it('the scenarios cover every answer of the protocol', async () => {
    const ours = await startOurs();
    edges.push(ours);
    const seen = new Set<string>();
    for (const scenario of SCENARIOS) {
      const { steps, afterwards } = await play(ours, scenario);
      for (const frame of [...steps.flatMap((step) => Object.values(step).flat()), ...afterwards]) {
        for (const match of frame.matchAll(/"type":"(\w+)"|"code":"([A-Z_]+)"|"method":"(\w+)"/g))
          seen.add(match[1] ?? match[2] ?? match[3]!);
        if (frame === 'PONG') seen.add(frame);
      }
    }
    expect([...seen].sort()).toEqual(
      [
        'started',
        'data',
        'stopped',
        'reconnect',
        'PONG',
        'PARSE_ERROR',
        'BAD_REQUEST',
        'UNAUTHORIZED',
        'FORBIDDEN',
        'NOT_FOUND',
        'TOO_MANY_REQUESTS',
        'INTERNAL_SERVER_ERROR',
      ].sort(),
    );
  });

  it('ping a quiet client, cut one that does not answer and keep one that does', async () => {
    // A wide answer window: a loaded machine must not cut the answering client.
    const keepAlive = { pingMs: 100, pongWaitMs: 400 };
    const ours = await startOurs({ ...keepAlive, sweepMs: 10 });
    const adapter = await startAdapter(keepAlive);
    edges.push(ours, adapter);
    for (const edge of [ours, adapter]) {
      const silent = new WebSocket(edge.url);
      const answering = new WebSocket(edge.url);
      const heard: string[] = [];
      silent.on('message', (data: Buffer) => heard.push(data.toString('utf8')));
      answering.on('message', (data: Buffer) => {
        if (data.toString('utf8') === 'PING') answering.send('PONG');
      });
      const code = await new Promise<number>((resolve) => silent.once('close', resolve));
      expect(heard).toEqual(['PING']);
      // 1006: cut without a closing handshake, as the adapter's terminate() does.
      expect(code).toBe(1006);
      // Pinged every ~100 ms meanwhile, and answering each time.
      await sleep(1_000);
      expect(answering.readyState).toBe(WebSocket.OPEN);
      answering.close();
    }
  });
});
