import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { agentTokenAt, APP_ID, AUTH, CERT, startHarness, type Answer, type Harness } from '../test-support.js';

/**
 * Conversational AI v2 as Agora's published OpenAPI description states it, over HTTP: paths,
 * envelope validation with `{detail, reason}` errors, both kinds of credentials, the agent's
 * token, names, states over time, the emulated conversation (history, turns) and notices.
 */

const C = `/api/conversational-ai-agent/v2/projects/${APP_ID}`;
let h: Harness;

beforeEach(async () => {
  h = await startHarness();
});
afterEach(() => h.close());

const token = (
  channel = 'room1',
  uid = '1001',
  options: { expireSeconds?: number; rtm?: boolean; subscriber?: boolean; atMs?: number } = {},
) =>
  agentTokenAt({
    appId: APP_ID,
    appCertificate: CERT,
    channel,
    uid,
    atMs: options.atMs ?? h.clock.now(),
    expireSeconds: options.expireSeconds ?? 3600,
    ...options,
  });

function joinBody(properties: Record<string, unknown> = {}, top: Record<string, unknown> = {}) {
  const channel = (properties.channel as string | undefined) ?? 'room1';
  const uid = (properties.agent_rtc_uid as string | undefined) ?? '1001';
  return {
    name: 'agent-1',
    properties: {
      channel,
      token: token(channel, uid),
      agent_rtc_uid: uid,
      remote_rtc_uids: ['100'],
      asr: { language: 'en-US' },
      llm: { url: 'https://llm.example.test/v1/chat/completions', api_key: 'sk-llm', params: { model: 'gpt-x', temperature: 0.3 } },
      tts: { vendor: 'microsoft', params: { key: 'tts-key', voice_name: 'en-US-AndrewNeural' } },
      ...properties,
    },
    ...top,
  };
}

async function joinAgent(properties: Record<string, unknown> = {}, top: Record<string, unknown> = {}): Promise<string> {
  const reply = await h.call('POST', `${C}/join`, joinBody(properties, top));
  expect(reply.status, JSON.stringify(reply.body)).toBe(200);
  return String(reply.body.agent_id);
}

/** A running agent with user 100 in the channel. */
async function runningAgent(properties: Record<string, unknown> = {}): Promise<string> {
  h.publish('room1', '100');
  const agentId = await joinAgent(properties);
  await h.clock.advance(1_000);
  return agentId;
}

