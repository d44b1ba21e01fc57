import { afterEach, describe, expect, it } from 'vitest';
import { createClient } from '@agora-backend/client';
import { createApiKeyAuth, hashApiKey, parseAgentProfiles } from '@agora-backend/server';
import { catchServerError } from './helpers/errors.js';
import { advanceUntil, startOnOneClock } from './helpers/fake-time.js';
import { startRecordingStack, type RecordingStack, type StackOptions } from './helpers/recording-stack.js';
import { TEST_APP_CERTIFICATE } from './helpers/server.js';
import { readToken } from './helpers/token-verifier.js';

/**
 * Conversational AI agents through the client against the emulator: a profile's agent started,
 * watched, spoken to, stopped, and its conversation answered from the registry after the end.
 */

let stack: RecordingStack | undefined;
afterEach(async () => {
  await stack?.close(true);
  stack = undefined;
});

const convoCalls = (s: RecordingStack) => {
  const counts = s.emulator.control.requestCounts();
  return {
    join: counts.convoJoin ?? 0,
    leave: counts.convoLeave ?? 0,
    update: counts.convoUpdate ?? 0,
    speak: counts.convoSpeak ?? 0,
    interrupt: counts.convoInterrupt ?? 0,
    think: counts.convoThink ?? 0,
    list: counts.convoList ?? 0,
  };
};

async function start(options: StackOptions = {}): Promise<RecordingStack> {
  stack = await startRecordingStack({ confirmDelayMs: 50, pollIntervalMs: 60_000, ...options });
  return stack;
}

