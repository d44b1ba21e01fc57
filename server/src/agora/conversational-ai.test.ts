import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { caught, everythingIn, netError, setupAgoraClient } from '../testing/agora-client.js';
import type { AgoraClientOptions } from './client.js';
import { isAgentNameConflict, isConversationalAgentNotFound, redactorFor } from './conversational-ai.js';
import { AgentJoinBody, type AgentJoinRequest } from './conversational-ai-types.js';
import { AgoraApiError, AgoraNetworkError, AgoraResponseError, AgoraTimeoutError } from './errors.js';
import type { RequestPriority } from './rate-budget.js';

const APP_ID = '970ca35de60c44645bbae8a215061b33';
const CUSTOMER_ID = 'customer-id-1';
const CUSTOMER_SECRET = 'customer-secret-XYZ';
const BASIC = Buffer.from(`${CUSTOMER_ID}:${CUSTOMER_SECRET}`).toString('base64');
const HOST = 'https://agora.test';
const P = `/api/conversational-ai-agent/v2/projects/${APP_ID}`;
const AGENT_TOKEN = '007eJxAGENTTOKEN-rtc-and-rtm';
const LLM_KEY = 'sk-llm-SECRET-0123456789';
const TTS_KEY = 'tts-vendor-SECRET-abcdef';
const ASR_KEY = 'asr-vendor-SECRET-424242';
const HEADER_SECRET = 'Bearer header-SECRET-777';

beforeAll(() => nock.disableNetConnect());
afterAll(() => nock.enableNetConnect());
afterEach(() => nock.cleanAll());

function setup(options: Partial<AgoraClientOptions> = {}) {
  const { client, ...rest } = setupAgoraClient({
    appId: APP_ID,
    customerId: CUSTOMER_ID,
    customerSecret: CUSTOMER_SECRET,
    baseUrls: [HOST],
    ...options,
  });
  return { agents: client.convoai, ...rest };
}

/** A join with every vendor's own params, nested and unknown to us: they must reach Agora as they are. */
const join: AgentJoinRequest = {
  name: 'agt_01HZX',
  properties: {
    channel: 'room1',
    token: AGENT_TOKEN,
    agent_rtc_uid: '4100000001',
    remote_rtc_uids: ['1001'],
    idle_timeout: 120,
    labels: { team: 'support' },
    advanced_features: { enable_rtm: true },
    asr: {
      vendor: 'deepgram',
      language: 'en-US',
      params: { key: ASR_KEY, model: 'nova-3', keyterms: ['Agora'], nested: { deep: [1, { x: null }] } },
    },
    llm: {
      url: 'https://api.openai.com/v1/chat/completions',
      api_key: LLM_KEY,
      system_messages: [{ role: 'system', content: 'You are {{persona}}.' }],
      params: { model: 'gpt-4o-mini', max_tokens: 1024, response_format: { type: 'text' } },
      template_variables: { persona: 'a helpful agent' },
      greeting_message: 'Hello!',
      headers: { Authorization: HEADER_SECRET },
      a_future_field: { kept: true },
    },
    tts: { vendor: 'elevenlabs', params: { key: TTS_KEY, voice_id: 'v1', model_id: 'eleven_flash_v2_5', speed: 1.1 } },
  },
};

