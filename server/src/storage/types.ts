/** An object in the recordings bucket. */
export interface StoredObject {
  /** Its key in the bucket, e.g. `recordings/<id>/<sid>_<channel>.m3u8`. */
  key: string;
  size: number;
  modifiedAt: number | undefined;
}

/** A time-limited link to read one object, or why there is none. */
export type ObjectLink = { url: string; expiresAt: number } | { url: null; reason: string };

/**
 * Where recordings are read back from: the bucket Agora uploads to. The storage keys stay inside;
 * what leaves is object names and links that expire.
 */
export interface RecordingStorage {
  /** What serves the links, for logs and docs: the server itself, S3, or nothing. */
  readonly kind: 'embedded' | 's3' | 'unlinked';
  /** The objects under a folder (`prefix`, no trailing slash), or why they cannot be listed. */
  list(prefix: string): Promise<StoredObject[] | { unavailable: string }>;
  /** A link to read `key` for `expiresInSeconds`. An embedded link is a path on this server. */
  link(key: string, expiresInSeconds: number): Promise<ObjectLink>;
}
