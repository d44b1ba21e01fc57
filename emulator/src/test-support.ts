import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createManualClock, type ManualClock } from './clock.js';
import { createEmulator, type Emulator, type EmulatorOptions } from './server.js';
import agoraTokenInternals from 'agora-token/src/AccessToken2.js';

/**
 * Recorder tokens for the emulator's tests, built by Agora's own agora-token package (a dev
 * dependency) at a chosen issue time, so the emulator's token checks are tested against the
 * reference encoder and not against code of ours.
 */
const { AccessToken2, ServiceRtc, ServiceRtm } = agoraTokenInternals;

export function recorderTokenAt(options: {
  appId: string;
  appCertificate: string;
  channel: string;
  uid: string | number;
  atMs: number;
  expireSeconds: number;
}): string {
  const token = new AccessToken2(options.appId, options.appCertificate, Math.floor(options.atMs / 1000), options.expireSeconds);
  const uid = options.uid === 0 || options.uid === '0' ? '' : String(options.uid);
  const rtc = new ServiceRtc(options.channel, uid);
  rtc.add_privilege(ServiceRtc.kPrivilegeJoinChannel, options.expireSeconds);
  token.add_service(rtc);
  return token.build();
}

/**
 * A Conversational AI agent's token: RTC join (and, unless `subscriber`, publish) for the channel
 * and uid, plus RTM login for the same user unless `rtm` is false.
 */
export function agentTokenAt(options: {
  appId: string;
  appCertificate: string;
  channel: string;
  uid: string;
  atMs: number;
  expireSeconds: number;
  rtm?: boolean;
  subscriber?: boolean;
}): string {
  const token = new AccessToken2(options.appId, options.appCertificate, Math.floor(options.atMs / 1000), options.expireSeconds);
  const rtc = new ServiceRtc(options.channel, options.uid === '0' ? '' : options.uid);
  rtc.add_privilege(ServiceRtc.kPrivilegeJoinChannel, options.expireSeconds);
  if (options.subscriber !== true) {
    for (const privilege of [
      ServiceRtc.kPrivilegePublishAudioStream,
      ServiceRtc.kPrivilegePublishVideoStream,
      ServiceRtc.kPrivilegePublishDataStream,
    ])
      rtc.add_privilege(privilege, options.expireSeconds);
  }
  token.add_service(rtc);
  if (options.rtm !== false) {
    const rtm = new ServiceRtm(options.uid);
    rtm.add_privilege(ServiceRtm.kPrivilegeLogin, options.expireSeconds);
    token.add_service(rtm);
  }
  return token.build();
}

export const APP_ID = '970ca35de60c44645bbae8a215061b33';
export const CERT = '5cfd2fd1755d40ecb72977518be15d3b';
export const AUTH = `Basic ${Buffer.from('cust:secret').toString('base64')}`;
export const P = `/v1/apps/${APP_ID}/cloud_recording`;
export const STORAGE = { vendor: 1, region: 0, bucket: 'bucket1', accessKey: 'ak', secretKey: 'sk' };

export interface Answer {
  status: number;
  body: Record<string, unknown>;
}

/** A notice as a webhook received it, and whether both signature headers match the secret. */
export interface ReceivedNotice {
  noticeId: string;
  productId: number;
  eventType: number;
  notifyMs: number;
  sid?: string;
  payload: Record<string, unknown>;
  signed: boolean;
}

/** A webhook endpoint on port 0 that answers 200 and keeps every notice in arrival order. */
async function startNoticeReceiver(secret: string): Promise<{ server: Server; url: string; received: ReceivedNotice[] }> {
  const received: ReceivedNotice[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const sign = (algorithm: string) => createHmac(algorithm, secret).update(raw).digest('hex');
      const signed = req.headers['agora-signature'] === sign('sha1') && req.headers['agora-signature-v2'] === sign('sha256');
      received.push({ ...(JSON.parse(raw) as Omit<ReceivedNotice, 'signed'>), signed });
      res.writeHead(200).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, received };
}

