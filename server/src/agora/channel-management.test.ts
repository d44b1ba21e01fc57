import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { caught, everythingIn, netError, setupAgoraClient } from '../testing/agora-client.js';
import { isBanCreateUnsettled, ruleMatches, toBanRule } from './channel-management.js';
import { AUDIENCE_LIST_CAP, BAN_TARGETING_RULE, type BanCreateRequest } from './channel-management-types.js';
import { DEFAULT_TIMEOUTS, type AgoraClientOptions } from './client.js';
import { AgoraApiError, AgoraNetworkError, AgoraRequestError, AgoraResponseError, AgoraTimeoutError } from './errors.js';
import type { RequestPriority } from './rate-budget.js';

const APP_ID = '970ca35de60c44645bbae8a215061b33';
const CUSTOMER_ID = 'customer-id-1';
const CUSTOMER_SECRET = 'customer-secret-XYZ';
const BASIC = Buffer.from(`${CUSTOMER_ID}:${CUSTOMER_SECRET}`).toString('base64');
const HOST = 'https://agora.test';
const RULES = '/dev/v1/kicking-rule';
/** The fake clock's start (setupAgoraClient): 2023-11-14T22:13:20Z. */
const NOW = 1_700_000_000_000;
const iso = (ms: number) => new Date(ms).toISOString();

beforeAll(() => nock.disableNetConnect());
afterAll(() => nock.enableNetConnect());
afterEach(() => nock.cleanAll());

/** A client whose rate budget counts the calls that were about to be sent, and their priorities. */
function setup(options: Partial<AgoraClientOptions> = {}) {
  const priorities: (RequestPriority | undefined)[] = [];
  const { client, ...rest } = setupAgoraClient({
    appId: APP_ID,
    customerId: CUSTOMER_ID,
    customerSecret: CUSTOMER_SECRET,
    baseUrls: [HOST],
    rateBudget: { take: (_signal, priority) => (priorities.push(priority), Promise.resolve(undefined)) },
    ...options,
  });
  return { channels: client.channels, priorities, ...rest };
}

const ban: BanCreateRequest = { channel: 'room1', uid: 2_845_863_044, privileges: ['join_channel'], seconds: 600 };
const listedRule = (overrides: Record<string, unknown> = {}) => ({
  id: 1953,
  appid: APP_ID,
  uid: 2_845_863_044,
  opid: 1406,
  cname: 'room1',
  ip: '',
  ts: iso(NOW + 600_000),
  privileges: ['join_channel'],
  createAt: iso(NOW + 1_000),
  updateAt: iso(NOW + 1_000),
  ...overrides,
});

