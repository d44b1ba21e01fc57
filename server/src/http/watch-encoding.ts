import type { WatchDelivery } from '../tasks/watch.js';

/**
 * A delivery's encoding, computed once per delivery: a live event is one delivery object handed to
 * every watcher of its task (tasks/watch.ts), so N watchers cost one serialization, not N. Weakly
 * held: an encoding lives as long as its delivery.
 */
export function encodedOncePerDelivery<T>(encode: (delivery: WatchDelivery<unknown>) => T): (delivery: WatchDelivery<unknown>) => T {
  const encoded = new WeakMap<WatchDelivery<unknown>, T>();
  return (delivery) => {
    if (encoded.has(delivery)) return encoded.get(delivery)!;
    const value = encode(delivery);
    encoded.set(delivery, value);
    return value;
  };
}
