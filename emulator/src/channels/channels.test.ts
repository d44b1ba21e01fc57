import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { APP_ID, startHarness, type Answer, type Harness } from '../test-support.js';

/**
 * Agora's channel management API as its published OpenAPI description states it, over HTTP:
 * the channel list, users and hosts, one user's status, ban rules (envelopes, clamping,
 * targeting, expiry, kicks), channel event notices, and failover and chaos for these endpoints.
 */

const RULES = '/dev/v1/kicking-rule';
const USERS = `/dev/v1/channel/user/${APP_ID}`;
let h: Harness;

beforeEach(async () => {
  h = await startHarness();
});
afterEach(() => h.close());

/** The control API over HTTP. */
async function control(method: string, path: string, body?: unknown): Promise<Answer> {
  const response = await fetch(`${h.emulator.url}/_emulator${path}`, {
    method,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

const enter = (cname: string, user: Record<string, unknown>) => control('POST', `/channels/${cname}/users`, user);
const ban = (rule: Record<string, unknown>) => h.call('POST', RULES, { appid: APP_ID, privileges: ['join_channel'], ...rule });
const seconds = (ms: number) => Math.floor(ms / 1000);
const iso = (ms: number) => new Date(seconds(ms) * 1000).toISOString();
const uidsIn = async (cname: string) => {
  const view = await control('GET', `/channels/${cname}`);
  return (view.body.users as { uid: string }[]).map((user) => user.uid);
};

describe('the channel list', () => {
  it('lists channels with users, a page at a time from page 0, with the total', async () => {
    expect(await h.call('GET', `/dev/v1/channel/${APP_ID}`)).toEqual({
      status: 200,
      body: { success: true, data: { channels: [], total_size: 0 } },
    });
    await enter('room1', { uid: 1 });
    await enter('room1', { uid: 2, role: 'audience' });
    await enter('room2', { uid: 3 });
    expect((await h.call('GET', `/dev/v1/channel/${APP_ID}`)).body).toEqual({
      success: true,
      data: {
        channels: [
          { channel_name: 'room1', user_count: 2 },
          { channel_name: 'room2', user_count: 1 },
        ],
        total_size: 2,
      },
    });
    const second = await h.call('GET', `/dev/v1/channel/${APP_ID}?page_no=1&page_size=1`);
    expect(second.body).toEqual({ success: true, data: { channels: [{ channel_name: 'room2', user_count: 1 }], total_size: 2 } });
    const past = await h.call('GET', `/dev/v1/channel/${APP_ID}?page_no=5`);
    expect(past.body).toEqual({ success: true, data: { channels: [], total_size: 2 } });
  });

  it.each([
    ['page_size=0', 'invalid parameter: page_size must be a whole number from 1 to 500'],
    ['page_size=501', 'invalid parameter: page_size must be a whole number from 1 to 500'],
    ['page_no=-1', 'invalid parameter: page_no must be a whole number from 0 to 999999999'],
    ['page_no=x', 'invalid parameter: page_no must be a whole number from 0 to 999999999'],
  ])('refuses %s naming the parameter', async (query, message) => {
    expect(await h.call('GET', `/dev/v1/channel/${APP_ID}?${query}`)).toEqual({ status: 400, body: { message } });
  });

  it('answers the gateway errors: credentials, App ID', async () => {
    const anonymous = await fetch(`${h.emulator.url}/dev/v1/channel/${APP_ID}`);
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toEqual({ message: 'Unauthorized' });
    expect(await h.call('GET', '/dev/v1/channel/0123456789abcdef0123456789abcdef')).toEqual({
      status: 400,
      body: { message: 'appid is invalid' },
    });
  });
});

describe('the users of a channel', () => {
  it('live broadcasting: hosts and audience with the audience total; hosts only by query or path', async () => {
    await enter('room1', { uid: 2206227541 });
    h.publish('room1', '2845863044');
    await enter('room1', { uid: 906219905, role: 'audience' });
    expect(await h.call('GET', `${USERS}/room1`)).toEqual({
      status: 200,
      body: {
        success: true,
        data: { channel_exist: true, mode: 2, broadcasters: [2206227541, 2845863044], audience: [906219905], audience_total: 1 },
      },
    });
    const hostsOnly = { success: true, data: { channel_exist: true, mode: 2, broadcasters: [2206227541, 2845863044] } };
    expect((await h.call('GET', `${USERS}/room1?hosts_only`)).body).toEqual(hostsOnly);
    expect((await h.call('GET', `${USERS}/room1/hosts_only`)).body).toEqual(hostsOnly);
  });

  it('communication: every user, with the total (hosts_only changes nothing)', async () => {
    expect((await control('PUT', '/channels/call1/profile', { profile: 'communication' })).status).toBe(200);
    await enter('call1', { uid: 7 });
    h.publish('call1', '8');
    const all = { success: true, data: { channel_exist: true, mode: 1, total: 2, users: [7, 8] } };
    expect((await h.call('GET', `${USERS}/call1`)).body).toEqual(all);
    expect((await h.call('GET', `${USERS}/call1/hosts_only`)).body).toEqual(all);
  });

  it('a channel nobody is in does not exist; string accounts do not show', async () => {
    expect((await h.call('GET', `${USERS}/empty`)).body).toEqual({ success: true, data: { channel_exist: false } });
    h.publish('named', 'alice');
    expect((await h.call('GET', `${USERS}/named`)).body).toEqual({ success: true, data: { channel_exist: false } });
    expect(await h.call('GET', `${USERS}/${encodeURIComponent('bad/name')}`)).toMatchObject({ status: 400 });
    expect(await h.call('GET', `${USERS}/${'x'.repeat(64)}`)).toEqual({
      status: 400,
      body: { message: "invalid parameter: channelName must be 1 to 63 bytes of letters, digits and Agora's punctuation" },
    });
  });

  it('lists the first 10,000 audience members and counts them all', async () => {
    for (let uid = 1; uid <= 10_001; uid++) h.emulator.control.join('big', String(uid), { role: 'audience' });
    const reply = await h.call('GET', `${USERS}/big`);
    const data = reply.body.data as { audience: number[]; audience_total: number; broadcasters: number[] };
    expect(data.audience).toHaveLength(10_000);
    expect(data.audience_total).toBe(10_001);
    expect(data.broadcasters).toEqual([]);
  });
});

describe("one user's status", () => {
  it('in the channel: join time (Unix s), role and platform; else in_channel false', async () => {
    const joinedAt = h.clock.now();
    await enter('room1', { uid: 42, platform: 1 });
    await enter('room1', { uid: 43, role: 'audience' });
    await h.clock.advance(5_000);
    expect(await h.call('GET', `/dev/v1/channel/user/property/${APP_ID}/42/room1`)).toEqual({
      status: 200,
      body: { success: true, data: { join: seconds(joinedAt), uid: 42, in_channel: true, platform: 1, role: 2 } },
    });
    expect((await h.call('GET', `/dev/v1/channel/user/property/${APP_ID}/43/room1`)).body).toMatchObject({
      data: { role: 3, platform: 7 },
    });
    expect((await h.call('GET', `/dev/v1/channel/user/property/${APP_ID}/44/room1`)).body).toEqual({
      success: true,
      data: { in_channel: false },
    });
    await control('PUT', '/channels/call1/profile', { profile: 'communication' });
    await enter('call1', { uid: 42 });
    expect((await h.call('GET', `/dev/v1/channel/user/property/${APP_ID}/42/call1`)).body).toMatchObject({ data: { role: 1 } });
  });

  it.each(['abc', '0', '4294967296'])('refuses uid %s', async (uid) => {
    expect(await h.call('GET', `/dev/v1/channel/user/property/${APP_ID}/${uid}/room1`)).toEqual({
      status: 400,
      body: { message: 'invalid parameter: uid must be an integer from 1 to 4294967295' },
    });
  });
});

describe('the control API for channels', () => {
  it('a role change moves a user between hosts (publishers) and audience', async () => {
    await enter('room1', { uid: 5, role: 'audience' });
    expect(h.emulator.control.publishersIn('room1')).toEqual([]);
    expect((await control('POST', '/channels/room1/users/5/role', { role: 'host' })).status).toBe(200);
    expect(h.emulator.control.publishersIn('room1')).toEqual(['5']);
    // A publisher joining again as one is the host it already is.
    h.publish('room1', '5');
    expect((await control('GET', '/channels/room1')).body).toMatchObject({
      cname: 'room1',
      profile: 'live_broadcasting',
      users: [{ uid: '5', role: 'host', platform: 7, publishing: true, banned: [] }],
      publishers: ['5'],
    });
  });

  it('refuses what a channel profile does not allow, and unknown users', async () => {
    await enter('room1', { uid: 5 });
    expect(await control('PUT', '/channels/room1/profile', { profile: 'communication' })).toMatchObject({ status: 409 });
    await control('PUT', '/channels/call1/profile', { profile: 'communication' });
    expect(await enter('call1', { uid: 6, role: 'audience' })).toMatchObject({ status: 409 });
    await enter('call1', { uid: 6 });
    expect(await control('POST', '/channels/call1/users/6/role', { role: 'audience' })).toMatchObject({ status: 409 });
    expect(await control('DELETE', '/channels/room1/users/99')).toMatchObject({ status: 404 });
    expect(await enter('room1', { uid: 0 })).toMatchObject({ status: 400 });
    expect(await enter('room1', { uid: 7, ip: 'not-an-ip' })).toMatchObject({ status: 400 });
  });
});

describe('ban rules: create', () => {
  it.each([
    [{ appid: undefined }, 'invalid parameter: appid is required'],
    [{ privileges: undefined }, 'invalid parameter: privileges is required'],
    [{ privileges: [] }, 'invalid parameter: privileges must be a non-empty array'],
    [{ privileges: ['kick'] }, 'invalid parameter: privileges must hold only join_channel, publish_audio, publish_video'],
    [{ uid: 0 }, 'invalid parameter: uid must not be 0'],
    [{ uid: '42' }, 'invalid parameter: uid must be an integer from 1 to 4294967295'],
    [{ uid: 4294967296 }, 'invalid parameter: uid must be an integer from 1 to 4294967295'],
    [{ ip: '0' }, 'invalid parameter: ip must not be 0'],
    [{ ip: '300.1.1.1' }, 'invalid parameter: ip must be an IPv4 or IPv6 address'],
    [{ cname: 'a/b' }, "invalid parameter: cname must be 1 to 63 bytes of letters, digits and Agora's punctuation"],
    [{ cname: '', uid: undefined }, 'invalid parameter: set ip, cname, uid, or cname with uid'],
    [{ ip: '10.0.0.1' }, 'invalid parameter: ip goes alone: ip with cname or uid is not a defined rule'],
    [{ ip: '10.0.0.1', cname: '' }, 'invalid parameter: ip goes alone: ip with cname or uid is not a defined rule'],
    [{ time: 1.5 }, 'invalid parameter: time must be a whole number'],
    [{ time_in_seconds: '60' }, 'invalid parameter: time_in_seconds must be a whole number'],
  ])('refuses %j naming the field', async (change, message) => {
    const whole: Record<string, unknown> = { appid: APP_ID, cname: 'room1', uid: 42, privileges: ['join_channel'], ...change };
    const body = Object.fromEntries(Object.entries(whole).filter(([, value]) => value !== undefined));
    expect(await h.call('POST', RULES, body)).toEqual({ status: 400, body: { message } });
    expect((await h.call('GET', `${RULES}?appid=${APP_ID}`)).body).toEqual({ status: 'success', rules: [] });
  });

  it('refuses another App ID and a body that is not a JSON object', async () => {
    expect(await ban({ appid: '0123456789abcdef0123456789abcdef', uid: 1 })).toEqual({
      status: 400,
      body: { message: 'appid is invalid' },
    });
    const response = await fetch(`${h.emulator.url}${RULES}`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from('cust:secret').toString('base64')}` },
      body: '[1]',
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ message: 'invalid parameter: the body must be a JSON object' });
  });

  it.each([
    ['time 60', { time: 60 }, 3_600],
    ['time above 1440 is clamped to 1440 minutes', { time: 5_000 }, 86_400],
    ['time below 1 is clamped to 1 minute', { time: -3 }, 60],
    ['time_in_seconds below 10 is clamped to 10', { time_in_seconds: 5 }, 10],
    ['time_in_seconds above 86430 is clamped to 86430', { time_in_seconds: 100_000 }, 86_430],
    ['time_in_seconds wins over time', { time: 10, time_in_seconds: 30 }, 30],
    ['neither: 60 minutes', {}, 3_600],
  ])('%s', async (_name, duration, expectedSeconds) => {
    const now = h.clock.now();
    const created = await ban({ uid: 42, ...duration });
    expect(created).toEqual({ status: 200, body: { status: 'success', id: 1 } });
    expect((await h.call('GET', `${RULES}?appid=${APP_ID}`)).body).toEqual({
      status: 'success',
      rules: [
        {
          id: 1,
          appid: APP_ID,
          uid: 42,
          opid: 1,
          cname: '',
          ip: '',
          ts: iso(now + expectedSeconds * 1000),
          privileges: ['join_channel'],
          createAt: iso(now),
          updateAt: iso(now),
        },
      ],
    });
  });

  it('a duration of 0 takes the user offline without a rule: they may rejoin at once', async () => {
    await enter('room1', { uid: 42 });
    expect(await ban({ uid: 42, time: 0 })).toEqual({ status: 200, body: { status: 'success', id: 1 } });
    expect(await uidsIn('room1')).toEqual([]);
    expect((await h.call('GET', `${RULES}?appid=${APP_ID}`)).body).toEqual({ status: 'success', rules: [] });
    expect((await enter('room1', { uid: 42 })).status).toBe(200);
  });

  it('keeps the listed privileges once each, in Agora order', async () => {
    await ban({ uid: 42, privileges: ['publish_video', 'publish_audio', 'publish_video'] });
    const list = await h.call('GET', `${RULES}?appid=${APP_ID}`);
    expect((list.body.rules as { privileges: string[] }[])[0]!.privileges).toEqual(['publish_audio', 'publish_video']);
  });
});

describe('ban rules: targeting', () => {
  /** Three users: 42 in room1 from 10.0.0.1, 43 in room1 from 10.0.0.2, 42 in room2 from 10.0.0.2. */
  async function populate() {
    await enter('room1', { uid: 42, ip: '10.0.0.1' });
    await enter('room1', { uid: 43, ip: '10.0.0.2' });
    await enter('room2', { uid: 42, ip: '10.0.0.2' });
  }

  it.each<[string, Record<string, unknown>, { room1: string[]; room2: string[] }]>([
    ['ip alone: that address everywhere', { ip: '10.0.0.2' }, { room1: ['42'], room2: [] }],
    ['cname alone: everyone in that channel', { cname: 'room1' }, { room1: [], room2: ['42'] }],
    ['uid alone: that uid in every channel', { uid: 42 }, { room1: ['43'], room2: [] }],
    ['cname and uid: that uid in that channel', { cname: 'room1', uid: 42 }, { room1: ['43'], room2: ['42'] }],
  ])('join_channel, %s', async (_name, target, remaining) => {
    await populate();
    expect((await ban(target)).status).toBe(200);
    expect({ room1: await uidsIn('room1'), room2: await uidsIn('room2') }).toEqual(remaining);
    // And the same users cannot come back while the rule lasts.
    expect((await enter('room1', { uid: 42, ip: '10.0.0.1' })).status).toBe(remaining.room1.includes('42') ? 200 : 403);
    expect((await enter('room2', { uid: 42, ip: '10.0.0.2' })).status).toBe(remaining.room2.includes('42') ? 200 : 403);
  });

  it('publish bans: both kinds stop a host publishing for recordings; one kind does not', async () => {
    await populate();
    await ban({ cname: 'room1', uid: 42, privileges: ['publish_audio'] });
    expect(h.emulator.control.publishersIn('room1')).toEqual(['42', '43']);
    await ban({ cname: 'room1', uid: 42, privileges: ['publish_video'] });
    expect(h.emulator.control.publishersIn('room1')).toEqual(['43']);
    expect(await uidsIn('room1')).toEqual(['42', '43']);
    expect((await control('GET', '/channels/room1')).body).toMatchObject({
      users: [
        { uid: '42', publishing: false, banned: ['publish_audio', 'publish_video'] },
        { uid: '43', publishing: true },
      ],
    });
    expect(h.emulator.control.publishersIn('room2')).toEqual(['42']);
  });
});

describe('ban rules: update, delete, expiry', () => {
  it('update sets a new expiry counted from now; delete ends the rule', async () => {
    await ban({ uid: 42 });
    await h.clock.advance(60_000);
    const now = h.clock.now();
    expect(await h.call('PUT', RULES, { appid: APP_ID, id: 1, time_in_seconds: 120 })).toEqual({
      status: 200,
      body: { status: 'success', result: { id: 1, ts: iso(now + 120_000) } },
    });
    const listed = await h.call('GET', `${RULES}?appid=${APP_ID}`);
    expect(listed.body.rules).toMatchObject([{ id: 1, ts: iso(now + 120_000), updateAt: iso(now), opid: 2 }]);
    expect(await h.call('DELETE', RULES, { appid: APP_ID, id: 1 })).toEqual({ status: 200, body: { status: 'success', id: 1 } });
    expect((await h.call('GET', `${RULES}?appid=${APP_ID}`)).body).toEqual({ status: 'success', rules: [] });
    expect((await enter('room1', { uid: 42 })).status).toBe(200);
  });

  it.each([
    ['PUT', { appid: APP_ID, id: 9 }, 404, 'rule 9 not found'],
    ['DELETE', { appid: APP_ID, id: 9 }, 404, 'rule 9 not found'],
    ['PUT', { appid: APP_ID }, 400, 'invalid parameter: id is required'],
    ['DELETE', { appid: APP_ID, id: '1' }, 400, 'invalid parameter: id must be a whole number'],
    ['DELETE', { id: 1 }, 400, 'invalid parameter: appid is required'],
    ['PUT', { appid: APP_ID, id: 1, time: 'soon' }, 400, 'invalid parameter: time must be a whole number'],
  ])('%s %j answers %i', async (method, body, status, message) => {
    await ban({ uid: 42 });
    expect(await h.call(method, RULES, body)).toEqual({ status, body: { message } });
  });

  it('the list needs the App ID in the query', async () => {
    expect(await h.call('GET', RULES)).toEqual({ status: 400, body: { message: 'invalid parameter: appid is required' } });
  });

  it('a rule expires on the emulator clock: refused before, admitted after, gone from the list', async () => {
    await ban({ cname: 'room1', uid: 42, time_in_seconds: 10 });
    await h.clock.advance(9_999);
    expect(await enter('room1', { uid: 42 })).toMatchObject({ status: 403 });
    expect((await h.call('GET', `${RULES}?appid=${APP_ID}`)).body.rules).toHaveLength(1);
    await h.clock.advance(1);
    expect((await enter('room1', { uid: 42 })).status).toBe(200);
    expect((await h.call('GET', `${RULES}?appid=${APP_ID}`)).body).toEqual({ status: 'success', rules: [] });
  });

  it('a publish ban that runs out lets the host publish again', async () => {
    await enter('room1', { uid: 42 });
    await ban({ uid: 42, privileges: ['publish_audio', 'publish_video'], time_in_seconds: 10 });
    expect(h.emulator.control.publishersIn('room1')).toEqual([]);
    await h.clock.advance(10_000);
    expect(h.emulator.control.publishersIn('room1')).toEqual(['42']);
  });
});

describe('a kick', () => {
  it('removes a publisher: the recording sees them leave and idles out; a rejoin within the ban is refused', async () => {
    h.publish('room1', '42');
    const { sid } = await h.start('mix', h.requests.mix('room1', '527841', { recordingConfig: { channelType: 0, maxIdleTime: 5 } }));
    await h.clock.advance(10_000);
    expect(h.emulator.control.task(sid)).toMatchObject({ status: 5, active: true });

    expect(await ban({ cname: 'room1', uid: 42, time: 5 })).toMatchObject({ status: 200 });
    expect(await uidsIn('room1')).toEqual([]);
    expect(await control('GET', '/channels/room1/publishers')).toEqual({ status: 200, body: { cname: 'room1', publishers: [] } });
    expect((await h.call('GET', `/dev/v1/channel/user/property/${APP_ID}/42/room1`)).body).toEqual({
      success: true,
      data: { in_channel: false },
    });

    const refused = await control('POST', '/channels/room1/publishers', { uid: 42 });
    expect(refused.status).toBe(403);
    expect(refused.body.error).toMatch(/^banned by server: rule 1 bars uid 42 from room1 until /);
    expect((await enter('room1', { uid: 42 })).status).toBe(403);
    // Someone else may still join.
    expect((await enter('room1', { uid: 43, role: 'audience' })).status).toBe(200);

    await h.clock.advance(5_000);
    expect(h.emulator.control.task(sid)).toMatchObject({ active: false, endReason: 'idle' });
  });
  it('a Speech-to-Text agent hears the kicked host leave and idles out', async () => {
    h.publish('room1', '42');
    const joined = await h.call('POST', `/api/speech-to-text/v1/projects/${APP_ID}/join`, {
      name: 'captions',
      languages: ['en-US'],
      maxIdleTime: 5,
      rtcConfig: { channelName: 'room1', pubBotUid: '88222', pubBotToken: h.token('room1', '88222') },
    });
    expect(joined.status).toBe(200);
    await ban({ uid: 42 });
    await h.clock.advance(5_000);
    expect(h.emulator.control.agent(String(joined.body.agent_id))).toMatchObject({ status: 'STOPPED', endReason: 'idle' });
  });
});

describe('channel event notices', () => {
  it('are off until switched on, then signed, productId 1, one per change, ordered by clientSeq', async () => {
    const received = await h.receiveNotices();
    await enter('room0', { uid: 1 });
    await h.emulator.control.notifications.settle();
    expect(received).toEqual([]);

    expect(await control('POST', '/notifications/channel-events', { enabled: true })).toEqual({ status: 200, body: { enabled: true } });
    const t0 = h.clock.now();
    await enter('room1', { uid: 42, platform: 1 });
    await enter('room1', { uid: 43, role: 'audience', platform: 7 });
    await control('POST', '/channels/room1/users/43/role', { role: 'host' });
    await control('POST', '/channels/room1/users/43/role', { role: 'audience' });
    await h.clock.advance(30_000);
    await control('DELETE', '/channels/room1/users/43');
    await ban({ cname: 'room1', uid: 42 });
    await h.emulator.control.notifications.settle();

    expect(received.map((notice) => notice.eventType)).toEqual([101, 103, 105, 111, 112, 106, 104, 102]);
    expect(received.every((notice) => notice.signed && notice.productId === 1 && notice.sid === undefined)).toBe(true);
    const payloads = received.map((notice) => notice.payload);
    expect(payloads[0]).toEqual({ channelName: 'room1', ts: seconds(t0) });
    expect(payloads[1]).toEqual({
      channelName: 'room1',
      uid: 42,
      account: '42',
      platform: 1,
      clientSeq: expect.any(Number) as number,
      ts: seconds(t0),
    });
    expect(payloads[3]).toEqual({ channelName: 'room1', uid: 43, account: '43', clientSeq: expect.any(Number) as number, ts: seconds(t0) });
    expect(payloads[5]).toMatchObject({ uid: 43, reason: 1, duration: 30, ts: seconds(t0) + 30 });
    expect(payloads[6]).toMatchObject({ uid: 42, reason: 3, duration: 30 });
    expect(payloads[7]).toEqual({ channelName: 'room1', lastUid: 42, ts: seconds(t0) + 30 });
    const seqs = payloads.flatMap((payload) => (typeof payload.clientSeq === 'number' ? [payload.clientSeq] : []));
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(new Set(seqs).size).toBe(seqs.length);
  });

  it('a communication channel sends 107 and 108', async () => {
    const received = await h.receiveNotices();
    h.emulator.control.setChannelEvents(true);
    await control('PUT', '/channels/call1/profile', { profile: 'communication' });
    await enter('call1', { uid: 7 });
    await control('DELETE', '/channels/call1/users/7');
    await h.emulator.control.notifications.settle();
    expect(received.map((notice) => notice.eventType)).toEqual([101, 107, 108, 102]);
  });
});

describe('faults, chaos and failover', () => {
  it('a failover window carries out a ban create but loses its answer (504): the list shows the one rule', async () => {
    await enter('room1', { uid: 42 });
    await control('POST', '/failover', { ms: 10_000 });
    expect(await ban({ cname: 'room1', uid: 42 })).toEqual({ status: 504, body: { message: 'Gateway Time-out' } });
    expect(await h.call('GET', `${USERS}/room1`)).toMatchObject({ status: 504 });
    await h.clock.advance(10_000);
    const listed = await h.call('GET', `${RULES}?appid=${APP_ID}`);
    expect(listed.body.rules).toMatchObject([{ id: 1, cname: 'room1', uid: 42 }]);
    expect(await uidsIn('room1')).toEqual([]);
  });

  it('chaos answers 504 with no effect', async () => {
    await control('POST', '/chaos', { share: 1, seed: 1 });
    expect(await ban({ uid: 42 })).toEqual({ status: 504, body: { message: 'Gateway Time-out' } });
    expect(await h.call('GET', `/dev/v1/channel/${APP_ID}`)).toEqual({ status: 504, body: { message: 'Gateway Time-out' } });
    await control('POST', '/chaos', { share: 0 });
    expect((await h.call('GET', `${RULES}?appid=${APP_ID}`)).body).toEqual({ status: 'success', rules: [] });
  });

  it('injected faults answer per endpoint, and calls are counted by endpoint', async () => {
    expect(
      (await control('POST', '/faults', { endpoint: 'banList', times: 1, status: 500, body: { message: 'internal error' } })).status,
    ).toBe(200);
    expect(await h.call('GET', `${RULES}?appid=${APP_ID}`)).toEqual({ status: 500, body: { message: 'internal error' } });
    expect((await h.call('GET', `${RULES}?appid=${APP_ID}`)).status).toBe(200);
    await h.call('GET', `/dev/v1/channel/user/property/${APP_ID}/1/room1`);
    const counts = (await control('GET', '/requests')).body.counts as Record<string, number>;
    expect(counts).toMatchObject({ banList: 2, channelUser: 1 });
  });

  it('the rate limit applies to these endpoints too', async () => {
    const limited = await startHarness({ limits: { requestsPerSecond: 1 } });
    try {
      expect((await limited.call('GET', `/dev/v1/channel/${APP_ID}`)).status).toBe(200);
      expect(await limited.call('GET', `/dev/v1/channel/${APP_ID}`)).toEqual({ status: 429, body: { message: 'API rate limit exceeded' } });
    } finally {
      await limited.close();
    }
  });

  it('GET /v2/ncs/ip lists the notification addresses', async () => {
    expect(await h.call('GET', '/v2/ncs/ip')).toEqual({
      status: 200,
      body: { data: { service: { hosts: [{ primaryIP: '127.0.0.1' }] } } },
    });
  });
});
