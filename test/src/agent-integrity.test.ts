import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { createPostgresStore, createSqliteStore, type Registry } from '@agora-backend/server';
import type { FakeClock } from '@agora-backend/server/testing';
import { catchServerError } from './helpers/errors.js';
import { advanceUntil, startOnOneClock } from './helpers/fake-time.js';
import { DATABASE_URL, freshSchema } from './helpers/postgres.js';
import { startRecordingStack, type RecordingStack, type StackOptions } from './helpers/recording-stack.js';

/**
 * An agent started through us is never left running unseen and never reported wrong: failover
 * 404s and 5xx on leave, a join whose answer is lost, a crash between join and the registry
 * write, Agora's own failure and notices; and the same on PostgreSQL.
 */

let stack: RecordingStack | undefined;
afterEach(async () => {
  await stack?.close(true);
  stack = undefined;
});

async function start(options: StackOptions = {}): Promise<{ s: RecordingStack; clock: FakeClock }> {
  const started = await startOnOneClock(options);
  stack = started.s;
  return started;
}

const stateOf = async (s: RecordingStack, id: string) => (await s.store.agents.get(id))!.state;
const calls = (s: RecordingStack, endpoint: string) => s.emulator.control.requestCounts()[endpoint] ?? 0;
const begin = (s: RecordingStack, channel = 'room') => {
  s.emulator.control.join(channel, '100');
  return s.client.agent.start.mutate({ channel, remoteUids: ['100'], idleTimeoutSeconds: 0 });
};

describe('stop during Agora failover and 5xx', () => {
  it('reports "stopping" while Agora answers 404, then stops the agent once it can', async () => {
    const { s, clock } = await start();
    const started = await begin(s);
    s.emulator.control.failover(20_000);
    expect(await s.client.agent.stop.mutate({ id: started.id })).toEqual({
      id: started.id,
      state: 'stopping',
      alreadyStopped: false,
      lastError: null,
    });
    expect(s.emulator.control.convoAgent(started.agentId)).toMatchObject({ status: 'RUNNING' });
    await advanceUntil(clock, async () => (await stateOf(s, started.id)) === 'stopped');
    expect(await stateOf(s, started.id)).toBe('stopped');
    expect(s.emulator.control.convoAgent(started.agentId)).toMatchObject({ status: 'STOPPED' });
    expect(await s.client.agent.stop.mutate({ id: started.id })).toMatchObject({ state: 'stopped', alreadyStopped: true });
  });

  it('keeps "stopping" through 5xx answers to leave, and sends it again until Agora takes it', async () => {
    const { s, clock } = await start();
    const started = await begin(s);
    s.emulator.control.injectFault({
      endpoint: 'convoLeave',
      times: 4,
      status: 503,
      body: { detail: 'try again', reason: 'ServiceUnavailable' },
    });
    let answer: unknown;
    const stopping = s.client.agent.stop.mutate({ id: started.id }).then((value) => (answer = value));
    await advanceUntil(clock, () => Promise.resolve(answer !== undefined), 10);
    await stopping;
    expect(answer).toMatchObject({ state: 'stopping' });
    expect((await s.store.agents.get(started.id))!.lastError).toMatchObject({ agora: { httpStatus: 503 } });
    await advanceUntil(clock, async () => (await stateOf(s, started.id)) === 'stopped', 10_000);
    expect(s.emulator.control.convoAgent(started.agentId)).toMatchObject({ status: 'STOPPED' });
    expect(calls(s, 'convoLeave')).toBe(5);
  });
});

