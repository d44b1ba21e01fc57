import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createApiKeyAuth, hashApiKey, unlimitedBudget } from '@agora-backend/server';
import { createFakeClock, type FakeClock } from '@agora-backend/server/testing';
import { closeClient, createClient, type RecordingObject } from '@agora-backend/client/node';
import { catchServerError } from './helpers/errors.js';
import { runCli } from './helpers/process.js';
import { collect, wsConnection } from './helpers/subscribers.js';
import { STORAGE, startRecordingStack, type RecordingStack } from './helpers/recording-stack.js';

const KEYS = { alice: 'agk_alice_files_0000000000000000000000', bob: 'agk_bob_files_111111111111111111111111' };
const auth = createApiKeyAuth([
  { id: 'alice', hash: hashApiKey(KEYS.alice), scopes: ['token', 'record'], channels: ['*'] },
  { id: 'bob', hash: hashApiKey(KEYS.bob), scopes: ['token', 'record'], channels: ['*'] },
]);

let stack: RecordingStack | undefined;
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
  await stack?.close(true);
  stack = undefined;
});

const TS_PACKET = 188;
const isMpegTs = (bytes: Buffer) =>
  bytes.length > 0 && bytes.length % TS_PACKET === 0 && bytes.every((byte, index) => index % TS_PACKET !== 0 || byte === 0x47);

async function fetchBytes(url: string, init?: RequestInit) {
  const response = await fetch(url, init);
  return { response, bytes: Buffer.from(await response.arrayBuffer()) };
}

/** A recording with a publisher, run for `seconds` of Agora's time, its uploads on disk. */
async function recordFor(
  s: RecordingStack,
  clock: FakeClock,
  seconds: number,
  input: Parameters<RecordingStack['client']['recording']['start']['mutate']>[0],
) {
  s.emulator.control.join(input.channel, '100');
  const started = await s.client.recording.start.mutate(input);
  await clock.advance(seconds * 1000);
  await s.client.recording.query.query({ id: started.id });
  await s.emulator.control.flushStorage();
  return started;
}

const byKind = (files: RecordingObject[], kind: RecordingObject['kind']) => files.filter((file) => file.kind === kind);

