import type { Clock } from '../clock.js';
import { AWS_REGIONS, VENDOR_NAMES } from './regions.js';
import { createS3Storage } from './s3.js';
import type { RecordingStorage } from './types.js';

export { createEmbeddedStorage, encodeKey, FILES_PATH, scopeOf, signedPath } from './embedded.js';
export { createLinkSigner, loadLinkSecret, LINK_SECRET_FILE, type LinkSigner } from './link-signer.js';
export { AWS_REGIONS, VENDOR_NAMES } from './regions.js';
export { createS3Storage } from './s3.js';
export type { ObjectLink, RecordingStorage, StoredObject } from './types.js';

/** The operator's bucket, as configured for Agora (STORAGE_*). */
export interface BucketSettings {
  vendor: number;
  region: number;
  bucket: string;
  accessKey: string;
  secretKey: string;
  endpoint?: string | undefined;
  /** Vendor 11: the region SigV4 signs for (most S3-compatible services take us-east-1). */
  signingRegion?: string | undefined;
}

/** A storage that can neither list nor link: every answer says why. */
export function createUnlinkedStorage(reason: string): RecordingStorage {
  return {
    kind: 'unlinked',
    list: () => Promise.resolve({ unavailable: reason }),
    link: () => Promise.resolve({ url: null, reason }),
  };
}

/**
 * Where recordings are read back from. Amazon S3 and S3-compatible buckets get presigned links;
 * other vendors none, with the reason (their own SDKs presign; not built in).
 */
export function createBucketStorage(settings: BucketSettings, clock: Clock): RecordingStorage {
  const credentials = { bucket: settings.bucket, accessKey: settings.accessKey, secretKey: settings.secretKey, clock };
  if (settings.vendor === 1) {
    const region = AWS_REGIONS[settings.region];
    if (region === undefined) return createUnlinkedStorage(`Agora's region ${settings.region} is not in its Amazon S3 region table`);
    return createS3Storage({ ...credentials, region });
  }
  if (settings.vendor === 11 && settings.endpoint) {
    const endpoint = /^https?:\/\//.test(settings.endpoint) ? settings.endpoint : `https://${settings.endpoint}`;
    return createS3Storage({ ...credentials, region: settings.signingRegion ?? 'us-east-1', endpoint });
  }
  const vendor = VENDOR_NAMES[settings.vendor] ?? `vendor ${settings.vendor}`;
  return createUnlinkedStorage(`links are made for Amazon S3 and S3-compatible storage only; read ${vendor} files with its own tools`);
}
