import { afterEach, describe, expect, it } from 'vitest';
import { unlimitedBudget } from '@agora-backend/server';
import { createFakeClock } from '@agora-backend/server/testing';
import { catchServerError } from './helpers/errors.js';
import { CUSTOMER_SECRET, STORAGE, startRecordingStack, type RecordingStack } from './helpers/recording-stack.js';
import { TEST_APP_CERTIFICATE } from './helpers/server.js';
import { readToken } from './helpers/token-verifier.js';

let stack: RecordingStack | undefined;
afterEach(async () => {
  await stack?.close(true);
  stack = undefined;
});

const counts = (s: RecordingStack) => s.emulator.control.requestCounts();

describe('recording.start / query / stop, end to end', () => {
  it.each(['mix', 'individual', 'web'] as const)('records in %s mode', async (mode) => {
    stack = await startRecordingStack();
    stack.emulator.control.join('room1', '100');
    const started = await stack.client.recording.start.mutate({
      channel: 'room1',
      mode,
      ...(mode === 'web' ? { pageUrl: 'https://example.com/show' } : {}),
      ...(mode === 'mix' ? { fileTypes: ['hls', 'mp4'] } : {}),
    });
    expect(started).toMatchObject({ channel: 'room1', mode, state: 'starting', maxDurationSeconds: 3600 });
    expect(Number(started.uid)).toBeGreaterThanOrEqual(4_000_000_000);
    expect(started.startedAt).toBeInstanceOf(Date);
    expect(stack.emulator.control.task(started.sid)).toMatchObject({ active: true, mode, uid: started.uid });

    const queried = await stack.client.recording.query.query({ id: started.id });
    expect(queried).toMatchObject({ id: started.id, state: 'recording', agoraStatus: 5 });
    expect(queried.files.length).toBeGreaterThan(0);
    expect(queried.files[0]!.fileName.startsWith(started.sid)).toBe(true);

    const stopped = await stack.client.recording.stop.mutate({ id: started.id });
    expect(stopped).toMatchObject({ id: started.id, state: 'stopped', alreadyStopped: false, uploadingStatus: 'uploaded' });
    expect(stopped.files.length).toBeGreaterThan(0);
    expect(stack.emulator.control.task(started.sid)).toMatchObject({ active: false, endReason: 'stopped' });
    const stored = await stack.client.recording.get.query({ id: started.id });
    expect(stored).toMatchObject({ state: 'stopped', sid: started.sid, fileNamePrefix: `recordings/${started.id}` });
    expect(stored.stoppedAt).toBeInstanceOf(Date);
  });

  it("accepts the tutorial's bodies: { uid, channel }, { resourceId, sid }, { uid, channel, resourceId, sid }", async () => {
    stack = await startRecordingStack();
    stack.emulator.control.join('tutorial', '7');
    const started = await stack.client.recording.start.mutate({ uid: '1234', channel: 'tutorial' });
    expect(started).toMatchObject({ uid: '1234', mode: 'mix' });
    const queried = await stack.client.recording.query.query({ resourceId: started.resourceId, sid: started.sid });
    expect(queried.id).toBe(started.id);
    const stopped = await stack.client.recording.stop.mutate({
      uid: '1234',
      channel: 'tutorial',
      resourceId: started.resourceId,
      sid: started.sid,
    });
    expect(stopped).toMatchObject({ id: started.id, state: 'stopped' });
  });

  it('writes the files to the bucket under a per-recording prefix', async () => {
    stack = await startRecordingStack();
    stack.emulator.control.join('room1', '100');
    const started = await stack.client.recording.start.mutate({ channel: 'room1' });
    await stack.client.recording.stop.mutate({ id: started.id });
    const { readdir } = await import('node:fs/promises');
    const files = await readdir(`${stack.storageDir}/${STORAGE.bucket}/recordings/${started.id}`);
    expect(files).toContain(`${started.sid}_room1.m3u8`);
  });
});