describe('requests', () => {
  it('joins with Basic auth at the v2 path, sending the body exactly, vendor params untouched', async () => {
    const { agents, run } = setup();
    const scope = nock(HOST, { reqheaders: { authorization: `Basic ${BASIC}`, 'content-type': 'application/json' } })
      .post(`${P}/join`, (body: unknown) => JSON.stringify(body) === JSON.stringify(join))
      .reply(200, { agent_id: 'A42', create_ts: 1_737_111_452, status: 'RUNNING' });
    const result = await run(agents.join(join));
    expect(result).toMatchObject({ agentId: 'A42', createdAt: 1_737_111_452_000, status: 'RUNNING' });
    expect(scope.isDone()).toBe(true);
  });

  it('leaves, interrupts with {}, and reads nothing from their bodies', async () => {
    const { agents, run } = setup();
    const scope = nock(HOST)
      .post(`${P}/agents/A42/leave`)
      .reply(200, '')
      .post(`${P}/agents/A42/interrupt`, {})
      .reply(200, { agent_id: 'A42', channel: 'room1' });
    await run(agents.leave('A42'));
    await run(agents.interrupt('A42'));
    expect(scope.isDone()).toBe(true);
  });

  it('updates the token, system messages and params', async () => {
    const { agents, run } = setup();
    const body = {
      properties: {
        token: 'new-token-xyz',
        llm: { system_messages: [{ role: 'system', content: 'Be brief.' }], params: { model: 'gpt-4o' } },
      },
    };
    const scope = nock(HOST)
      .post(`${P}/agents/A42/update`, body)
      .reply(200, { agent_id: 'A42', create_ts: 1_737_111_452, status: 'RUNNING' });
    expect(await run(agents.update('A42', body))).toMatchObject({ agentId: 'A42', status: 'RUNNING' });
    expect(scope.isDone()).toBe(true);
  });

  it('queries one agent: state, times in ms, and why it failed', async () => {
    const { agents, run } = setup();
    nock(HOST)
      .get(`${P}/agents/A42`)
      .reply(200, {
        message: 'llm unreachable',
        start_ts: 1_735_035_893,
        stop_ts: 1_735_035_900,
        name: 'agt_01HZX',
        status: 'FAILED',
        agent_id: 'A42',
      })
      .get(`${P}/agents/A43`)
      .reply(200, { message: '', start_ts: 1_735_035_893, stop_ts: 0, name: 'agt_2', status: 'RUNNING', agent_id: 'A43' });
    expect(await run(agents.query('A42'))).toMatchObject({
      agentId: 'A42',
      name: 'agt_01HZX',
      status: 'FAILED',
      startedAt: 1_735_035_893_000,
      stoppedAt: 1_735_035_900_000,
      message: 'llm unreachable',
    });
    expect(await run(agents.query('A43'))).toMatchObject({ status: 'RUNNING', stoppedAt: undefined, message: undefined });
  });

  it('lists with the filters as Agora names them: states as numbers, comma-separated, and the cursor', async () => {
    const { agents, run } = setup();
    const scope = nock(HOST)
      .get(`${P}/agents`)
      .query({ channel: 'room1', state: '0,1,2,6', from_time: '1700000000', to_time: '1700007200', limit: '2', cursor: 'A41' })
      .reply(200, {
        data: {
          count: 2,
          list: [
            { start_ts: 1_700_000_100, status: 'RUNNING', agent_id: 'A42' },
            { start_ts: 1_700_000_200, status: 'FAILED', agent_id: 'A43' },
          ],
        },
        meta: { cursor: 'A43', total: 5 },
        status: 'ok',
      })
      .get(`${P}/agents`)
      .reply(200, { data: { count: 0, list: [] }, meta: { cursor: '', total: 0 }, status: 'ok' });
    const page = await run(
      agents.list({
        channel: 'room1',
        states: ['IDLE', 'STARTING', 'RUNNING', 'FAILED'],
        fromTime: 1_700_000_000,
        toTime: 1_700_007_200,
        limit: 2,
        cursor: 'A41',
      }),
    );
    expect(page).toEqual({
      agents: [
        { agentId: 'A42', status: 'RUNNING', startedAt: 1_700_000_100_000 },
        { agentId: 'A43', status: 'FAILED', startedAt: 1_700_000_200_000 },
      ],
      count: 2,
      total: 5,
      cursor: 'A43',
    });
    // No filters: no query string at all; an empty cursor is the last page.
    expect((await run(agents.list())).cursor).toBeUndefined();
    expect(scope.isDone()).toBe(true);
  });

  it('speaks and thinks with the bodies given, reading a channel typed either way', async () => {
    const { agents, run } = setup();
    const scope = nock(HOST)
      .post(`${P}/agents/A42/speak`, { text: 'Hello there', priority: 'APPEND', interruptable: false })
      .reply(200, { agent_id: 'A42', channel: 12345, start_ts: 1_735_035_893 })
      .post(`${P}/agents/A42/think`, { text: 'The user looks away', on_listening_action: 'inject', metadata: { source: 'vision' } })
      .reply(200, { agent_id: 'A42', channel: 'room1', start_ts: 1_735_035_894 });
    expect(await run(agents.speak('A42', { text: 'Hello there', priority: 'APPEND', interruptable: false }))).toMatchObject({
      channel: '12345',
      startedAt: 1_735_035_893_000,
    });
    expect(
      await run(agents.think('A42', { text: 'The user looks away', on_listening_action: 'inject', metadata: { source: 'vision' } })),
    ).toMatchObject({ channel: 'room1' });
    expect(scope.isDone()).toBe(true);
  });

  it('reads the history, timing fields included when Agora sends them', async () => {
    const { agents, run } = setup();
    nock(HOST)
      .get(`${P}/agents/A42/history`)
      .reply(200, {
        agent_id: 'A42',
        start_ts: 1_735_035_893,
        status: 'RUNNING',
        contents: [
          { role: 'assistant', content: 'Hello!' },
          {
            role: 'user',
            content: 'Hi',
            speech_start_ms: 1_735_035_900_100,
            speech_end_ms: 1_735_035_900_900,
            speech_algorithmic_delay: 120,
          },
        ],
      });
    const history = await run(agents.history('A42'));
    expect(history.contents).toEqual([
      { role: 'assistant', content: 'Hello!' },
      { role: 'user', content: 'Hi', speechStartMs: 1_735_035_900_100, speechEndMs: 1_735_035_900_900, speechAlgorithmicDelayMs: 120 },
    ]);
    expect(history).toMatchObject({ agentId: 'A42', status: 'RUNNING', startedAt: 1_735_035_893_000 });
  });

  it('reads a page of turns with their latencies', async () => {
    const { agents, run } = setup();
    const scope = nock(HOST)
      .get(`${P}/agents/A42/turns`)
      .query({ page_index: '2', page_size: '10' })
      .reply(200, {
        agent_id: 'A42',
        name: 'agt_01HZX',
        channel: 'room1',
        total_turn_count: 11,
        pagination: { page_index: 2, total_pages: 2, is_last_page: true },
        turns: [
          {
            agent_id: 'A42',
            channel: 'room1',
            turn_id: 11,
            start: { start_at: 1_735_035_900_000, type: 'voice_input', metadata: { speech_duration_ms: 800 } },
            end: { end_at: 1_735_035_903_000, type: 'interrupted', metadata: { caused_by: 'api_interrupt' } },
            metrics: { e2e_latency_ms: 940, segmented_latency_ms: [{ name: 'llm_ttft', latency: 420 }] },
          },
        ],
      });
    const page = await run(agents.turns('A42', { pageIndex: 2, pageSize: 10 }));
    expect(page).toMatchObject({ totalTurns: 11, pageIndex: 2, totalPages: 2, isLastPage: true, name: 'agt_01HZX', channel: 'room1' });
    expect(page.turns).toEqual([
      {
        turnId: 11,
        start: { at: 1_735_035_900_000, type: 'voice_input', metadata: { speech_duration_ms: 800 } },
        end: { at: 1_735_035_903_000, type: 'interrupted', metadata: { caused_by: 'api_interrupt' } },
        e2eLatencyMs: 940,
        segmentedLatencyMs: [{ name: 'llm_ttft', latency: 420 }],
      },
    ]);
    expect(scope.isDone()).toBe(true);
  });

  it('escapes agent ids in paths', async () => {
    const { agents, run } = setup();
    const scope = nock(HOST).get(`${P}/agents/a%2Fb%3Fc`).reply(200, { agent_id: 'a/b?c', status: 'RUNNING' });
    await run(agents.query('a/b?c'));
    expect(scope.isDone()).toBe(true);
  });

  it("queues a poller's reads behind callers in the rate budget", async () => {
    const priorities: (RequestPriority | undefined)[] = [];
    const { agents, run } = setup({ rateBudget: { take: (_signal, priority) => (priorities.push(priority), Promise.resolve(undefined)) } });
    nock(HOST)
      .get(`${P}/agents/A42`)
      .reply(200, { agent_id: 'A42', status: 'RUNNING' })
      .get(`${P}/agents/A42/history`)
      .reply(200, { agent_id: 'A42', contents: [] });
    nock(HOST).post(`${P}/agents/A42/speak`).reply(200, { agent_id: 'A42' });
    await run(agents.query('A42', { priority: 'background' }));
    await run(agents.history('A42', { priority: 'background' }));
    await run(agents.speak('A42', { text: 'hi' }));
    expect(priorities).toEqual(['background', 'background', undefined]);
  });
});

