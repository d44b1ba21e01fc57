import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { AgentState, RecordingState, TranscriptionState } from '@agora-backend/shared';

/** The kinds of task the metrics label. */
export type TaskKindLabel = 'recording' | 'transcription' | 'agent';

/** What the registry can count for the gauges that are read at scrape time. */
export interface MetricsSources {
  /** Recordings by state, from the registry. */
  recordingsByState?: () => Promise<Partial<Record<RecordingState, number>>>;
  /** Transcriptions by state, likewise. */
  transcriptionsByState?: () => Promise<Partial<Record<TranscriptionState, number>>>;
  /** Conversational AI agents by state, likewise. */
  agentsByState?: () => Promise<Partial<Record<AgentState, number>>>;
  /** The longest time between two polls of an active task that the rate budget guarantees, in seconds. */
  pollCadenceSeconds?: () => Promise<number>;
  /** Tasks this instance polls now, by kind. */
  polledHere?: () => Record<TaskKindLabel, number>;
}

/** One upstream call as the Agora client saw it. */
export interface UpstreamObservation {
  endpoint: string;
  /** `200`, `404`, `429`, `5xx`…, or `network` / `timeout`. */
  outcome: string;
  seconds: number;
  /** How long it waited for Agora's rate budget before it was sent. */
  budgetWaitSeconds: number;
  /** Whose wait it was: a caller's or a background poll's. */
  priority: 'user' | 'background';
}

/**
 * The operator's metrics (Prometheus), one registry per app: no global state. The core reports
 * into it through these plain methods; the edge serves `registry.metrics()` at GET /metrics.
 */