describe('recorder uids', () => {
  it('gives two concurrent recordings of one channel different uids', async () => {
    stack = await startRecordingStack();
    const [a, b] = await Promise.all([
      stack.client.recording.start.mutate({ channel: 'shared' }),
      stack.client.recording.start.mutate({ channel: 'shared' }),
    ]);
    expect(a.uid).not.toBe(b.uid);
    expect(stack.emulator.control.tasks().filter((task) => task.active)).toHaveLength(2);
  });

  it('refuses a uid an active recording of the channel uses, before any Agora call', async () => {
    stack = await startRecordingStack();
    await stack.client.recording.start.mutate({ channel: 'room1', uid: 555 });
    stack.emulator.control.clearRequests();
    const error = await catchServerError(stack.client.recording.start.mutate({ channel: 'room1', uid: '555' }));
    expect(error.data).toMatchObject({ code: 'CONFLICT', httpStatus: 409, appCode: 'UID_CONFLICT' });
    expect(error.message).toContain('uid 555 is already recording channel "room1"');
    expect(counts(stack)).toEqual({});
    // Another channel may use it.
    expect((await stack.client.recording.start.mutate({ channel: 'room2', uid: 555 })).uid).toBe('555');
  });

  it('fills a small RECORDER_UID range from the registry after a collision, then refuses when it is full', async () => {
    // Two uids: random picks collide often, which is when the server reads the channel's active uids.
    stack = await startRecordingStack({ uidRange: { min: 1_000, max: 1_001 } });
    const first = await stack.client.recording.start.mutate({ channel: 'small' });
    const second = await stack.client.recording.start.mutate({ channel: 'small' });
    expect(new Set([first.uid, second.uid])).toEqual(new Set(['1000', '1001']));
    stack.emulator.control.clearRequests();
    const error = await catchServerError(stack.client.recording.start.mutate({ channel: 'small' }));
    expect(error.data).toMatchObject({ code: 'CONFLICT', appCode: 'UID_CONFLICT' });
    expect(error.message).toContain('no free recorder uid');
    expect(counts(stack)).toEqual({});
    // The failed attempts left no row behind: exactly the two recordings are active.
    expect((await stack.store.recordings.activeUids('small')).size).toBe(2);
    await stack.client.recording.stop.mutate({ id: first.id });
    expect((await stack.client.recording.start.mutate({ channel: 'small' })).uid).toBe(first.uid);
  });

  it('gives the recorder a token that outlives the longest recording', async () => {
    stack = await startRecordingStack();
    const started = await stack.client.recording.start.mutate({ channel: 'room1', maxDurationSeconds: 7_200 });
    const sent = stack.starts[0]!;
    expect(sent.mode).toBe('mix');
    const token = sent.mode === 'mix' ? sent.clientRequest.token! : '';
    const decoded = readToken(token, TEST_APP_CERTIFICATE);
    expect(decoded.signatureValid).toBe(true);
    expect(decoded.services[0]!.fields).toEqual(['room1', started.uid]);
    expect(decoded.expire).toBeGreaterThanOrEqual(7_200);
    expect(decoded.expire).toBeLessThanOrEqual(86_400);
    expect(Math.min(...decoded.services[0]!.privileges.values())).toBeGreaterThanOrEqual(7_200);
  });
});

