import { createHmac } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createSqliteStore, type Registry } from '@agora-backend/server';
import type { FakeClock } from '@agora-backend/server/testing';
import { catchServerError } from './helpers/errors.js';
import { advanceUntil, startOnOneClock } from './helpers/fake-time.js';
import { startRecordingStack, type RecordingStack, type StackOptions } from './helpers/recording-stack.js';

/**
 * A transcription started through us is never left running unseen and never reported wrong:
 * failover 404s, idle exit, Agora's failures, a crash between join and the registry write.
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

const stateOf = async (s: RecordingStack, id: string) => (await s.store.transcriptions.get(id))!.state;
const leaves = (s: RecordingStack) => s.emulator.control.requestCounts().sttLeave ?? 0;

describe('stop during Agora failover', () => {
  it('reports "stopping" while Agora answers 404, then stops the agent once it can', async () => {
    const { s, clock } = await start();
    s.emulator.control.join('room', '100');
    const started = await s.client.transcription.start.mutate({ channel: 'room', languages: ['en-US'] });
    s.emulator.control.failover(20_000);
    expect(await s.client.transcription.stop.mutate({ id: started.id })).toEqual({
      id: started.id,
      state: 'stopping',
      alreadyStopped: false,
      lastError: null,
    });
    expect(s.emulator.control.agent(started.agentId)).toMatchObject({ status: 'RUNNING' });
    expect(await s.client.transcription.stop.mutate({ id: started.id })).toMatchObject({ state: 'stopping', alreadyStopped: false });

    await advanceUntil(clock, async () => (await stateOf(s, started.id)) === 'stopped');
    expect(await stateOf(s, started.id)).toBe('stopped');
    // Agora's side: the agent really left, by our leave, after the failover.
    expect(s.emulator.control.agent(started.agentId)).toMatchObject({ status: 'STOPPED', endReason: 'left' });
    expect(await s.client.transcription.stop.mutate({ id: started.id })).toMatchObject({ state: 'stopped', alreadyStopped: true });
  });

  it('keeps "stopping" through 5xx answers to leave, and sends it again until Agora takes it', async () => {
    const { s, clock } = await start();
    const started = await s.client.transcription.start.mutate({ channel: 'room', languages: ['en-US'], maxIdleSeconds: 0 });
    s.emulator.control.injectFault({
      endpoint: 'sttLeave',
      times: 4,
      status: 503,
      body: { reason: 'service unavailable', detail: 'try again' },
    });
    // The client retries each 5xx after a short back-off on the server's (fake) clock.
    let answer: unknown;
    const stopping = s.client.transcription.stop.mutate({ id: started.id }).then((value) => (answer = value));
    await advanceUntil(clock, () => Promise.resolve(answer !== undefined), 10);
    await stopping;
    expect(answer).toMatchObject({ state: 'stopping' });
    const row = (await s.store.transcriptions.get(started.id))!;
    expect(row.lastError).toMatchObject({ agora: { httpStatus: 503, reason: 'service unavailable' } });
    await advanceUntil(clock, async () => (await stateOf(s, started.id)) === 'stopped', 10_000);
    expect(s.emulator.control.agent(started.agentId)).toMatchObject({ status: 'STOPPED', endReason: 'left' });
    expect(leaves(s)).toBe(5);
  });
});

describe('Agora ends a transcription on its own', () => {
  it('idle exit: nobody in the channel for maxIdleSeconds; the poller finds it stopped and a stop changes nothing', async () => {
    const { s, clock } = await start();
    const started = await s.client.transcription.start.mutate({ channel: 'empty', languages: ['en-US'], maxIdleSeconds: 10 });
    const events: string[] = [];
    const subscription = s.client.transcription.watch.subscribe({ id: started.id }, { onData: (event) => events.push(event.data.state) });
    await advanceUntil(clock, async () => (await stateOf(s, started.id)) === 'stopped');
    expect(s.emulator.control.agent(started.agentId)).toMatchObject({ status: 'STOPPED', endReason: 'idle' });
    expect((await s.store.transcriptions.get(started.id))!).toMatchObject({ state: 'stopped', agoraStatus: 'STOPPED' });
    await expect.poll(() => events).toEqual(['running', 'stopped']);
    subscription.unsubscribe();
    expect(await s.client.transcription.stop.mutate({ id: started.id })).toEqual({
      id: started.id,
      state: 'stopped',
      alreadyStopped: true,
      lastError: null,
    });
    expect(leaves(s)).toBe(0);
  });

  it("a fatal error on Agora's side: the poller reports it failed", async () => {
    const { s, clock } = await start();
    s.emulator.control.join('room', '100');
    const started = await s.client.transcription.start.mutate({ channel: 'room', languages: ['en-US'] });
    expect(s.emulator.control.failAgent(started.agentId, 'asr')).toBe(true);
    await advanceUntil(clock, async () => (await stateOf(s, started.id)) === 'failed');
    expect((await s.store.transcriptions.get(started.id))!).toMatchObject({ state: 'failed', agoraStatus: 'FAILED' });
    const error = await catchServerError(s.client.transcription.update.mutate({ id: started.id, languages: ['fr-FR'] }));
    expect(error.data).toMatchObject({ code: 'PRECONDITION_FAILED', appCode: 'TRANSCRIPTION_ENDED' });
  });

  it('takes a signed "agent left" notice as a reason to ask, not as the answer', async () => {
    const secret = 'whsec-stt';
    const { s } = await start({ webhookSecret: secret });
    s.emulator.control.join('room', '100');
    const started = await s.client.transcription.start.mutate({ channel: 'room', languages: ['en-US'] });
    const post = (body: string) =>
      fetch(`${s.app.baseUrl}/webhooks/agora`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'agora-signature-v2': createHmac('sha256', secret).update(body).digest('hex') },
        body,
      });
    const notice = (noticeId: string) =>
      JSON.stringify({
        noticeId,
        productId: 20,
        eventType: 102,
        notifyMs: Date.now(),
        sid: started.agentId,
        payload: { agent_id: started.agentId, channel: 'room', status: 'STOPPED', message: 'Idle for too long' },
      });
    // A notice that says "left" while Agora still runs the agent: asked, and still running.
    expect((await post(notice('n-1'))).status).toBe(200);
    await expect.poll(() => s.emulator.control.requestCounts().sttQuery ?? 0).toBeGreaterThan(0);
    expect(await stateOf(s, started.id)).toBe('running');
    // Once Agora has really ended it, the next notice brings the row there at once.
    s.emulator.control.failAgent(started.agentId, 'rtc');
    expect((await post(notice('n-2'))).status).toBe(200);
    await expect.poll(() => stateOf(s, started.id)).toBe('failed');
  });
});

describe('an agent still starting', () => {
  it('is confirmed running about 5 s later, even when a notice woke the poller first', async () => {
    const secret = 'whsec-early';
    const { s, clock } = await start({ webhookSecret: secret, emulator: { timing: { statusStepMs: 2_000, exitLingerMs: 3_000 } } });
    const started = await s.client.transcription.start.mutate({ channel: 'slow', languages: ['en-US'], maxIdleSeconds: 0 });
    expect(started.state).toBe('starting');
    const body = JSON.stringify({
      noticeId: 'early-101',
      productId: 20,
      eventType: 101,
      notifyMs: Date.now(),
      sid: started.agentId,
      payload: { agent_id: started.agentId, channel: 'slow', start_ts: 1 },
    });
    await fetch(`${s.app.baseUrl}/webhooks/agora`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'agora-signature-v2': createHmac('sha256', secret).update(body).digest('hex') },
      body,
    });
    // The woken poller asked while Agora still said STARTING.
    await expect.poll(() => s.emulator.control.requestCounts().sttQuery ?? 0).toBe(1);
    expect(await stateOf(s, started.id)).toBe('starting');
    await advanceUntil(clock, async () => (await stateOf(s, started.id)) === 'running', 1_000, 6_000);
    expect(await stateOf(s, started.id)).toBe('running');
    expect(s.emulator.control.requestCounts().sttQuery).toBe(2);
  });
});

describe('a stop while join is in flight', () => {
  it('answers "stopping", and the leave goes out as soon as Agora names the agent', async () => {
    stack = await startRecordingStack({ confirmDelayMs: 100, pollIntervalMs: 200 });
    const s = stack;
    s.emulator.control.setLatency(800);
    const starting = s.client.transcription.start.mutate({ channel: 'race', languages: ['en-US'] });
    await expect.poll(async () => (await s.store.transcriptions.listActive()).length).toBe(1);
    const [row] = await s.store.transcriptions.listActive();
    expect(await s.client.transcription.stop.mutate({ id: row!.id })).toEqual({
      id: row!.id,
      state: 'stopping',
      alreadyStopped: false,
      lastError: null,
    });
    s.emulator.control.setLatency(0);
    // The emulator's answer waits on Agora's (fake) clock.
    await s.agoraClock.advance(800);
    const started = await starting;
    expect(started.state).toBe('stopping');
    await expect.poll(() => stateOf(s, row!.id), { timeout: 10_000 }).toBe('stopped');
    expect(s.emulator.control.agent(started.agentId)).toMatchObject({ status: 'STOPPED', endReason: 'left' });
  });
});

describe('a join whose answer is lost', () => {
  it('adopts the agent it started: the retry meets "task conflict" for our own name, and Agora\'s list names the agent', async () => {
    stack = await startRecordingStack({ agora: { timeouts: { sttJoin: 300 } } });
    const s = stack;
    // The first join starts the agent, but its answer never comes (it waits on Agora's clock).
    s.emulator.control.setLatency(60_000);
    const starting = s.client.transcription.start.mutate({ channel: 'lost', languages: ['en-US'] });
    await expect.poll(() => s.emulator.control.agents().length).toBe(1);
    s.emulator.control.setLatency(0);
    const started = await starting;
    const [agent] = s.emulator.control.agents();
    expect(started).toMatchObject({ agentId: agent!.agentId, state: 'running' });
    // The client's retry of the timed-out join was answered 409 (the first answer still waits);
    // then one list per state Agora may report.
    expect(
      s.emulator.control
        .requests()
        .filter((entry) => entry.endpoint === 'sttJoin')
        .map((entry) => entry.status),
    ).toEqual([409]);
    expect(s.emulator.control.requestCounts().sttList).toBe(3);
    expect((await s.store.transcriptions.get(started.id))!).toMatchObject({ state: 'running', agentId: agent!.agentId });
    expect(await s.client.transcription.stop.mutate({ id: started.id })).toMatchObject({ state: 'stopped' });
    expect(s.emulator.control.agent(agent!.agentId)).toMatchObject({ status: 'STOPPED' });
    await s.agoraClock.advance(60_000);
  });
});

describe('a crash between join and the registry write', () => {
  /** A registry whose write after join fails once, as if the process died right after Agora answered. */
  async function crashingStore(): Promise<Registry> {
    const store = await createSqliteStore(join(await mkdtemp(join(tmpdir(), 'stt-crash-')), 'registry.sqlite'));
    const transition = store.transcriptions.transition.bind(store.transcriptions);
    let crashed = false;
    store.transcriptions.transition = (id, version, patch, now, event) => {
      if (!crashed && patch.agentId) {
        crashed = true;
        return Promise.reject(new Error('simulated crash after join'));
      }
      return transition(id, version, patch, now, event);
    };
    return store;
  }

  it('leaves no billed agent unseen: the watchdog adopts it, and it can be stopped', async () => {
    const { s } = await start({ store: await crashingStore() });
    s.emulator.control.join('room', '100');
    await catchServerError(s.client.transcription.start.mutate({ channel: 'room', languages: ['en-US'] }));
    const [agent] = s.emulator.control.agents();
    expect(agent).toMatchObject({ status: 'RUNNING', channel: 'room' });
    const [row] = await s.store.transcriptions.listActive();
    expect(row).toMatchObject({ state: 'starting', agentId: null });

    await s.app.transcription!.sweep();
    const adopted = (await s.store.transcriptions.get(row!.id))!;
    expect(adopted).toMatchObject({ state: 'running', agentId: agent!.agentId, agoraStatus: 'RUNNING' });
    expect(await s.client.transcription.stop.mutate({ id: row!.id })).toMatchObject({ state: 'stopped', alreadyStopped: false });
    expect(s.emulator.control.agent(agent!.agentId)).toMatchObject({ status: 'STOPPED', endReason: 'left' });
  });

  it('settles the row as failed when Agora runs no agent for it', async () => {
    const { s } = await start();
    s.emulator.control.injectFault({
      endpoint: 'sttJoin',
      times: 1,
      status: 200,
      body: { agent_id: 'GHOST', create_ts: 1, status: 'RUNNING' },
      delayMs: 60_000,
    });
    const pending = s.client.transcription.start.mutate({ channel: 'room', languages: ['en-US'] });
    await expect.poll(async () => (await s.store.transcriptions.listActive()).length).toBe(1);
    const [row] = await s.store.transcriptions.listActive();
    // While its join is in flight here, the watchdog leaves it alone.
    await s.app.transcription!.sweep();
    expect(await stateOf(s, row!.id)).toBe('starting');
    void pending.catch(() => undefined);
    await s.close();
    // After a restart nothing runs it: Agora knows no agent for it, so it failed.
    const restarted = await s.restart();
    stack = restarted;
    await restarted.app.transcription!.sweep();
    expect((await restarted.store.transcriptions.get(row!.id))!).toMatchObject({
      state: 'failed',
      lastError: { message: expect.stringContaining('Agora runs no agent') as unknown },
    });
  });
});

describe('one leave in flight per transcription', () => {
  it("the poller does not send the leave again while the caller's is waiting for Agora, and a second stop answers stopping", async () => {
    const { s, clock } = await start();
    s.emulator.control.join('room', '100');
    const started = await s.client.transcription.start.mutate({ channel: 'room', languages: ['en-US'] });
    s.emulator.control.setLatency(10_000);
    const first = s.client.transcription.stop.mutate({ id: started.id });
    await expect.poll(() => stateOf(s, started.id)).toBe('stopping');
    s.app.transcription!.pollers.kick(started.id);
    expect(await s.client.transcription.stop.mutate({ id: started.id })).toEqual({
      id: started.id,
      state: 'stopping',
      alreadyStopped: false,
      lastError: null,
    });
    await new Promise((resolve) => setTimeout(resolve, 200));
    s.emulator.control.setLatency(0);
    await clock.advance(10_000);
    expect(await first).toEqual({ id: started.id, state: 'stopped', alreadyStopped: false, lastError: null });
    expect(leaves(s)).toBe(1);
    expect(s.emulator.control.agent(started.agentId)).toMatchObject({ status: 'STOPPED', endReason: 'left' });
  });
});
