import { createHmac } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { FakeClock } from '@agora-backend/server/testing';
import { advanceUntil, startOnOneClock } from './helpers/fake-time.js';
import type { RecordingStack, StackOptions } from './helpers/recording-stack.js';

/**
 * A recording started through us is never left running unseen and never reported wrong, through
 * Agora's documented failures: failover 404s, slow answers, replayed notices, restarts.
 */

let stack: RecordingStack | undefined;
afterEach(async () => {
  await stack?.close(true);
  stack = undefined;
});

/** A stack on one fake clock, closed after the test. */
async function start(options: StackOptions = {}): Promise<{ s: RecordingStack; clock: FakeClock }> {
  const started = await startOnOneClock(options);
  stack = started.s;
  return started;
}

const activeTasks = (s: RecordingStack) => s.emulator.control.tasks().filter((task) => task.active);

describe('stop during Agora failover', () => {
  it('reports "stopping", not "stopped", while Agora answers 404, and stops the recording once it can', async () => {
    const { s, clock } = await start();
    s.emulator.control.join('room', '100');
    const started = await s.client.recording.start.mutate({ channel: 'room' });
    s.emulator.control.failover(20_000);
    const answer = await s.client.recording.stop.mutate({ id: started.id });
    expect(answer).toMatchObject({ state: 'stopping', alreadyStopped: false });
    expect(activeTasks(s).map((task) => task.sid)).toEqual([started.sid]);
    // A second stop during the failover says the same, not "already stopped".
    expect(await s.client.recording.stop.mutate({ id: started.id })).toMatchObject({ state: 'stopping', alreadyStopped: false });

    await advanceUntil(clock, async () => (await s.store.recordings.get(started.id))!.state === 'stopped');
    const row = (await s.store.recordings.get(started.id))!;
    expect(row.state).toBe('stopped');
    expect(row.uploadingStatus).toBe('uploaded');
    // Agora's side: the task really ended, by our stop, after the failover.
    expect(activeTasks(s)).toEqual([]);
    expect(s.emulator.control.task(started.sid)!.endReason).toBe('stopped');
    expect(await s.client.recording.stop.mutate({ id: started.id })).toMatchObject({ state: 'stopped', alreadyStopped: true });
  });
});

describe('state never moves backwards', () => {
  it('a slow query answer that lands after the stop does not bring the recording back', async () => {
    const { s, clock } = await start();
    s.emulator.control.join('room', '100');
    const started = await s.client.recording.start.mutate({ channel: 'room' });
    const running = {
      cname: 'room',
      uid: started.uid,
      resourceId: started.resourceId,
      sid: started.sid,
      serverResponse: { status: 5, fileListMode: 'json', fileList: [] },
    };
    s.emulator.control.injectFault({ endpoint: 'query', times: 1, status: 200, body: running, delayMs: 10_000 });
    const slowQuery = s.client.recording.query.query({ id: started.id });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await s.client.recording.stop.mutate({ id: started.id })).toMatchObject({ state: 'stopped' });
    await clock.advance(10_000);
    expect((await slowQuery).state).toBe('stopped');
    expect((await s.store.recordings.get(started.id))!.state).toBe('stopped');
    const states = (await s.store.recordings.eventsAfter(started.id, undefined)).map((event) => event.state);
    expect(states.slice(states.indexOf('stopping'))).toEqual(['stopping', 'stopped']);
  });
});

describe('webhooks are not trusted too far', () => {
  const SECRET = 'whsec-integrity';
  const sign = (body: string) => createHmac('sha256', SECRET).update(body).digest('hex');
  const notice = (sid: string, noticeId: string, eventType: number, notifyMs: number, details: Record<string, unknown>) =>
    JSON.stringify({
      noticeId,
      productId: 3,
      eventType,
      notifyMs,
      payload: { cname: 'room', uid: '1', sid, sequence: 0, sendts: notifyMs, serviceType: 0, details },
    });
  const post = (s: RecordingStack, body: string) =>
    fetch(`${s.app.baseUrl}/webhooks/agora`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'agora-signature-v2': sign(body) },
      body,
    });

  it('a "session exit" notice for a live recording is checked with Agora and does not end it', async () => {
    const { s, clock } = await start({ webhookSecret: SECRET });
    s.emulator.control.join('room', '100');
    const started = await s.client.recording.start.mutate({ channel: 'room' });
    const response = await post(s, notice(started.sid, 'exit-1', 11, clock.now(), { msgName: 'session_exit', exitStatus: 0 }));
    expect(response.status).toBe(200);
    await expect.poll(() => s.emulator.control.requestCounts().query ?? 0).toBeGreaterThan(0);
    expect((await s.store.recordings.get(started.id))!.state).toBe('recording');
    expect(activeTasks(s).map((task) => task.sid)).toEqual([started.sid]);
  });

  it('refuses a replayed notice after a restart, and a notice far outside the freshness window', async () => {
    const { s, clock } = await start({ webhookSecret: SECRET });
    s.emulator.control.join('room', '100');
    const started = await s.client.recording.start.mutate({ channel: 'room' });
    const body = notice(started.sid, 'started-1', 40, clock.now(), { msgName: 'recorder_started', status: 0 });
    expect(await (await post(s, body)).json()).toEqual({ ok: true });
    const restarted = await s.restart();
    stack = restarted;
    await s.close();
    expect(await (await post(restarted, body)).json()).toEqual({ ok: true, duplicate: true });
    const old = await post(
      restarted,
      notice(started.sid, 'old-1', 11, clock.now() - 60 * 60_000, { msgName: 'session_exit', exitStatus: 0 }),
    );
    expect(old.status).toBe(400);
    expect(await old.json()).toEqual({ error: 'stale notice: notifyMs is outside the freshness window' });
    expect((await restarted.store.recordings.get(started.id))!.state).not.toMatch(/stopped|failed/);
  });
});

