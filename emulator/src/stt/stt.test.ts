import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { APP_ID, AUTH, STORAGE, startHarness, type Harness } from '../test-support.js';

/**
 * Speech-to-Text 7.x as Agora's published OpenAPI description states it, over HTTP: paths,
 * bodies, `{reason, detail}` errors, states, idle exit, the 72-hour lifetime, captions, notices.
 */

const S = `/api/speech-to-text/v1/projects/${APP_ID}`;
let h: Harness;

beforeEach(async () => {
  h = await startHarness();
});
afterEach(() => h.close());

function joinBody(overrides: Record<string, unknown> = {}, rtc: Record<string, unknown> = {}) {
  const channelName = (rtc.channelName as string | undefined) ?? 'room1';
  const pubBotUid = (rtc.pubBotUid as string | undefined) ?? '88222';
  return {
    name: 'task-1',
    languages: ['en-US'],
    rtcConfig: { channelName, pubBotUid, pubBotToken: h.token(channelName, pubBotUid), ...rtc },
    ...overrides,
  };
}

async function joinAgent(overrides: Record<string, unknown> = {}, rtc: Record<string, unknown> = {}) {
  const reply = await h.call('POST', `${S}/join`, joinBody(overrides, rtc));
  expect(reply.status, JSON.stringify(reply.body)).toBe(200);
  return String(reply.body.agent_id);
}

describe('join', () => {
  it('starts an agent: STARTING, then RUNNING, with its id and creation time', async () => {
    const reply = await h.call('POST', `${S}/join`, joinBody());
    expect(reply).toMatchObject({ status: 200, body: { status: 'STARTING', create_ts: Math.floor(h.clock.now() / 1000) } });
    const agentId = String(reply.body.agent_id);
    expect(agentId).toMatch(/^[A-Z0-9]{26}$/);
    await h.clock.advance(1_000);
    expect(await h.call('GET', `${S}/agents/${agentId}`)).toMatchObject({
      status: 200,
      body: { agent_id: agentId, status: 'RUNNING', message: 'OK' },
    });
  });

  it.each([
    [{ languages: [] }, 'languages must name at least one language'],
    [{ languages: ['en-US', 'fr-FR', 'de-DE', 'es-ES', 'ja-JP'] }, 'languages holds at most 4 languages'],
    [{ name: 'x'.repeat(65) }, 'name must be at most 64 characters'],
    [{ maxIdleTime: 259_201 }, 'maxIdleTime must be from 0 to 259200'],
    [
      { translateConfig: { languages: [{ source: 'en-US', target: ['en-US'] }] } },
      'translateConfig.languages.0.target target must differ from a single source language',
    ],
    [{ captionConfig: { sliceDuration: 4, storage: { ...STORAGE } } }, 'captionConfig.sliceDuration must be from 5 to 28800'],
    [{ captionConfig: { storage: { bucket: 'b', vendor: 1, region: 0, secretKey: 'sk' } } }, 'captionConfig.storage.accesskey is required'],
    [{ captionConfig: { storage: { ...STORAGE, vendor: 4 } } }, 'captionConfig.storage.vendor must be one of 1, 2, 3, 5, 6, 7, 8, 11'],
    [
      { captionConfig: { storage: { ...STORAGE, vendor: 11 } } },
      'extensionParams.endpoint is required when captionConfig.storage.vendor is 11',
    ],
    [{ extensionParams: { sse: 'des' } }, 'extensionParams.sse must be aes256 or kms'],
    [
      { captionConfig: { storage: { ...STORAGE }, extensionParams: { sse: 'AES256' } } },
      'captionConfig.extensionParams.sse must be aes256 or kms',
    ],
  ])('refuses %j naming the field', async (overrides, detail) => {
    const reply = await h.call('POST', `${S}/join`, joinBody(overrides));
    expect(reply).toEqual({ status: 400, body: { reason: 'invalid parameter', detail } });
  });

  it.each([7, 8])('refuses cryptionMode %i without a salt, and takes it with one', async (cryptionMode) => {
    const refused = await h.call('POST', `${S}/join`, joinBody({}, { cryptionMode, secret: 'shared-secret' }));
    expect(refused).toEqual({
      status: 400,
      body: { reason: 'invalid parameter', detail: 'rtcConfig.salt is required when cryptionMode is 7 or 8' },
    });
    const salt = Buffer.alloc(32, 7).toString('base64');
    expect(await h.call('POST', `${S}/join`, joinBody({}, { cryptionMode, secret: 'shared-secret', salt }))).toMatchObject({ status: 200 });
  });

  it('takes S3-compatible storage with its endpoint, at the top level or inside captionConfig', async () => {
    const endpoint = 'https://s3.example.test';
    expect(
      await h.call(
        'POST',
        `${S}/join`,
        joinBody({ captionConfig: { storage: { ...STORAGE, vendor: 11 } }, extensionParams: { endpoint, sse: 'kms' } }),
      ),
    ).toMatchObject({ status: 200 });
    expect(
      await h.call(
        'POST',
        `${S}/join`,
        joinBody(
          { name: 'nested', captionConfig: { storage: { ...STORAGE, vendor: 11 }, extensionParams: { endpoint } } },
          { pubBotUid: '6' },
        ),
      ),
    ).toMatchObject({ status: 200 });
  });

  it('needs a bot token signed for the channel and the bot uid', async () => {
    const reply = await h.call('POST', `${S}/join`, joinBody({}, { pubBotToken: h.token('room1', '1') }));
    expect(reply).toEqual({
      status: 400,
      body: { reason: 'invalid token', detail: 'rtcConfig.pubBotToken: invalid token: issued for another uid' },
    });
  });

  it('runs one task per channel per name, and one user per uid', async () => {
    await joinAgent();
    expect(await h.call('POST', `${S}/join`, joinBody({}, { pubBotUid: '5' }))).toMatchObject({
      status: 409,
      body: { reason: 'task conflict' },
    });
    h.publish('room1', '77');
    expect(await h.call('POST', `${S}/join`, joinBody({ name: 'other' }, { pubBotUid: '77' }))).toMatchObject({
      status: 409,
      body: { reason: 'uid conflict' },
    });
    // Another channel may use the same name.
    await joinAgent({}, { channelName: 'room2' });
  });

  it('answers the gateway errors first: credentials, App ID', async () => {
    const noAuth = await fetch(`${h.emulator.url}${S}/join`, { method: 'POST', body: '{}' });
    expect(noAuth.status).toBe(401);
    const wrongApp = await h.call('POST', `/api/speech-to-text/v1/projects/nope/join`, joinBody());
    expect(wrongApp).toEqual({ status: 400, body: { message: 'appid is invalid' } });
    const badJson = await fetch(`${h.emulator.url}${S}/join`, { method: 'POST', headers: { authorization: AUTH }, body: '{"name":' });
    expect(await badJson.json()).toEqual({ reason: 'invalid parameter', detail: 'the body must be a JSON object' });
  });
});