describe('validation before any upstream call', () => {
  const cases: [string, Record<string, unknown>, string][] = [
    ['bad channel', { channel: 'a/b' }, 'channel'],
    ['uid 0', { channel: 'c', uid: 0 }, 'uid'],
    ['uid above 2^32-1', { channel: 'c', uid: '4294967296' }, 'uid'],
    ['mp4 alone', { channel: 'c', fileTypes: ['mp4'] }, 'fileTypes'],
    ['mp4 in individual mode', { channel: 'c', mode: 'individual', fileTypes: ['hls', 'mp4'] }, 'fileTypes'],
    ['idle below 5 s', { channel: 'c', maxIdleSeconds: 4 }, 'maxIdleSeconds'],
    ['max duration over 24 h less margin', { channel: 'c', maxDurationSeconds: 86_400 }, 'maxDurationSeconds'],
    ['web without a page', { channel: 'c', mode: 'web' }, 'pageUrl'],
    ['transcoding outside mix', { channel: 'c', mode: 'individual', transcoding: { width: 640, height: 360 } }, 'transcoding'],
    ['transcoding too large', { channel: 'c', transcoding: { width: 1920, height: 1920 } }, 'transcoding.width'],
    ['custom layout without regions', { channel: 'c', layout: { layout: 'custom' } }, 'layout.regions'],
    ['33 subscribed uids', { channel: 'c', subscribeAudioUids: Array.from({ length: 33 }, (_, i) => String(i + 1)) }, 'subscribeAudioUids'],
    [
      'subscribe and unsubscribe together',
      { channel: 'c', subscribeVideoUids: ['1'], unsubscribeVideoUids: ['2'] },
      'unsubscribeVideoUids',
    ],
  ];

  it.each(cases)('refuses %s with BAD_REQUEST naming %s', async (_name, input, path) => {
    stack ??= await startRecordingStack();
    stack.emulator.control.clearRequests();
    const error = await catchServerError(stack.client.recording.start.mutate(input as never));
    expect(error.data?.code).toBe('BAD_REQUEST');
    expect(error.data?.issues?.map((issue) => issue.path)).toContain(path);
    expect(counts(stack)).toEqual({});
    const { items } = await stack.client.recording.list.query({});
    expect(items).toEqual([]);
  });
});

describe('stop is idempotent', () => {
  it('stops twice: the second says alreadyStopped without asking Agora', async () => {
    stack = await startRecordingStack();
    stack.emulator.control.join('room1', '100');
    const started = await stack.client.recording.start.mutate({ channel: 'room1' });
    await stack.client.recording.stop.mutate({ id: started.id });
    const again = await stack.client.recording.stop.mutate({ id: started.id });
    expect(again).toMatchObject({ state: 'stopped', alreadyStopped: true });
    expect(counts(stack).stop).toBe(1);
  });

  it('reports a recording Agora is ending on idle as already stopped (code 49)', async () => {
    stack = await startRecordingStack();
    const started = await stack.client.recording.start.mutate({ channel: 'quiet', maxIdleSeconds: 5 });
    await stack.agoraClock.advance(5_000);
    const stopped = await stack.client.recording.stop.mutate({ id: started.id });
    expect(stopped).toMatchObject({ state: 'stopped', alreadyStopped: true });
    expect((await stack.client.recording.get.query({ id: started.id })).state).toBe('stopped');
  });

  it('reports a recording Agora no longer knows as stopped only once the 404 outlasts the failover window', async () => {
    const clock = createFakeClock(Date.now());
    stack = await startRecordingStack({ clock, agora: { rateBudget: unlimitedBudget } });
    const started = await stack.client.recording.start.mutate({ channel: 'quiet', maxIdleSeconds: 5 });
    await stack.agoraClock.advance(5_000 + 3_000);
    // Gone or failing over: Agora's 404 cannot tell, so the stop is not reported as done.
    const first = await stack.client.recording.stop.mutate({ id: started.id });
    expect(first).toMatchObject({ state: 'stopping', alreadyStopped: false });
    expect((await stack.client.recording.get.query({ id: started.id })).state).toBe('stopping');
    // The poller sends the stop again each interval; past the window the 404 is proof.
    for (let i = 0; i < 60 && (await stack.store.recordings.get(started.id))!.state !== 'stopped'; i++) await clock.advance(5_000);
    expect((await stack.store.recordings.get(started.id))!.state).toBe('stopped');
    expect(await stack.client.recording.stop.mutate({ id: started.id })).toMatchObject({ state: 'stopped', alreadyStopped: true });
  });

  it('answers NOT_FOUND for unknown recordings', async () => {
    stack = await startRecordingStack();
    const error = await catchServerError(stack.client.recording.stop.mutate({ id: 'nope' }));
    expect(error.data).toMatchObject({ code: 'NOT_FOUND', appCode: 'RECORDING_NOT_FOUND' });
  });
});

