import { createClient } from '@agora-backend/client';
import { createApiKeyAuth, createPostgresStore, hashApiKey } from '@agora-backend/server';
import { afterEach, describe, expect, it } from 'vitest';
import { catchServerError } from './helpers/errors.js';
import { DATABASE_URL, freshSchema } from './helpers/postgres.js';
import { startRecordingStack, type RecordingStack } from './helpers/recording-stack.js';

const schema = freshSchema('channels');
let stack: RecordingStack | undefined;
afterEach(async () => {
  await stack?.close(true);
  stack = undefined;
});

const KEYS = {
  admin: 'agk_admin_33333333333333333333333333333',
  moderator: 'agk_moderator_444444444444444444444444',
  recorder: 'agk_recorder_5555555555555555555555555',
};
const authenticator = createApiKeyAuth([
  { id: 'ops', hash: hashApiKey(KEYS.admin), scopes: ['admin'], channels: [] },
  { id: 'mod', hash: hashApiKey(KEYS.moderator), scopes: ['moderate'], channels: ['room-*'] },
  { id: 'rec', hash: hashApiKey(KEYS.recorder), scopes: ['record'], channels: ['*'] },
]);

const CHANNEL_ENDPOINTS = ['channelList', 'channelUsers', 'channelHosts', 'channelUser', 'banCreate', 'banList', 'banUpdate', 'banDelete'];
/** Channel management calls the emulator has answered so far. */
const upstreamCalls = (s: RecordingStack) => {
  const counts = s.emulator.control.requestCounts();
  return CHANNEL_ENDPOINTS.reduce((sum, endpoint) => sum + (counts[endpoint] ?? 0), 0);
};
const clientFor = (s: RecordingStack, key: string) => createClient({ url: s.app.url, auth: key });

