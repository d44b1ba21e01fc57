import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AUTH, STORAGE, startHarness, type Answer, type Harness } from './test-support.js';

/**
 * The rules this emulator enforces from Agora's published OpenAPI description of Cloud
 * Recording (README, "What it checks"), one row each: the rule, the request that breaks it, and
 * Agora's answer. Then the behaviours the spec describes beyond validation.
 */

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(() => h.close());

type Mode = 'mix' | 'individual' | 'web';
interface Rule {
  rule: string;
  mode: Mode;
  request: () => object;
  acquire?: object;
  status: number;
  code: number;
  reason: RegExp;
}

const rules: Rule[] = [
  {
    rule: 'block lists in one spelling only',
    mode: 'mix',
    request: () => h.requests.mix('room1', '527841', { recordingConfig: { unsubscribeAudioUids: ['1'], unSubscribeAudioUids: ['2'] } }),
    status: 400,
    code: 2,
    reason: /unSubscribeAudioUids cannot be set together with unsubscribeAudioUids/,
  },
  {
    rule: 'subscribe and unsubscribe lists exclude each other (spec spelling)',
    mode: 'mix',
    request: () => h.requests.mix('room1', '527841', { recordingConfig: { subscribeVideoUids: ['1'], unsubscribeVideoUids: ['2'] } }),
    status: 400,
    code: 2,
    reason: /unsubscribeVideoUids cannot be set together with subscribeVideoUids/,
  },
  {
    rule: 'at most 32 uids in a list',
    mode: 'mix',
    request: () =>
      h.requests.mix('room1', '527841', { recordingConfig: { unsubscribeAudioUids: Array.from({ length: 33 }, (_, i) => String(i + 1)) } }),
    status: 400,
    code: 2,
    reason: /unsubscribeAudioUids holds at most 32 uids/,
  },
  {
    rule: 'sse is for Amazon S3 only',
    mode: 'mix',
    request: () => h.requests.mix('room1', '527841', { storageConfig: { ...STORAGE, vendor: 2, extensionParams: { sse: 'kms' } } }),
    status: 400,
    code: 2,
    reason: /extensionParams.sse is only for Amazon S3/,
  },
  {
    rule: 'sse is kms or aes256',
    mode: 'mix',
    request: () => h.requests.mix('room1', '527841', { storageConfig: { ...STORAGE, extensionParams: { sse: 'rsa' } } }),
    status: 400,
    code: 2,
    reason: /extensionParams.sse must be 'kms' or 'aes256'/,
  },
  {
    rule: 'tag is for S3 and Alibaba Cloud only',
    mode: 'mix',
    request: () => h.requests.mix('room1', '527841', { storageConfig: { ...STORAGE, vendor: 3, extensionParams: { tag: 'x' } } }),
    status: 400,
    code: 2,
    reason: /extensionParams.tag is only for Amazon S3 \(1\) and Alibaba Cloud \(2\)/,
  },
  {
    rule: 'endpoint is a host name',
    mode: 'mix',
    request: () =>
      h.requests.mix('room1', '527841', {
        storageConfig: { ...STORAGE, vendor: 11, extensionParams: { endpoint: 'not a host/with/path' } },
      }),
    status: 400,
    code: 2,
    reason: /extensionParams.endpoint must be a host name/,
  },
  {
    rule: 'stsToken only for vendors 1–3',
    mode: 'mix',
    request: () => h.requests.mix('room1', '527841', { storageConfig: { ...STORAGE, vendor: 5, stsToken: 't' } }),
    status: 400,
    code: 2,
    reason: /stsToken is only for vendors 1, 2 and 3/,
  },
  {
    rule: 'stsExpiration needs stsToken',
    mode: 'mix',
    request: () => h.requests.mix('room1', '527841', { storageConfig: { ...STORAGE, stsExpiration: 1_900_000_000 } }),
    status: 400,
    code: 2,
    reason: /stsExpiration needs stsToken/,
  },
  {
    rule: 'web readyTimeout 0–60',
    mode: 'web',
    request: () => h.requests.web({ readyTimeout: 61 }),
    status: 400,
    code: 2,
    reason: /readyTimeout must be from 0 to 60/,
  },
  {
    rule: 'web maxVideoDuration 30–240',
    mode: 'web',
    request: () => h.requests.web({ maxVideoDuration: 29 }),
    status: 400,
    code: 2,
    reason: /maxVideoDuration must be from 30 to 240/,
  },
  {
    rule: 'web onhold is a boolean',
    mode: 'web',
    request: () => h.requests.web({ onhold: 'yes' }),
    status: 400,
    code: 2,
    reason: /onhold/,
  },
  {
    rule: 'snapshotConfig needs video',
    mode: 'individual',
    request: () => ({ ...h.requests.individual('room1', '527841', { streamTypes: 0 }), snapshotConfig: { fileType: ['jpg'] } }),
    status: 400,
    code: 2,
    reason: /snapshotConfig needs streamTypes 1 or 2/,
  },
  {
    rule: 'captureInterval 5–3600',
    mode: 'individual',
    request: () => ({ ...h.requests.individual(), snapshotConfig: { captureInterval: 4, fileType: ['jpg'] } }),
    status: 400,
    code: 2,
    reason: /captureInterval must be from 5 to 3600/,
  },
  {
    rule: 'startParameter must itself be valid',
    mode: 'mix',
    acquire: { startParameter: { storageConfig: { vendor: 1 } } },
    request: () => h.requests.mix(),
    status: 400,
    code: 2,
    reason: /startParameter\.storageConfig/,
  },
  {
    rule: 'start agrees with startParameter',
    mode: 'mix',
    acquire: { startParameter: { storageConfig: { ...STORAGE, bucket: 'other' }, recordingFileConfig: { avFileType: ['hls'] } } },
    request: () => h.requests.mix(),
    status: 400,
    code: 2,
    reason: /clientRequest.storageConfig does not match the startParameter of acquire/,
  },
];