describe('queries', () => {
  it('lists a page of channels with Basic auth, from page 0 of 100 unless told', async () => {
    const { channels, run } = setup();
    const scope = nock(HOST, { reqheaders: { authorization: `Basic ${BASIC}`, accept: 'application/json' } })
      .get(`/dev/v1/channel/${APP_ID}`)
      .query({ page_no: '0', page_size: '100' })
      .reply(200, { success: true, data: { channels: [{ channel_name: 'lkj144', user_count: 3 }], total_size: 1 } })
      .get(`/dev/v1/channel/${APP_ID}`)
      .query({ page_no: '2', page_size: '500' })
      .reply(200, { success: true, data: { channels: [], total_size: '1' } });
    expect(await run(channels.list())).toEqual({ channels: [{ channel: 'lkj144', userCount: 3 }], total: 1, page: 0, pageSize: 100 });
    expect(await run(channels.list({ page: 2, pageSize: 500 }))).toEqual({ channels: [], total: 1, page: 2, pageSize: 500 });
    expect(scope.isDone()).toBe(true);
  });

  it("reads a communication channel's users, uids above 2^31 included", async () => {
    const { channels, run } = setup();
    nock(HOST)
      .get(`/dev/v1/channel/user/${APP_ID}/room1`)
      .reply(200, { success: true, data: { channel_exist: true, mode: 1, total: 2, users: [906_219_905, 4_294_967_295] } });
    expect(await run(channels.users({ channel: 'room1' }))).toMatchObject({
      exists: true,
      profile: 'communication',
      users: [906_219_905, 4_294_967_295],
      total: 2,
    });
  });

  it("reads a live channel's hosts and audience, and says when Agora's 10,000-audience list is cut", async () => {
    const { channels, run } = setup();
    const audience = Array.from({ length: AUDIENCE_LIST_CAP }, (_, index) => index + 1);
    nock(HOST)
      .get(`/dev/v1/channel/user/${APP_ID}/room1`)
      .reply(200, {
        success: true,
        data: { channel_exist: true, mode: 2, broadcasters: [2_206_227_541], audience, audience_total: 12_345 },
      })
      .get(`/dev/v1/channel/user/${APP_ID}/room2`)
      .reply(200, { success: true, data: { channel_exist: true, mode: 2, broadcasters: [1], audience: [7], audience_total: 1 } });
    const big = await run(channels.users({ channel: 'room1' }));
    expect(big).toMatchObject({ exists: true, profile: 'live', hosts: [2_206_227_541], audienceTotal: 12_345, audienceTruncated: true });
    expect(big.exists && big.profile === 'live' ? big.audience?.length : 0).toBe(AUDIENCE_LIST_CAP);
    expect(await run(channels.users({ channel: 'room2' }))).toMatchObject({ hosts: [1], audience: [7], audienceTruncated: false });
  });

  it('asks for hosts only at their own path, and reads an empty channel as not existing', async () => {
    const { channels, run } = setup();
    const scope = nock(HOST)
      .get(`/dev/v1/channel/user/${APP_ID}/room1/hosts_only`)
      .reply(200, { success: true, data: { channel_exist: true, mode: 2, broadcasters: [574_332, 1_347_839] } })
      .get(`/dev/v1/channel/user/${APP_ID}/a%20b%3Ac`)
      .reply(200, { success: true, data: { channel_exist: false } });
    expect(await run(channels.users({ channel: 'room1', hostsOnly: true }))).toMatchObject({
      profile: 'live',
      hosts: [574_332, 1_347_839],
      audience: undefined,
      audienceTotal: undefined,
      audienceTruncated: false,
    });
    expect(await run(channels.users({ channel: 'a b:c' }))).toEqual({ exists: false });
    expect(scope.isDone()).toBe(true);
  });

  it("reads one user's status: join time in ms, role and platform by name, unknown platforms kept by number", async () => {
    const { channels, run } = setup();
    nock(HOST)
      .get(`/dev/v1/channel/user/property/${APP_ID}/2845863044/room1`)
      .reply(200, { success: true, data: { join: 1_640_330_382, uid: 2_845_863_044, in_channel: true, platform: 7, role: 2 } })
      .get(`/dev/v1/channel/user/property/${APP_ID}/42/room1`)
      .reply(200, { success: true, data: { join: 1_640_330_000, uid: 42, in_channel: true, platform: 42, role: 3 } })
      .get(`/dev/v1/channel/user/property/${APP_ID}/43/room1`)
      .reply(200, { success: true, data: { in_channel: false } });
    expect(await run(channels.user({ channel: 'room1', uid: 2_845_863_044 }))).toMatchObject({
      inChannel: true,
      uid: 2_845_863_044,
      joinedAt: 1_640_330_382_000,
      role: 'host',
      platform: 'web',
      platformCode: 7,
    });
    expect(await run(channels.user({ channel: 'room1', uid: 42 }))).toMatchObject({
      role: 'audience',
      platform: 'unknown',
      platformCode: 42,
    });
    expect(await run(channels.user({ channel: 'room1', uid: 43 }))).toEqual({ inChannel: false });
  });

  it("queues a poller's reads behind callers in the rate budget", async () => {
    const { channels, run, priorities } = setup();
    nock(HOST)
      .get(`/dev/v1/channel/user/${APP_ID}/room1`)
      .reply(200, { success: true, data: { channel_exist: false } })
      .get(RULES)
      .query({ appid: APP_ID })
      .reply(200, { status: 'success', rules: [] });
    await run(channels.users({ channel: 'room1' }, { priority: 'background' }));
    await run(channels.listBans());
    expect(priorities).toEqual(['background', undefined]);
  });
});

