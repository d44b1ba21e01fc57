import { inspect } from 'node:util';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createFakeClock } from '../clock.js';
import { setupAgoraClient } from '../testing/agora-client.js';
import { drive } from '../testing/drive.js';
import type { AgoraClientOptions } from './client.js';
import { AgoraApiError, AgoraNetworkError, AgoraResponseError, AgoraTimeoutError } from './errors.js';
import { createSlidingWindowBudget } from './rate-budget.js';

const APP_ID = '970ca35de60c44645bbae8a215061b33';
const CUSTOMER_ID = 'customer-id-1';
const CUSTOMER_SECRET = 'customer-secret-XYZ';
const BASIC = Buffer.from(`${CUSTOMER_ID}:${CUSTOMER_SECRET}`).toString('base64');
const HOST = 'https://agora.test';
const P = `/v1/apps/${APP_ID}/cloud_recording`;
const SESSION = { resourceId: 'RID', sid: 'SID', cname: 'room1', uid: '527841' } as const;
const STORAGE = { vendor: 1, region: 0, bucket: 'b', accessKey: 'AKIA-ACCESS-KEY', secretKey: 'S3-SECRET-KEY' };
const RECORDER_TOKEN = '007eJxRECORDERTOKEN';

beforeAll(() => nock.disableNetConnect());
afterAll(() => nock.enableNetConnect());
afterEach(() => nock.cleanAll());

function setup(options: Partial<AgoraClientOptions> = {}) {
  return setupAgoraClient({ appId: APP_ID, customerId: CUSTOMER_ID, customerSecret: CUSTOMER_SECRET, baseUrls: [HOST], ...options });
}

/** nock needs a real Error here: a plain object leaves got waiting for its timeout. */
const netError = (code: string) => Object.assign(new Error(`${code} (simulated)`), { code });

/** Every string an error exposes: message, own fields, and its cause chain, deeply. */
function everythingIn(error: unknown): string {
  return `${inspect(error, { depth: 20, showHidden: true })}\n${JSON.stringify(error, Object.getOwnPropertyNames(error))}`;
}

const mixStart = {
  ...SESSION,
  mode: 'mix' as const,
  clientRequest: {
    token: RECORDER_TOKEN,
    storageConfig: STORAGE,
    recordingConfig: { channelType: 0 as const, maxIdleTime: 30 },
    recordingFileConfig: { avFileType: ['hls' as const, 'mp4' as const] },
  },
};

