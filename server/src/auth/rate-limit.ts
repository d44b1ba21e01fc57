import type { Clock } from '../clock.js';

export interface RateLimiter {
  /** Takes one token for `key`: 0 when allowed, else milliseconds until one is available. */
  take(key: string): number;
}

interface Bucket {
  tokens: number;
  /** When `tokens` was last brought up to date. */
  at: number;
  /** When the key last took its place at the end of the eviction order. */
  placedAt: number;
}

/** How stale a key's place in the eviction order may get: moving it on every take costs a delete and an insert. */
const REORDER_MS = 1_000;

/**
 * Token buckets per key (caller id, IP address): `capacity` requests at once, refilled at
 * `perMinute`. When there are more than `maxKeys` keys, the least recently used goes (a key's
 * place is renewed at most once a second), so memory stays bounded.
 */
export function createTokenBuckets(options: { perMinute: number; capacity?: number; clock: Clock; maxKeys?: number }): RateLimiter {
  const capacity = options.capacity ?? options.perMinute;
  const perMs = options.perMinute / 60_000;
  const maxKeys = options.maxKeys ?? 100_000;
  // Map order is the eviction order: first in, first out.
  const buckets = new Map<string, Bucket>();
  const moveToEnd = (key: string, bucket: Bucket, now: number) => {
    buckets.delete(key);
    buckets.set(key, bucket);
    bucket.placedAt = now;
  };
  return {
    take(key) {
      const now = options.clock.now();
      let bucket = buckets.get(key);
      if (bucket === undefined) {
        bucket = { tokens: capacity, at: now, placedAt: now };
        buckets.set(key, bucket);
        if (buckets.size > maxKeys) buckets.delete(buckets.keys().next().value!);
      } else if (now - bucket.placedAt >= REORDER_MS) moveToEnd(key, bucket, now);
      bucket.tokens = Math.min(capacity, bucket.tokens + (now - bucket.at) * perMs);
      bucket.at = now;
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        return 0;
      }
      return Math.ceil((1 - bucket.tokens) / perMs);
    },
  };
}