describe('channel.* through the client, against the emulator', () => {
  it('channel.get agrees with the emulator, and channel.user tells role, platform and join time', async () => {
    stack = await startRecordingStack();
    const { control } = stack.emulator;
    expect(control.join('room-a', '11', { role: 'host', platform: 7 })).toEqual({ ok: true });
    expect(control.join('room-a', '12', { role: 'host', platform: 1 })).toEqual({ ok: true });
    expect(control.join('room-a', '13', { role: 'audience', platform: 2 })).toEqual({ ok: true });

    const got = await stack.client.channel.get.query({ channel: 'room-a' });
    const emulated = control.channel('room-a');
    const uidsOf = (role: string) => emulated.users.filter((user) => user.role === role).map((user) => Number(user.uid));
    expect(got).toEqual({
      channel: 'room-a',
      exists: true,
      profile: 'live',
      users: [],
      hosts: uidsOf('host'),
      audience: uidsOf('audience'),
      total: 3,
      hostCount: 2,
      audienceCount: 1,
      audienceTruncated: false,
      audienceListCap: 10_000,
    });
    expect(got.hosts).toEqual([11, 12]);
    expect(await stack.client.channel.get.query({ channel: 'room-empty' })).toMatchObject({ exists: false, profile: null, total: 0 });

    const user = await stack.client.channel.user.query({ channel: 'room-a', uid: 13 });
    const joined = emulated.users.find((item) => item.uid === '13')!.joinedAt;
    expect(user).toEqual({
      channel: 'room-a',
      uid: 13,
      inChannel: true,
      joinedAt: Math.floor(joined / 1000) * 1000,
      role: 'audience',
      platform: 'ios',
      platformCode: 2,
    });
    expect(await stack.client.channel.user.query({ channel: 'room-a', uid: 99 })).toMatchObject({ inChannel: false, role: null });

    const listed = await stack.client.channel.list.query({});
    expect(listed).toEqual({ items: [{ channel: 'room-a', userCount: 3 }], nextCursor: null });

    // A second read within the cache's moment costs Agora nothing.
    const before = stack.emulator.control.requestCounts().channelUsers ?? 0;
    await stack.client.channel.get.query({ channel: 'room-a' });
    expect(stack.emulator.control.requestCounts().channelUsers ?? 0).toBe(before);
  });

  it("channel.list pages through Agora's pages, and refuses a cursor it did not give", async () => {
    stack = await startRecordingStack();
    for (const name of ['room-p1', 'room-p2', 'room-p3']) stack.emulator.control.join(name, '1');
    const first = await stack.client.channel.list.query({ limit: 2 });
    expect(first).toEqual({
      items: [
        { channel: 'room-p1', userCount: 1 },
        { channel: 'room-p2', userCount: 1 },
      ],
      nextCursor: 'p1',
    });
    const second = await stack.client.channel.list.query({ limit: 2, cursor: first.nextCursor! });
    expect(second).toEqual({ items: [{ channel: 'room-p3', userCount: 1 }], nextCursor: null });
    const bad = await catchServerError(stack.client.channel.list.query({ cursor: 'page-two' }));
    expect(bad.data).toMatchObject({ code: 'BAD_REQUEST', appCode: 'VALIDATION' });
    expect(bad.data?.issues?.map((issue: { path: string }) => issue.path)).toEqual(['cursor']);
  });

  it('a kick removes the user, a rejoin within the ban is refused, the ban is kept with who made it and why, and unban lets them back', async () => {
    stack = await startRecordingStack();
    const { control } = stack.emulator;
    control.join('room-k', '21');
    control.join('room-k', '22');
    await stack.client.channel.get.query({ channel: 'room-k' });

    const ban = await stack.client.channel.kick.mutate({ channel: 'room-k', uid: 22, banSeconds: 120, reason: 'spam' });
    expect(ban).toMatchObject({ channel: 'room-k', uid: 22, ip: null, privileges: ['join_channel'], createdBy: 'local', reason: 'spam' });
    expect(stack.emulator.control.requestCounts().banCreate).toBe(1);
    expect(control.channel('room-k').users.map((user) => user.uid)).toEqual(['21']);
    const rejoin = control.join('room-k', '22');
    expect(rejoin).toMatchObject({ ok: false, status: 403 });
    // The kick forgot the cached answer: the next read shows the user gone.
    expect((await stack.client.channel.get.query({ channel: 'room-k' })).hosts).toEqual([21]);
    expect(await stack.client.channel.user.query({ channel: 'room-k', uid: 22 })).toMatchObject({ inChannel: false });

    const bans = await stack.client.channel.bans.query();
    expect(bans.items).toEqual([expect.objectContaining({ id: ban.id, channel: 'room-k', uid: 22, createdBy: 'local', reason: 'spam' })]);
    expect(await stack.store.bans.get(ban.id)).toMatchObject({
      channel: 'room-k',
      uid: 22,
      seconds: 120,
      createdBy: 'local',
      reason: 'spam',
    });

    const updated = await stack.client.channel.updateBan.mutate({ id: ban.id, seconds: 600 });
    expect(updated.id).toBe(ban.id);
    expect(Math.floor(control.banRules()[0]!.expiresAt / 1000) * 1000).toBe(updated.expiresAt);

    expect(await stack.client.channel.unban.mutate({ id: ban.id })).toEqual({ id: ban.id, removed: true });
    expect(control.banRules()).toEqual([]);
    expect(control.join('room-k', '22')).toEqual({ ok: true });
    const gone = await catchServerError(stack.client.channel.unban.mutate({ id: ban.id }));
    expect(gone.data).toMatchObject({ code: 'NOT_FOUND', appCode: 'BAN_NOT_FOUND' });
  });

  it('a ban Agora would clamp, or target outside its table, is a 400 naming the field, with no upstream call', async () => {
    stack = await startRecordingStack();
    const { channel } = stack.client;
    const cases: [() => Promise<unknown>, string][] = [
      [() => channel.ban.mutate({ channel: 'room-b', privileges: ['join'], seconds: 86_431 }), 'seconds'],
      [() => channel.ban.mutate({ channel: 'room-b', privileges: ['publishAudio'], seconds: 5 }), 'seconds'],
      [() => channel.kick.mutate({ channel: 'room-b', uid: 7, banSeconds: 90_000 }), 'banSeconds'],
      [() => channel.updateBan.mutate({ id: 1, seconds: 9 }), 'seconds'],
      [() => channel.ban.mutate({ ip: '10.0.0.1', uid: 7, privileges: ['join'], seconds: 60 }), 'target'],
      [() => channel.ban.mutate({ privileges: ['join'], seconds: 60 }), 'target'],
      [() => channel.ban.mutate({ channel: 'room-b', privileges: ['join', 'join'], seconds: 60 }), 'privileges'],
    ];
    for (const [call, field] of cases) {
      const error = await catchServerError(call());
      expect(error.data).toMatchObject({ code: 'BAD_REQUEST', httpStatus: 400, appCode: 'VALIDATION' });
      expect(error.data?.issues?.map((issue: { path: string }) => issue.path)).toEqual([field]);
    }
    const first = await catchServerError(stack.client.channel.ban.mutate({ channel: 'room-b', privileges: ['join'], seconds: 86_431 }));
    expect(first.message).toMatch(/seconds: must be 0 \(remove now, no ban\) or a whole number from 10 to 86430/);
    expect(upstreamCalls(stack)).toBe(0);
  });

  it('needs the moderate scope, and a caller sees and moderates only the channels its rules allow', async () => {
    stack = await startRecordingStack({ authenticator });
    const { control } = stack.emulator;
    control.join('room-1', '31');
    control.join('other', '32');
    const moderator = clientFor(stack, KEYS.moderator);
    const recorder = clientFor(stack, KEYS.recorder);
    const admin = clientFor(stack, KEYS.admin);

    for (const call of [
      () => recorder.channel.get.query({ channel: 'room-1' }),
      () => recorder.channel.list.query({}),
      () => recorder.channel.kick.mutate({ channel: 'room-1', uid: 31 }),
      () => recorder.channel.bans.query(),
    ]) {
      const error = await catchServerError(call());
      expect(error.data).toMatchObject({ code: 'FORBIDDEN', httpStatus: 403, appCode: 'FORBIDDEN' });
      expect(error.message).toMatch(/lacks the "moderate" scope/);
    }
    expect(upstreamCalls(stack)).toBe(0);

    for (const call of [
      () => moderator.channel.get.query({ channel: 'other' }),
      () => moderator.channel.user.query({ channel: 'other', uid: 32 }),
      () => moderator.channel.kick.mutate({ channel: 'other', uid: 32 }),
      () => moderator.channel.ban.mutate({ uid: 32, privileges: ['join'], seconds: 60 }),
    ]) {
      expect((await catchServerError(call())).data).toMatchObject({ code: 'FORBIDDEN', appCode: 'FORBIDDEN' });
    }
    expect(upstreamCalls(stack)).toBe(0);

    expect((await moderator.channel.list.query({})).items).toEqual([{ channel: 'room-1', userCount: 1 }]);
    expect((await admin.channel.list.query({})).items.map((item) => item.channel).sort()).toEqual(['other', 'room-1']);

    const adminBan = await admin.channel.kick.mutate({ channel: 'other', uid: 32 });
    expect(adminBan).toMatchObject({ createdBy: 'ops', channel: 'other' });
    expect(control.banRules()[0]!.expiresAt - control.banRules()[0]!.createdAt).toBe(60_000);
    const ownBan = await moderator.channel.kick.mutate({ channel: 'room-1', uid: 31, banSeconds: 0 });
    expect(ownBan).toMatchObject({ createdBy: 'mod', channel: 'room-1' });
    expect(control.channel('room-1').users).toEqual([]);
    // The moderator never learns of the admin's rule in another channel, nor may it lift it.
    expect((await moderator.channel.bans.query()).items.map((item) => item.id)).not.toContain(adminBan.id);
    expect((await admin.channel.bans.query()).items.map((item) => item.id)).toContain(adminBan.id);
    expect((await catchServerError(moderator.channel.unban.mutate({ id: adminBan.id }))).data).toMatchObject({ appCode: 'BAN_NOT_FOUND' });
    expect(control.banRules().map((rule) => rule.id)).toContain(adminBan.id);
  });

  it('REST: GET /api/v1/channels/{channel} and POST …/users/{uid}/kick', async () => {
    stack = await startRecordingStack({ authenticator });
    const { control } = stack.emulator;
    control.join('room-r', '41');
    control.join('room-r', '42', { role: 'audience' });
    const api = `${stack.app.baseUrl}/api/v1`;
    const headers = { authorization: `Bearer ${KEYS.moderator}`, 'content-type': 'application/json' };

    const read = await fetch(`${api}/channels/room-r`, { headers });
    expect(read.status).toBe(200);
    expect(await read.json()).toMatchObject({ channel: 'room-r', profile: 'live', hosts: [41], audience: [42], total: 2 });
    expect((await fetch(`${api}/channels/other`, { headers })).status).toBe(403);
    expect((await fetch(`${api}/channels/room-r`, { headers: { authorization: `Bearer ${KEYS.recorder}` } })).status).toBe(403);

    const user = await fetch(`${api}/channels/room-r/users/42`, { headers });
    expect(await user.json()).toMatchObject({ uid: 42, inChannel: true, role: 'audience' });

    const tooLong = await fetch(`${api}/channels/room-r/users/42/kick`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ banSeconds: 86_431 }),
    });
    expect(tooLong.status).toBe(400);
    expect(await tooLong.json()).toMatchObject({ appCode: 'VALIDATION', issues: [{ path: 'banSeconds' }] });
    expect(stack.emulator.control.requestCounts().banCreate ?? 0).toBe(0);

    const kicked = await fetch(`${api}/channels/room-r/users/42/kick`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ banSeconds: 30 }),
    });
    expect(kicked.status).toBe(200);
    expect(await kicked.json()).toMatchObject({ channel: 'room-r', uid: 42, createdBy: 'mod', privileges: ['join_channel'] });
    expect(stack.emulator.control.requestCounts().banCreate).toBe(1);
    expect(control.channel('room-r').users.map((item) => item.uid)).toEqual(['41']);
    expect(control.join('room-r', '42')).toMatchObject({ ok: false, status: 403 });
  });

  it('keeps bans in PostgreSQL too (migration 0006_channel_bans)', async () => {
    stack = await startRecordingStack({ store: await createPostgresStore({ url: DATABASE_URL, schema }) });
    stack.emulator.control.join('pg-room', '4000000001');
    const ban = await stack.client.channel.kick.mutate({ channel: 'pg-room', uid: 4_000_000_001, reason: 'pg' });
    expect(stack.emulator.control.channel('pg-room').users).toEqual([]);
    expect(await stack.store.bans.get(ban.id)).toMatchObject({
      id: ban.id,
      channel: 'pg-room',
      uid: 4_000_000_001,
      seconds: 60,
      reason: 'pg',
    });
    expect((await stack.client.channel.bans.query()).items).toEqual([
      expect.objectContaining({ id: ban.id, createdBy: 'local', reason: 'pg' }),
    ]);
    await stack.client.channel.unban.mutate({ id: ban.id });
    expect(await stack.store.bans.get(ban.id)).toMatchObject({ removedAt: expect.any(Number) as number });
  });
});

