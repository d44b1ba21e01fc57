import { afterEach, describe, expect, it } from 'vitest';
import { rawRequest } from './helpers/http.js';
import { startRecordingStack, type RecordingStack } from './helpers/recording-stack.js';

/**
 * Every failed recording and transcription says why — Agora's reason from its notice, else what
 * its query showed — on every surface: tRPC (get, list, query), REST (`/status`), the watch
 * stream's last event, one warn log line, and the failures metric by reason.
 */

const SECRET = 'whsec-failure-reasons';

let stack: RecordingStack | undefined;
afterEach(async () => {
  await stack?.close(true);
  stack = undefined;
});

/** A stack whose emulator sends its notices to the server's webhook (none when `drop`). */
async function stackWithNotices(drop = false) {
  const s = (stack = await startRecordingStack({ webhookSecret: SECRET, pollIntervalMs: 200, confirmDelayMs: 100 }));
  s.emulator.control.setNotificationTarget({ url: `${s.app.baseUrl}/webhooks/agora`, secret: SECRET });
  s.emulator.control.notifications.setDelivery({ dropShare: drop ? 1 : 0 });
  return s;
}

const settle = async (s: RecordingStack) => {
  await s.emulator.control.notifications.settle();
  // The webhook applies a change after answering it.
  await new Promise((resolve) => setTimeout(resolve, 300));
};

function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`);
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${name}{`) && wanted.every((pair) => candidate.includes(pair)));
  return line === undefined ? undefined : Number(line.split(' ').pop());
}

/** The warn lines (pino level 40) whose message starts with `prefix`, parsed. */
const warnings = (s: RecordingStack, prefix: string) =>
  s.logs
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((entry) => entry.level === 40 && String(entry.msg).startsWith(prefix));

async function failedRecording(s: RecordingStack, channel: string) {
  const started = await s.client.recording.start.mutate({ channel });
  s.emulator.control.join(channel, '100');
  await expect.poll(async () => (await s.client.recording.get.query({ id: started.id })).state, { timeout: 5_000 }).toBe('recording');
  const events: { state: string; lastError: unknown }[] = [];
  const subscription = s.client.recording.watch.subscribe({ id: started.id }, { onData: (event) => events.push(event.data) });
  expect(s.emulator.control.failTask(started.sid, { module: 0, errorCode: 52, errorMsg: 'start timeout' })).toBe(true);
  await expect.poll(async () => (await s.client.recording.get.query({ id: started.id })).state, { timeout: 5_000 }).toBe('failed');
  await expect.poll(() => events.at(-1)?.state, { timeout: 5_000 }).toBe('failed');
  subscription.unsubscribe();
  await settle(s);
  return { id: started.id, events };
}

describe('a recording that fails on Agora’s side', () => {
  it('carries the error notice’s reason on every surface, in one warn line and in the metric', async () => {
    const s = await stackWithNotices();
    const { id, events } = await failedRecording(s, 'broken');
    const expected = { message: 'Agora: start timeout (recorder, error code 52)', reason: 'error_52', from: 'notice' };

    expect((await s.client.recording.get.query({ id })).lastError).toEqual(expected);
    expect((await s.client.recording.query.query({ id })).lastError).toEqual(expected);
    const listed = await s.client.recording.list.query({ state: 'failed' });
    expect(listed.items.map((item) => [item.id, item.lastError])).toEqual([[id, expected]]);
    const status = await rawRequest(s.app.baseUrl, { path: `/api/v1/recordings/${id}/status` });
    expect(status.status).toBe(200);
    expect((JSON.parse(status.text) as { lastError: unknown }).lastError).toEqual(expected);
    // The failed event says why too: the notice's reason, or (when it lost the race with the query) the status.
    expect(['error_52', 'exited_abnormally']).toContain((events.at(-1)!.lastError as { reason: string }).reason);

    const lines = warnings(s, 'recording failed');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ recordingId: id, channel: 'broken' });
    const metrics = (await rawRequest(s.app.baseUrl, { path: '/metrics' })).text;
    const counted = ['error_52', 'exited_abnormally'].map(
      (reason) => sample(metrics, 'agora_backend_task_failures_total', { kind: 'recording', reason }) ?? 0,
    );
    expect(counted[0]! + counted[1]!).toBe(1);
  });

  it('with no notice at all, says what Agora’s query showed: status 20, exited abnormally', async () => {
    const s = await stackWithNotices(true);
    const { id, events } = await failedRecording(s, 'silent');
    const expected = { message: 'Agora reported status 20: the recording exited abnormally', reason: 'exited_abnormally', from: 'query' };
    expect((await s.client.recording.get.query({ id })).lastError).toEqual(expected);
    expect(events.at(-1)).toMatchObject({ state: 'failed', lastError: expected });
    // A replay from the registry carries it as well.
    const replayed: { state: string; lastError: unknown }[] = [];
    const again = s.client.recording.watch.subscribe({ id }, { onData: (event) => replayed.push(event.data) });
    await expect.poll(() => replayed.at(-1)).toMatchObject({ state: 'failed', lastError: expected });
    again.unsubscribe();
    expect(warnings(s, 'recording failed')).toEqual([
      expect.objectContaining({ recordingId: id, reason: 'exited_abnormally', from: 'query' }),
    ]);
    const metrics = (await rawRequest(s.app.baseUrl, { path: '/metrics' })).text;
    expect(sample(metrics, 'agora_backend_task_failures_total', { kind: 'recording', reason: 'exited_abnormally' })).toBe(1);
    // A stop after the failure says it failed, and why (it used to answer "stopped").
    expect(await s.client.recording.stop.mutate({ id })).toMatchObject({ state: 'failed', alreadyStopped: true, lastError: expected });
  });
});