describe('the agent over time', () => {
  it('leaves after maxIdleTime with nobody in the channel; 0 turns that off, but not the 72-hour lifetime', async () => {
    const idle = await joinAgent({ maxIdleTime: 10 });
    const forever = await joinAgent({ name: 'forever', maxIdleTime: 0 }, { pubBotUid: '9' });
    await h.clock.advance(10_000);
    expect((await h.call('GET', `${S}/agents/${idle}`)).body).toMatchObject({ status: 'STOPPED' });
    expect(h.emulator.control.agent(idle)).toMatchObject({ endReason: 'idle' });
    await h.clock.advance(259_200_000 - 10_000 - 1);
    expect((await h.call('GET', `${S}/agents/${forever}`)).body).toMatchObject({ status: 'RUNNING' });
    await h.clock.advance(1);
    expect(h.emulator.control.agent(forever)).toMatchObject({ status: 'STOPPED', endReason: 'lifetime' });
  });

  it('keeps an agent with someone publishing, and counts idle time from when they leave', async () => {
    h.publish('room1', '100');
    const agentId = await joinAgent({ maxIdleTime: 10 });
    await h.clock.advance(60_000);
    expect(h.emulator.control.agent(agentId)).toMatchObject({ status: 'RUNNING' });
    h.emulator.control.leave('room1', '100');
    await h.clock.advance(9_999);
    expect(h.emulator.control.agent(agentId)).toMatchObject({ status: 'RUNNING' });
    await h.clock.advance(1);
    expect(h.emulator.control.agent(agentId)).toMatchObject({ status: 'STOPPED', endReason: 'idle' });
  });

  it('leave stops it (and again changes nothing); an unknown agent is 404; ended agents are gone after a while', async () => {
    const agentId = await joinAgent();
    expect(await h.call('POST', `${S}/agents/${agentId}/leave`)).toEqual({ status: 200, body: {} });
    expect((await h.call('GET', `${S}/agents/${agentId}`)).body).toMatchObject({ status: 'STOPPED' });
    expect(await h.call('POST', `${S}/agents/${agentId}/leave`)).toEqual({ status: 200, body: {} });
    expect(await h.call('GET', `${S}/agents/NOPE`)).toEqual({
      status: 404,
      body: { message: 'agent not found', agent_id: 'NOPE', create_ts: null, status: 'FAILED' },
    });
    await h.clock.advance(10 * 60_000);
    expect((await h.call('GET', `${S}/agents/${agentId}`)).status).toBe(404);
    expect(await h.call('POST', `${S}/agents/${agentId}/leave`)).toMatchObject({ status: 404, body: { reason: 'not found' } });
  });

  it('answers 404 for a live agent during a failover window', async () => {
    const agentId = await joinAgent();
    h.emulator.control.failover(5_000);
    expect((await h.call('GET', `${S}/agents/${agentId}`)).status).toBe(404);
    expect((await h.call('POST', `${S}/agents/${agentId}/leave`)).status).toBe(404);
    await h.clock.advance(5_000);
    expect((await h.call('GET', `${S}/agents/${agentId}`)).body).toMatchObject({ status: 'RUNNING' });
  });

  it('fails through the control API with the reason Agora would give', async () => {
    const agentId = await joinAgent();
    const failed = await fetch(`${h.emulator.url}/_emulator/agents/${agentId}/fail`, {
      method: 'POST',
      body: JSON.stringify({ reason: 'translation' }),
    });
    expect(failed.status).toBe(200);
    expect((await h.call('GET', `${S}/agents/${agentId}`)).body).toMatchObject({ status: 'FAILED' });
    expect(h.emulator.control.agent(agentId)).toMatchObject({ endReason: 'translation' });
  });
});