describe('requests', () => {
  it('acquires with Basic auth and the documented body', async () => {
    const { client, run } = setup();
    const scope = nock(HOST, { reqheaders: { authorization: `Basic ${BASIC}`, 'content-type': 'application/json' } })
      .post(`${P}/acquire`, { cname: 'room1', uid: '527841', clientRequest: { resourceExpiredHour: 24 } })
      .reply(200, { cname: 'room1', uid: '527841', resourceId: 'RID' });
    const result = await run(client.acquire({ cname: 'room1', uid: '527841', clientRequest: { resourceExpiredHour: 24 } }));
    expect(result).toMatchObject({ resourceId: 'RID', cname: 'room1', uid: '527841' });
    expect(scope.isDone()).toBe(true);
  });

  it('starts with the mode in the path and the typed clientRequest as the body', async () => {
    const { client, run } = setup();
    const scope = nock(HOST)
      .post(`${P}/resourceid/RID/mode/mix/start`, { cname: 'room1', uid: '527841', clientRequest: mixStart.clientRequest })
      .reply(200, { cname: 'room1', uid: '527841', resourceId: 'RID', sid: 'SID' });
    expect(await run(client.start(mixStart))).toMatchObject({ sid: 'SID', resourceId: 'RID' });
    expect(scope.isDone()).toBe(true);
  });

  it('stops synchronously by default, asynchronously on request', async () => {
    const { client, run } = setup();
    const body = { resourceId: 'RID', sid: 'SID', serverResponse: { uploadingStatus: 'uploaded' } };
    const scope = nock(HOST)
      .post(`${P}/resourceid/RID/sid/SID/mode/mix/stop`, { cname: 'room1', uid: '527841', clientRequest: { async_stop: false } })
      .reply(200, body)
      .post(`${P}/resourceid/RID/sid/SID/mode/mix/stop`, { cname: 'room1', uid: '527841', clientRequest: { async_stop: true } })
      .reply(200, body);
    await run(client.stop({ ...SESSION, mode: 'mix' }));
    await run(client.stop({ ...SESSION, mode: 'mix', asyncStop: true }));
    expect(scope.isDone()).toBe(true);
  });

  it('sends update and updateLayout to their paths', async () => {
    const { client, run } = setup();
    const ok = { resourceId: 'RID', sid: 'SID' };
    const scope = nock(HOST)
      .post(`${P}/resourceid/RID/sid/SID/mode/individual/update`, {
        cname: 'room1',
        uid: '527841',
        clientRequest: { streamSubscribe: { audioUidList: { subscribeAudioUids: ['#allstream#'] } } },
      })
      .reply(200, ok)
      .post(`${P}/resourceid/RID/sid/SID/mode/mix/updateLayout`, {
        cname: 'room1',
        uid: '527841',
        clientRequest: { mixedVideoLayout: 1, backgroundColor: '#FF0000' },
      })
      .reply(200, ok);
    await run(
      client.update({
        ...SESSION,
        mode: 'individual',
        clientRequest: { streamSubscribe: { audioUidList: { subscribeAudioUids: ['#allstream#'] } } },
      }),
    );
    await run(client.updateLayout({ ...SESSION, clientRequest: { mixedVideoLayout: 1, backgroundColor: '#FF0000' } }));
    expect(scope.isDone()).toBe(true);
  });
});

describe('error shapes', () => {
  it('reads the service shape {code, reason} and explains it', async () => {
    const { client, run } = setup();
    nock(HOST).post(`${P}/resourceid/RID/mode/mix/start`).reply(400, { code: 53, reason: 'task conflict' });
    const error = await run(client.start(mixStart)).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AgoraApiError);
    expect(error).toMatchObject({ httpStatus: 400, code: 53, reason: 'task conflict', endpoint: 'start', gatewayMessage: undefined });
    expect((error as Error).message).toBe(
      'start failed: Agora code 53 (task conflict): a recording with this channel and uid is already running; use another uid',
    );
  });

  it('reads the gateway shape {message}', async () => {
    const { client, run } = setup();
    nock(HOST).post(`${P}/acquire`).reply(401, { message: 'Invalid authentication credentials' });
    const error = await run(client.acquire({ cname: 'c', uid: '1' })).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ httpStatus: 401, code: undefined, gatewayMessage: 'Invalid authentication credentials' });
    expect((error as Error).message).toBe(
      'acquire failed: HTTP 401 "Invalid authentication credentials": check AGORA_CUSTOMER_ID and AGORA_CUSTOMER_SECRET',
    );
  });

  it('keeps the reason Agora gave when it says more than the code', async () => {
    const { client, run } = setup();
    nock(HOST).post(`${P}/acquire`).reply(400, { code: 2, reason: 'Acquire: invalid resourceExpiredHour value!' });
    const error = await run(client.acquire({ cname: 'c', uid: '1' })).catch((caught: unknown) => caught);
    expect((error as Error).message).toContain('Agora code 2 (invalid parameter) "Acquire: invalid resourceExpiredHour value!"');
  });

  it('carries the request id when Agora sends one', async () => {
    const { client, run } = setup();
    nock(HOST).post(`${P}/acquire`).reply(400, { code: 2, reason: 'x' }, { 'x-request-id': 'req-123' });
    await expect(run(client.acquire({ cname: 'c', uid: '1' }))).rejects.toMatchObject({ requestId: 'req-123' });
  });

  it('reports an unreadable success body as AgoraResponseError', async () => {
    const { client, run } = setup();
    nock(HOST).post(`${P}/acquire`).reply(200, '<html>gateway</html>');
    nock(HOST).post(`${P}/acquire`).reply(200, { cname: 'c' });
    await expect(run(client.acquire({ cname: 'c', uid: '1' }))).rejects.toThrow(AgoraResponseError);
    await expect(run(client.acquire({ cname: 'c', uid: '1' }))).rejects.toThrow(/resourceId/);
  });

  it('turns a repeated start (201, code 7) without a sid into an error', async () => {
    const { client, run } = setup();
    nock(HOST).post(`${P}/resourceid/RID/mode/mix/start`).reply(201, { code: 7, reason: 'already started' });
    await expect(run(client.start(mixStart))).rejects.toMatchObject({ httpStatus: 201, code: 7 });
  });
});

