import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterEach, describe, expect, it } from 'vitest';
import { createBucketStorage, systemClock } from '@agora-backend/server';
import { createFakeClock } from '@agora-backend/server/testing';
import { S3_CREDENTIALS, startS3Server, type S3Server } from './helpers/s3-server.js';
import { STORAGE, startRecordingStack, type RecordingStack } from './helpers/recording-stack.js';

/**
 * Links to recordings in S3-compatible storage, checked against a real S3 server (s3rver behind a
 * SigV4 check made with AWS's signer): the objects are put there with the storage keys, as Agora
 * would upload them, and read back only through the links recording.files hands out.
 */

const BUCKET = 'agora-recordings';
let s3: S3Server | undefined;
let stack: RecordingStack | undefined;
afterEach(async () => {
  await stack?.close(true);
  await s3?.close();
  stack = undefined;
  s3 = undefined;
});

const bucketSettings = (endpoint: string) => ({
  vendor: 11,
  region: 0,
  bucket: BUCKET,
  accessKey: S3_CREDENTIALS.accessKeyId,
  secretKey: S3_CREDENTIALS.secretAccessKey,
  endpoint,
});

describe('recording.files on S3-compatible storage', () => {
  it('presigned links read the uploaded objects byte-exact; a changed or expired link is refused; no secret in the URL', async () => {
    s3 = await startS3Server([BUCKET]);
    stack = await startRecordingStack({ files: createBucketStorage(bucketSettings(s3.endpoint), systemClock) });
    stack.emulator.control.join('s3-room', '100');
    const started = await stack.client.recording.start.mutate({ channel: 's3-room', fileTypes: ['hls', 'mp4'] });
    await stack.agoraClock.advance(25_000);
    await stack.client.recording.stop.mutate({ id: started.id });

    // "Agora's upload": the emulator's objects, put into the bucket under the same keys.
    const uploader = new S3Client({ region: 'us-east-1', endpoint: s3.directEndpoint, forcePathStyle: true, credentials: S3_CREDENTIALS });
    const local = join(stack.storageDir, STORAGE.bucket);
    const names = stack.emulator.control.task(started.sid)!.files;
    const keys: string[] = [];
    for (const name of names) {
      const key = `recordings/${started.id}/${name}`;
      await uploader.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: await readFile(join(local, key)) }));
      keys.push(key);
    }
    const playlist = await readFile(join(local, keys[0]!), 'utf8');
    for (const segment of playlist.split('\n').filter((line) => line.endsWith('.ts'))) {
      const key = `recordings/${started.id}/${segment}`;
      await uploader.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: await readFile(join(local, key)) }));
      keys.push(key);
    }
    uploader.destroy();

    const listed = await stack.client.recording.files.query({ id: started.id, expiresInSeconds: 300 });
    expect(listed.source).toBe('bucket');
    expect(listed.files.map((file) => file.key).sort()).toEqual([...keys].sort());
    for (const file of listed.files) {
      const url = new URL(file.url!);
      expect(url.origin).toBe(s3.endpoint);
      expect(url.pathname).toBe(`/${BUCKET}/${file.key}`);
      expect(url.searchParams.get('X-Amz-Credential')?.startsWith(`${S3_CREDENTIALS.accessKeyId}/`)).toBe(true);
      expect(file.url).not.toContain(S3_CREDENTIALS.secretAccessKey);
      expect(file.url).not.toContain(encodeURIComponent(S3_CREDENTIALS.secretAccessKey));
      const response = await fetch(file.url!);
      expect(response.status, file.key).toBe(200);
      expect(Buffer.from(await response.arrayBuffer()).equals(await readFile(join(local, file.key)))).toBe(true);
    }
    // The playlist plays through this server: its relative segment names come back here and are
    // redirected to their own presigned links.
    const playlistEntry = listed.files.find((file) => file.kind === 'playlist')!;
    expect(playlistEntry.playbackUrl!.startsWith(`${stack.app.baseUrl}/files/`)).toBe(true);
    const played = await fetch(playlistEntry.playbackUrl!);
    expect(played.url.startsWith(`${s3.endpoint}/${BUCKET}/`)).toBe(true);
    const text = await played.text();
    expect(text).toBe(await readFile(join(local, playlistEntry.key), 'utf8'));
    for (const segment of text.split('\n').filter((line) => line.endsWith('.ts'))) {
      const answer = await fetch(new URL(segment, playlistEntry.playbackUrl!).href);
      expect(answer.status, segment).toBe(200);
      expect(Buffer.from(await answer.arrayBuffer()).equals(await readFile(join(local, `recordings/${started.id}/${segment}`)))).toBe(true);
    }
    const elsewhere = await fetch(playlistEntry.playbackUrl!.replace(`recordings/${started.id}/`, 'recordings/someone-else/'), {
      redirect: 'manual',
    });
    expect(elsewhere.status).toBe(403);
    expect(listed.files.filter((file) => file.playbackUrl !== null)).toHaveLength(1);

    const link = listed.files[0]!.url!;
    const otherKey = listed.files[1]!.key;
    expect((await fetch(link.replace(listed.files[0]!.key, otherKey))).status).toBe(403);
    expect((await fetch(link.replace(/X-Amz-Expires=\d+/, 'X-Amz-Expires=604800'))).status).toBe(403);
    expect(
      (await fetch(link.replace(/X-Amz-Signature=[0-9a-f]/, (match) => `${match.slice(0, -1)}${match.endsWith('0') ? '1' : '0'}`))).status,
    ).toBe(403);

    // A link signed two hours ago for one hour has expired: S3 says so.
    const past = createBucketStorage(bucketSettings(s3.endpoint), createFakeClock(Date.now() - 2 * 3600_000));
    const old = await past.link(listed.files[0]!.key, 3600);
    const expired = await fetch(old.url!);
    expect(expired.status).toBe(403);
    expect(await expired.text()).toContain('Request has expired');
  });

  it('falls back to the files Agora reported when the bucket cannot be listed, still linked', async () => {
    s3 = await startS3Server([BUCKET]);
    const unlisted = createBucketStorage({ ...bucketSettings(s3.endpoint), bucket: 'no-such-bucket' }, systemClock);
    stack = await startRecordingStack({ files: unlisted });
    stack.emulator.control.join('s3-fallback', '100');
    const started = await stack.client.recording.start.mutate({ channel: 's3-fallback' });
    await stack.agoraClock.advance(12_000);
    await stack.client.recording.stop.mutate({ id: started.id });
    const listed = await stack.client.recording.files.query({ id: started.id });
    expect(listed.source).toBe('agora');
    expect(listed.files.map((file) => [file.fileName, file.kind, file.size])).toEqual([
      [`${started.sid}_s3-fallback.m3u8`, 'playlist', null],
    ]);
    expect(new URL(listed.files[0]!.url!).pathname).toBe(`/no-such-bucket/recordings/${started.id}/${started.sid}_s3-fallback.m3u8`);
  });
});