describe('ban rules', () => {
  it('creates a rule with the App ID in the body, the targets set and the duration in seconds only', async () => {
    const { channels, run } = setup();
    const scope = nock(HOST, { reqheaders: { authorization: `Basic ${BASIC}`, 'content-type': 'application/json' } })
      .post(
        RULES,
        (body: unknown) =>
          JSON.stringify(body) ===
          JSON.stringify({ appid: APP_ID, cname: 'room1', uid: 2_845_863_044, privileges: ['join_channel'], time_in_seconds: 600 }),
      )
      .reply(200, { status: 'success', id: 1953 })
      .post(RULES, { appid: APP_ID, ip: '192.168.0.1', privileges: ['publish_audio', 'publish_video'], time_in_seconds: 0 })
      .reply(200, { status: 'success', id: '1954' });
    expect(await run(channels.createBan(ban))).toEqual({ id: 1953, raw: { status: 'success', id: 1953 } });
    const kick = await run(channels.createBan({ ip: '192.168.0.1', privileges: ['publish_audio', 'publish_video'], seconds: 0 }));
    expect(kick.id).toBe(1954);
    expect(scope.isDone()).toBe(true);
  });

  it('lists the rules with the App ID in the query; unset targets (0, "") read as undefined, times as ms', async () => {
    const { channels, run } = setup();
    nock(HOST)
      .get(RULES)
      .query({ appid: APP_ID })
      .reply(200, {
        status: 'success',
        rules: [listedRule(), listedRule({ id: 1954, uid: 0, cname: '', ip: '10.0.0.1', privileges: ['publish_video'], opid: undefined })],
      });
    expect(await run(channels.listBans())).toEqual([
      {
        id: 1953,
        channel: 'room1',
        uid: 2_845_863_044,
        ip: undefined,
        privileges: ['join_channel'],
        expiresAt: NOW + 600_000,
        createdAt: NOW + 1_000,
        updatedAt: NOW + 1_000,
        opid: 1406,
      },
      expect.objectContaining({ id: 1954, channel: undefined, uid: undefined, ip: '10.0.0.1', privileges: ['publish_video'] }),
    ]);
  });

  it("updates a rule's duration with PUT and reads its new end; deletes with DELETE and a body", async () => {
    const { channels, run } = setup();
    const scope = nock(HOST)
      .put(RULES, { appid: APP_ID, id: 1953, time_in_seconds: 3600 })
      .reply(200, { status: 'success', result: { id: 1953, ts: '2026-01-09T08:45:54.545Z' } })
      .delete(RULES, { appid: APP_ID, id: 1953 })
      .reply(200, { status: 'success', id: 1953 });
    expect(await run(channels.updateBan({ id: 1953, seconds: 3600 }))).toMatchObject({
      id: 1953,
      expiresAt: Date.parse('2026-01-09T08:45:54.545Z'),
    });
    await run(channels.deleteBan(1953));
    expect(scope.isDone()).toBe(true);
  });

  it('sends the bounds themselves: 10 and 86430 seconds', async () => {
    const { channels, run } = setup();
    const scope = nock(HOST)
      .post(RULES, (body: { time_in_seconds?: number }) => body.time_in_seconds === 10)
      .reply(200, { status: 'success', id: 1 })
      .put(RULES, { appid: APP_ID, id: 1, time_in_seconds: 86_430 })
      .reply(200, { status: 'success', result: { id: 1, ts: iso(NOW) } });
    await run(channels.createBan({ uid: 5, privileges: ['publish_audio'], seconds: 10 }));
    await run(channels.updateBan({ id: 1, seconds: 86_430 }));
    expect(scope.isDone()).toBe(true);
  });
});

