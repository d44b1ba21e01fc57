import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Validator } from '@seriousme/openapi-schema-validator';
import { afterEach, describe, expect, it } from 'vitest';
import { createApiKeyAuth, hashApiKey } from '@agora-backend/server';
import { catchServerError } from './helpers/errors.js';
import { startRecordingStack, type RecordingStack } from './helpers/recording-stack.js';
import { TEST_APP_CERTIFICATE } from './helpers/server.js';
import { readToken } from './helpers/token-verifier.js';

const run = promisify(execFile);
let stack: RecordingStack | undefined;
afterEach(async () => {
  await stack?.close(true);
  stack = undefined;
});

/** `curl -s -X POST <url> -H 'Content-Type: application/json' -d <json>`, as the tutorial shows. */
async function curl(url: string, body: unknown, headers: string[] = []) {
  const { stdout } = await run('curl', [
    '-s',
    '-w',
    '\n%{http_code}',
    '-X',
    'POST',
    url,
    '-H',
    'Content-Type: application/json',
    ...headers.flatMap((h) => ['-H', h]),
    '-d',
    JSON.stringify(body),
  ]);
  const lines = stdout.split('\n');
  const status = Number(lines.pop());
  return { status, text: lines.join('\n') };
}

describe("the tutorial's endpoints, drop-in", () => {
  it('runs its curl sequence: token, start, query, stop', async () => {
    stack = await startRecordingStack();
    stack.emulator.control.join('test', '100');
    const base = stack.app.baseUrl;

    const token = await curl(`${base}/api/token.json`, { channel: 'test', role: 'publisher', uid: '1234', expireTime: 3600 });
    expect(token.status).toBe(200);
    const { token: issued } = JSON.parse(token.text) as { token: string };
    const decoded = readToken(issued, TEST_APP_CERTIFICATE);
    expect(decoded.signatureValid).toBe(true);
    expect(decoded.services[0]!.fields).toEqual(['test', '1234']);
    expect(decoded.expire).toBe(3600);

    const start = await curl(`${base}/api/recording/start.json`, { channel: 'test' });
    expect(start.status).toBe(200);
    const started = JSON.parse(start.text) as Record<string, string>;
    expect(Object.keys(started).sort()).toEqual(['resourceId', 'sid']);

    const query = await curl(`${base}/api/recording/query.json`, { resourceId: started.resourceId, sid: started.sid });
    expect(query.status).toBe(200);
    expect(JSON.parse(query.text)).toMatchObject({ resourceId: started.resourceId, sid: started.sid, serverResponse: { status: 5 } });

    const stop = await curl(`${base}/api/recording/stop.json`, { channel: 'test', resourceId: started.resourceId, sid: started.sid });
    expect(stop.status).toBe(200);
    const stopped = JSON.parse(stop.text) as { serverResponse: { uploadingStatus: string; fileList: { fileName: string }[] } };
    expect(stopped.serverResponse.uploadingStatus).toBe('uploaded');
    expect(stopped.serverResponse.fileList[0]!.fileName).toBe(`${started.sid}_test.m3u8`);
  });

  it('answers a missing field with 400 naming it, as the tutorial does', async () => {
    stack = await startRecordingStack();
    const base = stack.app.baseUrl;
    expect(await curl(`${base}/api/token.json`, { uid: 1 })).toEqual({ status: 400, text: 'channel is required' });
    expect(await curl(`${base}/api/token.json`, { channel: 'c' })).toEqual({ status: 400, text: 'uid is required' });
    expect(await curl(`${base}/api/recording/start.json`, {})).toEqual({ status: 400, text: 'channel is required' });
    expect(await curl(`${base}/api/recording/query.json`, { resourceId: 'r' })).toEqual({ status: 400, text: 'sid is required' });
    expect(await curl(`${base}/api/recording/stop.json`, { channel: 'c', sid: 's' })).toEqual({
      status: 400,
      text: 'resourceId is required',
    });
    // Beyond the tutorial: its missing validation is ours.
    expect(await curl(`${base}/api/token.json`, { channel: 'a/b', uid: 1, role: 'publisher', expireTime: 3600 })).toEqual({
      status: 400,
      text: 'channel: may contain only letters, digits, space and ! # $ % & ( ) + - : ; < = . > ? @ [ ] ^ _ { } | ~ ,',
    });
    expect(stack.emulator.control.requestCounts()).toEqual({});
  });
});