describe('errors', () => {
  it("turns Agora's {detail, reason} into an AgoraApiError carrying both", async () => {
    const { agents, run } = setup();
    nock(HOST)
      .post(`${P}/join`)
      .reply(400, { detail: 'properties.tts.vendor is not supported', reason: 'InvalidRequest' }, { 'x-request-id': 'req-9' });
    const error = await run(caught(agents.join(join)));
    expect(error).toBeInstanceOf(AgoraApiError);
    expect(error).toMatchObject({
      endpoint: 'agentJoin',
      httpStatus: 400,
      reason: 'InvalidRequest',
      detail: 'properties.tts.vendor is not supported',
      code: undefined,
      requestId: 'req-9',
    });
    expect((error as Error).message).toBe('agentJoin failed: HTTP 400 "InvalidRequest": properties.tts.vendor is not supported');
    expect(isConversationalAgentNotFound(error)).toBe(false);
  });

  it("tells Agora's unknown agent (404 with a reason) from the gateway's wrong route", async () => {
    const { agents, run, sleeps } = setup();
    nock(HOST)
      .get(`${P}/agents/A42`)
      .reply(404, { detail: 'agent A42 not found', reason: 'TaskNotFound' })
      .post(`${P}/agents/A42/leave`)
      .reply(404, { detail: 'agent A42 not found', reason: 'TaskNotFound' })
      .get(`${P}/agents/A43`)
      .reply(404, { message: 'no Route matched with those values' });
    const query = await run(caught(agents.query('A42')));
    const leave = await run(caught(agents.leave('A42')));
    const route = await run(caught(agents.query('A43')));
    expect(isConversationalAgentNotFound(query)).toBe(true);
    expect(isConversationalAgentNotFound(leave)).toBe(true);
    expect(isConversationalAgentNotFound(route)).toBe(false);
    expect(route).toMatchObject({ gatewayMessage: 'no Route matched with those values' });
    // The failover window is the task runtime's rule, not the client's: a 404 is answered at once.
    expect(sleeps).toEqual([]);
  });

  it('names a join refused for its name (409) and does not repeat it', async () => {
    const { agents, run, sleeps } = setup();
    const scope = nock(HOST).post(`${P}/join`).reply(409, { detail: 'agent with name agt_01HZX already exists', reason: 'TaskConflict' });
    const error = await run(caught(agents.join(join)));
    expect(isAgentNameConflict(error)).toBe(true);
    expect(error).toMatchObject({ httpStatus: 409, reason: 'TaskConflict' });
    expect(scope.isDone()).toBe(true);
    expect(sleeps).toEqual([]);
  });

  it('reports an unreadable success body as AgoraResponseError', async () => {
    const { agents, run } = setup();
    nock(HOST).post(`${P}/join`).reply(200, { agent_id: 'A42', status: 'WALKING' });
    nock(HOST).get(`${P}/agents/A42/history`).reply(200, '<html>');
    const unknownState = await run(caught(agents.join(join)));
    expect(unknownState).toBeInstanceOf(AgoraResponseError);
    expect((unknownState as Error).message).toContain('status');
    await expect(run(agents.history('A42'))).rejects.toThrow(/not JSON/);
  });
});

