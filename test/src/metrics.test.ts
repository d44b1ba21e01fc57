import { afterEach, describe, expect, it } from 'vitest';
import { createApiKeyAuth, hashApiKey } from '@agora-backend/server';
import { rawRequest } from './helpers/http.js';
import { startRecordingStack, type RecordingStack } from './helpers/recording-stack.js';
import { wsConnection } from './helpers/subscribers.js';

let stack: RecordingStack | undefined;
afterEach(async () => {
  await stack?.close(true);
  stack = undefined;
});

/** One sample's value from Prometheus text, e.g. `metric('agora_backend_recordings', { state: 'stopped' })`. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`);
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const labelText = /\{(.*)\}/.exec(line)?.[1] ?? '';
    if (wanted.every((pair) => labelText.split(',').includes(pair))) return Number(line.split(' ').pop());
  }
  return undefined;
}

describe('GET /metrics', () => {
  it('counts recordings by state, upstream calls by endpoint and outcome, and open watchers', async () => {
    const s = (stack = await startRecordingStack());
    s.emulator.control.join('room', '100');
    const stopped = await s.client.recording.start.mutate({ channel: 'room' });
    await s.client.recording.stop.mutate({ id: stopped.id });
    const live = await s.client.recording.start.mutate({ channel: 'room' });
    const connection = wsConnection(s.app.url);
    connection.client.recording.watch.subscribe({ id: live.id }, {});
    await expect
      .poll(async () => sample((await rawRequest(s.app.baseUrl, { path: '/metrics' })).text, 'agora_backend_watchers', { transport: 'ws' }))
      .toBe(1);

    const response = await rawRequest(s.app.baseUrl, { path: '/metrics' });
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/plain/);
    const text = response.text;
    expect(sample(text, 'agora_backend_recordings', { state: 'stopped' })).toBe(1);
    expect(
      (sample(text, 'agora_backend_recordings', { state: 'starting' }) ?? 0) +
        (sample(text, 'agora_backend_recordings', { state: 'recording' }) ?? 0),
    ).toBe(1);
    expect(sample(text, 'agora_backend_upstream_requests_total', { endpoint: 'acquire', outcome: '200' })).toBe(2);
    expect(sample(text, 'agora_backend_upstream_requests_total', { endpoint: 'stop', outcome: '200' })).toBe(1);
    expect(sample(text, 'agora_backend_upstream_request_seconds_count', { endpoint: 'start' })).toBe(2);
    expect(sample(text, 'agora_backend_transcriptions', { state: 'running' })).toBe(0);
    await connection.close();
    await expect
      .poll(async () => sample((await rawRequest(s.app.baseUrl, { path: '/metrics' })).text, 'agora_backend_watchers', { transport: 'ws' }))
      .toBe(0);
    // Transcriptions count apart, with Speech-to-Text's calls by their own endpoint names.
    const transcription = await s.client.transcription.start.mutate({ channel: 'room', languages: ['en-US'] });
    await s.client.transcription.stop.mutate({ id: transcription.id });
    await s.client.transcription.start.mutate({ channel: 'room', languages: ['en-US'] });
    const after = (await rawRequest(s.app.baseUrl, { path: '/metrics' })).text;
    expect([
      sample(after, 'agora_backend_transcriptions', { state: 'running' }),
      sample(after, 'agora_backend_transcriptions', { state: 'stopped' }),
    ]).toEqual([1, 1]);
    expect(sample(after, 'agora_backend_upstream_requests_total', { endpoint: 'sttJoin', outcome: '200' })).toBe(2);
    expect(sample(after, 'agora_backend_upstream_requests_total', { endpoint: 'sttLeave', outcome: '200' })).toBe(1);
  });

  it('needs an admin credential when callers authenticate', async () => {
    const admin = 'agk_metrics_admin_0000000000000000000';
    const user = 'agk_metrics_user_00000000000000000000';
    const s = (stack = await startRecordingStack({
      authenticator: createApiKeyAuth([
        { id: 'admin', hash: hashApiKey(admin), scopes: ['admin'], channels: [] },
        { id: 'user', hash: hashApiKey(user), scopes: ['token', 'record'], channels: ['*'] },
      ]),
    }));
    expect((await rawRequest(s.app.baseUrl, { path: '/metrics' })).status).toBe(401);
    expect((await rawRequest(s.app.baseUrl, { path: '/metrics', headers: { authorization: `Bearer ${user}` } })).status).toBe(403);
    const allowed = await rawRequest(s.app.baseUrl, { path: '/metrics', headers: { authorization: `Bearer ${admin}` } });
    expect(allowed.status).toBe(200);
    expect(allowed.text).toContain('agora_backend_recordings');
  });
});
