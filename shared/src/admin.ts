import { z } from 'zod';
import { LastError, RecordingState } from './recording.js';
import { TranscriptionState } from './transcription.js';
import { AgentState } from './agent.js';

/** admin.overview takes nothing. */
export const AdminOverviewInput = z.object({}).strict().optional();

/** One failed task, for the operator's overview: what, where, when, and why. */
export const RecentFailure = z.object({
  kind: z.enum(['recording', 'transcription', 'agent']),
  id: z.string(),
  channel: z.string(),
  stoppedAt: z.date().nullable(),
  lastError: LastError,
});
export type RecentFailure = z.infer<typeof RecentFailure>;

/** Calls to one Agora endpoint since start-up, by outcome (`200`, `404`, `5xx`, `network`, …). */
export const UpstreamEndpoint = z.object({ endpoint: z.string(), outcomes: z.record(z.string(), z.number()) });

/**
 * `admin.overview`: what runs now and what failed, from the registry, and upstream health since
 * start-up — the figures GET /metrics serves, typed.
 */
export const AdminOverviewOutput = z.object({
  recordings: z.record(RecordingState, z.number()),
  transcriptions: z.record(TranscriptionState, z.number()),
  /** Conversational AI agents by state. */
  agents: z.record(AgentState, z.number()),
  /** The newest failures of every kind, newest first. */
  recentFailures: z.array(RecentFailure),
  upstream: z.object({
    endpoints: z.array(UpstreamEndpoint),
    /** Calls that waited for Agora's rate budget, and how long in all. */
    budgetWaits: z.object({ count: z.number(), seconds: z.number() }),
    /** Agora's notices by outcome: accepted, duplicate, stale, bad_signature, malformed. */
    notices: z.record(z.string(), z.number()),
    /** Failures by kind and reason since start-up. */
    failures: z.array(z.object({ kind: z.string(), reason: z.string(), count: z.number() })),
  }),
  at: z.date(),
});
export type AdminOverviewOutput = z.infer<typeof AdminOverviewOutput>;
