import { AppErrorCode } from '@agora-backend/shared';
import { localLeases, type Leases } from '../cluster/types.js';
import { AppError } from '../errors.js';

/**
 * "One of these in flight per task, cluster-wide" (a stop, a leave): a claim is held here (so two
 * calls in this process exclude each other too: a session advisory lock is re-entrant) and, with
 * several instances, as a lease. A call that finds the claim taken leaves the work to its holder.
 */
export function createClaims(prefix: string, leases: Leases = localLeases) {
  const local = new Set<string>();
  return {
    /** True when the caller now holds the claim; false when someone else does. */
    async take(id: string): Promise<boolean> {
      if (local.has(id)) return false;
      // Without the lease session nobody can tell whether another instance is at it: say so.
      if (!leases.healthy())
        throw new AppError(AppErrorCode.REGISTRY_UNAVAILABLE, 'the cluster coordination database is unreachable; try again shortly');
      local.add(id);
      if (await leases.tryAcquire(`${prefix}:${id}`)) return true;
      local.delete(id);
      return false;
    },
    /** Runs `work` holding the claim; undefined (without running it) when someone else holds it. */
    async run<T>(id: string, work: () => Promise<T>): Promise<T | undefined> {
      if (!(await this.take(id))) return undefined;
      try {
        return await work();
      } finally {
        this.release(id);
      }
    },
    release(id: string): void {
      if (!local.delete(id)) return;
      void leases.release(`${prefix}:${id}`).catch(() => undefined);
    },
  };
}

export type Claims = ReturnType<typeof createClaims>;

/**
 * `write`'s outcome, but a failed write only once `sent` has settled too: the claim on the task is
 * given back when the caller returns, and while the request is in flight it must stay taken (a
 * lost registry session failed the write at once, and another instance sent a second stop).
 */
export async function untilSettled<T>(sent: Promise<unknown>, write: Promise<T>): Promise<T> {
  try {
    return await write;
  } catch (error) {
    await sent.catch(() => undefined);
    throw error;
  }
}