describe('retries', () => {
  it('repeats a join on 5xx after 1, 3 and 6 s (its name makes a repeat harmless), then gives up', async () => {
    const { agents, run, sleeps } = setup();
    const scope = nock(HOST).post(`${P}/join`).times(4).reply(503, { detail: 'service unavailable', reason: 'ServiceUnavailable' });
    await expect(run(agents.join(join))).rejects.toMatchObject({ httpStatus: 503, reason: 'ServiceUnavailable' });
    expect(scope.isDone()).toBe(true);
    expect(sleeps).toEqual([1_000, 3_000, 6_000]);
  });

  it('repeats leave, query and history on 5xx until one answers', async () => {
    const { agents, run, sleeps } = setup();
    const scope = nock(HOST)
      .post(`${P}/agents/A42/leave`)
      .reply(500, { detail: 'x', reason: 'InternalError' })
      .post(`${P}/agents/A42/leave`)
      .reply(200)
      .get(`${P}/agents/A42/history`)
      .reply(502, 'bad gateway')
      .get(`${P}/agents/A42/history`)
      .reply(200, { agent_id: 'A42', contents: [] });
    await run(agents.leave('A42'));
    await run(agents.history('A42'));
    expect(scope.isDone()).toBe(true);
    expect(sleeps).toEqual([1_000, 1_000]);
  });

  it('moves through the hosts on a network failure, as every Agora call does', async () => {
    const { agents, run, sleeps } = setup({ baseUrls: [HOST, 'https://agora-2.test'] });
    const first = nock(HOST).post(`${P}/agents/A42/leave`).times(2).replyWithError(netError('ECONNRESET'));
    const second = nock('https://agora-2.test').post(`${P}/agents/A42/leave`).reply(200);
    await run(agents.leave('A42'));
    expect(first.isDone() && second.isDone()).toBe(true);
    expect(sleeps).toEqual([1_000, 3_000]);
  });

  it("explains the gateway's 401 with the settings to check", async () => {
    const { agents, run } = setup();
    nock(HOST).get(`${P}/agents`).reply(401, { message: 'Invalid authentication credentials' });
    await expect(run(agents.list())).rejects.toThrow(
      'agentList failed: HTTP 401 "Invalid authentication credentials": check AGORA_CUSTOMER_ID and AGORA_CUSTOMER_SECRET',
    );
  });

  it('never repeats a 4xx', async () => {
    const { agents, run, sleeps } = setup();
    const scope = nock(HOST).post(`${P}/agents/A42/update`).reply(400, { detail: 'bad', reason: 'InvalidRequest' });
    await expect(run(agents.update('A42', { properties: { token: 't-1234' } }))).rejects.toMatchObject({ httpStatus: 400 });
    expect(scope.isDone()).toBe(true);
    expect(sleeps).toEqual([]);
  });

  it('never repeats speak or think after a 5xx or a lost answer: the agent may already have said it', async () => {
    const { agents, run, sleeps } = setup();
    nock(HOST).post(`${P}/agents/A42/speak`).reply(500, { detail: 'x', reason: 'InternalError' });
    nock(HOST).post(`${P}/agents/A42/think`).replyWithError(netError('ECONNRESET'));
    await expect(run(agents.speak('A42', { text: 'once' }))).rejects.toMatchObject({ httpStatus: 500 });
    await expect(run(agents.think('A42', { text: 'once' }))).rejects.toBeInstanceOf(AgoraNetworkError);
    expect(sleeps).toEqual([]);
    expect(nock.pendingMocks()).toEqual([]);
  });

  it('sends speak again when the first try never left, or after a 429', async () => {
    const { agents, run, sleeps } = setup();
    const scope = nock(HOST)
      .post(`${P}/agents/A42/speak`)
      .replyWithError(netError('ECONNREFUSED'))
      .post(`${P}/agents/A42/speak`)
      .reply(429, { message: 'API rate limit exceeded' })
      .post(`${P}/agents/A42/speak`)
      .reply(200, { agent_id: 'A42', channel: 'room1', start_ts: 1 });
    await run(agents.speak('A42', { text: 'hello' }));
    expect(scope.isDone()).toBe(true);
    expect(sleeps).toEqual([1_000, 1_000]);
  });

  it('gives a timed-out speak up at once, as AgoraTimeoutError', async () => {
    const { agents, run } = setup({ timeouts: { agentSpeak: 50 } });
    nock(HOST).post(`${P}/agents/A42/speak`).delay(500).reply(200, { agent_id: 'A42' });
    await expect(run(agents.speak('A42', { text: 'slow' }))).rejects.toBeInstanceOf(AgoraTimeoutError);
  });
});