describe('refused before any call', () => {
  const refusals: [string, (channels: ReturnType<typeof setup>['channels']) => Promise<unknown>, string, RegExp][] = [
    [
      'a ban of 5 s (Agora would make it 10)',
      (c) => c.createBan({ ...ban, seconds: 5 }),
      'seconds',
      /0 \(remove now, no ban\) or a whole number from 10 to 86430/,
    ],
    ['a ban of 86431 s (Agora would cut it)', (c) => c.createBan({ ...ban, seconds: 86_431 }), 'seconds', /from 10 to 86430: Agora clamps/],
    ['a ban of 1.5 s', (c) => c.createBan({ ...ban, seconds: 1.5 }), 'seconds', /whole number from 10 to 86430/],
    ['a negative ban', (c) => c.createBan({ ...ban, seconds: -1 }), 'seconds', /from 10 to 86430/],
    ['an update to 90000 s', (c) => c.updateBan({ id: 1953, seconds: 90_000 }), 'seconds', /from 10 to 86430/],
    ['an update to 9 s', (c) => c.updateBan({ id: 1953, seconds: 9 }), 'seconds', /from 10 to 86430/],
    [
      'ip with uid',
      (c) => c.createBan({ ip: '10.0.0.1', uid: 7, privileges: ['join_channel'], seconds: 60 }),
      'target',
      /ip alone, a channel alone, a uid alone, or a channel and a uid/,
    ],
    [
      'ip with channel',
      (c) => c.createBan({ ip: '10.0.0.1', channel: 'room1', privileges: ['join_channel'], seconds: 60 }),
      'target',
      /Agora's rule table/,
    ],
    [
      'ip, channel and uid',
      (c) => c.createBan({ ip: '10.0.0.1', channel: 'room1', uid: 7, privileges: ['join_channel'], seconds: 60 }),
      'target',
      /no other combination/,
    ],
    ['no target at all', (c) => c.createBan({ privileges: ['join_channel'], seconds: 60 }), 'target', /no other combination/],
    ['uid 0', (c) => c.createBan({ uid: 0, privileges: ['join_channel'], seconds: 60 }), 'uid', /from 1 to 4294967295/],
    ['an ip that is no address', (c) => c.createBan({ ip: '0', privileges: ['join_channel'], seconds: 60 }), 'ip', /IPv4 or IPv6/],
    ['no privilege', (c) => c.createBan({ uid: 7, privileges: [], seconds: 60 }), 'privileges', /at least one of join_channel/],
    [
      'a privilege twice',
      (c) => c.createBan({ uid: 7, privileges: ['publish_audio', 'publish_audio'], seconds: 60 }),
      'privileges',
      /twice/,
    ],
    [
      'an unknown privilege',
      (c) => c.createBan({ uid: 7, privileges: ['mute' as 'join_channel'], seconds: 60 }),
      'privileges.0',
      /one of join_channel/,
    ],
    ['a channel of 64 bytes', (c) => c.users({ channel: 'x'.repeat(64) }), 'channel', /at most 63 bytes/],
    ['a page of 501', (c) => c.list({ pageSize: 501 }), 'pageSize', /from 1 to 500/],
    ['a page of 0', (c) => c.list({ pageSize: 0 }), 'pageSize', /from 1 to 500/],
    ['page -1', (c) => c.list({ page: -1 }), 'page', /from 0/],
    ["uid 0's status", (c) => c.user({ channel: 'room1', uid: 0 }), 'uid', /from 1 to/],
    ['delete of rule 0', (c) => c.deleteBan(0), 'id', /whole number from 1/],
  ];
  it.each(refusals)('%s', async (_name, attempt, field, message) => {
    const { channels, run, priorities } = setup();
    const error = await run(caught(attempt(channels)));
    expect(error).toBeInstanceOf(AgoraRequestError);
    expect(error).toMatchObject({ field, appCode: 'VALIDATION', shownAs: { status: 400 } });
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message.startsWith(`${field}: `)).toBe(true);
    expect(priorities).toEqual([]);
  });

  it('names the targeting rule in full', async () => {
    const { channels, run } = setup();
    const error = await run(caught(channels.createBan({ ip: '10.0.0.1', uid: 7, privileges: ['join_channel'], seconds: 60 })));
    expect((error as Error).message).toBe(`target: ${BAN_TARGETING_RULE}`);
  });
});

