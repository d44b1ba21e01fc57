import type { Clock } from './clock.js';
import { seededRandom } from './random.js';
import { service } from './replies.js';
import type { Endpoint, Fault, Reply } from './types.js';
import { channelTransientFailure, isChannelEndpoint } from './channels/routes.js';

/**
 * The ways Agora fails that tests switch on: canned answers for the next N calls, a share of
 * transient failures, a failover window, extra latency, and Agora's per-App rate limit.
 */
export function createFaults(clock: Clock, requestsPerSecond: () => number) {
  const faults: Fault[] = [];
  const recentRequests: number[] = [];
  let failoverUntil = 0;
  let latencyMs = 0;
  // Answers done but held back (lost on the way: the caller times out, what was asked happened).
  const losses: { endpoint: Endpoint; times: number; delayMs: number }[] = [];
  let chaos = { share: 0, random: Math.random };

  /** What Agora answers when it fails on its side: nothing happens. */
  function transientFailure(endpoint: Endpoint): Reply {
    if (endpoint === 'acquire') return service(500, 500, 'internal_error');
    if (endpoint === 'start') return service(500, 502, 'Failed to allocate worker');
    if (endpoint.startsWith('stt'))
      return { status: 503, body: { reason: 'service unavailable', detail: 'temporarily unavailable, try again' } };
    if (endpoint.startsWith('convo'))
      return { status: 503, body: { detail: 'temporarily unavailable, try again', reason: 'ServiceUnavailable' } };
    if (isChannelEndpoint(endpoint)) return channelTransientFailure();
    return service(504, 62, 'request timeout');
  }

  return {
    overRateLimit(now: number): boolean {
      const limit = requestsPerSecond();
      if (limit <= 0) return false;
      while (recentRequests.length > 0 && now - recentRequests[0]! >= 1_000) recentRequests.shift();
      if (recentRequests.length >= limit) return true;
      recentRequests.push(now);
      return false;
    },
    /** A chaos failure or an injected fault for this call, if one applies. */
    async pick(endpoint: Endpoint): Promise<Reply | undefined> {
      if (chaos.share > 0 && chaos.random() < chaos.share) return transientFailure(endpoint);
      const fault = faults.find((candidate) => candidate.endpoint === endpoint && candidate.times > 0);
      if (!fault) return undefined;
      fault.times--;
      if (fault.delayMs) await clock.sleep(fault.delayMs);
      return { status: fault.status, body: fault.body };
    },
    inFailover: (now: number) => now < failoverUntil,
    latency: () => latencyMs,
    inject(fault: Fault) {
      faults.push({ ...fault });
    },
    clear() {
      faults.length = 0;
    },
    setChaos(share: number, seed?: number) {
      chaos = { share, random: seed === undefined ? Math.random : seededRandom(seed) };
    },
    failover(durationMs: number) {
      failoverUntil = clock.now() + durationMs;
    },
    setLatency(ms: number) {
      latencyMs = ms;
    },
    /** The next `times` answers of `endpoint` are held `delayMs` after the call is done (a lost answer). */
    loseAnswers(endpoint: Endpoint, times: number, delayMs: number) {
      losses.push({ endpoint, times, delayMs });
    },
    /** How long to hold this answer back (0: not lost). */
    takeLoss(endpoint: Endpoint): number {
      const loss = losses.find((candidate) => candidate.endpoint === endpoint && candidate.times > 0);
      if (!loss) return 0;
      loss.times--;
      return loss.delayMs;
    },
  };
}

export type Faults = ReturnType<typeof createFaults>;