describe('restarts', () => {
  it('settles a start interrupted before Agora returned a sid at once, with the reason', async () => {
    const first = await start();
    await first.s.store.recordings.insert({
      id: 'interrupted0000000000000000000001',
      channel: 'room',
      uid: '4000000001',
      mode: 'mix',
      owner: 'local',
      state: 'starting',
      resourceId: null,
      sid: null,
      agoraStatus: null,
      files: [],
      uploadingStatus: null,
      options: { channel: 'room' },
      fileNamePrefix: 'recordings/interrupted0000000000000000000001',
      maxDurationSeconds: 3600,
      lastError: null,
      createdAt: first.clock.now(),
      startedAt: null,
      updatedAt: first.clock.now(),
      stoppedAt: null,
      version: 0,
      notFoundSince: null,
      notFoundLastAt: null,
    });
    const restarted = await first.s.restart();
    await first.s.close();
    stack = restarted;
    await expect.poll(async () => (await restarted.store.recordings.get('interrupted0000000000000000000001'))!.state).toBe('failed');
    expect((await restarted.store.recordings.get('interrupted0000000000000000000001'))!.lastError!.message).toMatch(
      /interrupted before Agora returned a sid/,
    );
  });
});

describe('one stop in flight per recording', () => {
  it("the poller does not send a stop again while the caller's stop is still waiting for Agora's answer", async () => {
    const { s, clock } = await start();
    s.emulator.control.join('room', '100');
    const started = await s.client.recording.start.mutate({ channel: 'room' });
    // Agora takes 10 s to answer: the caller's stop is in flight, the row already says stopping.
    s.emulator.control.setLatency(10_000);
    const stopping = s.client.recording.stop.mutate({ id: started.id });
    await expect.poll(async () => (await s.store.recordings.get(started.id))!.state).toBe('stopping');
    // The poller wakes (a notice, its interval) and finds the row stopping.
    s.app.recording!.pollers.kick(started.id);
    await new Promise((resolve) => setTimeout(resolve, 200));
    s.emulator.control.setLatency(0);
    await clock.advance(10_000);
    // Agora got one stop, and the caller hears that this stop ended a running recording.
    expect(await stopping).toMatchObject({ state: 'stopped', alreadyStopped: false });
    expect(s.emulator.control.requestCounts().stop).toBe(1);
    expect(s.emulator.control.task(started.sid)).toMatchObject({ active: false, endReason: 'stopped' });
  });

  it('a second stop while the first is in flight answers stopping, and neither claims Agora had already ended it', async () => {
    const { s, clock } = await start();
    s.emulator.control.join('room', '100');
    const started = await s.client.recording.start.mutate({ channel: 'room' });
    s.emulator.control.setLatency(10_000);
    const first = s.client.recording.stop.mutate({ id: started.id });
    await expect.poll(async () => (await s.store.recordings.get(started.id))!.state).toBe('stopping');
    expect(await s.client.recording.stop.mutate({ id: started.id })).toMatchObject({ state: 'stopping', alreadyStopped: false });
    s.emulator.control.setLatency(0);
    await clock.advance(10_000);
    expect(await first).toMatchObject({ state: 'stopped', alreadyStopped: false });
    expect(s.emulator.control.requestCounts().stop).toBe(1);
    // Once it has ended, a stop says so.
    expect(await s.client.recording.stop.mutate({ id: started.id })).toMatchObject({ state: 'stopped', alreadyStopped: true });
  });
});