describe('agent.* end to end on the embedded default profile', () => {
  it('starts from a profile, runs, speaks, answers a user, is interrupted, thinks, stops, and keeps its history and turns', async () => {
    const s = await start();
    s.emulator.control.join('talk', '100');
    const started = await s.client.agent.start.mutate({ channel: 'talk', remoteUids: ['100'] });
    expect(started).toMatchObject({ channel: 'talk', profile: 'default' });
    expect(Number(started.uid)).toBeGreaterThanOrEqual(4_000_000_000);
    const agent = s.emulator.control.convoAgent(started.agentId)!;
    // Our id is Agora's name; the token is the agent's own, for its uid and channel, with RTM too.
    expect(agent).toMatchObject({ name: started.id, channel: 'talk', uid: started.uid });
    const token = readToken(String(agent.properties.token), TEST_APP_CERTIFICATE);
    expect(token.signatureValid).toBe(true);
    expect(token.services.map((service) => [service.type, service.fields])).toEqual([
      [1, ['talk', started.uid]],
      [2, [started.uid]],
    ]);

    const events: { state: string; message: { role: string; content: string } | null }[] = [];
    const subscription = s.client.agent.watch.subscribe({ id: started.id }, { onData: (event) => events.push(event.data) });
    await expect.poll(() => events.some((event) => event.state === 'running'), { timeout: 5_000 }).toBe(true);

    expect(await s.client.agent.speak.mutate({ id: started.id, text: 'Welcome to the support line.' })).toMatchObject({ id: started.id });
    expect(s.emulator.control.speak('talk', { uid: '100', text: 'what is the weather', durationMs: 500 })).toEqual([started.agentId]);
    const history = await s.client.agent.history.query({ id: started.id });
    const said = history.messages.map((message) => [message.role, message.content]);
    expect(said).toContainEqual(['assistant', 'Welcome to the support line.']);
    expect(said).toContainEqual(['user', 'what is the weather']);
    expect(said.some(([role, content]) => role === 'assistant' && content!.includes('You said: what is the weather'))).toBe(true);
    expect(history.messages.map((message) => message.seq)).toEqual(history.messages.map((_, index) => index + 1));

    await s.client.agent.interrupt.mutate({ id: started.id });
    await s.client.agent.think.mutate({ id: started.id, text: 'tell me a joke' });
    await s.agoraClock.advance(30_000);
    expect(convoCalls(s)).toMatchObject({ join: 1, speak: 1, interrupt: 1, think: 1 });

    const stopped = await s.client.agent.stop.mutate({ id: started.id });
    expect(stopped).toEqual({ id: started.id, state: 'stopped', alreadyStopped: false, lastError: null });
    expect(await s.client.agent.stop.mutate({ id: started.id })).toEqual({
      id: started.id,
      state: 'stopped',
      alreadyStopped: true,
      lastError: null,
    });
    expect(convoCalls(s).leave).toBe(1);
    expect(s.emulator.control.convoAgent(started.agentId)).toMatchObject({ status: 'STOPPED' });

    // Agora answers history only while the agent runs: ours still answers, whole.
    const after = await s.client.agent.history.query({ id: started.id });
    expect(after.state).toBe('stopped');
    expect(after.messages.map((message) => [message.role, message.content])).toContainEqual(['user', 'tell me a joke']);
    expect(after.messages.length).toBeGreaterThanOrEqual(history.messages.length + 1);
    const turns = await s.client.agent.turns.query({ id: started.id });
    expect(turns.complete).toBe(true);
    expect(turns.turns.length).toBeGreaterThanOrEqual(2);
    expect(turns.turns.some((turn) => turn.e2eLatencyMs !== null && turn.segments.length > 0)).toBe(true);

    // watch streamed each new message, then the end.
    await expect.poll(() => events.at(-1)?.state).toBe('stopped');
    const streamed = events.flatMap((event) => (event.message ? [event.message.content] : []));
    expect(streamed).toContain('what is the weather');
    subscription.unsubscribe();
    const row = (await s.store.agents.get(started.id))!;
    expect(row).toMatchObject({ state: 'stopped', agentId: started.agentId, turnsComplete: true });
  });

  it('streams each message to watchers as it is said, before any stop, and replays it once on a resume', async () => {
    const s = await start({ agentWatchedHistoryMs: 100 });
    s.emulator.control.join('live', '100');
    const started = await s.client.agent.start.mutate({ channel: 'live', remoteUids: ['100'] });
    const events: { eventId: string; state: string; message: { seq: number; role: string; content: string } | null }[] = [];
    const subscription = s.client.agent.watch.subscribe(
      { id: started.id },
      { onData: (event) => events.push({ ...event.data, eventId: event.id }) },
    );
    const said = () => events.flatMap((event) => (event.message ? [[event.message.role, event.message.content]] : []));
    // The greeting, read while the agent runs: no call of ours asked for the history.
    await expect.poll(() => said().length, { timeout: 20_000 }).toBe(1);
    expect(said()[0]![0]).toBe('assistant');
    const beforeSpeech = events.at(-1)!.eventId;
    const historyReads = () => s.emulator.control.requestCounts().convoHistory ?? 0;

    // Someone speaks in the channel (the control API, not ours): the watch hears them, then the agent's answer.
    expect(s.emulator.control.speak('live', { uid: '100', text: 'is anyone there', durationMs: 300 })).toEqual([started.agentId]);
    await expect.poll(() => said().length, { timeout: 20_000 }).toBe(3);
    expect(said()[1]).toEqual(['user', 'is anyone there']);
    expect(said()[2]![0]).toBe('assistant');
    expect(said()[2]![1]).toContain('You said: is anyone there');
    expect((await s.store.agents.get(started.id))!.state).toBe('running');
    expect(s.emulator.control.requestCounts().convoLeave ?? 0).toBe(0);

    // More reads of the same history publish nothing again; a resume replays each new message once, in order.
    const reads = historyReads();
    await expect.poll(historyReads, { timeout: 20_000 }).toBeGreaterThan(reads + 2);
    expect(said()).toHaveLength(3);
    const resumed: { message: { seq: number; content: string } | null }[] = [];
    const again = s.client.agent.watch.subscribe(
      { id: started.id, lastEventId: beforeSpeech },
      { onData: (event) => resumed.push(event.data) },
    );
    await expect.poll(() => resumed.filter((event) => event.message).length, { timeout: 10_000 }).toBe(2);
    expect(resumed.flatMap((event) => (event.message ? [event.message.seq] : []))).toEqual([2, 3]);

    await s.client.agent.stop.mutate({ id: started.id });
    await expect.poll(() => events.at(-1)?.state, { timeout: 10_000 }).toBe('stopped');
    expect(said()).toHaveLength(3);
    subscription.unsubscribe();
    again.unsubscribe();
  });

  it('refuses what the profile does not allow, a speak over 512 bytes, and an ended agent, with exact codes and no Agora call', async () => {
    const s = await start({
      agentProfiles: profilesOf({ strict: { settings: EMBEDDED_LIKE, remoteUids: ['100'], allow: { greeting: false } } }),
    });
    const refused = await catchServerError(s.client.agent.start.mutate({ channel: 'talk', profile: 'strict', greeting: 'hi' }));
    expect([refused.data?.code, refused.data?.appCode, refused.message]).toEqual([
      'BAD_REQUEST',
      'VALIDATION',
      "agent profile 'strict' does not let callers set: greeting",
    ]);
    const unknown = await catchServerError(s.client.agent.start.mutate({ channel: 'talk', profile: 'nope' }));
    expect(unknown.data?.appCode).toBe('VALIDATION');
    expect(convoCalls(s).join).toBe(0);
    expect((await s.store.agents.list({ limit: 10 })).items).toEqual([]);

    const started = await s.client.agent.start.mutate({ channel: 'talk', profile: 'strict' });
    const tooLong = await catchServerError(s.client.agent.speak.mutate({ id: started.id, text: 'é'.repeat(257) }));
    expect([tooLong.data?.code, tooLong.data?.appCode]).toEqual(['BAD_REQUEST', 'VALIDATION']);
    await s.client.agent.stop.mutate({ id: started.id });
    const ended = await catchServerError(s.client.agent.speak.mutate({ id: started.id, text: 'hello' }));
    expect([ended.data?.code, ended.data?.appCode]).toEqual(['PRECONDITION_FAILED', 'AGENT_ENDED']);
    const missing = await catchServerError(s.client.agent.get.query({ id: 'nope' }));
    expect([missing.data?.code, missing.data?.appCode]).toEqual(['NOT_FOUND', 'AGENT_NOT_FOUND']);
    expect(convoCalls(s)).toMatchObject({ join: 1, speak: 0, leave: 1 });
  });

  it("never takes a recorder's or transcription bot's uid, and refuses one a caller names", async () => {
    const s = await start({ uidRange: { min: 4_000_000_000, max: 4_000_000_002 } });
    s.emulator.control.join('talk', '100');
    const bot = await s.client.transcription.start.mutate({ channel: 'talk', languages: ['en-US'] });
    const taken = await catchServerError(s.client.agent.start.mutate({ channel: 'talk', remoteUids: ['100'], uid: bot.uid }));
    expect([taken.data?.code, taken.data?.appCode]).toEqual(['CONFLICT', 'UID_CONFLICT']);
    const a = await s.client.agent.start.mutate({ channel: 'talk', remoteUids: ['100'] });
    const b = await s.client.agent.start.mutate({ channel: 'talk', remoteUids: ['100'] });
    expect(new Set([bot.uid, a.uid, b.uid]).size).toBe(3);
  });
});

