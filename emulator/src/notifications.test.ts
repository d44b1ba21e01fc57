import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { signNotice } from './notifications.js';
import { startHarness, type Harness } from './test-support.js';

/**
 * Agora's Notification Center callbacks as the emulator sends them, received by a real HTTP
 * server: which events, in what order, signed how, and the ways delivery misbehaves.
 */

const SECRET = 'whsec-test';

interface Received {
  raw: string;
  headers: Record<string, string | string[] | undefined>;
  notice: {
    noticeId: string;
    productId: number;
    eventType: number;
    notifyMs: number;
    payload: { sid: string; sequence: number; sendts: number; serviceType: number; details: Record<string, unknown> };
  };
}

let receiver: Server | undefined;
let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  await new Promise((resolve) => (receiver ? receiver.close(resolve) : resolve(undefined)));
  h = undefined;
  receiver = undefined;
});

/** A webhook endpoint that answers `statusFor` (default 200) and keeps what it received. */
async function startReceiver(statusFor: (notice: Received['notice']) => number = () => 200) {
  const received: Received[] = [];
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const notice = JSON.parse(raw) as Received['notice'];
      received.push({ raw, headers: req.headers, notice });
      res.writeHead(statusFor(notice), { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => receiver!.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`, received };
}

async function withNotifications(statusFor?: (notice: Received['notice']) => number) {
  const target = await startReceiver(statusFor);
  h = await startHarness({ webhook: { url: target.url, secret: SECRET }, notificationRetryMs: 20 });
  return { h, received: target.received };
}

const names = (received: Received[], sid: string) =>
  received.filter((r) => r.notice.payload.sid === sid).map((r) => r.notice.payload.details.msgName);

describe('notifications', () => {
  it('sign the raw body as Agora does (the reference vector)', () => {
    const body =
      '{"noticeId":"n-1","productId":3,"eventType":40,"notifyMs":1700000000000,"payload":{"cname":"room1","uid":"527841","sid":"sid1","sequence":0,"sendts":1700000000000,"serviceType":1,"details":{"msgName":"recorder_started","status":0}}}';
    expect(signNotice(body, SECRET)).toEqual({
      'Agora-Signature': 'fc404127f1a8be97f06946aa634cf37528d0961f',
      'Agora-Signature-V2': 'de70f8f59cf3e0cdaec4897267038a85fc92f8b40d36d8fd54127e9942367022',
    });
  });

  it('tell a mix recording’s life in order: started, first files, leave, uploaded, exit', async () => {
    const { h, received } = await withNotifications();
    const rec = await h.start('mix', h.requests.mix());
    h.publish('room1', '7');
    await h.clock.advance(5_000);
    await h.call('GET', rec.session('query'));
    await h.call('POST', rec.session('stop'), rec.body());
    await h.emulator.control.notifications.settle();
    expect(names(received, rec.sid)).toEqual([
      'recorder_started',
      'uploader_started',
      'cloud_recording_file_infos',
      'recorder_leave',
      'uploaded',
      'session_exit',
    ]);
    const notices = received.map((r) => r.notice);
    expect(notices.map((n) => n.payload.sequence)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(notices.map((n) => n.eventType)).toEqual([40, 30, 4, 41, 31, 11]);
    expect(new Set(notices.map((n) => n.noticeId)).size).toBe(6);
    expect(notices.every((n) => n.productId === 3)).toBe(true);
    expect(notices[3]!.payload.details.leaveCode).toBe(16);
    expect(notices[4]!.payload.details.fileList).toEqual([
      expect.objectContaining({ fileName: `${rec.sid}_room1.m3u8`, uid: '0', mixedAllUser: true }),
    ]);
    for (const { raw, headers } of received) {
      expect(headers['agora-signature']).toBe(createHmac('sha1', SECRET).update(raw).digest('hex'));
      expect(headers['agora-signature-v2']).toBe(createHmac('sha256', SECRET).update(raw).digest('hex'));
    }
  });

  it('report an idle exit on their own, with no call to the API', async () => {
    const { h, received } = await withNotifications();
    const rec = await h.start('individual', h.requests.individual());
    await h.clock.advance(31_000);
    await expect.poll(() => names(received, rec.sid), { timeout: 3_000 }).toContain('session_exit');
    expect(received.find((r) => r.notice.eventType === 41)?.notice.payload.details.leaveCode).toBe(4);
  });

  it('report a web recording with web_recorder_started/stopped, and max_recording_hour as code 1', async () => {
    const { h, received } = await withNotifications();
    const rec = await h.start('web', h.requests.web());
    await h.clock.advance(3_600_000);
    await expect
      .poll(() => names(received, rec.sid), { timeout: 3_000 })
      .toEqual(['web_recorder_started', 'uploader_started', 'web_recorder_stopped', 'uploaded', 'session_exit']);
    const stopped = received[2]!.notice.payload.details;
    expect(stopped).toMatchObject({ code: 1, message: 'max_recording_hour' });
    expect(stopped.fileList).toEqual(
      [`${rec.sid}_room1.m3u8`, `${rec.sid}_room1_0.mp4`].map((filename) => ({ filename, sliceStartTime: rec.startedAt })),
    );
  });

  it('report a fatal error from the control API, then an abnormal exit (status 20)', async () => {
    const { h, received } = await withNotifications();
    const rec = await h.start('mix', h.requests.mix());
    const failed = await fetch(`${h.emulator.url}/_emulator/tasks/${rec.sid}/fail`, {
      method: 'POST',
      body: JSON.stringify({ errorCode: 50, errorMsg: 'upload timeout' }),
    });
    expect(failed.status).toBe(200);
    await h.emulator.control.notifications.settle();
    expect(names(received, rec.sid).slice(2)).toEqual(['cloud_recording_error', 'recorder_leave', 'uploaded', 'session_exit']);
    expect(received[2]!.notice.payload.details).toMatchObject({ errorLevel: 5, errorCode: 50, errorMsg: 'upload timeout' });
    expect(received.at(-1)!.notice.payload.details.exitStatus).toBe(1);
    expect(h.emulator.control.task(rec.sid)).toMatchObject({ active: false, status: 20, endReason: 'failed' });
    // Query says so while the task lingers, then it is gone.
    expect((await h.call('GET', rec.session('query'))).body.serverResponse).toMatchObject({ status: 20 });
    await h.clock.advance(3_000);
    expect((await h.call('GET', rec.session('query'))).status).toBe(404);
  });

  it('announce each snapshot with its object key', async () => {
    const { h, received } = await withNotifications();
    const request = { ...h.requests.individual(), snapshotConfig: { captureInterval: 10, fileType: ['jpg'] } };
    const rec = await h.start('individual', request);
    h.publish('room1', '7');
    await h.clock.advance(21_000);
    await h.call('GET', rec.session('query'));
    await h.emulator.control.notifications.settle();
    const snapshots = received.filter((r) => r.notice.eventType === 45).map((r) => r.notice.payload.details.fileName);
    expect(snapshots).toHaveLength(3);
    expect(snapshots).toEqual(h.emulator.control.task(rec.sid)?.snapshots);
  });

  it('are resent until answered 2xx, with the same noticeId', async () => {
    let failures = 2;
    const { h, received } = await withNotifications((notice) => (notice.eventType === 40 && failures-- > 0 ? 500 : 200));
    await h.start('mix', h.requests.mix());
    await h.emulator.control.notifications.settle();
    const first = received.filter((r) => r.notice.eventType === 40);
    expect(first).toHaveLength(3);
    expect(new Set(first.map((r) => r.notice.noticeId)).size).toBe(1);
    expect(h.emulator.control.notifications.log().find((entry) => entry.eventType === 40)).toMatchObject({
      attempts: 3,
      delivered: true,
      status: 200,
    });
  });

  it('give up after three resends', async () => {
    const { h, received } = await withNotifications((notice) => (notice.eventType === 40 ? 503 : 200));
    await h.start('mix', h.requests.mix());
    await h.emulator.control.notifications.settle();
    expect(received.filter((r) => r.notice.eventType === 40)).toHaveLength(4);
    expect(h.emulator.control.notifications.log().find((entry) => entry.eventType === 40)).toMatchObject({
      attempts: 4,
      delivered: false,
      status: 503,
    });
  });

  it('misbehave on request: dropped, duplicated (same noticeId), late and reordered', async () => {
    const { h, received } = await withNotifications();
    const control = (body: object) => fetch(`${h.emulator.url}/_emulator/notifications`, { method: 'POST', body: JSON.stringify(body) });
    expect((await control({ dropShare: 1 })).status).toBe(200);
    const dropped = await h.start('mix', h.requests.mix('room1', '41'), { uid: '41' });
    expect((await control({ duplicateShare: 1, lateMs: 50 })).status).toBe(200);
    const duplicated = await h.start('mix', h.requests.mix('room1', '42'), { uid: '42' });
    expect((await control({ reorderShare: 0.5, seed: 3 })).status).toBe(200);
    const reordered = await h.start('mix', h.requests.mix('room1', '43'), { uid: '43' });
    await h.call('POST', reordered.session('stop'), reordered.body());
    expect((await control({ lateShare: 0.5, lateMs: 300, seed: 11 })).status).toBe(200);
    const late = await h.start('mix', h.requests.mix('room1', '44'), { uid: '44' });
    await h.call('POST', late.session('stop'), late.body());
    await h.emulator.control.notifications.settle();

    const log = h.emulator.control.notifications.log();
    expect(log.filter((entry) => entry.fate === 'dropped')).toHaveLength(2);
    expect(received.filter((r) => r.notice.payload.sid === dropped.sid)).toHaveLength(0);
    const twice = received.filter((r) => r.notice.payload.sid === duplicated.sid);
    expect(twice).toHaveLength(4);
    expect(new Set(twice.map((r) => r.notice.noticeId)).size).toBe(2);
    const sequences = received.filter((r) => r.notice.payload.sid === reordered.sid).map((r) => r.notice.payload.sequence);
    expect([...sequences].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4]);
    expect(sequences).not.toEqual([0, 1, 2, 3, 4]);
    const lateOnes = log.filter((entry) => entry.sid === late.sid && entry.fate === 'late').map((entry) => entry.sequence);
    expect(lateOnes.length).toBeGreaterThan(0);
    const arrival = received.filter((r) => r.notice.payload.sid === late.sid).map((r) => r.notice.payload.sequence);
    expect([...arrival].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4]);
    // A late notice arrives after every punctual one sent after it.
    for (const sequence of lateOnes) {
      const overtakers = log
        .filter((entry) => entry.sid === late.sid && entry.fate === 'sent' && entry.sequence > sequence)
        .map((entry) => entry.sequence);
      for (const overtaker of overtakers) expect(arrival.indexOf(overtaker)).toBeLessThan(arrival.indexOf(sequence));
    }
    const state = (await (await fetch(`${h.emulator.url}/_emulator/notifications`)).json()) as { url: string; log: unknown[] };
    expect(state.url).toMatch(/\/hook$/);
    expect(JSON.stringify(state)).not.toContain(SECRET);
  });

  it('are off until a target is set, and the control API refuses a url without a secret', async () => {
    h = await startHarness();
    const rec = await h.start('mix', h.requests.mix());
    expect(rec.reply.status).toBe(200);
    expect(h.emulator.control.notifications.log()).toEqual([]);
    const refused = await fetch(`${h.emulator.url}/_emulator/notifications`, {
      method: 'POST',
      body: JSON.stringify({ url: 'http://127.0.0.1:9/hook' }),
    });
    expect(refused.status).toBe(400);
    expect(await refused.json()).toEqual({ error: 'secret: required with a new url' });
  });
});

describe('the control API', () => {
  it('refuses a web page on another origin, and a rebinding Host, and does nothing for them', async () => {
    h = await startHarness();
    const { port } = new URL(h.emulator.url);
    const { request } = await import('node:http');
    const send = (headers: Record<string, string>) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = request(
          { host: '127.0.0.1', port, path: '/_emulator/chaos', method: 'POST', headers: { 'content-type': 'text/plain', ...headers } },
          (res) => {
            let body = '';
            res.on('data', (chunk: Buffer) => (body += chunk.toString()));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
          },
        );
        req.on('error', reject);
        req.end(JSON.stringify({ share: 1 }));
      });
    expect(await send({ origin: 'https://evil.example' })).toEqual({
      status: 403,
      body: JSON.stringify({ error: 'requests from https://evil.example may not drive the emulator' }),
    });
    expect((await send({ host: `rebind.example:${port}` })).status).toBe(403);
    // Nothing was switched on: a start still works.
    expect((await h.start('mix', h.requests.mix())).reply.status).toBe(200);
    expect((await send({ origin: `http://127.0.0.1:${port}`, host: `127.0.0.1:${port}` })).status).toBe(200);
  });
});