describe('retries', () => {
  it('never retries a 4xx', async () => {
    const { client, run, sleeps } = setup();
    const scope = nock(HOST).post(`${P}/acquire`).reply(400, { code: 2, reason: 'bad' });
    await expect(run(client.acquire({ cname: 'c', uid: '1' }))).rejects.toThrow(AgoraApiError);
    expect(scope.isDone()).toBe(true);
    expect(sleeps).toEqual([]);
  });

  it('retries acquire on 5xx', async () => {
    const { client, run, sleeps } = setup();
    const scope = nock(HOST)
      .post(`${P}/acquire`)
      .reply(500, { code: 501, reason: 'no_worker_manager_available' })
      .post(`${P}/acquire`)
      .reply(200, { cname: 'c', uid: '1', resourceId: 'RID' });
    expect((await run(client.acquire({ cname: 'c', uid: '1' }))).resourceId).toBe('RID');
    expect(scope.isDone()).toBe(true);
    expect(sleeps).toEqual([1_000]);
  });

  it('retries start with the same parameters after 3, 6 and 9 s on 5xx, 62 and 65', async () => {
    const { client, run, sleeps } = setup();
    const path = `${P}/resourceid/RID/mode/mix/start`;
    const body = { cname: 'room1', uid: '527841', clientRequest: mixStart.clientRequest };
    const scope = nock(HOST)
      .post(path, body)
      .reply(500, { code: 500, reason: 'internal_error' })
      .post(path, body)
      .reply(504, { code: 62, reason: 'request timeout' })
      .post(path, body)
      .reply(206, { code: 65, reason: 'request not completed' })
      .post(path, body)
      .reply(200, { cname: 'room1', uid: '527841', resourceId: 'RID', sid: 'SID' });
    expect((await run(client.start(mixStart))).sid).toBe('SID');
    expect(scope.isDone()).toBe(true);
    expect(sleeps).toEqual([3_000, 6_000, 9_000]);
  });

  it('gives up on start after three retries', async () => {
    const { client, run } = setup();
    const scope = nock(HOST).post(`${P}/resourceid/RID/mode/mix/start`).times(4).reply(500, { code: 500, reason: 'internal_error' });
    await expect(run(client.start(mixStart))).rejects.toMatchObject({ httpStatus: 500, code: 500 });
    expect(scope.isDone()).toBe(true);
  });

  it('does not retry start on 502: it needs a new resource', async () => {
    const { client, run, sleeps } = setup();
    nock(HOST).post(`${P}/resourceid/RID/mode/mix/start`).reply(500, { code: 502, reason: 'Failed to allocate worker' });
    await expect(run(client.start(mixStart))).rejects.toMatchObject({ code: 502 });
    expect(sleeps).toEqual([]);
  });

  it('rides out a failover 404 on query with 5, 10, 15 s back-off', async () => {
    const { client, run, sleeps } = setup();
    const path = `${P}/resourceid/RID/sid/SID/mode/mix/query`;
    const scope = nock(HOST)
      .get(path)
      .times(3)
      .reply(404, { code: 404, reason: 'failed to find worker' })
      .get(path)
      .reply(200, { ...SESSION, serverResponse: { status: 5, fileListMode: 'string', fileList: 'SID_room1.m3u8' } });
    const result = await run(client.query({ ...SESSION, mode: 'mix' }));
    expect(result.status).toBe(5);
    expect(scope.isDone()).toBe(true);
    expect(sleeps).toEqual([5_000, 10_000, 15_000]);
  });

  it('concludes the task ended after the failover window', async () => {
    const { client, run } = setup();
    const scope = nock(HOST)
      .get(`${P}/resourceid/RID/sid/SID/mode/mix/query`)
      .times(4)
      .reply(404, { code: 404, reason: 'failed to find worker' });
    await expect(run(client.query({ ...SESSION, mode: 'mix' }))).rejects.toMatchObject({ httpStatus: 404, code: 404 });
    expect(scope.isDone()).toBe(true);
  });

  it('lets the caller skip the failover back-off', async () => {
    const { client, run, sleeps } = setup();
    nock(HOST).get(`${P}/resourceid/RID/sid/SID/mode/mix/query`).reply(404, { code: 404, reason: 'failed to find worker' });
    await expect(run(client.query({ ...SESSION, mode: 'mix' }, { failoverBackoff: false }))).rejects.toMatchObject({ httpStatus: 404 });
    expect(sleeps).toEqual([]);
  });

  it("does not mistake the gateway's wrong-route 404 for a failover", async () => {
    const { client, run, sleeps } = setup();
    nock(HOST).get(`${P}/resourceid/RID/sid/SID/mode/mix/query`).reply(404, { message: 'no Route matched with those values' });
    await expect(run(client.query({ ...SESSION, mode: 'mix' }))).rejects.toMatchObject({
      gatewayMessage: 'no Route matched with those values',
    });
    expect(sleeps).toEqual([]);
  });

  it('backs off on 429, honouring Retry-After', async () => {
    const { client, run, sleeps } = setup();
    const scope = nock(HOST)
      .post(`${P}/acquire`)
      .reply(429, { message: 'API rate limit exceeded' }, { 'retry-after': '2' })
      .post(`${P}/acquire`)
      .reply(429, { message: 'API rate limit exceeded' })
      .post(`${P}/acquire`)
      .reply(200, { cname: 'c', uid: '1', resourceId: 'RID' });
    await run(client.acquire({ cname: 'c', uid: '1' }));
    expect(scope.isDone()).toBe(true);
    expect(sleeps).toEqual([2_000, 2_000]);
  });

  it('gives up after four 429s in a row', async () => {
    const { client, run } = setup();
    const scope = nock(HOST).post(`${P}/acquire`).times(5).reply(429, { message: 'API rate limit exceeded' });
    await expect(run(client.acquire({ cname: 'c', uid: '1' }))).rejects.toMatchObject({ httpStatus: 429 });
    expect(scope.isDone()).toBe(true);
  });
});