describe('update', () => {
  it('needs a growing sequenceId and an updateMask naming what changes', async () => {
    const agentId = await joinAgent();
    const path = (query: string) => `${S}/agents/${agentId}/update${query}`;
    expect(await h.call('POST', path(''), { languages: ['fr-FR'] })).toMatchObject({
      status: 400,
      body: { detail: 'sequenceId is required: a whole number from 0' },
    });
    expect(await h.call('POST', path('?sequenceId=1'), { languages: ['fr-FR'] })).toMatchObject({
      status: 400,
      body: { detail: expect.stringContaining('updateMask is required') as unknown },
    });
    expect(await h.call('POST', path('?sequenceId=1&updateMask=name'), {})).toMatchObject({
      status: 400,
      body: { detail: 'updateMask names name, which cannot be updated' },
    });
    expect(
      await h.call('POST', path('?sequenceId=5&updateMask=languages,rtcConfig.subscribeAudioUids'), {
        languages: ['fr-FR'],
        rtcConfig: { subscribeAudioUids: ['7'] },
      }),
    ).toMatchObject({ status: 200, body: { agent_id: agentId } });
    expect(h.emulator.control.agent(agentId)).toMatchObject({ languages: ['fr-FR'], subscribeAudioUids: ['7'] });
    expect(await h.call('POST', path('?sequenceId=5&updateMask=languages'), { languages: ['de-DE'] })).toMatchObject({
      status: 400,
      body: { detail: "sequenceId must be greater than the previous update's (5)" },
    });
    await h.call('POST', path('?sequenceId=6&updateMask=rtcConfig.subscribeAudioUids'), { rtcConfig: { subscribeAudioUids: ['all'] } });
    expect(h.emulator.control.agent(agentId)!.subscribeAudioUids).toBeUndefined();
  });
});

describe('list', () => {
  it('filters by channel and state (one digit, RUNNING by default) and pages with the last agent id as cursor', async () => {
    const ids: string[] = [];
    for (const [name, uid] of [
      ['a', '1'],
      ['b', '2'],
      ['c', '3'],
    ] as const) {
      ids.push(await joinAgent({ name }, { pubBotUid: uid }));
      await h.clock.advance(1_000); // one creation time each: the list is ordered by it
    }
    await joinAgent({ name: 'x' }, { channelName: 'elsewhere' });
    await h.call('POST', `${S}/agents/${ids[2]}/leave`);
    const first = await h.call('GET', `${S}/agents?channel=room1&limit=1`);
    expect(first.body).toMatchObject({
      data: { count: 1, list: [{ agent_id: ids[0], status: 'RUNNING' }] },
      meta: { cursor: ids[0], total: 2 },
      status: 'ok',
    });
    const second = await h.call('GET', `${S}/agents?channel=room1&limit=1&cursor=${ids[0]}`);
    expect(second.body).toMatchObject({ data: { list: [{ agent_id: ids[1] }] }, meta: { cursor: '', total: 2 } });
    expect((await h.call('GET', `${S}/agents?channel=room1&state=4`)).body).toMatchObject({
      data: { list: [{ agent_id: ids[2], status: 'STOPPED' }] },
    });
    expect(await h.call('GET', `${S}/agents?state=RUNNING`)).toMatchObject({
      status: 400,
      body: { detail: 'state must be one digit from 0 to 6' },
    });
  });
});

