import { afterEach, describe, expect, it } from 'vitest';
import { postJson, rawRequest } from './helpers/http.js';
import { startRecordingStack, type RecordingStack } from './helpers/recording-stack.js';
import { TEST_APP_CERTIFICATE } from './helpers/server.js';
import { readToken } from './helpers/token-verifier.js';

let stack: RecordingStack | undefined;
afterEach(async () => {
  await stack?.close(true);
  stack = undefined;
});

/** What the tutorial's handlers answer a refused input with: 400 and a plain-text reason. */
const refusal = (text: string) => ({ status: 400, type: 'text/plain; charset=utf-8', text });

async function call(path: string, body: unknown) {
  const response = await postJson(stack!.app.baseUrl, path, body);
  return { status: response.status, type: response.headers['content-type'], text: response.text };
}

describe("the tutorial's token endpoint, as its own tests call it", () => {
  it('takes expireTime and uid as digit strings', async () => {
    stack = await startRecordingStack();
    const response = await call('/api/token.json', { channel: 'test', role: 'publisher', uid: '1234', expireTime: '3600' });
    expect(response.status).toBe(200);
    const token = readToken((JSON.parse(response.text) as { token: string }).token, TEST_APP_CERTIFICATE);
    expect(token.signatureValid).toBe(true);
    expect(token.expire).toBe(3600);
    expect(token.services[0]!.fields).toEqual(['test', '1234']);
    // A subscriber gets the join privilege only.
    const subscriber = await call('/api/token.json', { channel: 'test', role: 'subscriber', uid: 7, expireTime: 600 });
    const privileges = readToken((JSON.parse(subscriber.text) as { token: string }).token, TEST_APP_CERTIFICATE).services[0]!.privileges;
    expect([...privileges.keys()]).toEqual([1]);
  });

  it('checks in its order, with its texts: channel, uid, expireTime, then role', async () => {
    stack = await startRecordingStack();
    const cases: [unknown, string][] = [
      [{}, 'channel is required'],
      [{ channel: '', uid: 1, expireTime: 60, role: 'publisher' }, 'channel is required'],
      [{ channel: 'c' }, 'uid is required'],
      // The tutorial tested `!uid`: uid 0 is "missing" there too.
      [{ channel: 'c', uid: 0, expireTime: 60, role: 'publisher' }, 'uid is required'],
      [{ channel: 'c', uid: 1 }, 'expireTime is required'],
      [{ channel: 'c', uid: 1, expireTime: '' }, 'expireTime is required'],
      [{ channel: 'c', uid: 1, expireTime: 60 }, 'role is incorrect'],
      [{ channel: 'c', uid: 1, expireTime: 60, role: 'admin' }, 'role is incorrect'],
      [[1, 2], 'channel is required'],
    ];
    for (const [body, text] of cases) expect(await call('/api/token.json', body), JSON.stringify(body)).toEqual(refusal(text));
  });

  it('keeps our bounds where the tutorial had none, naming the field', async () => {
    stack = await startRecordingStack();
    expect(await call('/api/token.json', { channel: 'c', uid: 1, role: 'publisher', expireTime: 90_000 })).toEqual(
      refusal('expireTime: must be from 1 to 86400 seconds'),
    );
    expect(await call('/api/token.json', { channel: 'c', uid: 1, role: 'publisher', expireTime: 'soon' })).toEqual(
      refusal('expireTime: must be a number of seconds'),
    );
    expect(await call('/api/token.json', { channel: 'c'.repeat(64), uid: 1, role: 'publisher', expireTime: 60 })).toMatchObject({
      status: 400,
      text: expect.stringMatching(/^channel: /) as unknown,
    });
  });
});