/** An emulator on a manual clock and a temporary storage folder, with request helpers. */
export async function startHarness(overrides: Partial<EmulatorOptions> = {}) {
  const clock: ManualClock = createManualClock(Date.UTC(2026, 10, 27, 12, 0, 0));
  const storageDir = await mkdtemp(join(tmpdir(), 'emulator-'));
  const emulator: Emulator = createEmulator({
    appId: APP_ID,
    appCertificate: CERT,
    customerId: 'cust',
    customerSecret: 'secret',
    storageDir,
    clock,
    timing: { statusStepMs: 1_000, segmentMs: 10_000, exitLingerMs: 3_000 },
    limits: { requestsPerSecond: 0 },
    ...overrides,
  });
  await emulator.listen();
  const receivers: Server[] = [];

  async function call(method: string, path: string, body?: unknown): Promise<Answer> {
    const response = await fetch(`${emulator.url}${path}`, {
      method,
      headers: { 'content-type': 'application/json', authorization: AUTH },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }
  const token = (cname: string, uid: string) =>
    recorderTokenAt({ appId: APP_ID, appCertificate: CERT, channel: cname, uid, atMs: clock.now(), expireSeconds: 3600 });
  const requests = {
    mix: (cname = 'room1', uid = '527841', extra: Record<string, unknown> = {}) => ({
      token: token(cname, uid),
      storageConfig: STORAGE,
      recordingConfig: { channelType: 0, maxIdleTime: 30 },
      recordingFileConfig: { avFileType: ['hls'] },
      ...extra,
    }),
    individual: (cname = 'room1', uid = '527841', recordingConfig: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) => ({
      token: token(cname, uid),
      storageConfig: STORAGE,
      recordingConfig: { channelType: 0, maxIdleTime: 30, subscribeUidGroup: 0, streamTypes: 2, ...recordingConfig },
      recordingFileConfig: { avFileType: ['hls'] },
      ...extra,
    }),
    web: (serviceParam: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) => ({
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
              ...serviceParam,
            },
          },
        ],
      },
      recordingFileConfig: { avFileType: ['hls', 'mp4'] },
      ...extra,
    }),
  };
  async function acquire(cname = 'room1', uid = '527841', clientRequest: object = {}): Promise<Answer> {
    return call('POST', `${P}/acquire`, { cname, uid, clientRequest });
  }
  async function start(
    mode: 'mix' | 'individual' | 'web',
    clientRequest: object,
    options: { cname?: string; uid?: string; acquire?: object } = {},
  ) {
    const cname = options.cname ?? 'room1';
    const uid = options.uid ?? '527841';
    const acquired = await acquire(cname, uid, options.acquire ?? (mode === 'web' ? { scene: 1 } : {}));
    const resourceId = String(acquired.body.resourceId);
    const startedAt = clock.now();
    const reply = await call('POST', `${P}/resourceid/${resourceId}/mode/${mode}/start`, { cname, uid, clientRequest });
    const sid = String(reply.body.sid);
    const session = (action: string) => `${P}/resourceid/${resourceId}/sid/${sid}/mode/${mode}/${action}`;
    return { resourceId, reply, sid, startedAt, session, body: (clientRequest: object = {}) => ({ cname, uid, clientRequest }) };
  }
  return {
    emulator,
    clock,
    storageDir,
    call,
    acquire,
    start,
    requests,
    token,
    publish: (cname: string, uid: string) => emulator.control.join(cname, uid),
    /** Sends the emulator's notices to a new receiver (closed with the harness); its notices. */
    async receiveNotices(secret = 'hook-secret'): Promise<ReceivedNotice[]> {
      const receiver = await startNoticeReceiver(secret);
      receivers.push(receiver.server);
      emulator.control.setNotificationTarget({ url: receiver.url, secret });
      return receiver.received;
    },
    async close() {
      await emulator.close();
      await Promise.all(receivers.map((server) => new Promise((resolve) => server.close(resolve))));
      await rm(storageDir, { recursive: true, force: true });
    },
  };
}

export type Harness = Awaited<ReturnType<typeof startHarness>>;