describe('recording.files on the embedded default', () => {
  it('lists playlists, segments and snapshots as they appear, with links that download the bytes on disk', async () => {
    const clock = createFakeClock(Date.now());
    stack = await startRecordingStack({ clock, agora: { rateBudget: unlimitedBudget }, authenticator: auth, auth: KEYS.alice });
    const started = await recordFor(stack, clock, 12, { channel: 'files-room', mode: 'individual', snapshots: { intervalSeconds: 5 } });
    const early = await stack.client.recording.files.query({ id: started.id });
    expect(early.source).toBe('bucket');
    await clock.advance(20_000);
    await stack.client.recording.query.query({ id: started.id });
    await stack.emulator.control.flushStorage();
    const { files } = await stack.client.recording.files.query({ id: started.id, expiresInSeconds: 120 });
    expect(byKind(files, 'segment').length).toBeGreaterThan(byKind(early.files, 'segment').length);
    expect(byKind(files, 'snapshot').length).toBeGreaterThan(byKind(early.files, 'snapshot').length);

    // Every object under the recording's prefix, and nothing else.
    const folder = join(stack.storageDir, STORAGE.bucket, 'recordings', started.id);
    expect(files.map((file) => file.fileName).sort()).toEqual((await readdir(folder)).sort());
    expect(
      byKind(files, 'playlist')
        .map((file) => [file.uid, file.trackType])
        .sort(),
    ).toEqual([
      ['100', 'audio'],
      ['100', 'video'],
    ]);
    for (const file of files) {
      expect(file.key).toBe(`recordings/${started.id}/${file.fileName}`);
      expect(file.urlExpiresAt?.getTime()).toBe(Math.floor(clock.now() / 1000) * 1000 + 120_000);
      const { response, bytes } = await fetchBytes(file.url!);
      expect(response.status, file.fileName).toBe(200);
      expect(response.headers.get('content-type')).toBe(file.contentType);
      expect(bytes.equals(await readFile(join(folder, file.fileName))), file.fileName).toBe(true);
      expect(file.size).toBe(bytes.length);
    }
    expect(byKind(files, 'snapshot').every((file) => file.contentType === 'image/jpeg' && file.startedAt !== null)).toBe(true);
  });

  it('serves byte ranges, HEAD and conditional requests, and refuses links that expired, were changed or climb out', async () => {
    const clock = createFakeClock(Date.now());
    stack = await startRecordingStack({ clock, agora: { rateBudget: unlimitedBudget } });
    const started = await recordFor(stack, clock, 15, { channel: 'range-room', fileTypes: ['hls', 'mp4'] });
    const { files } = await stack.client.recording.files.query({ id: started.id, expiresInSeconds: 60 });
    const segment = byKind(files, 'segment')[0]!;
    const url = segment.url!;
    const whole = (await fetchBytes(url)).bytes;

    const part = await fetchBytes(url, { headers: { range: 'bytes=188-375' } });
    expect(part.response.status).toBe(206);
    expect(part.response.headers.get('content-range')).toBe(`bytes 188-375/${whole.length}`);
    expect(part.bytes.equals(whole.subarray(188, 376))).toBe(true);
    const tail = await fetchBytes(url, { headers: { range: 'bytes=-100' } });
    expect(tail.bytes.equals(whole.subarray(whole.length - 100))).toBe(true);
    const beyond = await fetch(url, { headers: { range: `bytes=${whole.length}-` } });
    expect([beyond.status, beyond.headers.get('content-range')]).toEqual([416, `bytes */${whole.length}`]);
    expect(beyond.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(((await beyond.json()) as { appCode: string }).appCode).toBe('RANGE_NOT_SATISFIABLE');
    const head = await fetch(url, { method: 'HEAD' });
    expect([head.status, head.headers.get('content-length'), head.headers.get('accept-ranges')]).toEqual([
      200,
      String(whole.length),
      'bytes',
    ]);
    expect((await fetch(url, { headers: { 'if-none-match': head.headers.get('etag')! } })).status).toBe(304);
    // If-None-Match: * matches any file that exists; a list matches by any of its tags, weak or not.
    expect((await fetch(url, { headers: { 'if-none-match': '*' } })).status).toBe(304);
    expect((await fetch(url, { headers: { 'if-none-match': `"other", W/${head.headers.get('etag')!}` } })).status).toBe(304);
    expect((await fetch(url, { headers: { 'if-none-match': '"other"' } })).status).toBe(200);
    // If-Range: the range only while the client's validator is the file's; else the whole file.
    const ranged = (ifRange: string) => fetch(url, { headers: { range: 'bytes=0-99', 'if-range': ifRange } });
    for (const validator of ['"junk"', 'not a validator', 'Thu, 01 Jan 1970 00:00:00 GMT']) {
      const full = await ranged(validator);
      expect([full.status, full.headers.get('content-length'), full.headers.get('content-range')], validator).toEqual([
        200,
        String(whole.length),
        null,
      ]);
    }
    for (const validator of [head.headers.get('etag')!, head.headers.get('last-modified')!]) {
      const partial = await ranged(validator);
      expect([partial.status, partial.headers.get('content-range')], validator).toEqual([206, `bytes 0-99/${whole.length}`]);
    }
    const post = await fetch(url, { method: 'POST' });
    expect([post.status, post.headers.get('allow')]).toEqual([405, 'GET, HEAD, OPTIONS']);

    const refused = async (target: string) => {
      const response = await fetch(target);
      return [response.status, ((await response.json()) as { appCode: string }).appCode];
    };
    const { pathname } = new URL(url);
    const token = pathname.split('/')[2]!;
    const base = stack.app.baseUrl;
    expect(await refused(url.replace(`recordings/${started.id}/`, 'recordings/another/'))).toEqual([403, 'LINK_REFUSED']);
    expect(await refused(url.replace(/-([A-Za-z0-9_-])/, (_match, first: string) => `-${first === 'A' ? 'B' : 'A'}`))).toEqual([
      403,
      'LINK_REFUSED',
    ]);
    expect(await refused(`${base}/files/${token}/recordings/${started.id}/..%2F..%2F..%2Fregistry.sqlite`)).toEqual([404, 'NOT_FOUND']);
    expect(await refused(`${base}/files/${token}/recordings/${started.id}/%E0%A4%A`)).toEqual([400, 'MALFORMED_REQUEST']);
    expect(await refused(`${base}/files/${token}/recordings/${started.id}/missing.ts`)).toEqual([404, 'NOT_FOUND']);

    await clock.advance(61_000);
    expect(await refused(url)).toEqual([403, 'LINK_REFUSED']);
    const renewed = await stack.client.recording.files.query({ id: started.id });
    expect((await fetch(renewed.files.find((file) => file.fileName === segment.fileName)!.url!)).status).toBe(200);
  });

  it(
    'a playlist link plays: its segments resolve beside it, MPEG-TS that ffprobe reads; the MP4 and the list in get/watch',
    { timeout: 60_000 },
    async () => {
      const clock = createFakeClock(Date.now());
      stack = await startRecordingStack({ clock, agora: { rateBudget: unlimitedBudget } });
      const started = await recordFor(stack, clock, 25, { channel: 'play-room', fileTypes: ['hls', 'mp4'] });
      await stack.client.recording.stop.mutate({ id: started.id });
      const { files } = await stack.client.recording.files.query({ id: started.id });
      const playlist = byKind(files, 'playlist')[0]!;
      // Embedded, the playlist's own link plays as is; nothing but playlists has a playback link.
      expect(playlist.playbackUrl).toBe(playlist.url);
      expect(files.filter((file) => file.playbackUrl !== null)).toEqual([playlist]);
      const text = await (await fetch(playlist.url!)).text();
      expect(text.trimEnd().endsWith('#EXT-X-ENDLIST')).toBe(true);
      const segments = text.split('\n').filter((line) => line !== '' && !line.startsWith('#'));
      expect(segments.sort()).toEqual(
        byKind(files, 'segment')
          .map((file) => file.fileName)
          .sort(),
      );
      for (const name of segments) expect(isMpegTs((await fetchBytes(new URL(name, playlist.url!).href)).bytes), name).toBe(true);
      // ffprobe (where installed) plays the playlist from its link; it must not block this process, which serves it.
      const probe = await promisify(execFile)('ffprobe', [
        '-v',
        'error',
        '-show_entries',
        'format=duration',
        '-of',
        'csv=p=0',
        playlist.url!,
      ]).catch((error: unknown) => {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw error;
      });
      if (probe) expect(Number(probe.stdout.trim())).toBe(segments.length * 10);
      const mp4 = byKind(files, 'mp4')[0]!;
      expect((await fetchBytes(mp4.url!)).bytes.subarray(4, 8).toString('latin1')).toBe('ftyp');
      expect((await stack.client.recording.get.query({ id: started.id })).files.map((file) => file.fileName).sort()).toEqual(
        [playlist.fileName, mp4.fileName].sort(),
      );
    },
  );

  it("is the owner's: another caller gets NOT_FOUND, as for a recording that does not exist; bad input names the field", async () => {
    const clock = createFakeClock(Date.now());
    stack = await startRecordingStack({ clock, agora: { rateBudget: unlimitedBudget }, authenticator: auth, auth: KEYS.alice });
    const started = await recordFor(stack, clock, 12, { channel: 'owner-room' });
    const bob = createClient({ url: stack.app.url, auth: KEYS.bob });
    cleanups.push(() => closeClient(bob));
    for (const id of [started.id, 'no-such-recording']) {
      const error = await catchServerError(bob.recording.files.query({ id }));
      expect([error.data?.code, error.data?.appCode]).toEqual(['NOT_FOUND', 'RECORDING_NOT_FOUND']);
    }
    const tooLong = await catchServerError(stack.client.recording.files.query({ id: started.id, expiresInSeconds: 7 * 24 * 3600 + 1 }));
    expect(tooLong.data?.issues).toEqual([{ path: 'expiresInSeconds', message: 'must be from 1 to 604800 seconds' }]);

    const rest = async (query: string, key: string) => {
      const response = await fetch(`${stack!.app.baseUrl}/api/v1/recordings/${started.id}/files${query}`, {
        headers: { authorization: `Bearer ${key}` },
      });
      return {
        status: response.status,
        body: (await response.json()) as { files?: RecordingObject[]; error?: { appCode: string; issues?: unknown } },
      };
    };
    const listed = await rest('?expiresInSeconds=30', KEYS.alice);
    expect(listed.status).toBe(200);
    expect(listed.body.files?.map((file) => file.fileName).sort()).toEqual(
      (await stack.client.recording.files.query({ id: started.id })).files.map((file) => file.fileName).sort(),
    );
    expect((await rest('', KEYS.bob)).status).toBe(404);
    const zero = await rest('?expiresInSeconds=0', KEYS.alice);
    expect(zero.status).toBe(400);
    expect(JSON.stringify(zero.body)).toContain('expiresInSeconds');
  });
});

describe('the file list in recording.get and recording.watch', () => {
  it("grows with each snapshot Agora announces, and keeps them when Agora's own list replaces the playlists", async () => {
    const secret = 'whsec-files-test';
    const clock = createFakeClock(Date.now());
    stack = await startRecordingStack({ clock, agora: { rateBudget: unlimitedBudget }, webhookSecret: secret });
    stack.emulator.control.setNotificationTarget({ url: `${stack.app.baseUrl}/webhooks/agora`, secret });
    const watcher = wsConnection(stack.app.url);
    cleanups.push(() => Promise.resolve(watcher.close()));
    const started = await recordFor(stack, clock, 1, { channel: 'snap-room', mode: 'individual', snapshots: { intervalSeconds: 5 } });
    const watched = collect(watcher.client, started.id);
    const snapshotsIn = (files: { fileName: string }[]) => files.filter((file) => file.fileName.endsWith('.jpg')).length;
    for (const expected of [2, 3]) {
      await clock.advance(5_000);
      await expect.poll(async () => snapshotsIn((await stack!.client.recording.get.query({ id: started.id })).files)).toBe(expected);
    }
    // A poll brings Agora's list (playlists only): the snapshots stay.
    const queried = await stack.client.recording.query.query({ id: started.id });
    expect(snapshotsIn(queried.files)).toBe(3);
    expect(queried.files.filter((file) => file.fileName.endsWith('.m3u8'))).toHaveLength(2);
    // Watchers saw the list grow, never shrink.
    const counts = () => watched.events.map((event) => snapshotsIn(event.data.files));
    await expect.poll(() => counts().at(-1)).toBe(3);
    expect(counts()).toEqual([...counts()].sort((a, b) => a - b));
    expect(counts()).toContain(2);
    const listed = await stack.client.recording.files.query({ id: started.id });
    expect(
      byKind(listed.files, 'snapshot')
        .map((file) => file.fileName)
        .sort(),
    ).toEqual(
      queried.files
        .filter((file) => file.fileName.endsWith('.jpg'))
        .map((file) => file.fileName)
        .sort(),
    );
  });
});

describe('agoractl files and download', () => {
  it('lists the files and downloads every one byte-exact into a folder', async () => {
    const clock = createFakeClock(Date.now());
    stack = await startRecordingStack({ clock, agora: { rateBudget: unlimitedBudget } });
    const started = await recordFor(stack, clock, 12, { channel: 'cli-files' });
    const dir = await mkdtemp(join(tmpdir(), 'agoractl-download-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const run = async (...args: string[]) => {
      const { code, stdout, stderr } = await runCli(args, { AGORACTL_URL: stack!.app.url });
      return { code, out: stdout, err: stderr };
    };
    const listed = await run('files', started.id, '--json');
    expect(listed.code).toBe(0);
    const files = (JSON.parse(listed.out) as { files: RecordingObject[] }).files;
    const downloaded = await run('download', started.id, '--dir', dir);
    expect(downloaded.code, downloaded.err).toBe(0);
    expect(downloaded.out).toContain(`${files.length} of ${files.length} files downloaded to ${dir}`);
    const folder = join(stack.storageDir, STORAGE.bucket, 'recordings', started.id);
    expect((await readdir(dir)).sort()).toEqual(files.map((file) => file.fileName).sort());
    for (const file of files)
      expect((await readFile(join(dir, file.fileName))).equals(await readFile(join(folder, file.fileName))), file.fileName).toBe(true);
    expect((await run('files', 'nope')).code).toBe(1);
  });
});