describe("the tutorial's recording endpoints", () => {
  it('check their fields in the tutorial order', async () => {
    stack = await startRecordingStack();
    expect(await call('/api/recording/start.json', {})).toEqual(refusal('channel is required'));
    expect(await call('/api/recording/query.json', {})).toEqual(refusal('sid is required'));
    expect(await call('/api/recording/query.json', { sid: 's' })).toEqual(refusal('resourceId is required'));
    expect(await call('/api/recording/stop.json', {})).toEqual(refusal('channel is required'));
    expect(await call('/api/recording/stop.json', { channel: 'c' })).toEqual(refusal('sid is required'));
    expect(await call('/api/recording/stop.json', { channel: 'c', sid: 's' })).toEqual(refusal('resourceId is required'));
    expect(stack.emulator.control.requestCounts()).toEqual({});
  });

  it('answers query.json with a non-2xx once the recording has ended, as the tutorial page expects', async () => {
    stack = await startRecordingStack();
    stack.emulator.control.join('ended', '100');
    const started = JSON.parse((await call('/api/recording/start.json', { channel: 'ended' })).text) as { resourceId: string; sid: string };
    expect((await call('/api/recording/query.json', started)).status).toBe(200);
    expect((await call('/api/recording/stop.json', { channel: 'ended', ...started })).status).toBe(200);
    const after = await call('/api/recording/query.json', started);
    expect(after.status).toBe(404);
    expect(JSON.parse(after.text)).toEqual({ code: 404, reason: 'failed to find worker' });
  });

  it('starts nothing for a body a browser could send cross-site without asking (text/plain)', async () => {
    stack = await startRecordingStack();
    const response = await rawRequest(stack.app.baseUrl, {
      method: 'POST',
      path: '/api/recording/start.json',
      headers: { 'content-type': 'text/plain' },
      body: '{"channel":"csrf"}',
    });
    expect(response.status).toBe(415);
    expect(stack.emulator.control.requestCounts()).toEqual({});
    expect((await stack.store.recordings.list({ limit: 5 })).items).toEqual([]);
  });
});

describe("the tutorial's transcription endpoints (Speech-to-Text 6.x bodies, 7.x underneath)", () => {
  it('start → { taskId, builderToken }; query and stop take both back', async () => {
    stack = await startRecordingStack();
    stack.emulator.control.join('class', '42');
    const started = await call('/api/transcription/start.json', { channel: 'class' });
    expect(started).toMatchObject({ status: 200, type: 'application/json; charset=utf-8' });
    const { taskId, builderToken } = JSON.parse(started.text) as { taskId: string; builderToken: string };
    // The task id is Agora's 7.x agent id; the builder token is our handle for it.
    expect(stack.emulator.control.agent(taskId)).toMatchObject({ status: 'RUNNING', channel: 'class', languages: ['en-US', 'es-ES'] });
    expect((await stack.client.transcription.get.query({ id: builderToken })).agentId).toBe(taskId);

    const queried = await call('/api/transcription/query.json', { taskId, builderToken });
    expect(queried.status).toBe(200);
    expect(JSON.parse(queried.text)).toEqual({ taskId, createTs: expect.any(Number) as unknown, status: 'IN_PROGRESS' });

    const stopped = await call('/api/transcription/stop.json', { taskId, builderToken });
    expect(JSON.parse(stopped.text)).toEqual({ taskId, status: 'STOPPED' });
    expect(stack.emulator.control.agent(taskId)).toMatchObject({ status: 'STOPPED' });
    expect(JSON.parse((await call('/api/transcription/query.json', { taskId, builderToken })).text)).toMatchObject({ status: 'STOPPED' });
  });

  it('refuses with its texts, and a taskId that does not go with the builderToken as a missing transcription', async () => {
    stack = await startRecordingStack();
    expect(await call('/api/transcription/start.json', {})).toEqual(refusal('channel is required'));
    expect(await call('/api/transcription/query.json', { builderToken: 'x' })).toEqual(refusal('taskId is required'));
    expect(await call('/api/transcription/query.json', { taskId: 'x' })).toEqual(refusal('builderToken is required'));
    expect(await call('/api/transcription/stop.json', { taskId: 'x' })).toEqual(refusal('builderToken is required'));
    const { builderToken } = JSON.parse((await call('/api/transcription/start.json', { channel: 'c' })).text) as { builderToken: string };
    const mismatch = await call('/api/transcription/stop.json', { taskId: 'SOMEONE-ELSES', builderToken });
    expect(mismatch.status).toBe(404);
    expect(mismatch.text).toContain('No such transcription');
    expect(stack.emulator.control.agents().filter((agent) => agent.status === 'RUNNING')).toHaveLength(1);
  });
});