describe('stop results', () => {
  const stopPath = `${P}/resourceid/RID/sid/SID/mode/mix/stop`;

  it('returns the files and upload status', async () => {
    const { client, run } = setup();
    nock(HOST)
      .post(stopPath)
      .reply(200, {
        ...SESSION,
        serverResponse: {
          fileListMode: 'json',
          fileList: [
            {
              fileName: 'SID_room1.m3u8',
              trackType: 'audio_and_video',
              uid: '0',
              mixedAllUser: true,
              isPlayable: true,
              sliceStartTime: 1700000000123,
            },
          ],
          uploadingStatus: 'uploaded',
        },
      });
    expect(await run(client.stop({ ...SESSION, mode: 'mix' }))).toMatchObject({
      alreadyStopped: false,
      uploadingStatus: 'uploaded',
      files: [{ fileName: 'SID_room1.m3u8', uid: '0', mixedAllUser: true, sliceStartTime: 1700000000123 }],
      noRecordedData: false,
    });
  });

  it('treats 404 (task gone) as already stopped', async () => {
    const { client, run, sleeps } = setup();
    const scope = nock(HOST).post(stopPath).reply(404, { code: 404, reason: 'failed to find worker' });
    expect(await run(client.stop({ ...SESSION, mode: 'mix' }))).toEqual({
      alreadyStopped: true,
      httpStatus: 404,
      code: 404,
      reason: 'failed to find worker',
    });
    expect(scope.isDone()).toBe(true);
    expect(sleeps).toEqual([]);
  });

  it('treats code 49 (already exiting) as already stopped', async () => {
    const { client, run } = setup();
    nock(HOST).post(stopPath).reply(400, { code: 49, reason: 'invalid operation' });
    expect(await run(client.stop({ ...SESSION, mode: 'mix' }))).toMatchObject({ alreadyStopped: true, code: 49 });
  });

  it('treats 206 + 435 as stopped with no recorded data', async () => {
    const { client, run } = setup();
    nock(HOST).post(stopPath).reply(206, { code: 435, reason: 'no recorded data' });
    expect(await run(client.stop({ ...SESSION, mode: 'mix' }))).toMatchObject({ alreadyStopped: false, noRecordedData: true, files: [] });
  });

  it('retries 206 + 65, then stops', async () => {
    const { client, run, sleeps } = setup();
    nock(HOST)
      .post(stopPath)
      .reply(206, { code: 65, reason: 'request not completed' })
      .post(stopPath)
      .reply(200, { ...SESSION, serverResponse: { uploadingStatus: 'backuped' } });
    expect(await run(client.stop({ ...SESSION, mode: 'mix' }))).toMatchObject({ uploadingStatus: 'backuped' });
    expect(sleeps).toEqual([1_000]);
  });

  it('reads the web stop body: upload_service and web_recorder_service', async () => {
    const { client, run } = setup();
    nock(HOST)
      .post(`${P}/resourceid/RID/sid/SID/mode/web/stop`)
      .reply(200, {
        ...SESSION,
        serverResponse: {
          extensionServiceState: [
            { serviceName: 'upload_service', payload: { uploadingStatus: 'uploaded' } },
            {
              serviceName: 'web_recorder_service',
              payload: { fileList: [{ filename: 'SID_room1_0.mp4', sliceStartTime: 1700000000 }], onhold: false, state: 'exit' },
            },
          ],
        },
      });
    expect(await run(client.stop({ ...SESSION, mode: 'web' }))).toMatchObject({
      uploadingStatus: 'uploaded',
      files: [{ fileName: 'SID_room1_0.mp4', sliceStartTime: 1_700_000_000_000 }],
    });
  });
});

