import { GetObjectCommand, ListObjectsV2Command, S3Client, type ListObjectsV2CommandOutput } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { Clock } from '../clock.js';
import type { RecordingStorage, StoredObject } from './types.js';

export interface S3StorageOptions {
  bucket: string;
  /** The AWS region name (vendor 1: from Agora's region number; vendor 11: STORAGE_SIGNING_REGION). */
  region: string;
  /** S3-compatible storage (vendor 11): its endpoint; addressed path-style (`<endpoint>/<bucket>/<key>`). */
  endpoint?: string | undefined;
  accessKey: string;
  secretKey: string;
  clock: Clock;
}

/**
 * Amazon S3 and S3-compatible buckets through AWS's SDK: ListObjectsV2 for the files, presigned
 * GET URLs for the links. Presigning is local (no request); the URL carries the access key id and a
 * signature, never the secret.
 */
export function createS3Storage(options: S3StorageOptions): RecordingStorage {
  const client = new S3Client({
    region: options.region,
    credentials: { accessKeyId: options.accessKey, secretAccessKey: options.secretKey },
    ...(options.endpoint ? { endpoint: options.endpoint, forcePathStyle: true } : {}),
    maxAttempts: 2,
  });
  return {
    kind: 's3',
    async list(prefix) {
      const objects: StoredObject[] = [];
      let token: string | undefined;
      try {
        do {
          const page: ListObjectsV2CommandOutput = await client.send(
            new ListObjectsV2Command({ Bucket: options.bucket, Prefix: `${prefix}/`, ContinuationToken: token }),
          );
          for (const item of page.Contents ?? []) {
            if (item.Key) objects.push({ key: item.Key, size: item.Size ?? 0, modifiedAt: item.LastModified?.getTime() });
          }
          token = page.IsTruncated ? page.NextContinuationToken : undefined;
        } while (token);
      } catch (error) {
        // Keys made for Agora may write without listing: the caller falls back to Agora's file list.
        return { unavailable: `the bucket could not be listed (${(error as { name?: string }).name ?? 'error'})` };
      }
      return objects;
    },
    async link(key, expiresInSeconds) {
      const signingDate = new Date(options.clock.now());
      const url = await getSignedUrl(client, new GetObjectCommand({ Bucket: options.bucket, Key: key }), {
        expiresIn: expiresInSeconds,
        signingDate,
      });
      return { url, expiresAt: signingDate.getTime() + expiresInSeconds * 1000 };
    },
  };
}