describe('agent.* over REST and with scopes', () => {
  it('runs an agent over /api/v1/agents, and answers its history after the stop', async () => {
    const s = await start();
    s.emulator.control.join('rest', '100');
    const api = `${s.app.baseUrl}/api/v1`;
    const post = (path: string, body?: unknown) =>
      fetch(`${api}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body ?? {}) });
    const created = await post('/agents', { channel: 'rest', remoteUids: ['100'] });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    expect((await post(`/agents/${id}/speak`, { text: 'over REST' })).status).toBe(200);
    const tooLong = await post(`/agents/${id}/speak`, { text: 'x'.repeat(513) });
    expect([tooLong.status, ((await tooLong.json()) as { message: string }).message]).toEqual([
      400,
      'text: must be at most 512 bytes of UTF-8',
    ]);
    expect(((await (await post(`/agents/${id}/stop`)).json()) as { state: string }).state).toBe('stopped');
    const history = (await (await fetch(`${api}/agents/${id}/history`)).json()) as { messages: { content: string }[] };
    expect(history.messages.map((message) => message.content)).toContain('over REST');
    const missing = await fetch(`${api}/agents/nope`);
    expect([missing.status, ((await missing.json()) as { appCode?: string }).appCode]).toEqual([404, 'AGENT_NOT_FOUND']);
  });

  it("needs the agent scope (admins have it), and another caller's agent answers as missing", async () => {
    const authenticator = createApiKeyAuth([
      { id: 'rec', hash: hashApiKey('key-recorder-0123456789abcdef'), scopes: ['token', 'record'], channels: ['*'] },
      { id: 'bot', hash: hashApiKey('key-agent-0123456789abcdefgh'), scopes: ['agent'], channels: ['talk'] },
      { id: 'ops', hash: hashApiKey('key-admin-0123456789abcdefgh'), scopes: ['admin'], channels: [] },
    ]);
    const s = await start({ authenticator });
    const as = (key: string) => createClient({ url: s.app.url, auth: key });
    const refused = await catchServerError(
      as('key-recorder-0123456789abcdef').agent.start.mutate({ channel: 'talk', remoteUids: ['100'] }),
    );
    expect([refused.data?.code, refused.message]).toEqual(['FORBIDDEN', 'this credential lacks the "agent" scope']);
    const otherChannel = await catchServerError(
      as('key-agent-0123456789abcdefgh').agent.start.mutate({ channel: 'elsewhere', remoteUids: ['100'] }),
    );
    expect(otherChannel.data?.code).toBe('FORBIDDEN');
    const started = await as('key-agent-0123456789abcdefgh').agent.start.mutate({ channel: 'talk', remoteUids: ['100'] });
    expect((await as('key-admin-0123456789abcdefgh').agent.get.query({ id: started.id })).owner).toBe('bot');
    expect(await as('key-admin-0123456789abcdefgh').agent.stop.mutate({ id: started.id })).toMatchObject({ state: 'stopped' });
    expect(convoCalls(s)).toMatchObject({ join: 1, leave: 1 });
  });
});

describe("the agent's token", () => {
  it('is renewed through update before it runs out, so the agent outlives its first token', async () => {
    const { s, clock } = await startOnOneClock({ pollIntervalMs: 60_000, confirmDelayMs: 1_000, agentTokenSeconds: 3_600 });
    stack = s;
    s.emulator.control.join('long', '100');
    const started = await s.client.agent.start.mutate({ channel: 'long', remoteUids: ['100'], idleTimeoutSeconds: 0 });
    const firstExpiry = s.emulator.control.convoAgent(started.agentId)!.tokenExpiresAt;
    await advanceUntil(clock, () => Promise.resolve(convoCalls(s).update > 0), 30_000, 3_600_000);
    expect(convoCalls(s).update).toBe(1);
    const agent = s.emulator.control.convoAgent(started.agentId)!;
    expect(agent.tokenExpiresAt).toBeGreaterThan(firstExpiry);
    // The registry learns the new end once Agora has answered the update.
    await expect.poll(async () => (await s.store.agents.get(started.id))!.tokenExpiresAt).toBe(agent.tokenExpiresAt);
    // Past the first token's end, the agent still runs.
    await advanceUntil(clock, () => Promise.resolve(clock.now() > firstExpiry + 60_000), 30_000, 3_600_000);
    expect(s.emulator.control.convoAgent(started.agentId)).toMatchObject({ status: 'RUNNING' });
    expect((await s.store.agents.get(started.id))!.state).toBe('running');
  });
});

describe("a profile's secrets", () => {
  it('never reach an answer, a log line or a metric', async () => {
    const s = await start({
      agentProfiles: profilesOf({
        keyed: {
          remoteUids: ['100'],
          settings: {
            asr: { vendor: 'deepgram', language: 'en-US', params: { key: 'DG-SECRET-KEY-111', model: 'nova-3' } },
            llm: { url: 'https://api.openai.com/v1/chat/completions', api_key: 'sk-SECRET-LLM-222', params: { model: 'gpt-4o-mini' } },
            tts: { vendor: 'elevenlabs', params: { key: 'EL-SECRET-TTS-333', voice_id: 'v', model_id: 'eleven_flash_v2_5' } },
          },
        },
      }),
    });
    const secrets = ['DG-SECRET-KEY-111', 'sk-SECRET-LLM-222', 'EL-SECRET-TTS-333'];
    const started = await s.client.agent.start.mutate({ channel: 'sec', profile: 'keyed' });
    // Agora got them (in the join body) …
    expect(JSON.stringify(s.emulator.control.convoAgent(started.agentId)!.properties)).toContain('sk-SECRET-LLM-222');
    // … nobody else does.
    const answers = [
      started,
      await s.client.agent.get.query({ id: started.id }),
      await s.client.agent.list.query({}),
      await s.client.agent.query.query({ id: started.id }),
      await s.client.agent.history.query({ id: started.id }),
      await s.client.agent.stop.mutate({ id: started.id }),
      await s.client.agent.turns.query({ id: started.id }),
    ];
    const rest = await (await fetch(`${s.app.baseUrl}/api/v1/agents/${started.id}`)).text();
    const metrics = await (await fetch(`${s.app.baseUrl}/metrics`)).text();
    // Every line at debug level: the server's, its Agora client's and the emulator's.
    const appLogs = s.logs;
    expect(appLogs.some((line) => line.includes('agent started'))).toBe(true);
    for (const secret of secrets) {
      expect(JSON.stringify(answers)).not.toContain(secret);
      expect(rest).not.toContain(secret);
      expect(metrics).not.toContain(secret);
      expect(appLogs.join('\n')).not.toContain(secret);
    }
    expect(metrics).toContain('agora_backend_agents{state="stopped"} 1');
  });
});

/** The embedded default's vendors (no keys), for test profiles. */
describe('agent.profiles', () => {
  it('lists each profile as anyone may see it, over tRPC and GET /api/v1/agent-profiles, and never a key', async () => {
    const secrets = [
      'sk-llm-secret-0001',
      'tts-secret-key-0002',
      'Bearer header-secret-0003',
      'https://llm.example.invalid/v1?key=url-secret-0004',
    ];
    const s = await start({
      agentProfiles: profilesOf({
        support: {
          description: 'Support desk',
          settings: {
            asr: { vendor: 'ares', language: 'en-US' },
            llm: {
              url: secrets[3],
              api_key: secrets[0],
              headers: { Authorization: secrets[2] },
              params: { model: 'gpt-4o-mini' },
              greeting_message: 'Hi, support here',
            },
            tts: { vendor: 'microsoft', params: { key: secrets[1], voice_name: 'en-US-AndrewMultilingualNeural' } },
          },
          allow: { greeting: true, remoteUids: true },
        },
        plain: { settings: EMBEDDED_LIKE },
      }),
    });
    const listed = await s.client.agent.profiles.query();
    // The embedded `default` too (the stack runs on the emulator).
    expect(listed.profiles.map((profile) => profile.name)).toEqual(['default', 'plain', 'support']);
    expect(listed.profiles.find((profile) => profile.name === 'support')).toMatchObject({
      name: 'support',
      description: 'Support desk',
      kind: 'cascade',
      vendors: { asr: 'ares', tts: 'microsoft' },
      model: 'gpt-4o-mini',
      language: 'en-US',
      greeting: 'Hi, support here',
      allow: { greeting: true, remoteUids: true, labels: false },
    });
    const response = await fetch(`${s.app.baseUrl}/api/v1/agent-profiles`);
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(listed)));
    for (const answer of [text, JSON.stringify(listed)]) {
      for (const secret of [...secrets, 'llm-secret', 'tts-secret', 'header-secret', 'url-secret', 'llm.example.invalid']) {
        expect(answer).not.toContain(secret);
      }
    }
  });
});

const EMBEDDED_LIKE = {
  asr: { vendor: 'ares', language: 'en-US' },
  llm: { url: 'https://llm.emulator.invalid/v1/chat/completions', params: { model: 'emulated' } },
  tts: { vendor: 'microsoft', params: { voice_name: 'en-US-AndrewMultilingualNeural' } },
};

function profilesOf(profiles: Record<string, unknown>) {
  const parsed = parseAgentProfiles({ inline: JSON.stringify({ profiles }) }, { embedded: true });
  if (!parsed.ok) throw new Error(parsed.errors.join('; '));
  return parsed.profiles;
}