describe('errors and retries', () => {
  it("turns Agora's {message} answers into AgoraApiErrors: 400, 404 not repeated; 401 names the settings", async () => {
    const { channels, run, sleeps } = setup();
    nock(HOST)
      .post(RULES)
      .reply(400, { message: 'invalid privileges' }, { 'x-request-id': 'req-1' })
      .delete(RULES)
      .reply(404, { message: 'rule not found' })
      .get(`/dev/v1/channel/${APP_ID}`)
      .query(true)
      .reply(401, { message: 'Invalid authentication credentials' });
    const bad = await run(caught(channels.createBan(ban)));
    expect(bad).toBeInstanceOf(AgoraApiError);
    expect(bad).toMatchObject({ endpoint: 'banCreate', httpStatus: 400, gatewayMessage: 'invalid privileges', requestId: 'req-1' });
    expect(await run(caught(channels.deleteBan(1953)))).toMatchObject({
      endpoint: 'banDelete',
      httpStatus: 404,
      gatewayMessage: 'rule not found',
    });
    await expect(run(channels.list())).rejects.toThrow(
      'channelList failed: HTTP 401 "Invalid authentication credentials": check AGORA_CUSTOMER_ID and AGORA_CUSTOMER_SECRET',
    );
    expect(sleeps).toEqual([]);
  });

  it('waits out a 429 (Retry-After, else 1 s) and asks again, a ban create included: Agora did not take it', async () => {
    const { channels, run, sleeps } = setup();
    const scope = nock(HOST)
      .get(`/dev/v1/channel/user/${APP_ID}/room1`)
      .reply(429, { message: 'API rate limit exceeded' }, { 'retry-after': '2' })
      .get(`/dev/v1/channel/user/${APP_ID}/room1`)
      .reply(200, { success: true, data: { channel_exist: false } })
      .post(RULES)
      .reply(429, { message: 'API rate limit exceeded' })
      .post(RULES)
      .reply(200, { status: 'success', id: 5 });
    await run(channels.users({ channel: 'room1' }));
    expect(await run(channels.createBan(ban))).toMatchObject({ id: 5 });
    expect(scope.isDone()).toBe(true);
    expect(sleeps).toEqual([2_000, 1_000]);
  });

  it('shows a 400 or 404 as a bad gateway (502) and a lasting 429 as TOO_MANY_REQUESTS after 1, 2, 4 and 8 s', async () => {
    const { channels, run, sleeps } = setup();
    nock(HOST).put(RULES).reply(400, { message: 'invalid id' }).delete(RULES).reply(404, { message: 'not found' });
    const scope = nock(HOST).get(RULES).query(true).times(5).reply(429, { message: 'API rate limit exceeded' });
    const bad = await run(caught(channels.updateBan({ id: 1, seconds: 60 })));
    const missing = await run(caught(channels.deleteBan(1)));
    const limited = await run(caught(channels.listBans()));
    expect(bad).toMatchObject({
      appCode: 'AGORA_API',
      shownAs: { trpc: 'BAD_GATEWAY', status: 502 },
      details: { agora: { httpStatus: 400 } },
    });
    expect(missing).toMatchObject({ shownAs: { status: 502 }, details: { agora: { httpStatus: 404 } } });
    expect(limited).toMatchObject({ endpoint: 'banList', shownAs: { trpc: 'TOO_MANY_REQUESTS', status: 429 } });
    expect(scope.isDone()).toBe(true);
    expect(sleeps).toEqual([1_000, 2_000, 4_000, 8_000]);
  });

  it('repeats reads, updates and deletes on 5xx after 1, 3 and 6 s, then gives up', async () => {
    const { channels, run, sleeps } = setup();
    const scope = nock(HOST)
      .get(`/dev/v1/channel/user/property/${APP_ID}/7/room1`)
      .times(4)
      .reply(503, { message: 'service unavailable' })
      .put(RULES)
      .reply(500, { message: 'internal' })
      .put(RULES)
      .reply(200, { status: 'success', result: { id: 1, ts: iso(NOW) } })
      .delete(RULES)
      .reply(502, 'bad gateway')
      .delete(RULES)
      .reply(200, { status: 'success', id: 1 });
    await expect(run(channels.user({ channel: 'room1', uid: 7 }))).rejects.toMatchObject({ httpStatus: 503, endpoint: 'channelUser' });
    await run(channels.updateBan({ id: 1, seconds: 60 }));
    await run(channels.deleteBan(1));
    expect(scope.isDone()).toBe(true);
    expect(sleeps).toEqual([1_000, 3_000, 6_000, 1_000, 1_000]);
  });

  it('never repeats a ban create after a 5xx, a 504 or a lost connection: a repeat could make a second rule', async () => {
    const { channels, run, sleeps } = setup();
    nock(HOST).post(RULES).reply(500, { message: 'internal' });
    nock(HOST).post(RULES).reply(504, { message: 'gateway timeout' });
    nock(HOST).post(RULES).replyWithError(netError('ECONNRESET'));
    const internal = await run(caught(channels.createBan(ban)));
    const gateway = await run(caught(channels.createBan(ban)));
    const reset = await run(caught(channels.createBan(ban)));
    expect(internal).toMatchObject({ httpStatus: 500 });
    expect(gateway).toMatchObject({ httpStatus: 504 });
    expect(reset).toBeInstanceOf(AgoraNetworkError);
    expect([internal, gateway, reset].map(isBanCreateUnsettled)).toEqual([false, true, true]);
    expect(sleeps).toEqual([]);
    expect(nock.pendingMocks()).toEqual([]);
  });

  it('sends a ban create again when the first try never left (connection refused)', async () => {
    const { channels, run, sleeps } = setup();
    const scope = nock(HOST).post(RULES).replyWithError(netError('ECONNREFUSED')).post(RULES).reply(200, { status: 'success', id: 9 });
    expect(await run(channels.createBan(ban))).toMatchObject({ id: 9 });
    expect(scope.isDone()).toBe(true);
    expect(sleeps).toEqual([1_000]);
  });

  it('gives a timed-out ban create up at once, as AgoraTimeoutError, after 20 s by default', async () => {
    const { channels, run } = setup({ timeouts: { banCreate: 50 } });
    const scope = nock(HOST).post(RULES).delay(500).reply(200, { status: 'success', id: 1 });
    const error = await run(caught(channels.createBan(ban)));
    expect(error).toBeInstanceOf(AgoraTimeoutError);
    expect(isBanCreateUnsettled(error)).toBe(true);
    expect(scope.isDone()).toBe(true);
    expect(DEFAULT_TIMEOUTS.banCreate).toBe(20_000);
  });

  it('reports a success status with an unreadable or unsuccessful body as AgoraResponseError', async () => {
    const { channels, run } = setup();
    nock(HOST)
      .get(`/dev/v1/channel/${APP_ID}`)
      .query(true)
      .reply(200, { success: false, data: {} })
      .get(RULES)
      .query(true)
      .reply(200, '<html>')
      .post(RULES)
      .reply(200, { status: 'failed', id: 1 });
    const unsuccessful = await run(caught(channels.list()));
    expect(unsuccessful).toBeInstanceOf(AgoraResponseError);
    expect((unsuccessful as Error).message).toContain('success');
    await expect(run(channels.listBans())).rejects.toThrow(/not JSON/);
    await expect(run(channels.createBan(ban))).rejects.toBeInstanceOf(AgoraResponseError);
  });
});

