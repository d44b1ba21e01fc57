import type { Clock } from '../clock.js';

export interface RateLimiter {
  /** Takes one token for `key`: 0 when allowed, else milliseconds until one is available. */
  take(key: string): number;
}

/**
 * Token buckets per key (caller id, IP address): `capacity` requests at once, refilled at
 * `perMinute`. Keys idle long enough to be full again are forgotten, so memory stays bounded.
 */
export function createTokenBuckets(options: { perMinute: number; capacity?: number; clock: Clock; maxKeys?: number }): RateLimiter {
  const capacity = options.capacity ?? options.perMinute;
  const perMs = options.perMinute / 60_000;
  const maxKeys = options.maxKeys ?? 100_000;
  const buckets = new Map<string, { tokens: number; at: number }>();
  return {
    take(key) {
      const now = options.clock.now();
      const bucket = buckets.get(key) ?? { tokens: capacity, at: now };
      bucket.tokens = Math.min(capacity, bucket.tokens + (now - bucket.at) * perMs);
      bucket.at = now;
      buckets.delete(key);
      buckets.set(key, bucket);
      if (buckets.size > maxKeys) buckets.delete(buckets.keys().next().value!);
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        return 0;
      }
      return Math.ceil((1 - bucket.tokens) / perMs);
    },
  };
}