describe('Agora ends an agent on its own', () => {
  it('a failure just before a stop: Agora accepts the leave, and the row says failed, not stopped', async () => {
    const { s } = await start();
    const started = await begin(s);
    s.emulator.control.failConvoAgent(started.agentId, 'llm', 'the model failed');
    // No poll came between (the interval is long): only the stop asks Agora.
    const answer = await s.client.agent.stop.mutate({ id: started.id });
    expect(answer).toMatchObject({ id: started.id, state: 'failed', alreadyStopped: true });
    expect(calls(s, 'convoLeave')).toBe(1);
    expect(s.emulator.control.convoAgent(started.agentId)).toMatchObject({ status: 'FAILED' });
    expect(await stateOf(s, started.id)).toBe('failed');
  });

  it('a failure: the poller finds it FAILED, the row says why, and history and turns are still answered', async () => {
    const { s, clock } = await start();
    const started = await begin(s);
    s.emulator.control.speak('room', { uid: '100', text: 'hello agent', durationMs: 500 });
    await s.client.agent.history.query({ id: started.id });
    s.emulator.control.failConvoAgent(started.agentId, 'llm', 'upstream model error');
    await advanceUntil(clock, async () => (await stateOf(s, started.id)) === 'failed', 30_000);
    const row = (await s.store.agents.get(started.id))!;
    expect(row.lastError).toMatchObject({ reason: 'agent_failed', from: 'query' });
    expect(await s.client.agent.stop.mutate({ id: started.id })).toMatchObject({ state: 'failed', alreadyStopped: true });
    const history = await s.client.agent.history.query({ id: started.id });
    expect(history.messages.map((message) => message.content)).toContain('hello agent');
    expect((await s.client.agent.turns.query({ id: started.id })).complete).toBe(true);
    expect(calls(s, 'convoLeave')).toBe(0);
  });
});

describe('a join whose answer is lost', () => {
  it('adopts the agent it started: the retry meets 409 for our own name, and Agora names our agent', async () => {
    stack = await startRecordingStack({ agora: { timeouts: { agentJoin: 300 } }, confirmDelayMs: 50 });
    const s = stack;
    s.emulator.control.join('lost', '100');
    s.emulator.control.setLatency(60_000);
    const starting = s.client.agent.start.mutate({ channel: 'lost', remoteUids: ['100'] });
    await expect.poll(() => s.emulator.control.convoAgents().length).toBe(1);
    s.emulator.control.setLatency(0);
    const started = await starting;
    const [agent] = s.emulator.control.convoAgents();
    expect(started).toMatchObject({ agentId: agent!.agentId });
    expect(agent!.name).toBe(started.id);
    expect(
      s.emulator.control
        .requests()
        .filter((entry) => entry.endpoint === 'convoJoin')
        .map((entry) => entry.status),
    ).toEqual([409]);
    expect(calls(s, 'convoList')).toBe(1);
    expect(s.emulator.control.convoAgents()).toHaveLength(1);
    expect(await s.client.agent.stop.mutate({ id: started.id })).toMatchObject({ state: 'stopped' });
    await s.agoraClock.advance(60_000);
  });
});

describe('an interrupted start settled by two instances', () => {
  it('keeps the agent another instance adopted meanwhile: a settle that read the row before does not fail it', async () => {
    const { s } = await start();
    const started = await begin(s);
    const adopted = (await s.store.agents.get(started.id))!;
    // The row as a second instance read it before the first adopted Agora's agent for it.
    const stale = { ...adopted, agentId: null, state: 'starting' as const, version: adopted.version - 1 };
    const settled = await s.app.agent!.service.settleStart(stale);
    expect(settled).toMatchObject({ id: started.id, agentId: started.agentId, state: 'running' });
    expect(await stateOf(s, started.id)).toBe('running');
    expect(s.emulator.control.convoAgent(started.agentId)).toMatchObject({ status: 'RUNNING' });
  });
});

describe('a crash between join and the registry write', () => {
  async function crashingStore(): Promise<Registry> {
    const store = await createSqliteStore(join(await mkdtemp(join(tmpdir(), 'agent-crash-')), 'registry.sqlite'));
    const transition = store.agents.transition.bind(store.agents);
    let crashed = false;
    store.agents.transition = (id, version, patch, now, event) => {
      if (!crashed && patch.agentId) {
        crashed = true;
        return Promise.reject(new Error('simulated crash after join'));
      }
      return transition(id, version, patch, now, event);
    };
    return store;
  }

  it('leaves no billed agent unseen: the watchdog adopts it by its name, and it can be stopped', async () => {
    const { s } = await start({ store: await crashingStore() });
    await catchServerError(begin(s));
    const [agent] = s.emulator.control.convoAgents();
    const [row] = await s.store.agents.listActive();
    expect(row).toMatchObject({ state: 'starting', agentId: null });
    await s.app.agent!.sweep();
    expect((await s.store.agents.get(row!.id))!).toMatchObject({ agentId: agent!.agentId });
    expect(await s.client.agent.stop.mutate({ id: row!.id })).toMatchObject({ state: 'stopped', alreadyStopped: false });
    expect(s.emulator.control.convoAgent(agent!.agentId)).toMatchObject({ status: 'STOPPED' });
  });
});

