import superjson from 'superjson';
import WebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { closeClient, createClient, type AgoraBackendClient } from '@agora-backend/client/node';
import { createApiKeyAuth, hashApiKey } from '@agora-backend/server';
import { catchServerError } from './helpers/errors.js';
import { postJson, rawRequest } from './helpers/http.js';
import { startRecordingStack, type RecordingStack } from './helpers/recording-stack.js';

/**
 * The same input gets the same answer on every way in: tRPC over HTTP (one call and batched), over
 * WebSocket, SSE for subscriptions, /api/v1, and the tutorial's endpoint in its own words.
 */

let stack: RecordingStack | undefined;
const clients: AgoraBackendClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => closeClient(client)));
  await stack?.close(true);
  stack = undefined;
});

interface Answer {
  code: string;
  message: string;
}

/** token.generate on every surface that has it. */
async function everySurface(s: RecordingStack, input: Record<string, unknown>, auth?: string): Promise<Record<string, Answer>> {
  const headers: Record<string, string> = auth ? { authorization: `Bearer ${auth}` } : {};
  const client = (transport: 'ws' | 'sse') => {
    const created = createClient({ url: s.app.url, transport, ...(auth ? { auth } : {}) });
    clients.push(created);
    return created;
  };
  const viaClient = async (target: AgoraBackendClient) => {
    const error = await catchServerError(target.token.generate.mutate(input as never));
    return { code: String(error.data?.code), message: error.message };
  };
  const http = await viaClient(client('sse'));
  const ws = await viaClient(client('ws'));
  const batch = await postJson(
    s.app.baseUrl,
    '/trpc/token.generate,token.generate?batch=1',
    { 0: superjson.serialize(input), 1: superjson.serialize(input) },
    headers,
  );
  const batched = (batch.json as { error: { json: { message: string; data: { code: string } } } }[]).map((item) => ({
    code: item.error.json.data.code,
    message: item.error.json.message,
  }));
  const rest = await postJson(s.app.baseUrl, '/api/v1/tokens', input, headers);
  const restBody = rest.json as Answer;
  return { http, ws, batch0: batched[0]!, batch1: batched[1]!, rest: { code: restBody.code, message: restBody.message } };
}

/** The error a `recording.watch` subscription ends with. */
function watchError(client: AgoraBackendClient, id: string): Promise<{ code: unknown; message: string }> {
  return new Promise((resolve) => {
    const subscription = client.recording.watch.subscribe(
      { id },
      {
        onError: (failure) => {
          subscription.unsubscribe();
          resolve({ code: failure.data?.code, message: failure.message });
        },
      },
    );
  });
}

/** The first `count` answers to one raw message on a fresh WebSocket (no connection params: the context is made at once). */
function wsAnswer(wsUrl: string, message: string, count = 1): Promise<{ id: unknown }[]> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(wsUrl);
    const answers: { id: unknown }[] = [];
    socket.once('open', () => socket.send(message));
    socket.on('message', (data: Buffer) => {
      answers.push(JSON.parse(data.toString('utf8')) as { id: unknown });
      if (answers.length < count) return;
      socket.close();
      resolve(answers);
    });
    socket.once('error', reject);
  });
}

/** Code, app code and message of a tRPC error envelope, as any surface wrote it. */
const errorOf = (envelope: unknown) => {
  const error = (envelope as { error: { json: { message: string; data: { code: string; appCode: string } } } }).error.json;
  return { code: error.data.code, appCode: error.data.appCode, message: error.message };
};