describe('query parsing', () => {
  const queryPath = (mode: string) => `${P}/resourceid/RID/sid/SID/mode/${mode}/query`;

  it("parses the reference's mix HLS+MP4 example", async () => {
    const { client, run } = setup();
    nock(HOST)
      .get(queryPath('mix'))
      .reply(200, {
        cname: 'room1',
        uid: '527841',
        resourceId: 'RID',
        sid: 'SID',
        serverResponse: {
          status: 5,
          fileListMode: 'json',
          sliceStartTime: 1700000000123,
          fileList: [
            {
              fileName: 'SID_room1.m3u8',
              trackType: 'audio_and_video',
              uid: '0',
              mixedAllUser: true,
              isPlayable: true,
              sliceStartTime: 1700000000123,
            },
          ],
        },
      });
    const result = await run(client.query({ ...SESSION, mode: 'mix' }));
    expect(result).toMatchObject({
      status: 5,
      fileListMode: 'json',
      sliceStartTime: 1700000000123,
      files: [
        {
          fileName: 'SID_room1.m3u8',
          trackType: 'audio_and_video',
          uid: '0',
          mixedAllUser: true,
          isPlayable: true,
          sliceStartTime: 1700000000123,
        },
      ],
    });
    expect(result.raw).toMatchObject({ serverResponse: { status: 5 } });
  });

  it('parses fileListMode "string" (mix, HLS only) into one playlist', async () => {
    const { client, run } = setup();
    nock(HOST)
      .get(queryPath('mix'))
      .reply(200, { ...SESSION, serverResponse: { status: 4, fileListMode: 'string', fileList: 'SID_room1.m3u8' } });
    expect(await run(client.query({ ...SESSION, mode: 'mix' }))).toMatchObject({
      fileListMode: 'string',
      files: [{ fileName: 'SID_room1.m3u8' }],
    });
  });

  it('accepts numbers sent as strings, uids sent as numbers, and seconds for slice times', async () => {
    const { client, run } = setup();
    nock(HOST)
      .get(queryPath('individual'))
      .reply(200, {
        resourceId: 'RID',
        sid: 'SID',
        cname: 'room1',
        uid: 527841,
        serverResponse: {
          status: '5',
          fileListMode: 'json',
          sliceStartTime: '1700000000',
          fileList: [
            {
              fileName: 'SID_room1__uid_s_42__uid_e_audio.m3u8',
              trackType: 'audio',
              uid: 42,
              mixedAllUser: 'false',
              isPlayable: 'true',
              sliceStartTime: 1700000001,
            },
          ],
        },
      });
    expect(await run(client.query({ ...SESSION, mode: 'individual' }))).toMatchObject({
      uid: '527841',
      status: 5,
      sliceStartTime: 1_700_000_000_000,
      files: [{ trackType: 'audio', uid: '42', mixedAllUser: false, isPlayable: true, sliceStartTime: 1_700_000_001_000 }],
    });
  });

  it('parses the screenshot-only shape (status and sliceStartTime only)', async () => {
    const { client, run } = setup();
    nock(HOST)
      .get(queryPath('individual'))
      .reply(200, { ...SESSION, serverResponse: { status: 5, sliceStartTime: 1700000000123 } });
    expect(await run(client.query({ ...SESSION, mode: 'individual' }))).toMatchObject({ status: 5, files: [], fileListMode: undefined });
  });

  it('parses web mode: extensionServiceState, lowercase filename, rtmp outputs', async () => {
    const { client, run } = setup();
    nock(HOST)
      .get(queryPath('web'))
      .reply(200, {
        ...SESSION,
        serverResponse: {
          status: 5,
          extensionServiceState: [
            {
              serviceName: 'web_recorder_service',
              payload: { fileList: [{ filename: 'SID_room1.m3u8', sliceStartTime: 1700000000123 }], onhold: false, state: 'inProgress' },
            },
            { serviceName: 'rtmp_publish_service', payload: { outputs: [{ rtmpUrl: 'rtmp://live/x', status: 'publishing' }] } },
          ],
        },
      });
    expect(await run(client.query({ ...SESSION, mode: 'web' }))).toMatchObject({
      status: 5,
      files: [{ fileName: 'SID_room1.m3u8', sliceStartTime: 1700000000123 }],
      web: { state: 'inProgress', onhold: false },
      rtmp: [{ rtmpUrl: 'rtmp://live/x', status: 'publishing' }],
    });
  });
});

