import { createClient } from '@agora-backend/client';
import { createApiKeyAuth, hashApiKey } from '@agora-backend/server';
import { afterEach, describe, expect, it } from 'vitest';
import { catchServerError } from './helpers/errors.js';
import { startRecordingStack, type RecordingStack } from './helpers/recording-stack.js';

/**
 * What an operator reads: a task's whole history from the registry (a finished one's too), and
 * admin.overview — counts by state, the newest failures with their reasons, upstream health.
 */

let stack: RecordingStack | undefined;
afterEach(async () => {
  await stack?.close(true);
  stack = undefined;
});

const EXITED = { message: 'Agora reported status 20: the recording exited abnormally', reason: 'exited_abnormally', from: 'query' };
const AGENT_FAILED = { message: 'Agora reported the agent FAILED', reason: 'agent_failed', from: 'query' };

async function failRecording(s: RecordingStack, channel: string) {
  const started = await s.client.recording.start.mutate({ channel });
  s.emulator.control.join(channel, '100');
  await expect.poll(async () => (await s.client.recording.get.query({ id: started.id })).state, { timeout: 5_000 }).toBe('recording');
  s.emulator.control.failTask(started.sid, { module: 0, errorCode: 52, errorMsg: 'start timeout' });
  await expect.poll(async () => (await s.client.recording.get.query({ id: started.id })).state, { timeout: 5_000 }).toBe('failed');
  return started.id;
}

async function failTranscription(s: RecordingStack, channel: string) {
  s.emulator.control.join(channel, '100');
  const started = await s.client.transcription.start.mutate({ channel, languages: ['en-US'] });
  s.emulator.control.failAgent(started.agentId, 'asr');
  await expect.poll(async () => (await s.client.transcription.get.query({ id: started.id })).state, { timeout: 5_000 }).toBe('failed');
  return started.id;
}

async function failAgent(s: RecordingStack, channel: string) {
  s.emulator.control.join(channel, '100');
  const started = await s.client.agent.start.mutate({ channel, remoteUids: ['100'], idleTimeoutSeconds: 0 });
  s.emulator.control.failConvoAgent(started.agentId, 'llm', 'upstream model error');
  await expect.poll(async () => (await s.client.agent.get.query({ id: started.id })).state, { timeout: 10_000 }).toBe('failed');
  return started.id;
}

describe('history', () => {
  it("gives a finished recording's and transcription's whole event log, oldest first, with why it failed", async () => {
    const s = (stack = await startRecordingStack({ pollIntervalMs: 200, confirmDelayMs: 100 }));
    const recording = await failRecording(s, 'history-room');
    const history = await s.client.recording.history.query({ id: recording });
    expect(history.id).toBe(recording);
    expect(history.events.map((event) => [event.state, event.source])).toEqual([
      ['starting', 'api'],
      ['recording', 'poll'],
      ['failed', 'poll'],
    ]);
    expect(history.events.map((event) => event.lastError)).toEqual([null, null, EXITED]);
    expect(history.events.map((event) => Number(event.eventId))).toEqual(
      [...history.events.map((event) => Number(event.eventId))].sort((a, b) => a - b),
    );
    expect(history.events[0]!.at).toBeInstanceOf(Date);

    const transcription = await failTranscription(s, 'history-talk');
    const told = await s.client.transcription.history.query({ id: transcription });
    expect(told.events.map((event) => event.state)).toEqual(['starting', 'running', 'failed']);
    expect(told.events.at(-1)!.lastError).toEqual(AGENT_FAILED);
    expect((await catchServerError(s.client.recording.history.query({ id: '0123456789abcdef0123456789abcdef' }))).data).toMatchObject({
      code: 'NOT_FOUND',
      appCode: 'RECORDING_NOT_FOUND',
    });
  });
});

describe('admin.overview', () => {
  it('counts by state, lists the newest failures with their reasons, and reports upstream health', async () => {
    const s = (stack = await startRecordingStack({ pollIntervalMs: 200, confirmDelayMs: 100 }));
    const failed = await failRecording(s, 'broken-room');
    const failedTalk = await failTranscription(s, 'broken-talk');
    const failedAgent = await failAgent(s, 'broken-agent');
    s.emulator.control.join('live-room', '100');
    await s.client.recording.start.mutate({ channel: 'live-room' });
    s.emulator.control.join('live-agent', '100');
    await s.client.agent.start.mutate({ channel: 'live-agent', remoteUids: ['100'] });
    const overview = await s.client.admin.overview.query();
    expect(overview.recordings).toEqual({ starting: 1, recording: 0, stopping: 0, stopped: 0, failed: 1 });
    expect(overview.transcriptions).toEqual({ starting: 0, running: 0, stopping: 0, stopped: 0, failed: 1 });
    expect(overview.agents).toEqual({ starting: 0, running: 1, stopping: 0, stopped: 0, failed: 1 });
    expect(overview.recentFailures.map((entry) => [entry.kind, entry.id, entry.channel, entry.lastError?.reason])).toEqual([
      ['agent', failedAgent, 'broken-agent', 'agent_failed'],
      ['transcription', failedTalk, 'broken-talk', 'agent_failed'],
      ['recording', failed, 'broken-room', 'exited_abnormally'],
    ]);
    expect(overview.recentFailures[0]!.stoppedAt).toBeInstanceOf(Date);
    const acquire = overview.upstream.endpoints.find((entry) => entry.endpoint === 'acquire');
    expect(acquire?.outcomes).toEqual({ '200': 2 });
    expect(overview.upstream.failures.sort((a, b) => a.kind.localeCompare(b.kind))).toEqual([
      { kind: 'agent', reason: 'agent_failed', count: 1 },
      { kind: 'recording', reason: 'exited_abnormally', count: 1 },
      { kind: 'transcription', reason: 'agent_failed', count: 1 },
    ]);
    // Calls that waited for Agora's rate budget: some of all the calls made, never more.
    const calls = overview.upstream.endpoints.flatMap((entry) => Object.values(entry.outcomes)).reduce((sum, count) => sum + count, 0);
    expect(overview.upstream.budgetWaits.count).toBeGreaterThanOrEqual(0);
    expect(overview.upstream.budgetWaits.count).toBeLessThanOrEqual(calls);
  });

  it('is for admins only', async () => {
    const admin = 'agk_overview_admin_000000000000000000';
    const user = 'agk_overview_user_0000000000000000000';
    const s = (stack = await startRecordingStack({
      authenticator: createApiKeyAuth([
        { id: 'admin', hash: hashApiKey(admin), scopes: ['admin'], channels: [] },
        { id: 'user', hash: hashApiKey(user), scopes: ['token', 'record'], channels: ['*'] },
      ]),
    }));
    const refused = await catchServerError(createClient({ url: s.app.url, auth: user }).admin.overview.query());
    expect(refused.data).toMatchObject({ code: 'FORBIDDEN' });
    expect(refused.message).toBe('this credential lacks the "admin" scope');
    expect((await createClient({ url: s.app.url, auth: admin }).admin.overview.query()).recordings.failed).toBe(0);
  });
});
