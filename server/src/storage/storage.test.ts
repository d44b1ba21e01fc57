import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createFakeClock } from '../clock.js';
import { AWS_REGIONS, createBucketStorage, createLinkSigner, loadLinkSecret, LINK_SECRET_FILE } from './index.js';

const clock = createFakeClock(Date.UTC(2026, 11, 2, 12, 0, 0));
const BUCKET = { bucket: 'my-recordings', accessKey: 'AKIAEXAMPLEKEY', secretKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' };

describe('bucket links', () => {
  it("Amazon S3: presigned for the AWS region Agora's number names, with the access key id and never the secret", async () => {
    for (const [number, region] of [
      [0, 'us-east-1'],
      [7, 'eu-central-1'],
      [10, 'ap-northeast-1'],
      [25, 'eu-south-1'],
    ] as const) {
      expect(AWS_REGIONS[number]).toBe(region);
      const link = await createBucketStorage({ vendor: 1, region: number, ...BUCKET }, clock).link('recordings/abc/x.m3u8', 600);
      if (link.url === null) throw new Error(link.reason);
      const url = new URL(link.url);
      expect(url.hostname).toBe(
        region === 'us-east-1' ? 'my-recordings.s3.us-east-1.amazonaws.com' : `my-recordings.s3.${region}.amazonaws.com`,
      );
      expect(url.pathname).toBe('/recordings/abc/x.m3u8');
      expect(url.searchParams.get('X-Amz-Credential')).toBe(`AKIAEXAMPLEKEY/20261202/${region}/s3/aws4_request`);
      expect(url.searchParams.get('X-Amz-Expires')).toBe('600');
      expect(url.searchParams.get('X-Amz-Date')).toBe('20261202T120000Z');
      expect(link.url).not.toContain(BUCKET.secretKey);
      expect(link.url).not.toContain(encodeURIComponent(BUCKET.secretKey));
      expect(link.expiresAt).toBe(clock.now() + 600_000);
    }
  });

  it('S3-compatible storage: path-style under STORAGE_ENDPOINT, signed for the signing region', async () => {
    const storage = createBucketStorage(
      { vendor: 11, region: 0, endpoint: 'https://minio.example.com:9000', signingRegion: 'auto', ...BUCKET },
      clock,
    );
    const link = await storage.link('recordings/abc/x.ts', 60);
    if (link.url === null) throw new Error(link.reason);
    expect(link.url.startsWith('https://minio.example.com:9000/my-recordings/recordings/abc/x.ts?')).toBe(true);
    expect(new URL(link.url).searchParams.get('X-Amz-Credential')).toBe('AKIAEXAMPLEKEY/20261202/auto/s3/aws4_request');
  });

  it('other vendors and unknown S3 regions: no link, and the reason', async () => {
    const alibaba = createBucketStorage({ vendor: 2, region: 1, ...BUCKET }, clock);
    expect(await alibaba.link('a/b.ts', 60)).toEqual({
      url: null,
      reason: 'links are made for Amazon S3 and S3-compatible storage only; read Alibaba Cloud files with its own tools',
    });
    expect(await alibaba.list('a')).toEqual({ unavailable: expect.stringContaining('Alibaba Cloud') as unknown });
    expect(await createBucketStorage({ vendor: 1, region: 26, ...BUCKET }, clock).link('a/b.ts', 60)).toEqual({
      url: null,
      reason: "Agora's region 26 is not in its Amazon S3 region table",
    });
  });
});

describe('embedded link secret and signatures', () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it('is made once in DATA_DIR, readable by its owner only, and kept across restarts', async () => {
    dir = await mkdtemp(join(tmpdir(), 'link-secret-'));
    const first = await loadLinkSecret(dir);
    expect(first).toHaveLength(32);
    expect((await stat(join(dir, LINK_SECRET_FILE))).mode & 0o777).toBe(0o600);
    expect((await loadLinkSecret(dir)).equals(first)).toBe(true);
    await writeFile(join(dir, LINK_SECRET_FILE), 'not a secret');
    await expect(loadLinkSecret(dir)).rejects.toThrow(/is not a file-link secret \(64 hex digits\); delete it to make a new one/);
    expect(await readFile(join(dir, LINK_SECRET_FILE), 'utf8')).toBe('not a secret');
  });

  it('binds the folder and the expiry: any change, or another secret, fails', () => {
    const signer = createLinkSigner(Buffer.alloc(32, 1));
    const signature = signer.sign('recordings/abc', 1_800_000_000);
    expect(signer.verify('recordings/abc', 1_800_000_000, signature)).toBe(true);
    expect(signer.verify('recordings/abd', 1_800_000_000, signature)).toBe(false);
    expect(signer.verify('recordings/abc', 1_800_000_001, signature)).toBe(false);
    expect(signer.verify('recordings/abc', 1_800_000_000, `${signature.slice(0, -1)}A`)).toBe(false);
    expect(signer.verify('recordings/abc', 1_800_000_000, '')).toBe(false);
    expect(createLinkSigner(Buffer.alloc(32, 2)).verify('recordings/abc', 1_800_000_000, signature)).toBe(false);
  });
});