describe('domain fallback', () => {
  const acquireBody = { cname: 'c', uid: '1', resourceId: 'RID' };

  it('tries the primary twice, then the other primary after DNS failures', async () => {
    const { client, run, sleeps } = setup({ baseUrls: undefined });
    const order: string[] = [];
    const track = (host: string) => () => order.push(host);
    nock('https://api.agora.io').post(`${P}/acquire`).times(2).replyWithError(netError('ENOTFOUND')).on('request', track('agora.io'));
    nock('https://api.sd-rtn.com').post(`${P}/acquire`).reply(200, acquireBody).on('request', track('sd-rtn.com'));
    expect((await run(client.acquire({ cname: 'c', uid: '1' }))).resourceId).toBe('RID');
    expect(order).toEqual(['agora.io', 'agora.io', 'sd-rtn.com']);
    expect(sleeps).toEqual([1_000, 3_000]);
  });

  it('skips the other primary after a non-DNS failure and goes regional', async () => {
    const { client, run } = setup({ baseUrls: undefined });
    const order: string[] = [];
    nock('https://api.agora.io')
      .post(`${P}/acquire`)
      .times(2)
      .replyWithError(netError('ECONNREFUSED'))
      .on('request', () => order.push('agora.io'));
    const other = nock('https://api.sd-rtn.com').post(`${P}/acquire`).reply(200, acquireBody);
    nock('https://api-us-west-1.agora.io')
      .post(`${P}/acquire`)
      .reply(200, acquireBody)
      .on('request', () => order.push('us-west-1'));
    await run(client.acquire({ cname: 'c', uid: '1' }));
    expect(order).toEqual(['agora.io', 'agora.io', 'us-west-1']);
    expect(other.isDone()).toBe(false);
  });

  it('uses the regional hosts of the chosen area and primary', async () => {
    const { client, run } = setup({ baseUrls: undefined, primary: 'https://api.sd-rtn.com', area: 'eu' });
    nock('https://api.sd-rtn.com').post(`${P}/acquire`).times(2).replyWithError(netError('ECONNRESET'));
    nock('https://api-eu-west-1.sd-rtn.com').post(`${P}/acquire`).replyWithError(netError('ECONNRESET'));
    const adjacent = nock('https://api-eu-central-1.sd-rtn.com').post(`${P}/acquire`).reply(200, acquireBody);
    await run(client.acquire({ cname: 'c', uid: '1' }));
    expect(adjacent.isDone()).toBe(true);
  });

  it('fails with AgoraNetworkError once every host failed', async () => {
    const { client, run, sleeps } = setup({ baseUrls: undefined });
    nock('https://api.agora.io').post(`${P}/acquire`).times(2).replyWithError(netError('ENOTFOUND'));
    nock('https://api.sd-rtn.com').post(`${P}/acquire`).replyWithError(netError('ENOTFOUND'));
    nock('https://api-us-west-1.agora.io').post(`${P}/acquire`).replyWithError(netError('ENOTFOUND'));
    nock('https://api-us-east-1.agora.io').post(`${P}/acquire`).replyWithError(netError('ENOTFOUND'));
    const error = await run(client.acquire({ cname: 'c', uid: '1' })).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AgoraNetworkError);
    expect(error).toMatchObject({ code: 'ENOTFOUND', host: 'https://api-us-east-1.agora.io', endpoint: 'acquire' });
    expect(sleeps).toEqual([1_000, 3_000, 6_000, 6_000]);
  });

  it('times out per call and says so', async () => {
    const { client, run } = setup({ timeouts: { query: 50 }, retry: { networkDelaysMs: [10] } });
    nock(HOST).get(`${P}/resourceid/RID/sid/SID/mode/mix/query`).times(2).delay(300).reply(200, {});
    const error = await run(client.query({ ...SESSION, mode: 'mix' })).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AgoraTimeoutError);
    expect((error as Error).message).toBe(`query failed: ${HOST} did not answer within 50 ms`);
  });
});