async function failedTranscription(s: RecordingStack, channel: string) {
  s.emulator.control.join(channel, '100');
  const started = await s.client.transcription.start.mutate({ channel, languages: ['en-US'] });
  const events: { state: string; lastError: unknown }[] = [];
  const subscription = s.client.transcription.watch.subscribe({ id: started.id }, { onData: (event) => events.push(event.data) });
  await expect.poll(() => events.length).toBeGreaterThan(0);
  expect(s.emulator.control.failAgent(started.agentId, 'asr')).toBe(true);
  await expect.poll(() => events.at(-1)?.state, { timeout: 5_000 }).toBe('failed');
  subscription.unsubscribe();
  await settle(s);
  return { id: started.id, events };
}

describe('a transcription that fails on Agora’s side', () => {
  it('carries the 102 notice’s reason ("Fatal ASR error") on every surface, in one warn line and in the metric', async () => {
    const s = await stackWithNotices();
    const { id, events } = await failedTranscription(s, 'talk');
    const expected = { message: 'Agora: Fatal ASR error', reason: 'asr', from: 'notice' };
    expect((await s.client.transcription.get.query({ id })).lastError).toEqual(expected);
    expect((await s.client.transcription.query.query({ id })).lastError).toEqual(expected);
    expect((await s.client.transcription.list.query({})).items.map((item) => item.lastError)).toEqual([expected]);
    const rest = await rawRequest(s.app.baseUrl, { path: `/api/v1/transcriptions/${id}/status` });
    expect(rest.status).toBe(200);
    expect((JSON.parse(rest.text) as { lastError: unknown }).lastError).toEqual(expected);
    // The notice asks for the query that ends the row, so the failed event already knows why.
    expect(events.at(-1)).toMatchObject({ state: 'failed', lastError: expected });
    expect(warnings(s, 'transcription failed')).toEqual([
      expect.objectContaining({ transcriptionId: id, reason: 'asr', from: 'notice', msg: 'transcription failed: Agora: Fatal ASR error' }),
    ]);
    const metrics = (await rawRequest(s.app.baseUrl, { path: '/metrics' })).text;
    expect(sample(metrics, 'agora_backend_task_failures_total', { kind: 'transcription', reason: 'asr' })).toBe(1);
    expect(await s.client.transcription.stop.mutate({ id })).toEqual({ id, state: 'failed', alreadyStopped: true, lastError: expected });
  });

  it('with no notice, says what Agora’s query showed: the agent FAILED', async () => {
    const s = await stackWithNotices(true);
    const { id, events } = await failedTranscription(s, 'quiet');
    const expected = { message: 'Agora reported the agent FAILED', reason: 'agent_failed', from: 'query' };
    expect((await s.client.transcription.get.query({ id })).lastError).toEqual(expected);
    expect(events.at(-1)).toMatchObject({ state: 'failed', lastError: expected });
  });
});