describe('start rules', () => {
  it.each(rules)('$rule', async ({ mode, request, acquire, status, code, reason }) => {
    const { reply } = await h.start(mode, request(), acquire ? { acquire } : {});
    expect(reply.status).toBe(status);
    expect(reply.body.code).toBe(code);
    expect(String(reply.body.reason)).toMatch(reason);
    // A refused start leaves nothing running.
    expect(h.emulator.control.tasks()).toEqual([]);
  });
});

const acquireRules: { rule: string; clientRequest: object; reason: RegExp }[] = [
  {
    rule: 'resourceExpiredHour 1–720 (Agora’s wording)',
    clientRequest: { resourceExpiredHour: 721 },
    reason: /^Acquire: invalid resourceExpiredHour value!$/,
  },
  { rule: 'region is CN, AP, EU or NA', clientRequest: { region: 'US' }, reason: /clientRequest.region must be 'CN', 'AP', 'EU' or 'NA'/ },
  {
    rule: 'excludeResourceIds is a list of ids',
    clientRequest: { excludeResourceIds: 'abc' },
    reason: /excludeResourceIds must be an array of resourceIds/,
  },
  { rule: 'scene is 0, 1 or 2', clientRequest: { scene: 3 }, reason: /scene must be 0, 1 or 2/ },
  { rule: 'startParameter is an object', clientRequest: { startParameter: [1] }, reason: /startParameter must be an object/ },
];

describe('acquire rules', () => {
  it.each(acquireRules)('$rule', async ({ clientRequest, reason }) => {
    const reply = await h.acquire('room1', '527841', clientRequest);
    expect(reply.status).toBe(400);
    expect(reply.body.code).toBe(2);
    expect(String(reply.body.reason)).toMatch(reason);
  });
});

function expectRefusal(reply: Answer, reason: RegExp) {
  expect(reply.status).toBe(400);
  expect(reply.body.code).toBe(2);
  expect(String(reply.body.reason)).toMatch(reason);
}

