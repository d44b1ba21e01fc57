/**
 * Exclusive rights among the instances of a cluster: "this instance polls recording X",
 * "this instance settles interrupted starts". In one process they are always granted; on
 * PostgreSQL they are session advisory locks, lost with the session that holds them.
 */
export interface Leases {
  /** True when this instance holds (or now took) `key`. Never waits; false while the database is away. */
  tryAcquire(key: string): Promise<boolean>;
  release(key: string): Promise<void>;
  /**
   * Whether this instance still holds `key`, proven now (a round trip on the session that holds
   * it), not remembered: asked before every upstream action taken under the lease.
   */
  verify(key: string): Promise<boolean>;
  /**
   * Aborted the moment the session holding this instance's leases is lost: every lease went with
   * it, so whoever acts under one stops at once. A new signal comes with the next session.
   */
  signal(): AbortSignal;
  /** Instances sharing the leases right now (1 in one process): for a fair share of the work. */
  members(): Promise<number>;
  /** Whether leases can be taken now (readiness). */
  healthy(): boolean;
  close(): Promise<void>;
}

const neverAborted = new AbortController().signal;

export const localLeases: Leases = {
  tryAcquire: () => Promise.resolve(true),
  release: () => Promise.resolve(),
  verify: () => Promise.resolve(true),
  signal: () => neverAborted,
  members: () => Promise.resolve(1),
  healthy: () => true,
  close: () => Promise.resolve(),
};