export function createMetrics() {
  const registry = new Registry();
  let sources: MetricsSources = {};
  new Gauge({
    name: 'agora_backend_recordings',
    help: 'Recordings in the registry by state (stopping = stops not yet confirmed by Agora)',
    labelNames: ['state'],
    registers: [registry],
    async collect() {
      const counts = (await sources.recordingsByState?.()) ?? {};
      this.reset();
      for (const state of ['starting', 'recording', 'stopping', 'stopped', 'failed'] as const) this.set({ state }, counts[state] ?? 0);
    },
  });
  new Gauge({
    name: 'agora_backend_transcriptions',
    help: 'Transcriptions in the registry by state (stopping = leaves not yet confirmed by Agora)',
    labelNames: ['state'],
    registers: [registry],
    async collect() {
      const counts = (await sources.transcriptionsByState?.()) ?? {};
      this.reset();
      for (const state of ['starting', 'running', 'stopping', 'stopped', 'failed'] as const) this.set({ state }, counts[state] ?? 0);
    },
  });
  new Gauge({
    name: 'agora_backend_agents',
    help: 'Conversational AI agents in the registry by state (stopping = leaves not yet confirmed by Agora)',
    labelNames: ['state'],
    registers: [registry],
    async collect() {
      const counts = (await sources.agentsByState?.()) ?? {};
      this.reset();
      for (const state of ['starting', 'running', 'stopping', 'stopped', 'failed'] as const) this.set({ state }, counts[state] ?? 0);
    },
  });
  const upstreamCalls = new Counter({
    name: 'agora_backend_upstream_requests_total',
    help: 'Calls to Agora by endpoint and outcome',
    labelNames: ['endpoint', 'outcome'],
    registers: [registry],
  });
  const upstreamSeconds = new Histogram({
    name: 'agora_backend_upstream_request_seconds',
    help: "Agora's answer time by endpoint",
    labelNames: ['endpoint'],
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  const budgetWait = new Histogram({
    name: 'agora_backend_rate_budget_wait_seconds',
    help: "How long calls waited for Agora's per-App-ID rate budget, by priority (user: what a caller waits for; background: polls)",
    labelNames: ['priority'],
    buckets: [0, 0.01, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30],
    registers: [registry],
  });
  const pollGap = new Histogram({
    name: 'agora_backend_poll_gap_seconds',
    help: 'Time between two polls of one active task, by kind (the poll interval, stretched when the rate budget is full)',
    labelNames: ['kind'],
    buckets: [1, 2, 5, 10, 20, 30, 45, 60, 120, 300],
    registers: [registry],
  });
  new Gauge({
    name: 'agora_backend_poll_cadence_seconds',
    help: 'The longest gap between two polls of an active task that the rate budget allows now: max(POLL_INTERVAL_SECONDS, active tasks / background requests per second)',
    registers: [registry],
    async collect() {
      this.set((await sources.pollCadenceSeconds?.()) ?? 0);
    },
  });
  new Gauge({
    name: 'agora_backend_polled_tasks',
    help: 'Active tasks this instance polls (holds the lease of), by kind',
    labelNames: ['kind'],
    registers: [registry],
    collect() {
      const counts = sources.polledHere?.() ?? { recording: 0, transcription: 0, agent: 0 };
      for (const kind of ['recording', 'transcription', 'agent'] as const) this.set({ kind }, counts[kind]);
    },
  });
  const watchdogActions = new Counter({
    name: 'agora_backend_watchdog_actions_total',
    help: 'What the watchdog did: max_duration_stop (a recording past its limit), start_settled (an interrupted start)',
    labelNames: ['action'],
    registers: [registry],
  });
  const notices = new Counter({
    name: 'agora_backend_webhook_notices_total',
    help: 'Agora notices by outcome: accepted, duplicate, stale, bad_signature, malformed',
    labelNames: ['outcome'],
    registers: [registry],
  });
  const failures = new Counter({
    name: 'agora_backend_task_failures_total',
    help: "Recordings, transcriptions and agents that failed, by kind and reason (error_<code> from Agora's notice, exited_abnormally, asr, rtc, start_failed…)",
    labelNames: ['kind', 'reason'],
    registers: [registry],
  });
  const watchers = new Gauge({
    name: 'agora_backend_watchers',
    help: 'Open recording.watch streams by transport',
    labelNames: ['transport'],
    registers: [registry],
  });

  return {
    registry,
    /** Connects the scrape-time gauges to their sources (the registry, once it exists). */
    setSources(next: MetricsSources) {
      sources = next;
    },
    upstream(observation: UpstreamObservation) {
      upstreamCalls.inc({ endpoint: observation.endpoint, outcome: observation.outcome });
      upstreamSeconds.observe({ endpoint: observation.endpoint }, observation.seconds);
      budgetWait.observe({ priority: observation.priority }, observation.budgetWaitSeconds);
    },
    polled: (kind: TaskKindLabel, gapMs: number) => pollGap.observe({ kind }, gapMs / 1000),
    watchdog: (action: 'max_duration_stop' | 'start_settled') => watchdogActions.inc({ action }),
    notice: (outcome: 'accepted' | 'duplicate' | 'stale' | 'bad_signature' | 'malformed') => notices.inc({ outcome }),
    failure: (kind: TaskKindLabel, reason: string) => failures.inc({ kind, reason }),
    /** Upstream health since start-up, from the same counters GET /metrics serves (admin.overview). */
    async upstreamSnapshot() {
      const endpoints = new Map<string, Record<string, number>>();
      for (const { labels, value } of (await upstreamCalls.get()).values) {
        const outcomes = endpoints.get(String(labels.endpoint)) ?? {};
        outcomes[String(labels.outcome)] = value;
        endpoints.set(String(labels.endpoint), outcomes);
      }
      const waits = (await budgetWait.get()).values;
      // Summed over both priorities (callers' and polls').
      const sum = (keep: (entry: (typeof waits)[number]) => boolean) => waits.filter(keep).reduce((total, entry) => total + entry.value, 0);
      const total = sum((entry) => entry.metricName?.endsWith('_count') === true);
      const noWait = sum((entry) => entry.metricName?.endsWith('_bucket') === true && (entry.labels as Record<string, unknown>).le === 0);
      const seconds = sum((entry) => entry.metricName?.endsWith('_sum') === true);
      return {
        endpoints: [...endpoints]
          .map(([endpoint, outcomes]) => ({ endpoint, outcomes }))
          .sort((a, b) => a.endpoint.localeCompare(b.endpoint)),
        budgetWaits: { count: total - noWait, seconds },
        notices: Object.fromEntries((await notices.get()).values.map(({ labels, value }) => [String(labels.outcome), value])),
        failures: (await failures.get()).values.map(({ labels, value }) => ({
          kind: String(labels.kind),
          reason: String(labels.reason),
          count: value,
        })),
      };
    },
    watcherOpened: (transport: 'ws' | 'sse') => watchers.inc({ transport }),
    watcherClosed: (transport: 'ws' | 'sse') => watchers.dec({ transport }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