describe('session rules', () => {
  it('update: storageConfig refreshes credentials, never the bucket', async () => {
    const sts = { ...STORAGE, stsToken: 'first', stsExpiration: Math.floor(h.clock.now() / 1000) + 4 * 3600 };
    const rec = await h.start('mix', h.requests.mix('room1', '527841', { storageConfig: sts }));
    const moved = await h.call('POST', rec.session('update'), rec.body({ storageConfig: { ...sts, bucket: 'elsewhere' } }));
    expectRefusal(moved, /not change vendor, region or bucket/);
    const later = sts.stsExpiration + 3600;
    expect(
      (await h.call('POST', rec.session('update'), rec.body({ storageConfig: { ...sts, stsToken: 'second', stsExpiration: later } })))
        .status,
    ).toBe(200);
    expect(h.emulator.control.task(rec.sid)?.stsExpiration).toBe(later);
  });

  it('update: the spec spelling and the older one both change the block list', async () => {
    for (const key of ['unsubscribeAudioUids', 'unSubscribeAudioUids']) {
      const uid = key === 'unsubscribeAudioUids' ? '11' : '12';
      const rec = await h.start('individual', h.requests.individual('room1', uid), { uid });
      h.publish('room1', '7');
      await h.clock.advance(5_000);
      expect(h.emulator.control.task(rec.sid)?.files.some((name) => name.includes('__uid_s_7__uid_e_audio'))).toBe(true);
      expect((await h.call('POST', rec.session('update'), rec.body({ streamSubscribe: { audioUidList: { [key]: ['7'] } } }))).status).toBe(
        200,
      );
      expect(h.emulator.control.task(rec.sid)?.files.some((name) => name.includes('__uid_s_7__uid_e_audio'))).toBe(false);
    }
  });

  it('update: webRecordingConfig and rtmpPublishConfig are web mode’s', async () => {
    const rec = await h.start('mix', h.requests.mix());
    const reply = await h.call(
      'POST',
      rec.session('update'),
      rec.body({ rtmpPublishConfig: { outputs: [{ rtmpUrl: 'rtmp://cdn/live' }] } }),
    );
    expectRefusal(reply, /rtmpPublishConfig is only for web mode/);
  });

  it('stop: async_stop is a boolean', async () => {
    const rec = await h.start('mix', h.requests.mix());
    const reply = await h.call('POST', rec.session('stop'), rec.body({ async_stop: 'yes' }));
    expectRefusal(reply, /async_stop must be a boolean/);
    expect(h.emulator.control.task(rec.sid)?.active).toBe(true);
  });

  it('resourceExpiredHour: past it, the running task can no longer be reached (404), though it records on', async () => {
    const rec = await h.start('mix', h.requests.mix('room1', '527841', { recordingConfig: { maxIdleTime: 2_592_000 } }), {
      acquire: { resourceExpiredHour: 1 },
    });
    h.publish('room1', '7');
    await h.clock.advance(3_599_000);
    expect((await h.call('GET', rec.session('query'))).status).toBe(200);
    await h.clock.advance(1_000);
    expect(await h.call('GET', rec.session('query'))).toEqual({ status: 404, body: { code: 404, reason: 'failed to find worker' } });
    expect(h.emulator.control.task(rec.sid)?.active).toBe(true);
  });
});