async function callWith(authorization: string | undefined, method: string, path: string, body?: unknown): Promise<Answer> {
  const response = await fetch(`${h.emulator.url}${path}`, {
    method,
    headers: authorization === undefined ? {} : { authorization },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

const say = (text: string, uid = '100', durationMs = 1_000) => h.emulator.control.speak('room1', { uid, text, durationMs });

describe('join', () => {
  it('starts an agent: STARTING, then RUNNING; query tells its name, times and state', async () => {
    const reply = await h.call('POST', `${C}/join`, joinBody());
    expect(reply).toMatchObject({ status: 200, body: { status: 'STARTING', create_ts: Math.floor(h.clock.now() / 1000) } });
    const agentId = String(reply.body.agent_id);
    await h.clock.advance(1_000);
    expect(await h.call('GET', `${C}/agents/${agentId}`)).toEqual({
      status: 200,
      body: {
        message: 'OK',
        start_ts: Math.floor((h.clock.now() - 1_000) / 1000),
        stop_ts: 0,
        name: 'agent-1',
        status: 'RUNNING',
        agent_id: agentId,
      },
    });
  });

  it.each([
    [{ name: undefined }, 'name is required'],
    [{ name: '' }, 'name must not be empty'],
    [{ properties: undefined }, 'properties is required'],
    [{ preset: 'a b' }, 'preset must be a comma-separated list of preset names'],
  ] as [Record<string, unknown>, string][])('answers 400 naming the field: $1', async (top, detail) => {
    expect(await h.call('POST', `${C}/join`, joinBody({}, top))).toEqual({ status: 400, body: { detail, reason: 'InvalidRequest' } });
  });

  it.each([
    [{ channel: undefined }, 'properties.channel is required'],
    [{ channel: 'a/b' }, "properties.channel must be a channel name: under 64 bytes of letters, digits and Agora's punctuation"],
    [{ token: undefined }, 'properties.token is required'],
    [{ agent_rtc_uid: undefined }, 'properties.agent_rtc_uid is required'],
    [{ agent_rtc_uid: 'bot' }, 'properties.agent_rtc_uid must be a string of an integer from 0 to 4294967295 (enable_string_uid is false)'],
    [{ remote_rtc_uids: undefined }, 'properties.remote_rtc_uids is required'],
    [{ remote_rtc_uids: [] }, 'properties.remote_rtc_uids must name the user the agent listens to'],
    [{ remote_rtc_uids: ['1', '2'] }, 'properties.remote_rtc_uids holds one uid (Agora supports one at present)'],
    [
      { remote_rtc_uids: ['0'] },
      'properties.remote_rtc_uids.0 must be a string of an integer from 1 to 4294967295 (enable_string_uid is false)',
    ],
    [{ idle_timeout: 259_201 }, 'properties.idle_timeout must be from 0 to 259200'],
    [{ idle_timeout: 1.5 }, 'properties.idle_timeout must be a whole number from 0 to 259200'],
    [{ tts: undefined }, 'properties.tts is required (unless pipeline_id, preset or mllm is used)'],
    [{ llm: undefined }, 'properties.llm is required (unless pipeline_id, preset or mllm is used)'],
    [{ llm: { api_key: 'k' } }, 'properties.llm.url is required (unless credential_mode is managed, or pipeline_id or preset is used)'],
    [
      { tts: { vendor: 'murf', params: {} } },
      'properties.tts.vendor must be one of amazon, cartesia, deepgram, elevenlabs, fishaudio, generic_http, google, gradium, humeai, microsoft, minimax, mistral, openai, rime, sarvam, xai',
    ],
    [{ tts: { vendor: 'openai' } }, 'properties.tts.params is required'],
    [{ tts: { vendor: 'generic_http', params: {} } }, 'properties.tts.url is required when vendor is generic_http'],
    [{ tts: { vendor: 'openai', params: {}, skip_patterns: [6] } }, 'properties.tts.skip_patterns.0 must be from 1 to 5'],
    [
      { asr: { vendor: 'speechmatics' } },
      'properties.asr.vendor must be one of ares, microsoft, deepgram, openai, google, gemini, amazon, assemblyai, sarvam, xai',
    ],
    [{ asr: { params: 'x' } }, 'properties.asr.params must be an object'],
    [
      { llm: { url: 'u', greeting_audio_url: 'ftp://x/a.mp3', greeting_message: 'hi' } },
      'properties.llm.greeting_audio_url must be an http(s) URL',
    ],
    [{ llm: { url: 'u', greeting_audio_url: '' } }, 'properties.llm.greeting_audio_url must not be empty'],
    [
      { llm: { url: 'u', greeting_audio_url: `https://a.test/${'x'.repeat(2040)}.mp3`, greeting_message: 'hi' } },
      'properties.llm.greeting_audio_url must be at most 2048 bytes',
    ],
    [
      { llm: { url: 'u', greeting_audio_url: 'https://a.test/hi.mp3' } },
      'properties.llm.greeting_message is required with greeting_audio_url (it is the fallback)',
    ],
    [
      { llm: { url: 'u', greeting_configs: { audio_download_timeout_ms: 100 } } },
      'properties.llm.greeting_configs.audio_download_timeout_ms must be from 200 to 10000',
    ],
    [
      { llm: { url: 'u', greeting_configs: { mode: 'always' } } },
      'properties.llm.greeting_configs.mode must be one of single_every, single_first',
    ],
    [{ llm: { url: 'u', max_history: 0 } }, 'properties.llm.max_history must be from 1 to 1024'],
    [
      { llm: { url: 'u', output_modalities: ['video'] } },
      'properties.llm.output_modalities must be one of ["text"], ["audio"], ["text","audio"]',
    ],
    [{ llm: { url: 'u', vendor: 'anthropic' } }, 'properties.llm.vendor must be one of openai, azure, xai, custom'],
    [{ llm: { url: 'u', style: 'claude' } }, 'properties.llm.style must be one of openai, gemini, anthropic, dify'],
    [{ llm: { url: 'u', system_messages: 'be nice' } }, 'properties.llm.system_messages must be an array of {role, content} objects'],
    [{ llm: { url: 'u', template_variables: { n: 1 } } }, 'properties.llm.template_variables.n values must be strings'],
    [
      { llm: { url: 'u', mcp_servers: [{ name: 'bad-name', endpoint: 'https://mcp.test' }] } },
      'properties.llm.mcp_servers.0.name must be 1 to 48 letters and digits',
    ],
    [{ llm: { url: 'u', mcp_servers: [{ name: 'tools' }] } }, 'properties.llm.mcp_servers.0.endpoint is required'],
    [{ mllm: { enable: true } }, 'properties.mllm.api_key is required'],
    [{ mllm: { enable: true, api_key: 'k', vendor: 'claude' } }, 'properties.mllm.vendor must be one of openai, gemini, vertexai, xai'],
    [{ advanced_features: { enable_mllm: true } }, 'properties.mllm is required when advanced_features.enable_mllm is true'],
    [{ advanced_features: { enable_rtm: 'yes' } }, 'properties.advanced_features.enable_rtm must be true or false'],
    [{ geofence: {} }, 'properties.geofence.area is required'],
    [{ geofence: { area: 'EUROPE', exclude_area: 'ASIA' } }, 'properties.geofence.exclude_area is allowed only when area is GLOBAL'],
    [
      { turn_detection: { config: { speech_threshold: 1 } } },
      'properties.turn_detection.config.speech_threshold must be between 0 and 1 (exclusive)',
    ],
    [
      { turn_detection: { config: { start_of_speech: { vad_config: {} } } } },
      'properties.turn_detection.config.start_of_speech.mode is required',
    ],
    [
      { turn_detection: { config: { start_of_speech: { mode: 'vad', vad_config: {}, keywords_config: {} } } } },
      'properties.turn_detection.config.start_of_speech.keywords_config is not allowed with mode vad (only vad_config)',
    ],
    [
      { turn_detection: { config: { end_of_speech: { mode: 'manual' } } } },
      'properties.turn_detection.config.end_of_speech.mode manual needs advanced_features.enable_rtm and parameters.data_channel rtm',
    ],
    [
      { turn_detection: { interrupt_keywords: Array.from({ length: 129 }, (_, i) => `k${i}`) } },
      'properties.turn_detection.interrupt_keywords holds at most 128 keywords',
    ],
    [{ interruption: { mode: 'always' } }, 'properties.interruption.mode must be one of start_of_speech, keywords'],
    [
      { interruption: { keywords_config: { trigger_keywords: Array.from({ length: 129 }, (_, i) => `k${i}`) } } },
      'properties.interruption.keywords_config.trigger_keywords holds at most 128 keywords',
    ],
    [
      { sal: { sample_urls: { a: 'https://a.test/a.pcm', b: 'https://a.test/b.pcm' } } },
      'properties.sal.sample_urls holds at most one entry',
    ],
    [{ sal: { sample_urls: { unknown: 'https://a.test/a.pcm' } } }, 'properties.sal.sample_urls may not use the reserved name unknown'],
    [{ labels: { team: 7 } }, 'properties.labels.team values must be strings'],
    [{ rtc: { encryption_mode: 9 } }, 'properties.rtc.encryption_mode must be from 1 to 8'],
    [{ rtc: { encryption_mode: 7, encryption_key: 'k' } }, 'properties.rtc.encryption_salt is required when encryption_mode is 7 or 8'],
    [
      { rtc: { encryption_mode: 8, encryption_key: 'k', encryption_salt: 'c2hvcnQ=' } },
      'properties.rtc.encryption_salt must be base64 of 32 bytes',
    ],
    [
      { filler_words: { content: { static_config: { phrases: [] } } } },
      'properties.filler_words.content.static_config.phrases must hold at least one phrase',
    ],
    [
      { filler_words: { content: { static_config: { phrases: Array.from({ length: 101 }, () => 'hmm') } } } },
      'properties.filler_words.content.static_config.phrases holds at most 100 phrases',
    ],
    [
      { filler_words: { content: { static_config: { phrases: ['word '.repeat(51)] } } } },
      'properties.filler_words.content.static_config.phrases.0 must be at most 50 words',
    ],
    [
      { parameters: { silence_config: { timeout_ms: 60_001, content: 'hello?' } } },
      'properties.parameters.silence_config.timeout_ms must be from 0 to 60000',
    ],
    [
      { parameters: { silence_config: { timeout_ms: 5_000 } } },
      'properties.parameters.silence_config.content is required when timeout_ms is not 0',
    ],
    [{ parameters: { data_channel: 'rtm' } }, 'properties.parameters.data_channel rtm needs advanced_features.enable_rtm'],
    [{ parameters: { audio_scenario: 'music' } }, 'properties.parameters.audio_scenario must be one of default, chorus, aiserver'],
    [{ avatar: { enable: true, vendor: 'heygen' } }, 'properties.avatar.vendor must be one of akool, liveavatar, anam, generic'],
  ] as [Record<string, unknown>, string][])('answers 400 naming the field: $1', async (properties, detail) => {
    expect(await h.call('POST', `${C}/join`, joinBody(properties))).toEqual({ status: 400, body: { detail, reason: 'InvalidRequest' } });
  });

  it('takes what the spec leaves to a pipeline, presets or a multimodal model, and passes vendor params through untouched', async () => {
    await joinAgent({ tts: undefined, llm: undefined }, { pipeline_id: 'studio-pipeline-1' });
    await joinAgent(
      {
        agent_rtc_uid: '1002',
        token: token('room1', '1002'),
        llm: { credential_mode: 'managed' },
        tts: { vendor: 'minimax', credential_mode: 'managed', params: {} },
      },
      { name: 'managed' },
    );
    await joinAgent(
      {
        agent_rtc_uid: '1003',
        token: token('room1', '1003'),
        llm: undefined,
        tts: undefined,
        mllm: { enable: true, api_key: 'k', vendor: 'openai', params: { model: 'rt-1' } },
      },
      { name: 'mllm' },
    );
    const params = { key: 'tts-key', voice_name: 'v', nested: { anything: [1, 'two'] } };
    const agentId = await joinAgent(
      {
        agent_rtc_uid: '1004',
        token: token('room1', '1004'),
        tts: { vendor: 'elevenlabs', params, future_field: true },
        unknown_block: { x: 1 },
      },
      { name: 'vendor' },
    );
    expect(h.emulator.control.convoAgent(agentId)?.properties).toMatchObject({
      tts: { vendor: 'elevenlabs', params, future_field: true },
      unknown_block: { x: 1 },
    });
  });

  it('takes a body sent without content-type, and answers a body that is not JSON', async () => {
    const raw = await fetch(`${h.emulator.url}${C}/join`, {
      method: 'POST',
      headers: { authorization: AUTH },
      body: JSON.stringify(joinBody()),
    });
    expect(raw.status).toBe(200);
    const broken = await fetch(`${h.emulator.url}${C}/join`, { method: 'POST', headers: { authorization: AUTH }, body: '{"name":' });
    expect({ status: broken.status, body: (await broken.json()) as unknown }).toEqual({
      status: 400,
      body: { detail: 'the body must be a JSON object', reason: 'InvalidRequest' },
    });
  });
});

describe("the agent's token", () => {
  it.each([
    ['another channel', () => token('room2', '1001'), {}, 'properties.token is invalid: issued for another channel'],
    ['another uid', () => token('room1', '7'), {}, 'properties.token is invalid: issued for another uid'],
    [
      'no publish privilege',
      () => token('room1', '1001', { subscriber: true }),
      {},
      'properties.token is invalid: no publish-audio privilege (the agent speaks)',
    ],
    [
      'no RTM with RTM on',
      () => token('room1', '1001', { rtm: false }),
      { advanced_features: { enable_rtm: true } },
      'properties.token is invalid: no RTM service (advanced_features.enable_rtm is on)',
    ],
    ['expired', () => token('room1', '1001', { atMs: h.clock.now() - 7_200_000 }), {}, 'properties.token has expired'],
    ['not a token', () => 'abc', {}, 'properties.token is invalid: not an AccessToken2'],
  ])('refuses a token for %s', async (_, make, properties, detail) => {
    expect(await h.call('POST', `${C}/join`, joinBody({ token: make(), ...properties }))).toEqual({
      status: 400,
      body: { detail, reason: 'InvalidRequest' },
    });
  });

  it('takes an RTC-only token when RTM is off, and a uid-less one for agent uid "0" (which gets a free uid)', async () => {
    await joinAgent({ token: token('room1', '1001', { rtm: false }) });
    const agentId = await joinAgent({ agent_rtc_uid: '0', token: token('room1', '0') }, { name: 'random' });
    expect(h.emulator.control.convoAgent(agentId)?.uid).toMatch(/^[1-9]\d+$/);
  });

  it('warns with 104 before the token expires; an update with a new token keeps it; an expired one fails the agent', async () => {
    const notices = await h.receiveNotices();
    const agentId = await runningAgent({ token: token('room1', '1001', { expireSeconds: 120 }) });
    await h.clock.advance(90_000);
    // Time is lazy: a call (or the notifier's tick) brings the agent up to date.
    expect((await h.call('GET', `${C}/agents/${agentId}`)).body).toMatchObject({ status: 'RUNNING' });
    await h.emulator.control.notifications.settle();
    expect(notices.map((notice) => notice.eventType)).toEqual([101, 104]);
    expect(notices[1]!.payload).toMatchObject({
      agent_id: agentId,
      channel: 'room1',
      expire_ts: Math.floor((h.clock.now() - 91_000 + 120_000) / 1000),
    });
    expect(
      await h.call('POST', `${C}/agents/${agentId}/update`, { properties: { token: token('room1', '1001', { expireSeconds: 600 }) } }),
    ).toMatchObject({ status: 200, body: { status: 'RUNNING' } });
    await h.clock.advance(120_000);
    expect((await h.call('GET', `${C}/agents/${agentId}`)).body).toMatchObject({ status: 'RUNNING' });
    await h.clock.advance(480_000);
    expect((await h.call('GET', `${C}/agents/${agentId}`)).body).toMatchObject({ status: 'FAILED', message: 'token expired' });
    await h.emulator.control.notifications.settle();
    expect(notices.map((notice) => notice.eventType)).toEqual([101, 104, 104, 110, 102, 103]);
    expect(notices[4]!.payload).toMatchObject({ status: 'FAILED', message: 'token expired' });
  });

  it('refuses an update with a token for another uid', async () => {
    const agentId = await runningAgent();
    expect(await h.call('POST', `${C}/agents/${agentId}/update`, { properties: { token: token('room1', '5') } })).toEqual({
      status: 400,
      body: { detail: 'properties.token is invalid: issued for another uid', reason: 'InvalidRequest' },
    });
  });
});

describe('credentials', () => {
  it('refuses calls without or with wrong credentials as {detail, reason}', async () => {
    expect(await callWith(undefined, 'GET', `${C}/agents`)).toEqual({
      status: 401,
      body: { detail: 'the Authorization header is missing', reason: 'Unauthorized' },
    });
    expect(await callWith(`Basic ${Buffer.from('cust:nope').toString('base64')}`, 'GET', `${C}/agents`)).toMatchObject({
      status: 401,
      body: { reason: 'Unauthorized' },
    });
    expect(await callWith('agora token=garbage', 'GET', `${C}/agents`)).toEqual({
      status: 401,
      body: { detail: 'agora token: not an AccessToken2', reason: 'Unauthorized' },
    });
    const expired = token('room1', '1001', { atMs: h.clock.now() - 7_200_000 });
    expect(await callWith(`agora token=${expired}`, 'GET', `${C}/agents`)).toEqual({
      status: 401,
      body: { detail: 'agora token: token expired', reason: 'Unauthorized' },
    });
    expect(await h.call('GET', `/api/conversational-ai-agent/v2/projects/nope/agents`)).toEqual({
      status: 400,
      body: { detail: 'appid is invalid', reason: 'InvalidRequest' },
    });
  });

  it('takes `agora token=` for its own channel only', async () => {
    const auth = `agora token=${token('room1', '1001')}`;
    const joined = await callWith(auth, 'POST', `${C}/join`, joinBody());
    expect(joined.status).toBe(200);
    const agentId = String(joined.body.agent_id);
    expect((await callWith(auth, 'GET', `${C}/agents/${agentId}`)).body).toMatchObject({ agent_id: agentId });
    expect((await callWith(auth, 'GET', `${C}/agents?state=1,2`)).body).toMatchObject({ data: { count: 1 } });
    const other = `agora token=${token('room2', '1001')}`;
    expect(await callWith(other, 'GET', `${C}/agents/${agentId}`)).toEqual({
      status: 401,
      body: { detail: 'the Authorization token is not for channel "room1"', reason: 'Unauthorized' },
    });
    expect((await callWith(other, 'POST', `${C}/join`, joinBody({}, { name: 'x' }))).status).toBe(401);
  });
});

describe('names and uids', () => {
  it('answers 409 TaskConflict with the running agent for a second join with its name; the name is free once it stops', async () => {
    const first = await joinAgent();
    const again = await h.call('POST', `${C}/join`, joinBody({ channel: 'room2', token: token('room2', '1001') }));
    expect(again).toMatchObject({ status: 409, body: { reason: 'TaskConflict', agent_id: first, status: 'STARTING' } });
    expect(await h.call('POST', `${C}/agents/${first}/leave`)).toEqual({ status: 200, body: {} });
    await joinAgent();
  });

  it("refuses a uid someone in the channel holds, and a Speech-to-Text bot may not take the agent's", async () => {
    h.publish('room1', '1001');
    expect(await h.call('POST', `${C}/join`, joinBody())).toMatchObject({
      status: 409,
      body: { reason: 'TaskConflict', detail: 'properties.agent_rtc_uid 1001 is used by a user in channel "room1"' },
    });
    const agentId = await joinAgent({ agent_rtc_uid: '1002', token: token('room1', '1002') });
    const bot = {
      name: 'stt',
      languages: ['en-US'],
      rtcConfig: { channelName: 'room1', pubBotUid: '1002', pubBotToken: h.token('room1', '1002') },
    };
    expect(await h.call('POST', `/api/speech-to-text/v1/projects/${APP_ID}/join`, bot)).toMatchObject({
      status: 409,
      body: { reason: 'uid conflict', detail: `rtcConfig.pubBotUid 1002 is used by Conversational AI agent ${agentId} in channel "room1"` },
    });
  });
});

describe('the agent over time', () => {
  it('stops idle_timeout seconds after its user left; 0 never idles, but 72 hours is the cap', async () => {
    h.publish('room1', '100');
    const idle = await joinAgent({ idle_timeout: 10 });
    const forever = await joinAgent(
      { idle_timeout: 0, agent_rtc_uid: '1002', token: token('room1', '1002', { expireSeconds: 80 * 3600 }) },
      { name: 'forever' },
    );
    await h.clock.advance(60_000);
    expect(h.emulator.control.convoAgent(idle)?.status).toBe('RUNNING');
    h.emulator.control.leave('room1', '100');
    await h.clock.advance(10_000);
    expect((await h.call('GET', `${C}/agents/${idle}`)).body).toMatchObject({
      status: 'STOPPED',
      message: 'idle timeout: no subscribed user in the channel',
    });
    await h.clock.advance(72 * 3_600_000 - 70_000 - 1);
    expect(h.emulator.control.convoAgent(forever)?.status).toBe('RUNNING');
    await h.clock.advance(1);
    expect(h.emulator.control.convoAgent(forever)).toMatchObject({ status: 'STOPPED', endReason: 'lifetime' });
  });

  it('leave stops it, again changes nothing; ended agents answer for a while, then 404 TaskNotFound', async () => {
    const agentId = await runningAgent();
    expect(await h.call('POST', `${C}/agents/${agentId}/leave`)).toEqual({ status: 200, body: {} });
    expect((await h.call('GET', `${C}/agents/${agentId}`)).body).toMatchObject({
      status: 'STOPPED',
      stop_ts: Math.floor(h.clock.now() / 1000),
    });
    expect(await h.call('POST', `${C}/agents/${agentId}/leave`)).toEqual({ status: 200, body: {} });
    expect(await h.call('GET', `${C}/agents/NOPE`)).toEqual({
      status: 404,
      body: { detail: 'agent NOPE not found', reason: 'TaskNotFound' },
    });
    await h.clock.advance(10 * 60_000);
    expect(await h.call('GET', `${C}/agents/${agentId}`)).toMatchObject({ status: 404, body: { reason: 'TaskNotFound' } });
  });

  it('with a graceful farewell, leave waits (STOPPING) for the agent to finish its sentence', async () => {
    const agentId = await runningAgent({ parameters: { farewell_config: { graceful_enabled: true, graceful_timeout_seconds: 30 } } });
    await h.call('POST', `${C}/agents/${agentId}/speak`, { text: 'one last thing before I go' });
    await h.call('POST', `${C}/agents/${agentId}/leave`);
    expect((await h.call('GET', `${C}/agents/${agentId}`)).body).toMatchObject({ status: 'STOPPING' });
    await h.clock.advance(5_000);
    expect((await h.call('GET', `${C}/agents/${agentId}`)).body).toMatchObject({ status: 'STOPPED' });
  });

  it('answers 404 for a live agent during a failover window, and chaos 503 ServiceUnavailable', async () => {
    const agentId = await runningAgent();
    h.emulator.control.failover(5_000);
    expect(await h.call('GET', `${C}/agents/${agentId}`)).toMatchObject({ status: 404, body: { reason: 'TaskNotFound' } });
    expect((await h.call('POST', `${C}/agents/${agentId}/leave`)).status).toBe(404);
    await h.clock.advance(5_000);
    expect((await h.call('GET', `${C}/agents/${agentId}`)).body).toMatchObject({ status: 'RUNNING' });
    h.emulator.control.setChaos(1, 1);
    expect(await h.call('POST', `${C}/agents/${agentId}/leave`)).toEqual({
      status: 503,
      body: { detail: 'temporarily unavailable, try again', reason: 'ServiceUnavailable' },
    });
    h.emulator.control.setChaos(0);
    expect(h.emulator.control.convoAgent(agentId)?.status).toBe('RUNNING');
    h.emulator.control.injectFault({ endpoint: 'convoLeave', times: 1, status: 500, body: { detail: 'boom', reason: 'InternalError' } });
    expect(await h.call('POST', `${C}/agents/${agentId}/leave`)).toEqual({
      status: 500,
      body: { detail: 'boom', reason: 'InternalError' },
    });
    expect(h.emulator.control.requestCounts()).toMatchObject({ convoLeave: 3, convoQuery: 2 });
  });

  it('fails through the control API with the module and message; query tells it', async () => {
    const agentId = await runningAgent();
    const failed = await fetch(`${h.emulator.url}/_emulator/agents/${agentId}/fail`, {
      method: 'POST',
      body: JSON.stringify({ reason: 'llm', message: 'upstream 500' }),
    });
    expect(failed.status).toBe(200);
    expect((await h.call('GET', `${C}/agents/${agentId}`)).body).toMatchObject({ status: 'FAILED', message: 'llm: upstream 500' });
    const state = (await (await fetch(`${h.emulator.url}/_emulator/state`)).json()) as {
      convoAgents: { agentId: string; status: string }[];
    };
    expect(state.convoAgents).toEqual([expect.objectContaining({ agentId, status: 'FAILED' })]);
  });
});

describe('list', () => {
  it("filters by state numbers and channel, pages with a cursor that names the next page's first agent", async () => {
    const ids: string[] = [];
    for (let n = 0; n < 3; n++) {
      ids.push(await joinAgent({ agent_rtc_uid: `20${n}`, token: token('room1', `20${n}`) }, { name: `a${n}` }));
      await h.clock.advance(1_000);
    }
    const elsewhere = await joinAgent({ channel: 'room2', agent_rtc_uid: '300', token: token('room2', '300') }, { name: 'b' });
    await h.call('POST', `${C}/agents/${ids[0]}/leave`);
    const first = await h.call('GET', `${C}/agents?channel=room1&limit=1`);
    expect(first.body).toEqual({
      data: { count: 1, list: [{ start_ts: expect.any(Number) as number, status: 'RUNNING', agent_id: ids[1] }] },
      meta: { cursor: ids[2], total: 2 },
      status: 'ok',
    });
    const second = await h.call('GET', `${C}/agents?channel=room1&limit=1&cursor=${ids[2]}`);
    expect(second.body).toMatchObject({ data: { list: [{ agent_id: ids[2] }] }, meta: { cursor: '', total: 2 } });
    expect((await h.call('GET', `${C}/agents?state=1,4`)).body).toMatchObject({
      data: {
        count: 2,
        list: [
          { agent_id: ids[0], status: 'STOPPED' },
          { agent_id: elsewhere, status: 'STARTING' },
        ],
      },
    });
    expect((await h.call('GET', `${C}/agents?from_time=${Math.floor(h.clock.now() / 1000)}&state=1`)).body).toMatchObject({
      data: { count: 1 },
    });
  });

  it.each([
    ['state=5', 'state must be state numbers separated by commas (0, 1, 2, 3, 4 or 6)'],
    ['state=running', 'state must be state numbers separated by commas (0, 1, 2, 3, 4 or 6)'],
    ['limit=0', 'limit must be a whole number from 1'],
    ['from_time=yesterday', 'from_time must be Unix seconds'],
    ['to_time=-1', 'to_time must be Unix seconds'],
    ['cursor=NOPE', 'cursor NOPE is not an agent of this listing'],
  ])('refuses %s naming the parameter', async (search, detail) => {
    expect(await h.call('GET', `${C}/agents?${search}`)).toEqual({ status: 400, body: { detail, reason: 'InvalidRequest' } });
  });
});

describe('the conversation', () => {
  it("turns a user's speech into history (user, then the answer) and, once spoken, a turn with latency metrics", async () => {
    const agentId = await runningAgent();
    expect(say('what is the weather like')).toEqual([agentId]);
    expect(say('not heard', '555')).toEqual([]);
    const history = await h.call('GET', `${C}/agents/${agentId}/history`);
    expect(history.body).toEqual({
      agent_id: agentId,
      start_ts: expect.any(Number) as number,
      status: 'RUNNING',
      contents: [
        { role: 'user', content: 'what is the weather like' },
        { role: 'assistant', content: '[gpt-x] You said: what is the weather like' },
      ],
    });
    expect((await h.call('GET', `${C}/agents/${agentId}/turns`)).body).toMatchObject({ total_turn_count: 0, turns: [] });
    await h.clock.advance(10_000);
    const turns = await h.call('GET', `${C}/agents/${agentId}/turns`);
    expect(turns.body).toMatchObject({
      agent_id: agentId,
      name: 'agent-1',
      channel: 'room1',
      total_turn_count: 1,
      pagination: { page_index: 1, total_pages: 1, is_last_page: true },
    });
    const [turn] = turns.body.turns as {
      turn_id: number;
      start: { type: string; metadata: object };
      end: { type: string; metadata: { playback_duration_ms: number } };
      metrics: { e2e_latency_ms: number; segmented_latency_ms: { name: string; latency: number }[] };
    }[];
    expect(turn).toMatchObject({
      turn_id: 1,
      start: { type: 'voice_input', metadata: { speech_duration_ms: 1_000 } },
      end: { type: 'ok' },
    });
    expect(turn!.metrics.segmented_latency_ms.map((segment) => segment.name)).toEqual([
      'algorithm_processing',
      'asr_ttlw',
      'llm_ttft',
      'llm_ftfs',
      'tts_ttfb',
      'transport',
    ]);
    expect(turn!.metrics.e2e_latency_ms).toBe(turn!.metrics.segmented_latency_ms.reduce((sum, segment) => sum + segment.latency, 0));
    expect(turn!.metrics.e2e_latency_ms).toBeGreaterThan(400);
    expect(turn!.metrics.e2e_latency_ms).toBeLessThan(1_500);
  });

  it('is the same for the same words, and greets first when a greeting is set', async () => {
    const agentId = await runningAgent({
      llm: { url: 'https://llm.test', greeting_message: 'Hello {{user}}!', template_variables: { user: 'Ada' }, vendor: 'custom' },
    });
    say('hi');
    const contents = (await h.call('GET', `${C}/agents/${agentId}/history`)).body.contents as Record<string, unknown>[];
    expect(contents.map((entry) => [entry.role, entry.content])).toEqual([
      ['assistant', 'Hello Ada!'],
      ['user', 'hi'],
      ['assistant', 'You said: hi'],
    ]);
    expect(contents[1]).toMatchObject({
      speech_start_ms: h.clock.now(),
      speech_end_ms: h.clock.now() + 1_000,
      speech_algorithmic_delay: expect.any(Number) as number,
    });
    await h.clock.advance(10_000);
    const turns = (await h.call('GET', `${C}/agents/${agentId}/turns`)).body.turns as { start: { type: string; metadata: object } }[];
    expect(turns.map((turn) => turn.start)).toMatchObject([{ type: 'greeting', metadata: { greeting_nth: 1 } }, { type: 'voice_input' }]);
  });

  it('speak INTERRUPT cuts the agent off, APPEND waits its turn, IGNORE is dropped while it talks; interrupt stops it', async () => {
    const agentId = await runningAgent();
    const speak = (body: object) => h.call('POST', `${C}/agents/${agentId}/speak`, body);
    say('tell me a long story');
    await h.clock.advance(2_000);
    expect(await speak({ text: 'Sorry, an announcement.' })).toEqual({
      status: 200,
      body: { agent_id: agentId, channel: 'room1', start_ts: expect.any(Number) as number },
    });
    await speak({ text: 'And then this.', priority: 'APPEND' });
    await speak({ text: 'Never said.', priority: 'IGNORE' });
    await h.clock.advance(500);
    await h.call('POST', `${C}/agents/${agentId}/interrupt`, {});
    await h.clock.advance(10_000);
    const turns = (await h.call('GET', `${C}/agents/${agentId}/turns`)).body.turns as {
      start: { type: string };
      end: { type: string; metadata: Record<string, unknown> };
    }[];
    expect(turns.map((turn) => [turn.start.type, turn.end.type, turn.end.metadata.caused_by])).toEqual([
      ['voice_input', 'interrupted', 'api_speak'],
      ['api_speak', 'interrupted', 'api_interrupt'],
      ['api_speak', 'interrupted', 'api_interrupt'],
    ]);
    const contents = (await h.call('GET', `${C}/agents/${agentId}/history`)).body.contents as { content: string }[];
    expect(contents.map((entry) => entry.content)).not.toContain('Never said.');
  });

  it('a user speaking over an interruptable answer cuts it off (start of speech)', async () => {
    const agentId = await runningAgent();
    say('first question here');
    await h.clock.advance(2_500);
    say('wait');
    await h.clock.advance(10_000);
    const turns = (await h.call('GET', `${C}/agents/${agentId}/turns`)).body.turns as {
      end: { type: string; metadata: Record<string, unknown> };
    }[];
    expect(turns.map((turn) => [turn.end.type, turn.end.metadata.caused_by])).toEqual([
      ['interrupted', 'start_of_speech'],
      ['ok', undefined],
    ]);
  });

  it('think answers a text as if the user said it, or injects it, or ignores it while the agent talks', async () => {
    const agentId = await runningAgent();
    const think = (body: object) => h.call('POST', `${C}/agents/${agentId}/think`, body);
    expect(await think({ text: 'summarise our chat' })).toMatchObject({ status: 200, body: { agent_id: agentId, channel: 'room1' } });
    await h.clock.advance(2_000);
    await think({ text: 'ignored while speaking' });
    await h.clock.advance(10_000);
    await think({ text: 'remember: the user is Ada', on_listening_action: 'inject' });
    const contents = (await h.call('GET', `${C}/agents/${agentId}/history`)).body.contents as { role: string; content: string }[];
    expect(contents).toEqual([
      { role: 'user', content: 'summarise our chat' },
      { role: 'assistant', content: '[gpt-x] You said: summarise our chat' },
      { role: 'user', content: 'remember: the user is Ada' },
    ]);
    const turns = (await h.call('GET', `${C}/agents/${agentId}/turns`)).body.turns as {
      start: { type: string; metadata: object };
      metrics: { segmented_latency_ms: { name: string }[] };
    }[];
    expect(turns).toHaveLength(1);
    expect(turns[0]!.start).toEqual({
      start_at: expect.any(Number) as number,
      type: 'api_speak',
      metadata: { transport: 'http', action: 'think' },
    });
    expect(turns[0]!.metrics.segmented_latency_ms.map((segment) => segment.name)).not.toContain('asr_ttlw');
  });

  it('history answers only while the agent runs; turns after it ended, for 7 days', async () => {
    const agentId = await runningAgent();
    say('hello there');
    await h.clock.advance(10_000);
    await h.call('POST', `${C}/agents/${agentId}/leave`);
    expect(await h.call('GET', `${C}/agents/${agentId}/history`)).toEqual({
      status: 404,
      body: { detail: `agent ${agentId} has exited (STOPPED)`, reason: 'TaskNotFound' },
    });
    await h.clock.advance(6 * 86_400_000);
    expect((await h.call('GET', `${C}/agents/${agentId}/turns?page_size=1`)).body).toMatchObject({
      total_turn_count: 1,
      turns: [{ turn_id: 1 }],
    });
    await h.clock.advance(86_400_000);
    expect((await h.call('GET', `${C}/agents/${agentId}/turns`)).status).toBe(404);
  });

  it('pages turns by number', async () => {
    const agentId = await runningAgent();
    for (const text of ['one', 'two', 'three']) {
      say(text);
      await h.clock.advance(10_000);
    }
    expect((await h.call('GET', `${C}/agents/${agentId}/turns?page_size=2&page_index=2`)).body).toMatchObject({
      total_turn_count: 3,
      pagination: { page_index: 2, total_pages: 2, is_last_page: true },
      turns: [{ turn_id: 3 }],
    });
    expect(await h.call('GET', `${C}/agents/${agentId}/turns?page_index=0`)).toEqual({
      status: 400,
      body: { detail: 'page_index must be a whole number from 1', reason: 'InvalidRequest' },
    });
  });
});

describe('speak, think and update validation', () => {
  it.each([
    ['speak', {}, 'text is required'],
    ['speak', { text: 'é'.repeat(257) }, 'text must be at most 512 bytes'],
    ['speak', { text: 'hi', priority: 'NOW' }, 'priority must be one of INTERRUPT, APPEND, IGNORE'],
    ['speak', { text: 'hi', interruptable: 'no' }, 'interruptable must be true or false'],
    ['think', {}, 'text is required'],
    ['think', { text: 'x', on_listening_action: 'shout' }, 'on_listening_action must be one of inject, interrupt, ignore'],
    ['think', { text: 'x', on_thinking_action: 'inject' }, 'on_thinking_action must be one of interrupt, ignore'],
    ['think', { text: 'x', on_speaking_action: 'inject' }, 'on_speaking_action must be one of interrupt, ignore'],
    ['think', { text: 'x', metadata: [] }, 'metadata must be an object'],
    ['update', { properties: { channel: 'room9' } }, 'properties.channel cannot be changed by update'],
    ['update', { properties: { llm: { url: 'https://other' } } }, 'properties.llm.url cannot be changed by update'],
    ['update', { properties: { llm: { params: 'x' } } }, 'properties.llm.params must be an object'],
    ['update', { properties: { llm: { system_messages: [{ content: 'x' }] } } }, 'properties.llm.system_messages.0.role is required'],
  ] as [string, object, string][])('%s answers 400 naming the field: $2', async (action, body, detail) => {
    const agentId = await runningAgent();
    expect(await h.call('POST', `${C}/agents/${agentId}/${action}`, body)).toEqual({
      status: 400,
      body: { detail, reason: 'InvalidRequest' },
    });
  });

  it('update replaces llm.params whole (the reply names the new model); speak waits for RUNNING and is refused with mllm', async () => {
    const starting = await joinAgent();
    expect(await h.call('POST', `${C}/agents/${starting}/speak`, { text: 'hi' })).toEqual({
      status: 400,
      body: { detail: `agent ${starting} is STARTING; it must be RUNNING`, reason: 'InvalidRequest' },
    });
    await h.clock.advance(1_000);
    h.publish('room1', '100');
    expect(
      await h.call('POST', `${C}/agents/${starting}/update`, {
        properties: { llm: { params: { model: 'gpt-y' } }, token: token('room1', '1001') },
      }),
    ).toMatchObject({ status: 200, body: { agent_id: starting, status: 'RUNNING' } });
    expect(h.emulator.control.convoAgent(starting)?.properties).toMatchObject({
      llm: { params: { model: 'gpt-y' }, url: 'https://llm.example.test/v1/chat/completions' },
    });
    say('ping');
    const contents = (await h.call('GET', `${C}/agents/${starting}/history`)).body.contents as { content: string }[];
    expect(contents.at(-1)?.content).toBe('[gpt-y] You said: ping');
    const mllm = await joinAgent(
      { agent_rtc_uid: '1003', token: token('room1', '1003'), llm: undefined, tts: undefined, mllm: { enable: true, api_key: 'k' } },
      { name: 'mllm' },
    );
    await h.clock.advance(1_000);
    expect(await h.call('POST', `${C}/agents/${mllm}/speak`, { text: 'hi' })).toEqual({
      status: 400,
      body: { detail: 'speak is not supported for an agent using mllm', reason: 'InvalidRequest' },
    });
  });
});

describe('notifications (productId 17)', () => {
  it('sends 101 once running, then 102 and 103 with the conversation on leave, each signed and carrying the labels', async () => {
    const notices = await h.receiveNotices();
    const agentId = await runningAgent({ labels: { team: 'support' } });
    say('hello');
    await h.clock.advance(10_000);
    await h.call('POST', `${C}/agents/${agentId}/leave`);
    await h.emulator.control.notifications.settle();
    expect(notices.map((notice) => notice.eventType)).toEqual([101, 102, 103]);
    expect(notices.every((notice) => notice.signed && notice.productId === 17 && !('sid' in notice))).toBe(true);
    expect(notices[0]!.payload).toMatchObject({ agent_id: agentId, channel: 'room1', labels: { team: 'support' }, status: 'RUNNING' });
    expect(notices[1]!.payload).toMatchObject({
      agent_id: agentId,
      status: 'STOPPED',
      message: 'agent left by request',
      labels: { team: 'support' },
    });
    expect(notices[2]!.payload).toMatchObject({
      contents: [
        { role: 'user', content: 'hello' },
        { role: 'assistant', content: '[gpt-x] You said: hello' },
      ],
    });
  });

  it("with parameters.enable_metrics, sends 111 with each turn's metrics once it is over", async () => {
    const notices = await h.receiveNotices();
    const agentId = await runningAgent({ parameters: { enable_metrics: true } });
    say('how are you');
    await h.clock.advance(10_000);
    say('and now?');
    await h.call('POST', `${C}/agents/${agentId}/leave`);
    await h.emulator.control.notifications.settle();
    expect(notices.map((notice) => notice.eventType)).toEqual([101, 111, 111, 102, 103]);
    const [first] = (await h.call('GET', `${C}/agents/${agentId}/turns`)).body.turns as { metrics: object }[];
    expect(notices[1]!.payload).toMatchObject({ agent_id: agentId, turn_id: 1, metrics: first!.metrics });
    expect(notices[2]!.payload).toMatchObject({ turn_id: 2 });
  });

  it('a failure sends 110 with the module before 102 FAILED', async () => {
    const notices = await h.receiveNotices();
    const agentId = await runningAgent();
    expect(h.emulator.control.failConvoAgent(agentId, 'tts', 'voice not found')).toBe(true);
    await h.emulator.control.notifications.settle();
    expect(notices.map((notice) => notice.eventType)).toEqual([101, 110, 102, 103]);
    expect(notices[1]!.payload).toMatchObject({ agent_id: agentId, module: 'tts', message: 'tts: voice not found' });
    expect(notices[2]!.payload).toMatchObject({ status: 'FAILED', message: 'tts: voice not found' });
  });
});