describe('captions', () => {
  it('writes WebVTT slices and playlists per language from speech, to the bucket, for the agent’s life', async () => {
    h.publish('room1', '100');
    const agentId = await joinAgent({
      translateConfig: { languages: [{ source: 'en-US', target: ['fr-FR'] }] },
      captionConfig: { sliceDuration: 10, storage: { ...STORAGE, fileNamePrefix: ['captions', 'one'] } },
      maxIdleTime: 30,
    });
    await h.clock.advance(1_000);
    const spoken = await fetch(`${h.emulator.url}/_emulator/channels/room1/speech`, {
      method: 'POST',
      body: JSON.stringify({ uid: 100, text: 'good morning', durationMs: 1500 }),
    });
    expect(await spoken.json()).toEqual({ heardBy: [agentId] });
    await h.clock.advance(11_000);
    h.emulator.control.speak('room1', { uid: '100', text: 'second slice', durationMs: 1000 });
    await h.call('POST', `${S}/agents/${agentId}/leave`);
    await h.emulator.control.flushStorage();
    const folder = join(h.storageDir, STORAGE.bucket, 'captions', 'one');
    const files = (await readdir(folder)).sort();
    expect(files.filter((name) => name.endsWith('.m3u8'))).toEqual([`${agentId}_room1.m3u8`, `fr-FR_${agentId}_room1.m3u8`]);
    expect(files.filter((name) => name.endsWith('.vtt'))).toHaveLength(4);
    const playlist = await readFile(join(folder, `${agentId}_room1.m3u8`), 'utf8');
    expect(playlist).toContain('#EXT-X-ENDLIST');
    const slices = playlist.split('\n').filter((line) => line.endsWith('.vtt'));
    expect(slices).toHaveLength(2);
    expect(await readFile(join(folder, slices[0]!), 'utf8')).toContain('00:00:01.000 --> 00:00:02.500\n<v 100>good morning');
    expect(await readFile(join(folder, slices[1]!), 'utf8')).toContain('00:00:12.000 --> 00:00:13.000\n<v 100>second slice');
    const french = await readFile(join(folder, `fr-FR_${agentId}_room1.m3u8`), 'utf8');
    const frenchSlice = french.split('\n').find((line) => line.endsWith('.vtt'))!;
    expect(await readFile(join(folder, frenchSlice), 'utf8')).toContain('[fr-FR] good morning');
  });

  it('hears only the speakers it subscribes to', async () => {
    const agentId = await joinAgent({}, { subscribeAudioUids: ['7'] });
    await h.clock.advance(1_000);
    expect(h.emulator.control.speak('room1', { uid: '8', text: 'not me', durationMs: 500 })).toEqual([]);
    expect(h.emulator.control.speak('room1', { uid: '7', text: 'me', durationMs: 500 })).toEqual([agentId]);
  });
});

describe('notifications (productId 20)', () => {
  it('sends 101 on join, 200 once per playlist, 102 with the reason on leave, 201 after the last upload', async () => {
    const received = await h.receiveNotices('s');
    const agentId = await joinAgent({ maxIdleTime: 5, captionConfig: { storage: { ...STORAGE } } });
    await h.emulator.control.flushStorage();
    await h.clock.advance(5_000);
    await h.emulator.control.flushStorage();
    await h.emulator.control.notifications.settle();
    expect(received.every((notice) => notice.productId === 20 && notice.sid === agentId && notice.signed)).toBe(true);
    expect(received.map((notice) => notice.eventType)).toEqual([101, 200, 102, 201]);
    expect(received[2]!.payload).toMatchObject({ agent_id: agentId, channel: 'room1', status: 'STOPPED', message: 'Idle for too long' });
    expect(received[1]!.payload).toMatchObject({ file_name: `${agentId}_room1.m3u8` });
  });
});