describe('answers the spec describes', () => {
  it('a top-level sliceStartTime in individual mode only', async () => {
    const individual = await h.start('individual', h.requests.individual('room1', '21'), { uid: '21' });
    const mix = await h.start('mix', h.requests.mix('room1', '22'), { uid: '22' });
    h.publish('room1', '7');
    const publishedAt = h.clock.now();
    await h.clock.advance(5_000);
    const answer = async (rec: typeof mix) => (await h.call('GET', rec.session('query'))).body.serverResponse as Record<string, unknown>;
    expect((await answer(individual)).sliceStartTime).toBe(publishedAt);
    expect(await answer(mix)).not.toHaveProperty('sliceStartTime');
  });

  it('excludeResourceIds: a new resource avoids the excluded ones’ regions; region pins it', async () => {
    const first = await h.start('mix', h.requests.mix('room1', '31'), { uid: '31' });
    const second = await h.start('mix', h.requests.mix('room1', '32'), { uid: '32', acquire: { excludeResourceIds: [first.resourceId] } });
    const pinned = await h.start('mix', h.requests.mix('room1', '33'), { uid: '33', acquire: { region: 'EU' } });
    const regionOf = (sid: string) => h.emulator.control.task(sid)?.region;
    expect(regionOf(second.sid)).not.toBe(regionOf(first.sid));
    expect(regionOf(pinned.sid)).toBe('EU');
  });

  it('web maxVideoDuration: a new MP4 file per period', async () => {
    const rec = await h.start('web', h.requests.web({ maxVideoDuration: 30, maxRecordingHour: 2 }));
    await h.clock.advance(61 * 60_000);
    const mp4s = h.emulator.control.task(rec.sid)?.files.filter((name) => name.endsWith('.mp4'));
    expect(mp4s).toEqual([0, 1, 2].map((index) => `${rec.sid}_room1_${index}.mp4`));
  });

  it('web onhold at start: the page is recorded paused', async () => {
    const rec = await h.start('web', h.requests.web({ onhold: true }));
    const reply = await h.call('GET', rec.session('query'));
    expect(reply.body.serverResponse).toMatchObject({
      extensionServiceState: [{ serviceName: 'web_recorder_service', payload: { onhold: true } }],
    });
  });

  it('snapshots: a JPEG per publisher every captureInterval, written under the prefix', async () => {
    const request = {
      ...h.requests.individual('room1', '527841', {}, { storageConfig: { ...STORAGE, fileNamePrefix: ['snaps'] } }),
      snapshotConfig: { captureInterval: 5, fileType: ['jpg'] },
    };
    delete (request as { recordingFileConfig?: unknown }).recordingFileConfig;
    const rec = await h.start('individual', request);
    h.publish('room1', '7');
    await h.clock.advance(12_000);
    const stopped = await h.call('POST', rec.session('stop'), rec.body());
    expect(stopped.body.serverResponse).toEqual({ uploadingStatus: 'uploaded' });
    const snapshots = h.emulator.control.task(rec.sid)?.snapshots ?? [];
    expect(snapshots).toHaveLength(3);
    expect(snapshots.every((name) => /^[0-9a-f]{32}_room1__uid_s_7__uid_e_video_\d{17}\.jpg$/.test(name))).toBe(true);
    expect((await readdir(join(h.storageDir, 'bucket1', 'snaps'))).sort()).toEqual([...snapshots].sort());
  });

  it('an expired stsToken: stop reports "backuped"', async () => {
    const sts = { ...STORAGE, stsToken: 't', stsExpiration: Math.floor(h.clock.now() / 1000) + 60 };
    const rec = await h.start('mix', h.requests.mix('room1', '527841', { storageConfig: sts }));
    h.publish('room1', '7');
    await h.clock.advance(120_000);
    const stopped = await h.call('POST', rec.session('stop'), rec.body());
    expect(stopped.body.serverResponse).toMatchObject({ uploadingStatus: 'backuped' });
  });

  it('GET /v1/ncs/ip lists the notification servers’ addresses, behind Basic auth', async () => {
    expect(await h.call('GET', '/v1/ncs/ip')).toEqual({
      status: 200,
      body: { data: { service: { hosts: [{ primaryIP: '127.0.0.1' }] } } },
    });
    const anonymous = await fetch(`${h.emulator.url}/v1/ncs/ip`);
    expect(anonymous.status).toBe(401);
    expect(AUTH).toMatch(/^Basic /);
  });
});