describe('/api/v1 and /openapi.json', () => {
  it('serves an OpenAPI 3.1 document that validates, with the auth scheme declared', async () => {
    stack = await startRecordingStack();
    const document = (await (await fetch(`${stack.app.baseUrl}/openapi.json`)).json()) as Record<string, unknown>;
    const validator = new Validator();
    const result = await validator.validate(document);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(document).toMatchObject({
      openapi: '3.1.0',
      components: { securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearerAuth: [] }],
    });
    const paths = document.paths as Record<string, Record<string, unknown>>;
    expect(Object.keys(paths).sort()).toEqual([
      '/agent-profiles',
      '/agents',
      '/agents/{id}',
      '/agents/{id}/history',
      '/agents/{id}/interrupt',
      '/agents/{id}/speak',
      '/agents/{id}/status',
      '/agents/{id}/stop',
      '/agents/{id}/think',
      '/agents/{id}/turns',
      '/bans',
      '/bans/{id}',
      '/bans/{id}/remove',
      '/channels',
      '/channels/{channel}',
      '/channels/{channel}/sessions',
      '/channels/{channel}/users/{uid}',
      '/channels/{channel}/users/{uid}/kick',
      '/recordings',
      '/recordings/{id}',
      '/recordings/{id}/files',
      '/recordings/{id}/layout',
      '/recordings/{id}/status',
      '/recordings/{id}/stop',
      '/tokens',
      '/transcriptions',
      '/transcriptions/{id}',
      '/transcriptions/{id}/files',
      '/transcriptions/{id}/status',
      '/transcriptions/{id}/stop',
    ]);
    expect(Object.keys(paths['/recordings']!).sort()).toEqual(['get', 'post']);
    expect(Object.keys(paths['/transcriptions/{id}']!).sort()).toEqual(['get', 'patch']);
    expect(Object.keys(paths['/agents/{id}']!).sort()).toEqual(['get', 'patch']);
  });

  it('runs a recording over plain HTTP', async () => {
    stack = await startRecordingStack();
    stack.emulator.control.join('rest', '100');
    const api = `${stack.app.baseUrl}/api/v1`;
    const post = (path: string, body?: unknown) =>
      fetch(`${api}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    const created = await post('/recordings', { channel: 'rest', fileTypes: ['hls', 'mp4'] });
    expect(created.status).toBe(201);
    const recording = (await created.json()) as { id: string; startedAt: string };
    expect(new Date(recording.startedAt).toISOString()).toBe(recording.startedAt);
    const status = (await (await fetch(`${api}/recordings/${recording.id}/status`)).json()) as { state: string; files: unknown[] };
    expect(status).toMatchObject({ state: 'recording' });
    expect(status.files).toHaveLength(2);
    const stopped = (await (await post(`/recordings/${recording.id}/stop`)).json()) as { state: string };
    expect(stopped.state).toBe('stopped');
    const list = (await (await fetch(`${api}/recordings?channel=rest&limit=5`)).json()) as { items: { id: string; state: string }[] };
    expect(list.items.map((item) => [item.id, item.state])).toEqual([[recording.id, 'stopped']]);
    expect((await fetch(`${api}/recordings/unknown`)).status).toBe(404);
    expect((await fetch(`${api}/tokens`)).status).toBe(405);
  });

  it('runs a transcription over plain HTTP, refusing bad bodies with the field named as tRPC does', async () => {
    stack = await startRecordingStack();
    const api = `${stack.app.baseUrl}/api/v1`;
    const send = (method: string, path: string, body?: unknown) =>
      fetch(`${api}${path}`, {
        method,
        headers: { 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    const bad = { channel: 'rest', languages: ['en-US'], translate: [{ source: 'en-US', targets: [] }] };
    const refused = await send('POST', '/transcriptions', bad);
    expect(refused.status).toBe(400);
    const refusal = (await refused.json()) as { appCode: string; message: string; issues: { path: string }[] };
    const viaTrpc = await catchServerError(stack.client.transcription.start.mutate(bad));
    expect(refusal).toMatchObject({ appCode: 'VALIDATION', message: viaTrpc.message, issues: viaTrpc.data?.issues });
    expect(refusal.issues.map((issue) => issue.path)).toEqual(['translate.0.targets']);
    expect(stack.emulator.control.requestCounts().sttJoin ?? 0).toBe(0);

    const created = await send('POST', '/transcriptions', { channel: 'rest', languages: ['en-US'] });
    expect(created.status).toBe(201);
    const transcription = (await created.json()) as { id: string; agentId: string };
    expect(((await (await fetch(`${api}/transcriptions/${transcription.id}/status`)).json()) as { state: string }).state).toBe('running');
    const patched = await send('PATCH', `/transcriptions/${transcription.id}`, { languages: ['en-US', 'hi-IN'] });
    expect(patched.status).toBe(200);
    expect(stack.emulator.control.agent(transcription.agentId)).toMatchObject({ languages: ['en-US', 'hi-IN'] });
    expect(((await (await send('POST', `/transcriptions/${transcription.id}/stop`)).json()) as { state: string }).state).toBe('stopped');
    const list = (await (await fetch(`${api}/transcriptions?channel=rest`)).json()) as {
      items: { id: string; state: string; languages: string[] }[];
    };
    expect(list.items.map((item) => [item.id, item.state, item.languages])).toEqual([[transcription.id, 'stopped', ['en-US', 'hi-IN']]]);
    expect((await fetch(`${api}/transcriptions/unknown`)).status).toBe(404);
    expect((await send('DELETE', `/transcriptions/${transcription.id}`)).status).toBe(405);
  });

  it('gives the same result and the same error as tRPC for the same input', async () => {
    stack = await startRecordingStack();
    const rest = (body: unknown) =>
      fetch(`${stack!.app.baseUrl}/api/v1/tokens`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });

    const input = { channel: 'same', uid: 'alice', role: 'subscriber', expireSeconds: 900 } as const;
    const viaRest = (await (await rest(input)).json()) as { token: string; uid: string; role: string; expiresAt: string; issuedAt: string };
    const viaTrpc = await stack.client.token.generate.mutate(input);
    expect({ uid: viaRest.uid, role: viaRest.role }).toEqual({ uid: viaTrpc.uid, role: viaTrpc.role });
    const [a, b] = [readToken(viaRest.token, TEST_APP_CERTIFICATE), readToken(viaTrpc.token, TEST_APP_CERTIFICATE)];
    expect([a.signatureValid, b.signatureValid]).toEqual([true, true]);
    expect(a.services).toEqual(b.services);
    expect(a.expire).toBe(b.expire);

    const bad = { channel: 'x'.repeat(70), uid: -5, expireSeconds: 0 };
    const restError = await rest(bad);
    expect(restError.status).toBe(400);
    const restBody = (await restError.json()) as { code: string; message: string; issues: unknown };
    const trpcError = await catchServerError(stack.client.token.generate.mutate(bad));
    expect(restBody.code).toBe(trpcError.data?.code);
    expect(restBody.message).toBe(trpcError.message);
    expect(restBody.issues).toEqual(trpcError.data?.issues);
  });

  it('applies the same authentication', async () => {
    const key = 'agk_rest_test_key_0000000000000000000';
    stack = await startRecordingStack({
      authenticator: createApiKeyAuth([{ id: 'rest', hash: hashApiKey(key), scopes: ['token'], channels: ['*'] }]),
    });
    const call = (headers: Record<string, string>) =>
      fetch(`${stack!.app.baseUrl}/api/v1/tokens`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ channel: 'c', uid: 'rest' }),
      });
    const anonymous = await call({});
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toMatchObject({
      code: 'UNAUTHORIZED',
      message: 'missing credentials: send Authorization: Bearer <api key>',
    });
    expect((await call({ authorization: `Bearer ${key}` })).status).toBe(200);
    const tutorial = await curl(`${stack.app.baseUrl}/api/token.json`, { channel: 'c', uid: 'rest', role: 'publisher', expireTime: 600 });
    expect(tutorial.status).toBe(401);
  });
});