describe('moderation end to end, through the server', () => {
  it('a ban create whose answer is lost (a 504 after Agora made it) leaves one rule in Agora and one ban in the registry', async () => {
    stack = await startRecordingStack();
    const { control } = stack.emulator;
    control.join('room-lost', '51');
    // Agora carries every channel management call out but loses its answer (504) until the window ends.
    control.failover(60_000);
    const banning = stack.client.channel.ban.mutate({ channel: 'room-lost', uid: 51, privileges: ['join'], seconds: 300, reason: 'lost' });
    // The rule is made at once; the server lists the rules to learn its id, and the listing answers once the window ends.
    await expect.poll(() => control.banRules().length, { timeout: 10_000 }).toBe(1);
    await stack.agoraClock.advance(60_000);
    const ban = await banning;
    expect(control.requestCounts().banCreate).toBe(1);
    expect(control.banRules().map((rule) => rule.id)).toEqual([ban.id]);
    expect(ban).toMatchObject({ channel: 'room-lost', uid: 51, createdBy: 'local', reason: 'lost' });
    const kept = await stack.store.bans.many(Array.from({ length: 20 }, (_, index) => index + 1));
    expect(kept.map((record) => [record.id, record.reason])).toEqual([[ban.id, 'lost']]);
    expect(control.channel('room-lost').users).toEqual([]);
  });

  it('a kick of a uid that is not in the channel is USER_NOT_IN_CHANNEL (404) on tRPC and REST, and makes no ban', async () => {
    stack = await startRecordingStack();
    const { control } = stack.emulator;
    control.join('room-absent', '61');
    const error = await catchServerError(stack.client.channel.kick.mutate({ channel: 'room-absent', uid: 62, banSeconds: 600 }));
    expect(error.data).toMatchObject({ code: 'NOT_FOUND', httpStatus: 404, appCode: 'USER_NOT_IN_CHANNEL' });
    expect(error.message).toBe(
      'uid 62 is not in channel "room-absent": nothing was done and no ban was made (channel.ban keeps someone out who is not there)',
    );
    const rest = await fetch(`${stack.app.baseUrl}/api/v1/channels/room-absent/users/62/kick`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({}),
    });
    expect(rest.status).toBe(404);
    expect(await rest.json()).toMatchObject({ appCode: 'USER_NOT_IN_CHANNEL', message: error.message });
    expect(control.requestCounts().banCreate ?? 0).toBe(0);
    expect(control.banRules()).toEqual([]);
    // Keeping someone absent out is what channel.ban is for; they cannot join while it lasts.
    await stack.client.channel.ban.mutate({ channel: 'room-absent', uid: 62, privileges: ['join'], seconds: 600 });
    expect(control.join('room-absent', '62')).toMatchObject({ ok: false, status: 403 });
  });

  it('a kick goes ahead when Agora cannot say whether the user is there', async () => {
    stack = await startRecordingStack();
    const { control } = stack.emulator;
    control.join('room-unsure', '71');
    control.injectFault({ endpoint: 'channelUser', times: 1, status: 403, body: { message: 'Forbidden' } });
    const ban = await stack.client.channel.kick.mutate({ channel: 'room-unsure', uid: 71 });
    expect(ban).toMatchObject({ channel: 'room-unsure', uid: 71 });
    expect(control.channel('room-unsure').users).toEqual([]);
    expect(stack.logs.some((line) => line.includes('kicking anyway'))).toBe(true);
  });

  it("REST refuses a ban past Agora's range with a 400 naming the field, as tRPC does", async () => {
    stack = await startRecordingStack();
    const api = `${stack.app.baseUrl}/api/v1`;
    const headers = { 'content-type': 'application/json' };
    const rest = await fetch(`${api}/bans`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ channel: 'room-b', uid: 5, privileges: ['join'], seconds: 86_431 }),
    });
    expect(rest.status).toBe(400);
    const body = (await rest.json()) as { appCode: string; message: string; issues: { path: string }[] };
    const trpc = await catchServerError(
      stack.client.channel.ban.mutate({ channel: 'room-b', uid: 5, privileges: ['join'], seconds: 86_431 }),
    );
    expect(body).toMatchObject({ appCode: 'VALIDATION', issues: [{ path: 'seconds' }], message: trpc.message });
    expect(upstreamCalls(stack)).toBe(0);
  });
});