describe('rate budget', () => {
  it('never lets more than 10 requests into any second, queueing the rest', async () => {
    const base = createFakeClock(0);
    const inner = createSlidingWindowBudget({ limit: 10, windowMs: 1_000, clock: base });
    // Send times are when the budget lets a request go: the HTTP exchange itself runs in real time.
    const sentAt: number[] = [];
    const rateBudget = {
      take: (signal?: AbortSignal) =>
        inner.take(signal).then((answered) => {
          sentAt.push(base.now());
          return answered;
        }),
    };
    const { client } = setup({ rateBudget, clock: base });
    const scope = nock(HOST)
      .get(`${P}/resourceid/RID/sid/SID/mode/mix/query`)
      .times(25)
      .reply(200, { ...SESSION, serverResponse: { status: 5 } });
    await drive(base, Promise.all(Array.from({ length: 25 }, () => client.query({ ...SESSION, mode: 'mix' }))));
    expect(scope.isDone()).toBe(true);
    expect(sentAt).toHaveLength(25);
    for (const start of sentAt) {
      expect(sentAt.filter((time) => time >= start && time < start + 1_000).length).toBeLessThanOrEqual(10);
    }
    // Ten at once; the rest queued, not failed (a slot frees a window after its answer).
    expect(sentAt.filter((time) => time === 0)).toHaveLength(10);
    expect(sentAt.filter((time) => time >= 1_000)).toHaveLength(15);
  });

  it('hands out slots in order on the injected clock', async () => {
    const clock = createFakeClock(0);
    const budget = createSlidingWindowBudget({ limit: 2, windowMs: 1_000, clock });
    const times: number[] = [];
    // Each request answered at once: its slot frees a window after that.
    const takes = Array.from({ length: 5 }, () =>
      budget.take().then((answered) => {
        times.push(clock.now());
        answered?.();
      }),
    );
    await drive(clock, Promise.all(takes));
    expect(times).toEqual([0, 0, 1_000, 1_000, 2_000]);
  });

  it('holds a slot until its answer plus the window: a slow answer delays the next request', async () => {
    const clock = createFakeClock(0);
    const budget = createSlidingWindowBudget({ limit: 1, windowMs: 1_000, clock });
    const first = await budget.take();
    let secondAt: number | undefined;
    const second = budget.take().then(() => (secondAt = clock.now()));
    await clock.advance(1_500);
    expect(secondAt).toBeUndefined(); // the first request may still reach Agora now
    first?.();
    await drive(clock, second);
    expect(secondAt).toBe(2_500);
  });
});

