/**
 * Exclusive rights among the instances of a cluster: "this instance polls recording X",
 * "this instance runs the watchdog sweep". In one process they are always granted; on
 * PostgreSQL they are session advisory locks, released when the holder's connection dies.
 */
export interface Leases {
  /** True when this instance holds (or now took) `key`. Never waits. */
  tryAcquire(key: string): Promise<boolean>;
  release(key: string): Promise<void>;
  close(): Promise<void>;
}

export const localLeases: Leases = {
  tryAcquire: () => Promise.resolve(true),
  release: () => Promise.resolve(),
  close: () => Promise.resolve(),
};