describe("Agora's Conversational AI notices (productId 17)", () => {
  const SECRET = 'whsec-agent-test';

  it('104 renews the token at once; 102 and 103 end the row and keep the history it carries', async () => {
    const { s, clock } = await start({ webhookSecret: SECRET, agentTokenSeconds: 3_600, pollIntervalMs: 7_200_000, confirmDelayMs: 1_000 });
    s.emulator.control.setNotificationTarget({ url: `${s.app.baseUrl}/webhooks/agora`, secret: SECRET });
    const started = await begin(s);
    const firstExpiry = s.emulator.control.convoAgent(started.agentId)!.tokenExpiresAt;
    // Polls are two hours apart: only notice 104 (30 s before the end) can renew the token in time.
    await clock.advance(firstExpiry - 60_000 - clock.now());
    // Near the end, in small steps; each look at the emulator's agent lets it send what is due (104).
    const touched = () => s.emulator.control.convoAgent(started.agentId) !== undefined;
    await advanceUntil(clock, () => Promise.resolve(touched() && calls(s, 'convoUpdate') > 0), 500, 40_000);
    // Renewed by the notice, 30 s before the end, not by a poll (the server would renew 10 minutes before).
    expect(clock.now()).toBeGreaterThan(firstExpiry - 60_000);
    expect(calls(s, 'convoUpdate')).toBe(1);
    expect(s.emulator.control.convoAgent(started.agentId)!.tokenExpiresAt).toBeGreaterThan(firstExpiry);
    await advanceUntil(clock, () => Promise.resolve(touched() && clock.now() > firstExpiry + 60_000), 5_000, 600_000);
    expect(s.emulator.control.convoAgent(started.agentId)).toMatchObject({ status: 'RUNNING' });

    s.emulator.control.speak('room', { uid: '100', text: 'kept by the notice', durationMs: 500 });
    s.emulator.control.failConvoAgent(started.agentId, 'tts');
    await expect.poll(() => stateOf(s, started.id), { timeout: 5_000 }).toBe('failed');
    const row = (await s.store.agents.get(started.id))!;
    expect(row.lastError).toMatchObject({ reason: 'tts', from: 'notice' });
    await expect
      .poll(async () => (await s.client.agent.history.query({ id: started.id })).messages.map((message) => message.content), {
        timeout: 5_000,
      })
      .toContain('kept by the notice');
  });
});

describe('agents on PostgreSQL', () => {
  it('runs an agent with the registry in PostgreSQL: rows, events, the kept conversation and the uid index', async () => {
    const schema = freshSchema('agents');
    const store = await createPostgresStore({ url: DATABASE_URL, schema });
    stack = await startRecordingStack({ store, confirmDelayMs: 50 });
    const s = stack;
    s.emulator.control.join('pg-talk', '100');
    const started = await s.client.agent.start.mutate({ channel: 'pg-talk', remoteUids: ['100'], uid: 321 });
    const taken = await catchServerError(s.client.agent.start.mutate({ channel: 'pg-talk', remoteUids: ['100'], uid: 321 }));
    expect(taken.data?.appCode).toBe('UID_CONFLICT');
    s.emulator.control.speak('pg-talk', { uid: '100', text: 'hello postgres', durationMs: 500 });
    await s.client.agent.stop.mutate({ id: started.id });
    const history = await s.client.agent.history.query({ id: started.id });
    expect(history.messages.map((message) => message.content)).toContain('hello postgres');
    expect((await s.client.agent.turns.query({ id: started.id })).complete).toBe(true);
    const events = await store.agents.eventsAfter(started.id, 0);
    expect(events.filter((event) => event.message === null).map((event) => event.state)).toContain('stopped');
    const check = new pg.Client({ connectionString: DATABASE_URL });
    await check.connect();
    const rows = await check.query<{ state: string; agent_id: string; active: number }>(
      `select state, agent_id, active from ${schema}.agents where id = $1`,
      [started.id],
    );
    const kept = await check.query<{ count: string }>(`select count(*) from ${schema}.agent_conversation where agent_task_id = $1`, [
      started.id,
    ]);
    await check.end();
    expect(rows.rows).toEqual([{ state: 'stopped', agent_id: started.agentId, active: 0 }]);
    expect(Number(kept.rows[0]!.count)).toBeGreaterThanOrEqual(2);
  });
});