describe('upstream faults', () => {
  it('5xx on start, then success: exactly one recording', async () => {
    stack = await startRecordingStack();
    stack.emulator.control.injectFault({ endpoint: 'start', times: 2, status: 500, body: { code: 500, reason: 'internal_error' } });
    const started = await stack.client.recording.start.mutate({ channel: 'room1' });
    expect(counts(stack)).toMatchObject({ acquire: 1, start: 3 });
    expect(
      stack.emulator.control
        .tasks()
        .filter((task) => task.active)
        .map((task) => task.sid),
    ).toEqual([started.sid]);
  });

  it('429 from Agora: backs off and succeeds', async () => {
    stack = await startRecordingStack();
    stack.emulator.control.injectFault({ endpoint: 'acquire', times: 2, status: 429, body: { message: 'API rate limit exceeded' } });
    await stack.client.recording.start.mutate({ channel: 'room1' });
    expect(counts(stack)).toMatchObject({ acquire: 3, start: 1 });
  });

  it('surfaces Agora errors with their code and reason, and marks the recording failed', async () => {
    stack = await startRecordingStack();
    stack.emulator.control.injectFault({
      endpoint: 'start',
      times: 1,
      status: 400,
      body: { code: 2, reason: 'invalid parameter: storageConfig' },
    });
    const error = await catchServerError(stack.client.recording.start.mutate({ channel: 'room1', uid: 42 }));
    expect(error.data).toMatchObject({
      code: 'BAD_GATEWAY',
      appCode: 'AGORA_API',
      agora: { httpStatus: 400, code: 2, reason: 'invalid parameter: storageConfig' },
    });
    const { items } = await stack.client.recording.list.query({ channel: 'room1' });
    expect(items[0]).toMatchObject({ state: 'failed', lastError: { agora: { code: 2 } }, sid: null });
    // The resource it acquired stays on the failed row (Agora's support asks for it).
    expect(items[0]!.resourceId).toMatch(/^\S{10,}$/);
    // The failed attempt frees the uid.
    expect((await stack.client.recording.start.mutate({ channel: 'room1', uid: 42 })).uid).toBe('42');
  });

  it('a failover window is not mistaken for the end of the recording', async () => {
    stack = await startRecordingStack();
    stack.emulator.control.join('room1', '100');
    const started = await stack.client.recording.start.mutate({ channel: 'room1' });
    stack.emulator.control.failover(60_000);
    expect((await stack.client.recording.query.query({ id: started.id })).state).not.toBe('stopped');
    expect((await stack.client.recording.get.query({ id: started.id })).state).not.toBe('stopped');
  });
});

describe('update, updateLayout, get, list', () => {
  it('updates subscriptions and layout, and refuses changes to ended recordings', async () => {
    stack = await startRecordingStack();
    stack.emulator.control.join('room1', '100');
    const mix = await stack.client.recording.start.mutate({ channel: 'room1' });
    await stack.client.recording.updateLayout.mutate({
      id: mix.id,
      layout: { layout: 'vertical', maxResolutionUid: '100', backgroundColor: '#112233' },
    });
    expect(stack.emulator.control.task(mix.sid)?.layout).toEqual({
      mixedVideoLayout: 2,
      maxResolutionUid: '100',
      backgroundColor: '#112233',
    });
    await stack.client.recording.update.mutate({ id: mix.id, unsubscribeAudioUids: ['100'] });
    const wrongMode = await catchServerError(stack.client.recording.update.mutate({ id: mix.id, paused: true }));
    expect(wrongMode.data).toMatchObject({ code: 'BAD_REQUEST', appCode: 'RECORDING_MODE_MISMATCH' });
    await stack.client.recording.stop.mutate({ id: mix.id });
    const ended = await catchServerError(stack.client.recording.updateLayout.mutate({ id: mix.id, layout: { layout: 'adaptive' } }));
    expect(ended.data).toMatchObject({ code: 'PRECONDITION_FAILED', appCode: 'RECORDING_ENDED' });
  });

  it('lists by channel and state with cursor pagination', async () => {
    stack = await startRecordingStack();
    for (let i = 0; i < 5; i++) await stack.client.recording.start.mutate({ channel: i < 3 ? 'alpha' : 'beta' });
    const first = await stack.client.recording.list.query({ channel: 'alpha', limit: 2 });
    expect(first.items).toHaveLength(2);
    expect(first.nextCursor).not.toBeNull();
    const second = await stack.client.recording.list.query({ channel: 'alpha', limit: 2, cursor: first.nextCursor! });
    expect(second.items).toHaveLength(1);
    expect(second.nextCursor).toBeNull();
    const ids = new Set([...first.items, ...second.items].map((item) => item.id));
    expect(ids.size).toBe(3);
    expect((await stack.client.recording.list.query({ state: 'stopped' })).items).toEqual([]);
  });
});