describe('a start in a channel where nobody publishes answers with a warning', () => {
  it('recording.start: CHANNEL_EMPTY with nobody there, none with a publisher, on tRPC and REST', async () => {
    stack = await startRecordingStack();
    const { control } = stack.emulator;
    const empty = await stack.client.recording.start.mutate({ channel: 'warn-empty' });
    expect(empty.sid).toBeTruthy();
    expect(empty.warnings).toEqual([
      {
        code: 'CHANNEL_EMPTY',
        message:
          'nobody is publishing in channel "warn-empty" yet: the recording writes nothing until someone does, and a stop before then ends with Agora\'s 435 (no recorded data)',
      },
    ]);
    // An audience member publishes nothing.
    control.join('warn-audience', '81', { role: 'audience' });
    expect((await stack.client.recording.start.mutate({ channel: 'warn-audience' })).warnings.map((w) => w.code)).toEqual([
      'CHANNEL_EMPTY',
    ]);

    control.join('warn-full', '82');
    expect((await stack.client.recording.start.mutate({ channel: 'warn-full' })).warnings).toEqual([]);

    const rest = await fetch(`${stack.app.baseUrl}/api/v1/recordings`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ channel: 'warn-rest' }),
    });
    expect(rest.status).toBe(201);
    expect(await rest.json()).toMatchObject({ channel: 'warn-rest', warnings: [{ code: 'CHANNEL_EMPTY' }] });
    // The OpenAPI document is generated from the same schema: the answer's warnings and their codes are in it.
    const openapi = JSON.stringify(await (await fetch(`${stack.app.baseUrl}/openapi.json`)).json());
    expect(openapi).toContain('"warnings"');
    expect(openapi).toContain('"CHANNEL_EMPTY"');
  });

  it('transcription.start: CHANNEL_EMPTY with nobody there, none with a publisher', async () => {
    stack = await startRecordingStack();
    const empty = await stack.client.transcription.start.mutate({ channel: 'stt-empty', languages: ['en-US'] });
    expect(empty.warnings).toEqual([
      {
        code: 'CHANNEL_EMPTY',
        message: 'nobody is publishing in channel "stt-empty" yet: there is nothing to transcribe until someone does',
      },
    ]);
    stack.emulator.control.join('stt-full', '91');
    expect((await stack.client.transcription.start.mutate({ channel: 'stt-full', languages: ['en-US'] })).warnings).toEqual([]);
  });

  it('a failed channel query never fails the start: no warning, and the log says why', async () => {
    stack = await startRecordingStack();
    const { control } = stack.emulator;
    control.injectFault({ endpoint: 'channelUsers', times: 1, status: 403, body: { message: 'Forbidden' } });
    const started = await stack.client.recording.start.mutate({ channel: 'warn-broken' });
    expect(started).toMatchObject({ channel: 'warn-broken', warnings: [] });
    expect(started.sid).toBeTruthy();
    expect(control.requestCounts().channelUsers).toBe(1);
    expect(stack.logs.some((line) => line.includes('could not learn who publishes in the channel'))).toBe(true);
    expect(control.requestCounts().start).toBe(1);
  });
});