describe('one input, one answer, every surface', () => {
  it('names the same field and rule for each broken rule', async () => {
    const s = (stack = await startRecordingStack());
    const inputs = [
      { channel: 'x'.repeat(64), uid: 1 },
      { channel: 'room/1', uid: 1 },
      { channel: 'room', uid: -5 },
      { channel: 'room', uid: 4_294_967_296 },
      { channel: 'room', uid: 1, expireTime: 90_000 },
      { channel: 'room', uid: 1, role: 'admin' },
      { channel: 'room', uid: 1, expireSeconds: 60, privilegeExpireSeconds: 120 },
      { kind: 'rtm', userId: 'u'.repeat(65) },
    ];
    for (const input of inputs) {
      const answers = await everySurface(s, input);
      const expected = answers.http!;
      expect(expected.code, JSON.stringify(input)).toBe('BAD_REQUEST');
      expect(expected.message).toMatch(/^[a-zA-Z.]+: /);
      for (const [surface, answer] of Object.entries(answers)) expect(answer, `${surface} ${JSON.stringify(input)}`).toEqual(expected);
      // The tutorial answers in plain text with the same message, for the fields it forwards.
      if (Object.keys(input).every((field) => ['channel', 'uid', 'expireTime'].includes(field))) {
        const tutorial = await postJson(s.app.baseUrl, '/api/token.json', { role: 'publisher', expireTime: 600, ...input });
        expect({ status: tutorial.status, text: tutorial.text }, JSON.stringify(input)).toEqual({ status: 400, text: expected.message });
      }
    }
  });

  it('refuses a superjson frame that would recurse, in our words, on every road of tRPC', async () => {
    const s = (stack = await startRecordingStack());
    // superjson walked a string meta.values character by character until the stack overflowed.
    const frame = '{"json":{"channel":"room1","uid":1},"meta":{"values":"Date"}}';
    const expected = {
      code: 'BAD_REQUEST',
      appCode: 'MALFORMED_REQUEST',
      message: "input.meta.values: must be superjson's annotation tree (an object of paths, or a [type, children?] pair)",
    };
    const json = { 'content-type': 'application/json' };
    const one = await rawRequest(s.app.baseUrl, { method: 'POST', path: '/trpc/token.generate', headers: json, body: frame });
    const batch = await rawRequest(s.app.baseUrl, {
      method: 'POST',
      path: '/trpc/token.generate,token.generate?batch=1',
      headers: json,
      body: `{"0":${frame},"1":${frame}}`,
    });
    const query = await rawRequest(s.app.baseUrl, { path: `/trpc/recording.list?input=${encodeURIComponent(frame)}` });
    const sse = await rawRequest(s.app.baseUrl, {
      path: `/trpc/recording.watch?input=${encodeURIComponent(frame)}`,
      headers: { accept: 'text/event-stream' },
    });
    const ws = await wsAnswer(s.app.wsUrl, `{"id":1,"method":"mutation","params":{"path":"token.generate","input":${frame}}}`);
    expect([one.status, batch.status, query.status]).toEqual([400, 400, 400]);
    expect(errorOf(one.json)).toEqual(expected);
    for (const item of batch.json as unknown[]) expect(errorOf(item)).toEqual(expected);
    expect(errorOf(query.json)).toEqual(expected);
    const sseError = /event: serialized-error\ndata: (.*)\n/.exec(sse.text)?.[1];
    expect(sseError, sse.text).toBeDefined();
    const sseShape = (JSON.parse(sseError!) as { json: { message: string; data: { code: string; appCode: string } } }).json;
    expect({ code: sseShape.data.code, appCode: sseShape.data.appCode, message: sseShape.message }).toEqual(expected);
    // Over WebSocket tRPC reads the message before the call, so the refusal is its PARSE_ERROR, in the same words.
    expect(errorOf(ws[0])).toEqual({ ...expected, code: 'PARSE_ERROR' });
    expect(s.logs.join('\n')).not.toMatch(/Maximum call stack/);
  });

  it('refuses a batch over MAX_BATCH_SIZE alike over HTTP and WebSocket', async () => {
    const s = (stack = await startRecordingStack({ edge: { maxBatchSize: 3 } }));
    const expected = {
      code: 'BAD_REQUEST',
      appCode: 'MALFORMED_REQUEST',
      message: "batch: more calls than one batch may carry (the server's MAX_BATCH_SIZE)",
    };
    const call = (id: number) => ({
      id,
      method: 'mutation',
      params: { path: 'token.generate', input: superjson.serialize({ channel: 'room', uid: 1 }) },
    });
    const post = await postJson(s.app.baseUrl, `/trpc/${Array(4).fill('token.generate').join(',')}?batch=1`, {});
    const get = await rawRequest(s.app.baseUrl, { path: `/trpc/${Array(4).fill('recording.list').join(',')}?batch=1&input={}` });
    const ws = await wsAnswer(s.app.wsUrl, JSON.stringify([1, 2, 3, 4].map(call)), 4);
    expect([post.status, get.status]).toEqual([400, 400]);
    expect(errorOf(post.json)).toEqual(expected);
    expect(errorOf(get.json)).toEqual(expected);
    expect(ws.map((item) => [item.id, errorOf(item)])).toEqual([1, 2, 3, 4].map((id) => [id, expected]));
    // At the limit, a batch is served.
    const three = await postJson(s.app.baseUrl, `/trpc/${Array(3).fill('token.generate').join(',')}?batch=1`, {
      0: superjson.serialize({ channel: 'room', uid: 1 }),
      1: superjson.serialize({ channel: 'room', uid: 2 }),
      2: superjson.serialize({ channel: 'room', uid: 3 }),
    });
    expect(three.status).toBe(200);
  });

  it('refuses missing and wrong credentials alike everywhere, subscriptions included', async () => {
    const key = 'agk_surfaces_key_00000000000000000000';
    const s = (stack = await startRecordingStack({
      authenticator: createApiKeyAuth([{ id: 'k', hash: hashApiKey(key), scopes: ['record'], channels: ['*'] }]),
    }));
    const refusals = new Map<string | undefined, string>();
    for (const auth of [undefined, 'agk_not_a_key']) {
      const answers = await everySurface(s, { channel: 'room', uid: 1 }, auth);
      refusals.set(auth, answers.http!.message);
      for (const [surface, answer] of Object.entries(answers)) expect(answer.code, `${surface} ${auth}`).toBe('UNAUTHORIZED');
      expect(new Set(Object.values(answers).map((answer) => answer.message)).size).toBe(1);
      const tutorial = await postJson(
        s.app.baseUrl,
        '/api/token.json',
        { channel: 'room', uid: 1, role: 'publisher', expireTime: 60 },
        auth ? { authorization: `Bearer ${auth}` } : {},
      );
      expect({ status: tutorial.status, text: tutorial.text }).toEqual({ status: 401, text: answers.http!.message });
    }
    // A key without the token scope: FORBIDDEN, with the same words on each surface.
    const scoped = await everySurface(s, { channel: 'room', uid: 1 }, key);
    for (const answer of Object.values(scoped))
      expect(answer).toEqual({ code: 'FORBIDDEN', message: 'this credential lacks the "token" scope' });
    // recording.watch over WebSocket and SSE: the same refusal.
    for (const transport of ['ws', 'sse'] as const) {
      const client = createClient({ url: s.app.url, transport, auth: 'agk_not_a_key' });
      clients.push(client);
      const error = await watchError(client, 'nope');
      expect(error, transport).toEqual({ code: 'UNAUTHORIZED', message: refusals.get('agk_not_a_key') });
    }
  });

  it('refuses an unknown recording alike on tRPC, WebSocket, SSE and /api/v1', async () => {
    const s = (stack = await startRecordingStack());
    const messages = new Set<string>();
    for (const transport of ['ws', 'sse'] as const) {
      const client = createClient({ url: s.app.url, transport });
      clients.push(client);
      const queried = await catchServerError(client.recording.query.query({ id: 'no-such-recording' }));
      expect(queried.data?.code).toBe('NOT_FOUND');
      messages.add(queried.message);
      const watched = await watchError(client, 'no-such-recording');
      expect(watched.code, transport).toBe('NOT_FOUND');
      messages.add(watched.message);
    }
    const rest = await rawRequest(s.app.baseUrl, { path: '/api/v1/recordings/no-such-recording/status' });
    expect(rest.status).toBe(404);
    messages.add((rest.json as Answer).message);
    expect([...messages]).toEqual(['No such recording']);
  });
});