describe('secrets', () => {
  it('keeps vendor keys, the agent token and the customer secret out of errors and logs', async () => {
    const { agents, run, lines } = setup({ retry: { networkDelaysMs: [1] } });
    // Agora's detail may quote what it was sent.
    nock(HOST)
      .post(`${P}/join`)
      .reply(400, {
        detail: `invalid llm.api_key ${LLM_KEY}; tts key ${TTS_KEY}; asr ${ASR_KEY}; header ${HEADER_SECRET}; token ${AGENT_TOKEN}`,
        reason: `InvalidRequest ${LLM_KEY}`,
      });
    const apiError = await run(caught(agents.join(join)));
    expect(apiError).toBeInstanceOf(AgoraApiError);
    expect((apiError as AgoraApiError).detail).toContain('[redacted]');

    nock(HOST).post(`${P}/join`).times(2).replyWithError(netError('ECONNRESET'));
    const networkError = await run(caught(agents.join(join)));
    expect(networkError).toBeInstanceOf(AgoraNetworkError);

    nock(HOST).post(`${P}/agents/A42/update`).times(4).reply(500, { detail: `token new-token-SECRET-1 rejected`, reason: 'InternalError' });
    const updateError = await run(caught(agents.update('A42', { properties: { token: 'new-token-SECRET-1' } }, {})));

    const everything = [everythingIn(apiError), everythingIn(networkError), everythingIn(updateError), ...lines].join('\n');
    for (const secret of [CUSTOMER_SECRET, BASIC, 'Basic ', LLM_KEY, TTS_KEY, ASR_KEY, HEADER_SECRET, AGENT_TOKEN, 'new-token-SECRET-1']) {
      expect(everything).not.toContain(secret);
    }
    expect(lines.length).toBeGreaterThan(0);
  });

  it('finds secrets by key, in header maps and in URLs with a query, and leaves other texts alone', () => {
    const redact = redactorFor({
      properties: {
        llm: { url: 'https://llm.example/v1?key=URLKEY123', headers: { 'X-Custom': 'hdr-value-1' }, params: { model: 'gpt-4o-mini' } },
        tts: { params: { subscription_key: 'sub-key-1', voice: 'alloy' } },
        turn_detection: { config: { trigger_keywords: ['stop now'] } },
      },
    });
    expect(redact('a https://llm.example/v1?key=URLKEY123 b hdr-value-1 c sub-key-1')).toBe('a [redacted] b [redacted] c [redacted]');
    expect(redact('model gpt-4o-mini, voice alloy, keyword stop now')).toBe('model gpt-4o-mini, voice alloy, keyword stop now');
  });
});

