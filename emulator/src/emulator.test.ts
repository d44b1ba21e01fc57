import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Emulator, EmulatorOptions, ManualClock } from './index.js';
import { APP_ID, AUTH, CERT, P, recorderTokenAt, STORAGE as BUCKET, startHarness, type Harness } from './test-support.js';

/**
 * The emulator's conformance suite: every behaviour is exercised over HTTP with Agora's documented
 * contract (README) and nothing else; tokens come from Agora's own agora-token package.
 */

const STORAGE = { ...BUCKET, fileNamePrefix: ['rec', 'abc123'] };

let harness: Harness | undefined;
let clock: ManualClock;
let emulator: Emulator;
let storageDir: string;

/** A fresh emulator (closing the one before): manual clock, temporary storage folder. */
async function start(overrides: Partial<EmulatorOptions> = {}) {
  await harness?.close();
  harness = await startHarness(overrides);
  ({ clock, emulator, storageDir } = harness);
}

beforeEach(() => start());
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

async function call(method: string, path: string, body?: unknown, authorization: string | null = AUTH) {
  const response = await fetch(`${emulator.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

function recorderToken(cname: string, uid: string | number, options: { expireSeconds?: number; at?: number; cert?: string } = {}) {
  return recorderTokenAt({
    appId: APP_ID,
    appCertificate: options.cert ?? CERT,
    channel: cname,
    uid,
    atMs: options.at ?? clock.now(),
    expireSeconds: options.expireSeconds ?? 3600,
  });
}

const acquire = async (cname = 'room1', uid = '527841', clientRequest: object = {}) => {
  const reply = await call('POST', `${P}/acquire`, { cname, uid, clientRequest });
  expect(reply.status, JSON.stringify(reply.body)).toBe(200);
  return String(reply.body.resourceId);
};

function mixRequest(cname = 'room1', uid = '527841', extra: Record<string, unknown> = {}) {
  return {
    token: recorderToken(cname, uid),
    storageConfig: STORAGE,
    recordingConfig: { channelType: 0, maxIdleTime: 30 },
    recordingFileConfig: { avFileType: ['hls'] },
    ...extra,
  };
}

function individualRequest(cname = 'room1', uid = '527841') {
  return {
    token: recorderToken(cname, uid),
    storageConfig: STORAGE,
    recordingConfig: { channelType: 0, maxIdleTime: 30, subscribeUidGroup: 0, streamTypes: 2 },
    recordingFileConfig: { avFileType: ['hls'] },
  };
}

function webRequest(extra: Record<string, unknown> = {}) {
  return {
    storageConfig: STORAGE,
    extensionServiceConfig: {
      extensionServices: [
        {
          serviceName: 'web_recorder_service',
          serviceParam: {
            url: 'https://example.com/page',
            audioProfile: 0,
            videoWidth: 1280,
            videoHeight: 720,
            maxRecordingHour: 1,
            ...extra,
          },
        },
      ],
    },
    recordingFileConfig: { avFileType: ['hls', 'mp4'] },
  };
}

async function startRecording(mode: 'mix' | 'individual' | 'web', clientRequest: object, cname = 'room1', uid = '527841') {
  const resourceId = await acquire(cname, uid, mode === 'web' ? { scene: 1 } : {});
  const reply = await call('POST', `${P}/resourceid/${resourceId}/mode/${mode}/start`, { cname, uid, clientRequest });
  return { resourceId, reply, sid: String(reply.body.sid) };
}

const session = (resourceId: string, sid: string, mode: string, action: string) =>
  `${P}/resourceid/${resourceId}/sid/${sid}/mode/${mode}/${action}`;

describe('gateway', () => {
  it('asks for Basic credentials and refuses wrong ones', async () => {
    expect(await call('POST', `${P}/acquire`, {}, null)).toEqual({ status: 401, body: { message: 'Unauthorized' } });
    const wrong = `Basic ${Buffer.from('cust:nope').toString('base64')}`;
    expect(await call('POST', `${P}/acquire`, {}, wrong)).toEqual({ status: 401, body: { message: 'Invalid authentication credentials' } });
  });

  it('answers unknown paths and methods with 404 {message}', async () => {
    expect(await call('POST', `${P}/nothing`, {})).toEqual({ status: 404, body: { message: 'no Route matched with those values' } });
    expect(await call('GET', `${P}/acquire`)).toEqual({ status: 404, body: { message: 'no Route matched with those values' } });
    expect((await call('POST', `${P}/resourceid/x/mode/party/start`, {})).status).toBe(404);
  });

  it('refuses another App ID with 400', async () => {
    const reply = await call('POST', `/v1/apps/ffffffffffffffffffffffffffffffff/cloud_recording/acquire`, {
      cname: 'c',
      uid: '1',
      clientRequest: {},
    });
    expect(reply).toEqual({ status: 400, body: { message: 'appid is invalid' } });
  });

  it('answers the eleventh request within a second with 429', async () => {
    await emulator.close();
    await start({ limits: { requestsPerSecond: 10 } });
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++)
      statuses.push((await call('POST', `${P}/acquire`, { cname: 'c', uid: String(i + 1), clientRequest: {} })).status);
    expect(statuses).toEqual([...Array<number>(10).fill(200), 429]);
    expect((await call('POST', `${P}/acquire`, {})).body).toEqual({ message: 'API rate limit exceeded' });
    await clock.advance(1_000);
    expect((await call('POST', `${P}/acquire`, { cname: 'c', uid: '99', clientRequest: {} })).status).toBe(200);
  });
});

describe('acquire', () => {
  it('returns a resourceId for the cname and uid', async () => {
    const reply = await call('POST', `${P}/acquire`, { cname: 'room1', uid: '527841', clientRequest: {} });
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({ cname: 'room1', uid: '527841' });
    expect(String(reply.body.resourceId).length).toBeGreaterThan(40);
  });

  it.each([
    ['a number', 527841],
    ['"0"', '0'],
    ['above 2^32-1', '4294967296'],
    ['not digits', 'abc'],
  ])('refuses a uid that is %s with code 2', async (_label, uid) => {
    const reply = await call('POST', `${P}/acquire`, { cname: 'room1', uid, clientRequest: {} });
    expect(reply.status).toBe(400);
    expect(reply.body.code).toBe(2);
  });

  it('refuses a bad channel name with code 401, but takes any label for web', async () => {
    expect((await call('POST', `${P}/acquire`, { cname: 'a/b', uid: '1', clientRequest: {} })).body).toEqual({
      code: 401,
      reason: 'invalid_channel_name',
    });
    expect((await call('POST', `${P}/acquire`, { cname: 'a'.repeat(64), uid: '1', clientRequest: {} })).body.code).toBe(401);
    expect((await call('POST', `${P}/acquire`, { cname: 'my page/label', uid: '1', clientRequest: { scene: 1 } })).status).toBe(200);
  });

  it('checks resourceExpiredHour', async () => {
    const reply = await call('POST', `${P}/acquire`, { cname: 'c', uid: '1', clientRequest: { resourceExpiredHour: 721 } });
    expect(reply.body).toEqual({ code: 2, reason: 'Acquire: invalid resourceExpiredHour value!' });
  });
});

describe('start validation', () => {
  const cases: [string, 'mix' | 'individual' | 'web', () => object, RegExp][] = [
    [
      'mp4 without hls',
      'mix',
      () => mixRequest('room1', '527841', { recordingFileConfig: { avFileType: ['mp4'] } }),
      /avFileType mp4 is only allowed together with hls/,
    ],
    [
      'individual without subscribeUidGroup',
      'individual',
      () => ({ ...individualRequest(), recordingConfig: { channelType: 0 } }),
      /recordingConfig.subscribeUidGroup is required/,
    ],
    [
      'maxIdleTime below 5',
      'mix',
      () => mixRequest('room1', '527841', { recordingConfig: { maxIdleTime: 4 } }),
      /recordingConfig.maxIdleTime must be from 5 to 2592000/,
    ],
    [
      'transcoding above 1920×1080',
      'mix',
      () => mixRequest('room1', '527841', { recordingConfig: { transcodingConfig: { width: 1920, height: 1920, fps: 15, bitrate: 500 } } }),
      /must not exceed 1920 × 1080/,
    ],
    [
      'layoutConfig without layout 3',
      'mix',
      () =>
        mixRequest('room1', '527841', {
          recordingConfig: {
            transcodingConfig: {
              width: 640,
              height: 360,
              fps: 15,
              bitrate: 500,
              mixedVideoLayout: 1,
              layoutConfig: [{ x_axis: 0, y_axis: 0, width: 1, height: 1 }],
            },
          },
        }),
      /layoutConfig is only allowed with mixedVideoLayout 3/,
    ],
    [
      'subscribe and unsubscribe lists together',
      'mix',
      () => mixRequest('room1', '527841', { recordingConfig: { subscribeAudioUids: ['1'], unSubscribeAudioUids: ['2'] } }),
      /unsubscribeAudioUids cannot be set together with subscribeAudioUids/,
    ],
    ['web without extensionServiceConfig', 'web', () => ({ storageConfig: STORAGE }), /extensionServiceConfig is required in web mode/],
    ['web without url', 'web', () => webRequest({ url: undefined }), /serviceParam.url/],
    ['web without maxRecordingHour', 'web', () => webRequest({ maxRecordingHour: undefined }), /maxRecordingHour/],
    [
      'unknown storage vendor',
      'mix',
      () => mixRequest('room1', '527841', { storageConfig: { ...STORAGE, vendor: 99 } }),
      /vendor 99 is not supported/,
    ],
    [
      'region out of range',
      'mix',
      () => mixRequest('room1', '527841', { storageConfig: { ...STORAGE, vendor: 8, region: 0 } }),
      /region must be from 1 to 7 for vendor 8/,
    ],
    [
      'prefix with underscores',
      'mix',
      () => mixRequest('room1', '527841', { storageConfig: { ...STORAGE, fileNamePrefix: ['a_b'] } }),
      /fileNamePrefix.0 segments may contain only letters and digits/,
    ],
    [
      'prefix over 128 characters',
      'mix',
      () => mixRequest('room1', '527841', { storageConfig: { ...STORAGE, fileNamePrefix: ['a'.repeat(100), 'b'.repeat(28)] } }),
      /at most 128 characters/,
    ],
    [
      'S3-compatible without endpoint',
      'mix',
      () => mixRequest('room1', '527841', { storageConfig: { ...STORAGE, vendor: 11, region: 0 } }),
      /extensionParams.endpoint is required for vendor 11/,
    ],
  ];

  it.each(cases)('refuses %s with code 2 naming the field', async (_label, mode, request, reason) => {
    const { reply } = await startRecording(mode, request());
    expect(reply.status).toBe(400);
    expect(reply.body.code).toBe(2);
    expect(String(reply.body.reason)).toMatch(reason);
  });

  it('needs a scene-1 resource for web mode', async () => {
    const resourceId = await acquire('room1', '527841');
    const reply = await call('POST', `${P}/resourceid/${resourceId}/mode/web/start`, {
      cname: 'room1',
      uid: '527841',
      clientRequest: webRequest(),
    });
    expect(reply.body).toMatchObject({ code: 2 });
  });
});

describe('recorder token', () => {
  const startWith = async (token: string | undefined) => (await startRecording('mix', { ...mixRequest(), token })).reply;

  it('accepts a token for the recorder uid, and a uid-0 token', async () => {
    expect((await startWith(recorderToken('room1', '527841'))).status).toBe(200);
    expect(
      (await startRecording('mix', { ...mixRequest('room2', '7'), token: recorderToken('room2', 0) }, 'room2', '7')).reply.status,
    ).toBe(200);
  });

  it.each([
    ['missing', () => undefined],
    ['not a token', () => 'abc'],
    ['signed with another certificate', () => recorderToken('room1', '527841', { cert: 'ffffffffffffffffffffffffffffffff' })],
    ['for another channel', () => recorderToken('room9', '527841')],
    ['for another uid', () => recorderToken('room1', '1234')],
  ])('answers 110 for a token %s', async (_label, token) => {
    expect((await startWith(token())).body).toMatchObject({ code: 110 });
  });

  it('answers 109 for an expired token', async () => {
    const token = recorderToken('room1', '527841', { at: clock.now() - 7_200_000, expireSeconds: 3600 });
    expect((await startWith(token)).body).toMatchObject({ code: 109, reason: 'token expired' });
  });
});

describe('resources', () => {
  it('expire five minutes after acquire (433)', async () => {
    const resourceId = await acquire();
    await clock.advance(5 * 60_000 + 1);
    const reply = await call('POST', `${P}/resourceid/${resourceId}/mode/mix/start`, {
      cname: 'room1',
      uid: '527841',
      clientRequest: mixRequest(),
    });
    expect(reply.body).toEqual({ code: 433, reason: 'resource expired' });
  });

  it('serve one start: a repeat answers 201 with code 7', async () => {
    const { resourceId, reply } = await startRecording('mix', mixRequest());
    expect(reply.status).toBe(200);
    const again = await call('POST', `${P}/resourceid/${resourceId}/mode/mix/start`, {
      cname: 'room1',
      uid: '527841',
      clientRequest: mixRequest(),
    });
    expect(again).toEqual({ status: 201, body: { code: 7, reason: 'already started' } });
  });

  it('are bound to their cname and uid (432)', async () => {
    const resourceId = await acquire('room1', '527841');
    const reply = await call('POST', `${P}/resourceid/${resourceId}/mode/mix/start`, {
      cname: 'room1',
      uid: '999',
      clientRequest: mixRequest('room1', '999'),
    });
    expect(reply.body).toMatchObject({ code: 432 });
  });

  it('allow one task per cname+uid (53), and another uid in the same channel', async () => {
    expect((await startRecording('mix', mixRequest())).reply.status).toBe(200);
    expect((await startRecording('mix', mixRequest())).reply.body).toEqual({ code: 53, reason: 'task conflict' });
    expect((await startRecording('mix', mixRequest('room1', '527842'), 'room1', '527842')).reply.status).toBe(200);
  });

  it('limit concurrent recordings (406)', async () => {
    await emulator.close();
    await start({ limits: { requestsPerSecond: 0, maxConcurrentRecordings: 1 } });
    expect((await startRecording('mix', mixRequest())).reply.status).toBe(200);
    const reply = await call('POST', `${P}/acquire`, { cname: 'room2', uid: '1', clientRequest: {} });
    expect(reply.body).toEqual({ code: 406, reason: 'vendor_over_load' });
  });
});

describe('a recording', () => {
  it('steps through statuses 0..5 once someone publishes, and stays at 4 without', async () => {
    const { resourceId, sid } = await startRecording('mix', mixRequest());
    const statuses: unknown[] = [];
    for (let i = 0; i < 6; i++) {
      if (i === 2) emulator.control.join('room1', '100');
      const reply = await call('GET', session(resourceId, sid, 'mix', 'query'));
      statuses.push((reply.body.serverResponse as { status: number }).status);
      await clock.advance(1_000);
    }
    expect(statuses).toEqual([0, 1, 2, 3, 4, 5]);

    const quiet = await startRecording('mix', mixRequest('room2', '1'), 'room2', '1');
    await clock.advance(10_000);
    const reply = await call('GET', session(quiet.resourceId, quiet.sid, 'mix', 'query'));
    expect(reply.body.serverResponse).toMatchObject({ status: 4, fileListMode: 'string', fileList: '' });
  });

  it('names mix HLS files with fileListMode "string"', async () => {
    emulator.control.join('room1', '100');
    const { resourceId, sid } = await startRecording('mix', mixRequest());
    await clock.advance(5_000);
    const reply = await call('GET', session(resourceId, sid, 'mix', 'query'));
    expect(reply.body).toMatchObject({ cname: 'room1', uid: '527841', resourceId, sid });
    // The spec: a top-level sliceStartTime is individual mode's only.
    expect(reply.body.serverResponse).toEqual({ status: 5, fileListMode: 'string', fileList: `${sid}_room1.m3u8` });
  });

  it('lists mix HLS+MP4 files with fileListMode "json"', async () => {
    emulator.control.join('room1', '100');
    const { resourceId, sid } = await startRecording(
      'mix',
      mixRequest('room1', '527841', { recordingFileConfig: { avFileType: ['hls', 'mp4'] } }),
    );
    await clock.advance(5_000);
    const response = (await call('GET', session(resourceId, sid, 'mix', 'query'))).body.serverResponse as {
      fileListMode: string;
      fileList: { fileName: string; uid: string; mixedAllUser: boolean; trackType: string }[];
    };
    expect(response.fileListMode).toBe('json');
    expect(response.fileList.map((file) => file.fileName)).toEqual([`${sid}_room1.m3u8`, `${sid}_room1_0.mp4`]);
    expect(response.fileList[0]).toMatchObject({ uid: '0', mixedAllUser: true, trackType: 'audio_and_video', isPlayable: true });
  });

  it('records each publisher per track in individual mode', async () => {
    emulator.control.join('room1', '100');
    emulator.control.join('room1', '200');
    const { resourceId, sid } = await startRecording('individual', individualRequest());
    await clock.advance(5_000);
    const response = (await call('GET', session(resourceId, sid, 'individual', 'query'))).body.serverResponse as {
      fileListMode: string;
      fileList: { fileName: string; uid: string; trackType: string; mixedAllUser: boolean }[];
    };
    expect(response.fileListMode).toBe('json');
    expect(response.fileList.map((file) => file.fileName).sort()).toEqual(
      [
        `${sid}_room1__uid_s_100__uid_e_audio.m3u8`,
        `${sid}_room1__uid_s_100__uid_e_video.m3u8`,
        `${sid}_room1__uid_s_200__uid_e_audio.m3u8`,
        `${sid}_room1__uid_s_200__uid_e_video.m3u8`,
      ].sort(),
    );
    expect(response.fileList[0]).toMatchObject({ mixedAllUser: false });
  });

  it('reports web recordings in extensionServiceState with lowercase filename', async () => {
    const { resourceId, sid } = await startRecording('web', webRequest(), 'my page', '527841');
    await clock.advance(5_000);
    const reply = await call('GET', session(resourceId, sid, 'web', 'query'));
    expect(reply.body.serverResponse).toEqual({
      status: 5,
      extensionServiceState: [
        {
          serviceName: 'web_recorder_service',
          payload: {
            fileList: [
              { filename: `${sid}_my-page.m3u8`, sliceStartTime: clock.now() - 5_000 },
              { filename: `${sid}_my-page_0.mp4`, sliceStartTime: clock.now() - 5_000 },
            ],
            onhold: false,
            state: 'inProgress',
          },
        },
      ],
    });
  });

  it('exits after maxIdleTime with nobody publishing; stop then answers 49, later 404', async () => {
    const { resourceId, sid } = await startRecording('mix', mixRequest('room1', '527841', { recordingConfig: { maxIdleTime: 5 } }));
    await clock.advance(4_999);
    expect((await call('GET', session(resourceId, sid, 'mix', 'query'))).status).toBe(200);
    await clock.advance(1);
    expect(await call('GET', session(resourceId, sid, 'mix', 'query'))).toEqual({
      status: 404,
      body: { code: 404, reason: 'failed to find worker' },
    });
    const stopBody = { cname: 'room1', uid: '527841', clientRequest: {} };
    expect((await call('POST', session(resourceId, sid, 'mix', 'stop'), stopBody)).body).toEqual({ code: 49, reason: 'invalid operation' });
    await clock.advance(3_000);
    expect((await call('POST', session(resourceId, sid, 'mix', 'stop'), stopBody)).status).toBe(404);
  });

  it('counts idle time from when the last publisher leaves', async () => {
    emulator.control.join('room1', '100');
    const { resourceId, sid } = await startRecording('mix', mixRequest('room1', '527841', { recordingConfig: { maxIdleTime: 5 } }));
    await clock.advance(60_000);
    emulator.control.leave('room1', '100');
    await clock.advance(4_000);
    expect((await call('GET', session(resourceId, sid, 'mix', 'query'))).status).toBe(200);
    await clock.advance(1_000);
    expect((await call('GET', session(resourceId, sid, 'mix', 'query'))).status).toBe(404);
    expect(emulator.control.task(sid)).toMatchObject({ active: false, endReason: 'idle' });
  });

  it('stops with the file list and uploads them under the prefix; a second stop answers 49', async () => {
    emulator.control.join('room1', '100');
    const { resourceId, sid } = await startRecording('mix', mixRequest());
    await clock.advance(25_000);
    const stopBody = { cname: 'room1', uid: '527841', clientRequest: { async_stop: false } };
    const reply = await call('POST', session(resourceId, sid, 'mix', 'stop'), stopBody);
    expect(reply).toEqual({
      status: 200,
      body: {
        cname: 'room1',
        uid: '527841',
        resourceId,
        sid,
        serverResponse: { fileListMode: 'string', fileList: `${sid}_room1.m3u8`, uploadingStatus: 'uploaded' },
      },
    });
    const folder = join(storageDir, 'bucket1', 'rec', 'abc123');
    const names = await readdir(folder);
    expect(names.filter((name) => name.endsWith('.ts'))).toHaveLength(3);
    const playlist = await readFile(join(folder, `${sid}_room1.m3u8`), 'utf8');
    expect(playlist).toContain('#EXTM3U');
    for (const segment of names.filter((name) => name.endsWith('.ts'))) expect(playlist).toContain(segment);
    expect(names).toContain(`${sid}_room1_20261127120000000.ts`);
    expect((await call('POST', session(resourceId, sid, 'mix', 'stop'), stopBody)).body).toEqual({ code: 49, reason: 'invalid operation' });
    expect((await call('GET', session(resourceId, sid, 'mix', 'query'))).status).toBe(404);
  });

  it('answers 206 + 435 when nobody ever published, and writes no file (Agora: no recorded data)', async () => {
    const { resourceId, sid } = await startRecording('mix', mixRequest());
    await clock.advance(25_000);
    expect((await call('GET', session(resourceId, sid, 'mix', 'query'))).body).toMatchObject({
      serverResponse: { status: 4, fileList: '' },
    });
    const reply = await call('POST', session(resourceId, sid, 'mix', 'stop'), { cname: 'room1', uid: '527841', clientRequest: {} });
    expect(reply).toEqual({ status: 206, body: { code: 435, reason: 'no recorded data' } });
    await emulator.control.flushStorage();
    expect(await readdir(join(storageDir, 'bucket1')).catch(() => [])).toEqual([]);
    expect(emulator.control.task(sid)).toMatchObject({ files: [] });
  });

  it('stops web recordings with upload_service and web_recorder_service states', async () => {
    const { resourceId, sid } = await startRecording('web', webRequest());
    await clock.advance(5_000);
    const reply = await call('POST', session(resourceId, sid, 'web', 'stop'), { cname: 'room1', uid: '527841', clientRequest: {} });
    const state = (reply.body.serverResponse as { extensionServiceState: { serviceName: string; payload: Record<string, unknown> }[] })
      .extensionServiceState;
    expect(state[0]).toEqual({ serviceName: 'upload_service', payload: { uploadingStatus: 'uploaded' } });
    expect(state[1]).toMatchObject({ serviceName: 'web_recorder_service', payload: { state: 'exit', onhold: false } });
  });

  it('ends a web recording at maxRecordingHour', async () => {
    const { resourceId, sid } = await startRecording('web', webRequest());
    await clock.advance(3_600_000);
    expect((await call('GET', session(resourceId, sid, 'web', 'query'))).status).toBe(404);
    expect(emulator.control.task(sid)).toMatchObject({ endReason: 'max_recording_hour' });
  });

  it('checks the sid against the resourceId, and cname/uid against the task', async () => {
    const first = await startRecording('mix', mixRequest());
    const second = await startRecording('mix', mixRequest('room2', '1'), 'room2', '1');
    expect((await call('GET', session(first.resourceId, second.sid, 'mix', 'query'))).body).toMatchObject({ code: 1003 });
    expect(
      (await call('POST', session(first.resourceId, first.sid, 'mix', 'stop'), { cname: 'room1', uid: '1', clientRequest: {} })).body,
    ).toMatchObject({ code: 432 });
  });
});

describe('update and updateLayout', () => {
  it('changes subscriptions: an unsubscribed uid is no longer recorded', async () => {
    emulator.control.join('room1', '100');
    emulator.control.join('room1', '200');
    const { resourceId, sid } = await startRecording('individual', individualRequest());
    const update = await call('POST', session(resourceId, sid, 'individual', 'update'), {
      cname: 'room1',
      uid: '527841',
      clientRequest: {
        streamSubscribe: { audioUidList: { unSubscribeAudioUids: ['200'] }, videoUidList: { subscribeVideoUids: ['100'] } },
      },
    });
    expect(update).toEqual({ status: 200, body: { cname: 'room1', uid: '527841', resourceId, sid } });
    await clock.advance(5_000);
    expect(emulator.control.task(sid)?.files.sort()).toEqual([
      `${sid}_room1__uid_s_100__uid_e_audio.m3u8`,
      `${sid}_room1__uid_s_100__uid_e_video.m3u8`,
    ]);
  });

  it('pauses and resumes a web recording', async () => {
    const { resourceId, sid } = await startRecording('web', webRequest());
    await call('POST', session(resourceId, sid, 'web', 'update'), {
      cname: 'room1',
      uid: '527841',
      clientRequest: { webRecordingConfig: { onhold: true } },
    });
    expect(emulator.control.task(sid)?.onhold).toBe(true);
  });

  it('replaces the whole mix layout, omitted fields back to defaults', async () => {
    const { resourceId, sid } = await startRecording('mix', mixRequest());
    const path = session(resourceId, sid, 'mix', 'updateLayout');
    await call('POST', path, { cname: 'room1', uid: '527841', clientRequest: { mixedVideoLayout: 1, backgroundColor: '#FF0000' } });
    await call('POST', path, { cname: 'room1', uid: '527841', clientRequest: { mixedVideoLayout: 2, maxResolutionUid: '100' } });
    expect(emulator.control.task(sid)?.layout).toEqual({ mixedVideoLayout: 2, maxResolutionUid: '100', backgroundColor: '#000000' });
    expect((await call('POST', path, { cname: 'room1', uid: '527841', clientRequest: { mixedVideoLayout: 2 } })).body).toMatchObject({
      code: 2,
    });
  });
});

describe('control', () => {
  it('injects faults for the next N calls to an endpoint', async () => {
    emulator.control.injectFault({ endpoint: 'acquire', times: 2, status: 500, body: { code: 500, reason: 'internal_error' } });
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await call('POST', `${P}/acquire`, { cname: 'c', uid: '1', clientRequest: {} })).status);
    expect(statuses).toEqual([500, 500, 200]);
  });

  it('opens a failover window during which query and stop answer 404, then recovers', async () => {
    const { resourceId, sid } = await startRecording('mix', mixRequest());
    emulator.control.failover(20_000);
    expect((await call('GET', session(resourceId, sid, 'mix', 'query'))).status).toBe(404);
    await clock.advance(20_000);
    expect((await call('GET', session(resourceId, sid, 'mix', 'query'))).status).toBe(200);
  });

  it('logs requests with counts per endpoint', async () => {
    await startRecording('mix', mixRequest());
    await call('POST', `${P}/nothing`, {});
    expect(emulator.control.requestCounts()).toEqual({ acquire: 1, start: 1, unknown: 1 });
    expect(emulator.control.requests()[1]).toMatchObject({ method: 'POST', endpoint: 'start', status: 200 });
  });

  it('offers the same controls over HTTP under /_emulator', async () => {
    const post = (path: string, body: unknown) => fetch(`${emulator.url}/_emulator${path}`, { method: 'POST', body: JSON.stringify(body) });
    expect((await post('/channels/room1/publishers', { uid: 100 })).status).toBe(200);
    expect(emulator.control.publishersIn('room1')).toEqual(['100']);
    await fetch(`${emulator.url}/_emulator/channels/room1/publishers/100`, { method: 'DELETE' });
    expect(emulator.control.publishersIn('room1')).toEqual([]);

    expect((await post('/faults', { endpoint: 'acquire', status: 503, body: { code: 500 } })).status).toBe(200);
    expect((await call('POST', `${P}/acquire`, { cname: 'c', uid: '1', clientRequest: {} })).status).toBe(503);
    expect((await post('/faults', { endpoint: 'nope', status: 503 })).status).toBe(400);

    const before = clock.now();
    expect(await (await post('/clock/advance', { ms: 1234 })).json()).toEqual({ now: before + 1234 });

    const requests = (await (await fetch(`${emulator.url}/_emulator/requests`)).json()) as { counts: Record<string, number> };
    expect(requests.counts).toEqual({ acquire: 1 });
    const state = (await (await fetch(`${emulator.url}/_emulator/state`)).json()) as { tasks: unknown[] };
    expect(state.tasks).toEqual([]);
  });
});
