import { createHash, createHmac } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignatureV4 } from '@smithy/signature-v4';
import S3rver from 's3rver';

/**
 * A real S3-compatible server for tests: s3rver (objects on disk, S3's XML API, expiry of
 * presigned URLs) behind a front that checks SigV4 query signatures with AWS's own signer, which
 * s3rver does not do. A presigned URL whose path, query or signature was changed gets 403
 * SignatureDoesNotMatch, as from S3.
 */
export const S3_CREDENTIALS = { accessKeyId: 'AKIDRECORDINGSTEST', secretAccessKey: 'recordings-secret-0123456789abcdef' };

// s3rver knows one key pair (S3RVER/S3RVER, the same text twice); ours tells an id from a secret.
const { DUMMY_ACCOUNT } = createRequire(import.meta.url)('s3rver/lib/models/account.js') as {
  DUMMY_ACCOUNT: { createKeyPair(id: string, secret: string): void };
};
DUMMY_ACCOUNT.createKeyPair(S3_CREDENTIALS.accessKeyId, S3_CREDENTIALS.secretAccessKey);
export const S3_REGION = 'us-east-1';

type SourceData = string | ArrayBuffer | ArrayBufferView;
const bytesOf = (data: SourceData) =>
  typeof data === 'string'
    ? data
    : ArrayBuffer.isView(data)
      ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
      : new Uint8Array(data);

/** SHA-256 as AWS's signer asks for it, from Node's crypto. */
class NodeSha256 {
  private readonly hash;
  constructor(secret?: SourceData) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', bytesOf(secret));
  }
  update(data: SourceData) {
    this.hash.update(bytesOf(data));
  }
  digest() {
    return Promise.resolve(new Uint8Array(this.hash.digest()));
  }
}

const signer = new SignatureV4({
  credentials: S3_CREDENTIALS,
  region: S3_REGION,
  service: 's3',
  sha256: NodeSha256,
  uriEscapePath: false,
  applyChecksum: false,
});

/** `20261202T001435Z` → a Date. */
const amzDate = (text: string) => new Date(text.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, '$1-$2-$3T$4:$5:$6Z'));

/** True when a presigned GET's signature is the one AWS's signer computes for what arrived. */
async function signatureHolds(req: IncomingMessage, url: URL): Promise<boolean> {
  const given = url.searchParams.get('X-Amz-Signature');
  const date = url.searchParams.get('X-Amz-Date');
  const expires = url.searchParams.get('X-Amz-Expires');
  if (!given || !date || !expires) return false;
  const query: Record<string, string> = {};
  // The payload hash travels as a query parameter; the signer reads it from a header.
  for (const [name, value] of url.searchParams) if (name !== 'X-Amz-Signature' && name !== 'X-Amz-Content-Sha256') query[name] = value;
  const payload = url.searchParams.get('X-Amz-Content-Sha256');
  const presigned = await signer.presign(
    {
      method: req.method ?? 'GET',
      protocol: 'http:',
      hostname: url.hostname,
      port: Number(url.port),
      path: url.pathname,
      query,
      headers: { host: req.headers.host ?? '', ...(payload ? { 'X-Amz-Content-Sha256': payload } : {}) },
    },
    { signingDate: amzDate(date), expiresIn: Number(expires) },
  );
  return presigned.query?.['X-Amz-Signature'] === given;
}

export interface S3Server {
  /** Where clients (and presigned URLs) go: the checking front. */
  endpoint: string;
  /** s3rver itself, for the test's own uploads (as Agora would upload). */
  directEndpoint: string;
  close(): Promise<void>;
}

export async function startS3Server(buckets: string[]): Promise<S3Server> {
  const directory = await mkdtemp(join(tmpdir(), 's3rver-'));
  const s3rver = new S3rver({
    port: 0,
    address: '127.0.0.1',
    silent: true,
    directory,
    configureBuckets: buckets.map((name) => ({ name, configs: [] })),
  });
  const { port: backendPort } = await s3rver.run();
  const front = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', `http://${req.headers.host ?? '127.0.0.1'}`);
    const forward = () =>
      req.pipe(
        request({ host: '127.0.0.1', port: backendPort, method: req.method, path: req.url, headers: req.headers }, (upstream) => {
          res.writeHead(upstream.statusCode ?? 502, upstream.headers);
          upstream.pipe(res);
        }),
      );
    // Only presigned (query-signed) requests are checked here; header-signed ones go straight through.
    if (!url.searchParams.has('X-Amz-Signature')) return forward();
    void signatureHolds(req, url).then((holds) => {
      if (holds) return forward();
      res.writeHead(403, { 'content-type': 'application/xml' });
      res.end('<?xml version="1.0" encoding="UTF-8"?><Error><Code>SignatureDoesNotMatch</Code></Error>');
    });
  });
  await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', resolve));
  const frontPort = (front.address() as AddressInfo).port;
  return {
    endpoint: `http://127.0.0.1:${frontPort}`,
    directEndpoint: `http://127.0.0.1:${backendPort}`,
    async close() {
      await new Promise<void>((resolve) => front.close(() => resolve()));
      await s3rver.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