describe('settling a ban create whose answer was lost', () => {
  it('finds the rule by listing after a timeout, without sending the create again', async () => {
    const { channels, run } = setup({ timeouts: { banCreate: 50 } });
    const create = nock(HOST).post(RULES).delay(500).reply(200, { status: 'success', id: 1953 });
    const list = nock(HOST)
      .get(RULES)
      .query({ appid: APP_ID })
      .reply(200, { status: 'success', rules: [listedRule({ id: 1900, createAt: iso(NOW - 3_600_000) }), listedRule()] });
    const result = await run(channels.createBanSettled(ban));
    expect(result).toMatchObject({ id: 1953, settled: true, rule: { id: 1953, channel: 'room1', uid: 2_845_863_044 } });
    expect(create.isDone() && list.isDone()).toBe(true);
  });

  it('lists again after 2 and 5 s when the rule is not listed yet (listing may leave rules out)', async () => {
    const { channels, run, sleeps } = setup();
    nock(HOST).post(RULES).reply(504, { message: 'gateway timeout' });
    const list = nock(HOST)
      .get(RULES)
      .query(true)
      .reply(200, { status: 'success', rules: [] })
      .get(RULES)
      .query(true)
      .reply(200, { status: 'success', rules: [listedRule({ privileges: ['publish_audio'] })] })
      .get(RULES)
      .query(true)
      .reply(200, { status: 'success', rules: [listedRule({ privileges: ['publish_audio'] }), listedRule({ id: 2001 })] });
    expect(await run(channels.createBanSettled(ban))).toMatchObject({ id: 2001, settled: true });
    expect(list.isDone()).toBe(true);
    expect(sleeps).toEqual([2_000, 5_000]);
  });

  it("throws the create's own error when no rule shows, having sent the create once", async () => {
    const { channels, run } = setup();
    const create = nock(HOST).post(RULES).reply(504, { message: 'gateway timeout' });
    const list = nock(HOST).get(RULES).query(true).times(3).reply(200, { status: 'success', rules: [] });
    await expect(run(channels.createBanSettled(ban))).rejects.toMatchObject({ endpoint: 'banCreate', httpStatus: 504 });
    expect(create.isDone() && list.isDone()).toBe(true);
  });

  it('does not list for a kick of 0 s: it leaves no rule to find', async () => {
    const { channels, run, priorities } = setup();
    nock(HOST).post(RULES).reply(504, { message: 'gateway timeout' });
    await expect(run(channels.createBanSettled({ ...ban, seconds: 0 }))).rejects.toMatchObject({ httpStatus: 504 });
    expect(priorities).toHaveLength(1);
  });

  it('answers a plain success as it came, and does not settle a 400', async () => {
    const { channels, run } = setup();
    nock(HOST).post(RULES).reply(200, { status: 'success', id: 77 }).post(RULES).reply(400, { message: 'bad' });
    expect(await run(channels.createBanSettled(ban))).toEqual({ id: 77, settled: false, rule: undefined });
    await expect(run(channels.createBanSettled(ban))).rejects.toMatchObject({ httpStatus: 400 });
    expect(nock.pendingMocks()).toEqual([]);
  });

  it('matches only the same targets and privileges, made since the create was sent, and no rule already known', () => {
    const rule = toBanRule(listedRule());
    const since = NOW - 60_000;
    expect(ruleMatches(rule, ban, since)).toBe(true);
    expect(ruleMatches(rule, { ...ban, uid: 1 }, since)).toBe(false);
    expect(ruleMatches(rule, { ...ban, channel: 'room2' }, since)).toBe(false);
    expect(ruleMatches(rule, { ...ban, channel: undefined }, since)).toBe(false);
    expect(ruleMatches(rule, { ...ban, privileges: ['join_channel', 'publish_audio'] }, since)).toBe(false);
    expect(ruleMatches(rule, ban, NOW + 2_000)).toBe(false);
    expect(ruleMatches(rule, ban, since, [1953])).toBe(false);
    const ipRule = toBanRule(listedRule({ uid: 0, cname: '', ip: '10.0.0.1', privileges: ['publish_video', 'publish_audio'] }));
    expect(ruleMatches(ipRule, { ip: '10.0.0.1', privileges: ['publish_audio', 'publish_video'], seconds: 60 }, since)).toBe(true);
  });
});

describe('secrets', () => {
  it('keeps the customer secret and the Authorization header out of errors and logs', async () => {
    const { channels, run, lines } = setup({ timeouts: { banCreate: 50 } });
    nock(HOST).post(RULES).reply(401, { message: 'Invalid authentication credentials' });
    const apiError = await run(caught(channels.createBan(ban)));
    nock(HOST).get(RULES).query(true).times(2).replyWithError(netError('ECONNRESET'));
    const networkError = await run(caught(channels.listBans()));
    nock(HOST).post(RULES).delay(500).reply(200, {});
    const timeoutError = await run(caught(channels.createBan(ban)));
    const refused = await run(caught(channels.createBan({ ...ban, seconds: 5 })));
    expect(networkError).toBeInstanceOf(AgoraNetworkError);
    expect(timeoutError).toBeInstanceOf(AgoraTimeoutError);
    const everything = [apiError, networkError, timeoutError, refused].map(everythingIn).concat(lines).join('\n');
    for (const secret of [CUSTOMER_SECRET, BASIC, 'Basic ']) expect(everything).not.toContain(secret);
    expect(lines.length).toBeGreaterThan(0);
  });
});
