import { describe, expect, it } from 'vitest';
import { encodedOncePerDelivery } from './watch-encoding.js';

describe('encodedOncePerDelivery', () => {
  it('encodes a delivery once however many watchers write it, and each new delivery again', () => {
    let calls = 0;
    const encode = encodedOncePerDelivery((delivery) => `${++calls}:${delivery.id}`);
    const live = { id: 5, value: { state: 'recording' } };
    const texts = Array.from({ length: 100 }, () => encode(live));
    expect(new Set(texts)).toEqual(new Set(['1:5']));
    expect(calls).toBe(1);
    // A replayed event is a delivery of its own watcher: encoded for it.
    expect(encode({ id: 5, value: { state: 'recording' } })).toBe('2:5');
  });
});