describe('secrets', () => {
  it('never returns storage keys, the customer secret or the certificate', async () => {
    stack = await startRecordingStack();
    stack.emulator.control.join('room1', '100');
    const started = await stack.client.recording.start.mutate({ channel: 'room1' });
    const responses = [
      started,
      await stack.client.recording.query.query({ id: started.id }),
      await stack.client.recording.get.query({ id: started.id }),
      await stack.client.recording.list.query({}),
      await stack.client.recording.stop.mutate({ id: started.id }),
    ];
    const text = JSON.stringify(responses) + stack.logs.join('\n');
    for (const secret of [STORAGE.accessKey, STORAGE.secretKey, CUSTOMER_SECRET, TEST_APP_CERTIFICATE]) expect(text).not.toContain(secret);
  });
});

describe('restart and watchdog', () => {
  it('resumes tracking after a restart on the same SQLite file and stops at max duration', async () => {
    const clock = createFakeClock(Date.now());
    stack = await startRecordingStack({
      clock,
      maxDurationSeconds: 120,
      watchdogIntervalMs: 10_000,
      agora: { rateBudget: unlimitedBudget },
    });
    stack.emulator.control.join('room1', '100');
    const started = await stack.client.recording.start.mutate({ channel: 'room1', maxDurationSeconds: 120 });
    await stack.close();

    const restarted = await startRecordingStackAfter(stack);
    // The start-up sweep reconciles: Agora says it is recording.
    await expect.poll(async () => (await restarted.client.recording.get.query({ id: started.id })).state).toBe('recording');
    // One watchdog interval at a time, letting each sweep finish (it then sleeps again).
    const tick = async () => {
      await clock.advance(10_000);
      await expect.poll(() => clock.pendingSleeps()).toBeGreaterThan(0);
    };
    for (let elapsed = 0; elapsed < 110_000; elapsed += 10_000) await tick();
    expect((await restarted.client.recording.get.query({ id: started.id })).state).toBe('recording');
    await tick();
    await tick();
    await expect.poll(async () => (await restarted.client.recording.get.query({ id: started.id })).state).toBe('stopped');
    expect(restarted.emulator.control.task(started.sid)).toMatchObject({ active: false, endReason: 'stopped' });
    await restarted.close();
  });

  it('marks a recording that Agora ended while we were down as stopped', async () => {
    const clock = createFakeClock(Date.now());
    stack = await startRecordingStack({ clock, agora: { rateBudget: unlimitedBudget } });
    const started = await stack.client.recording.start.mutate({ channel: 'room1', maxIdleSeconds: 5 });
    await stack.close();
    await clock.advance(10_000);
    const restarted = await startRecordingStackAfter(stack);
    // Agora answers 404; only one that outlasts the failover window (90 s) means it ended.
    for (let i = 0; i < 60; i++) {
      if ((await restarted.client.recording.get.query({ id: started.id })).state === 'stopped') break;
      await clock.advance(5_000);
    }
    expect((await restarted.client.recording.get.query({ id: started.id })).state).toBe('stopped');
    // The adoption query, then one each poll interval (30 s) until the window is out: 0, 30, 60, 90 s.
    expect(restarted.emulator.control.requestCounts().query).toBe(4);
    await restarted.close();
  });
});

async function startRecordingStackAfter(previous: RecordingStack) {
  return previous.restart();
}