describe('request schemas', () => {
  it('accept the join above and keep unknown keys and vendor params as they are', () => {
    expect(AgentJoinBody.parse(join)).toEqual(join);
  });

  it('list every problem of a join, with its path', () => {
    const result = AgentJoinBody.safeParse({
      name: '',
      properties: {
        channel: 'c',
        token: 't',
        agent_rtc_uid: '1',
        remote_rtc_uids: ['2'],
        idle_timeout: 300_000,
        asr: { vendor: 'speechmatics' },
        llm: { api_key: 'k', greeting_audio_url: 'ftp://x' },
        tts: { vendor: 'generic_http', params: {} },
        geofence: { area: 'EUROPE', exclude_area: 'ASIA' },
        rtc: { encryption_mode: 7 },
        parameters: { silence_config: { timeout_ms: 5_000 } },
        sal: { sample_urls: { unknown: 'https://x/a.pcm' } },
      },
    });
    expect(result.success).toBe(false);
    const paths = result.error?.issues.map((issue) => issue.path.join('.')).sort();
    expect(paths).toEqual(
      [
        'name',
        'properties.idle_timeout',
        'properties.asr.vendor',
        'properties.llm.greeting_audio_url',
        'properties.llm.greeting_message',
        'properties.tts.url',
        'properties.geofence.exclude_area',
        'properties.rtc.encryption_salt',
        'properties.parameters.silence_config.content',
        'properties.sal.sample_urls',
      ].sort(),
    );
  });

  it('need no llm or tts with a Studio pipeline, a preset or an enabled multimodal model', () => {
    const base = { name: 'n', properties: { channel: 'c', token: 't', agent_rtc_uid: '0', remote_rtc_uids: ['1'] } };
    expect(AgentJoinBody.safeParse(base).success).toBe(false);
    expect(AgentJoinBody.safeParse({ ...base, pipeline_id: 'pipe_1' }).success).toBe(true);
    expect(AgentJoinBody.safeParse({ ...base, preset: 'deepgram_nova_3,openai_gpt_5_mini' }).success).toBe(true);
    expect(
      AgentJoinBody.safeParse({ ...base, properties: { ...base.properties, mllm: { enable: true, vendor: 'openai', api_key: 'k' } } })
        .success,
    ).toBe(true);
    expect(AgentJoinBody.safeParse({ ...base, properties: { ...base.properties, advanced_features: { enable_mllm: true } } }).success).toBe(
      false,
    );
    // Without a pipeline, an llm needs its url (checked once the fields themselves are valid).
    expect(
      AgentJoinBody.safeParse({
        ...base,
        properties: { ...base.properties, llm: { api_key: 'k' }, tts: { vendor: 'openai', params: {} } },
      }).error?.issues.map((issue) => issue.path.join('.')),
    ).toEqual(['properties.llm.url']);
    const managed = { ...base.properties, llm: { credential_mode: 'managed' }, tts: { vendor: 'minimax', credential_mode: 'managed' } };
    expect(AgentJoinBody.safeParse({ ...base, properties: managed }).success).toBe(true);
  });
});