describe('rate budget priorities', () => {
  it('keeps a quarter of the window for callers, and serves them before queued polls', async () => {
    const clock = createFakeClock(0);
    const budget = createSlidingWindowBudget({ limit: 4, windowMs: 1_000, clock });
    const order: string[] = [];
    const take = (name: string, priority: 'user' | 'background') =>
      budget.take(undefined, priority).then((answered) => {
        order.push(`${name}@${clock.now()}`);
        answered?.();
      });
    // Polls may hold 3 of 4 slots: the fourth poll waits, a caller's stop does not.
    for (const name of ['poll1', 'poll2', 'poll3']) await take(name, 'background');
    const poll4 = take('poll4', 'background');
    await take('stop', 'user');
    expect(order).toEqual(['poll1@0', 'poll2@0', 'poll3@0', 'stop@0']);
    // A caller arriving behind a queued poll still goes first once a window frees.
    const start = take('start', 'user');
    await drive(clock, Promise.all([poll4, start]));
    expect(order.slice(4)).toEqual(['start@1000', 'poll4@1000']);
  });

  it('drops a queued poll whose signal aborts (its task ended) and lets the next one go', async () => {
    const clock = createFakeClock(0);
    const budget = createSlidingWindowBudget({ limit: 1, windowMs: 1_000, clock });
    const first = await budget.take(undefined, 'background');
    const ended = new AbortController();
    const dropped = budget.take(ended.signal, 'background');
    const next = budget.take(undefined, 'background');
    ended.abort(new Error('the recording ended'));
    await expect(dropped).rejects.toThrow('the recording ended');
    first?.();
    await drive(clock, next);
    expect(clock.now()).toBe(1_000);
  });
});

describe('secrets', () => {
  it('keeps the Basic header, customer secret, storage keys and tokens out of errors and logs', async () => {
    const { client, run, lines } = setup({ baseUrls: undefined, retry: { networkDelaysMs: [1] } });
    nock('https://api.agora.io').post(`${P}/resourceid/RID/mode/mix/start`).times(2).replyWithError(netError('ECONNRESET'));
    const networkError = await run(client.start(mixStart)).catch((caught: unknown) => caught);
    expect(networkError).toBeInstanceOf(AgoraNetworkError);

    nock(HOST).post(`${P}/resourceid/RID/mode/mix/start`).reply(400, { code: 110, reason: 'invalid token' });
    const { client: other, run: runOther, lines: otherLines } = setup();
    const apiError = await runOther(other.start(mixStart)).catch((caught: unknown) => caught);
    expect(apiError).toBeInstanceOf(AgoraApiError);

    const everything = [everythingIn(networkError), everythingIn(apiError), ...lines, ...otherLines].join('\n');
    for (const secret of [CUSTOMER_SECRET, BASIC, 'Basic ', STORAGE.accessKey, STORAGE.secretKey, RECORDER_TOKEN]) {
      expect(everything).not.toContain(secret);
    }
    expect(lines.length).toBeGreaterThan(0);
  });
});
