/** The 404 clock a task's row keeps: when the current run of 404s began, and its latest. */
export interface NotFoundClock {
  notFoundSince: number | null;
  notFoundLastAt: number | null;
}

/** What a 404 changes: the clock, and once it has run long enough, the end. */
export interface NotFoundPatch {
  state?: 'stopped';
  stoppedAt?: number;
  notFoundSince?: number | null;
  notFoundLastAt?: number | null;
}

/** How long 404s must last, and the longest silence between two of them that still counts as one run. */
export interface NotFoundRule {
  failoverWindowMs: number;
  maxGapMs: number;
}

/**
 * What a 404 means for a task's row (docs/agora.md, "Identity, uids and resource lifetime"): a
 * run of 404s that has lasted past Agora's failover window proves the task is gone. A run starts at the
 * first 404 and is broken by any successful answer, or by a silence longer than `maxGapMs` (calls
 * failing otherwise, a restart): after that nothing says the 404s did not stop in between, so two
 * failovers are never taken for one end.
 */
export function notFoundPatch(current: NotFoundClock, now: number, rule: NotFoundRule): NotFoundPatch {
  const continuing = current.notFoundSince !== null && current.notFoundLastAt !== null && now - current.notFoundLastAt <= rule.maxGapMs;
  if (!continuing) return { notFoundSince: now, notFoundLastAt: now };
  if (now - current.notFoundSince! < rule.failoverWindowMs) return { notFoundLastAt: now };
  return { state: 'stopped', stoppedAt: now, notFoundLastAt: now };
}
