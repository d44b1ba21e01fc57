import { AppErrorCode } from '@agora-backend/shared';
import { backgroundLimit, type AgoraClient } from './agora/index.js';
import { createNoAuth, createTokenBuckets, type Authenticator } from './auth/index.js';
import type { Leases } from './cluster/index.js';
import { systemClock, type Clock } from './clock.js';
import { APP_DEFAULTS } from './config.js';
import { AppError } from './errors.js';
import type { EventBus } from './events/index.js';
import type { TranscriptionEvent } from './store/index.js';
import { createTranscriptionRuntime, type TranscriptionRuntime } from './transcription/index.js';
import { createSilentLogger, type Logger } from './logger.js';
import { createRecordingRuntime, type RecordingRuntime, type RecordingSettings } from './recording/index.js';
import type { Registry } from './store/index.js';
import type { LinkSigner, RecordingStorage } from './storage/index.js';
import { createTokenIssuer, type TokenIssuer } from './tokens/index.js';
import type { RateLimits, Services } from './trpc/context.js';
import { createMetrics, type Metrics } from './metrics/index.js';
import { createOverview } from './tasks/overview.js';

/** What the services are built from: the parsed configuration's share that is not the edge's. */
export interface ServiceConfig {
  appId: string;
  appCertificate: string;
  recording?: RecordingSettings | undefined;
  rateLimits?: { tokensPerMinute: number; startsPerMinute: number; ipMultiplier: number } | undefined;
  /** AGORA_REQUESTS_PER_SECOND: for the poll cadence the metrics report. */
  agoraRequestsPerSecond?: number | undefined;
}

/** What the services run on: given by main.ts (or a test), each with an in-process default. */
export interface ServiceDeps {
  logger?: Logger;
  agora?: AgoraClient;
  store?: Registry;
  authenticator?: Authenticator;
  bus?: EventBus;
  /** Where transcription events go (PostgreSQL relays them between instances); default in-process. */
  transcriptionBus?: EventBus<TranscriptionEvent>;
  leases?: Leases;
  clock?: Clock;
  /** Where recordings are read back from (recording.files). */
  files?: RecordingStorage;
  /** Signs this server's /files links (set with AppDeps.fileLinks). */
  linkSigner?: LinkSigner;
  /** The operator's metrics; default a registry of this app's own. */
  metrics?: Metrics;
}

export interface ComposedServices {
  logger: Logger;
  clock: Clock;
  tokens: TokenIssuer;
  /** Set when Cloud Recording is configured (settings, an Agora client and a registry). */
  recording: RecordingRuntime | undefined;
  /** Set with recording: Real-Time Transcription shares its settings (storage, uids, polling). */
  transcription: TranscriptionRuntime | undefined;
  /** What the routers reach through the tRPC context. */
  services: Services;
  authenticator: Authenticator;
  rateLimits: { tokens: RateLimits; starts: RateLimits };
  metrics: Metrics;
}

/**
 * The composition root: every service, built once from the parsed configuration. It knows no
 * HTTP; createApp puts the edge in front of what this returns.
 */
export function composeServices(config: ServiceConfig, deps: ServiceDeps): ComposedServices {
  const logger = deps.logger ?? createSilentLogger();
  const clock = deps.clock ?? systemClock;
  const tokens = createTokenIssuer({ appId: config.appId, appCertificate: config.appCertificate, clock });
  const metrics = deps.metrics ?? createMetrics();
  const store = deps.store;
  // What every kind of task runs on: the same registry, Agora client, clock, logs, storage, leases and metrics.
  const base = config.recording && deps.agora && store ? { settings: config.recording, registry: store, agora: deps.agora } : undefined;
  const taskDeps = (kind: 'recording' | 'transcription', on: NonNullable<typeof base>) => ({
    registry: on.registry,
    agora: on.agora,
    tokens,
    clock,
    logger,
    leases: deps.leases,
    files: deps.files,
    linkSigner: deps.linkSigner,
    onPolled: (gapMs: number) => metrics.polled(kind, gapMs),
    onFailed: (reason: string) => metrics.failure(kind, reason),
  });
  const recording = base && createRecordingRuntime(base.settings, { ...taskDeps('recording', base), bus: deps.bus, onWatchdogAction: (action) => metrics.watchdog(action) });
  const transcription = base && createTranscriptionRuntime(base.settings, { ...taskDeps('transcription', base), bus: deps.transcriptionBus });
  if (store) {
    const intervalSeconds = (config.recording?.pollIntervalMs ?? 30_000) / 1000;
    const pollsPerSecond = backgroundLimit(config.agoraRequestsPerSecond ?? APP_DEFAULTS.agoraRequestsPerSecond);
    const active = (counts: Partial<Record<string, number>>, states: string[]) => states.reduce((sum, state) => sum + (counts[state] ?? 0), 0);
    metrics.setSources({
      recordingsByState: () => store.recordings.countByState(),
      transcriptionsByState: () => store.transcriptions.countByState(),
      pollCadenceSeconds: async () => {
        const polled = active(await store.recordings.countByState(), ['recording', 'stopping']) + active(await store.transcriptions.countByState(), ['running', 'stopping']);
        return Math.max(intervalSeconds, polled / pollsPerSecond);
      },
      polledHere: () => ({ recording: recording?.pollers.count() ?? 0, transcription: transcription?.pollers.count() ?? 0 }),
    });
  }
  const requireTranscription = () => {
    if (!transcription) throw new AppError(AppErrorCode.INTERNAL, 'Real-Time Transcription is not configured on this server');
    return transcription;
  };
  const requireRecording = () => {
    if (!recording) throw new AppError(AppErrorCode.INTERNAL, 'Cloud Recording is not configured on this server');
    return recording;
  };
  const rate = config.rateLimits ?? APP_DEFAULTS.rateLimits;
  const buckets = (perMinute: number) => createTokenBuckets({ perMinute, clock });
  return {
    logger,
    clock,
    tokens,
    recording,
    transcription,
    metrics,
    services: {
      transcriptions: () => requireTranscription().service,
      watchTranscription: (id, lastEventId, signal, viewer) => requireTranscription().watch(id, lastEventId, signal, viewer),
      tokens,
      metrics,
      recordings: () => requireRecording().service,
      watch: (id, lastEventId, signal, viewer) => requireRecording().watch(id, lastEventId, signal, viewer),
      recordingHistory: (id, viewer) => requireRecording().history(id, viewer),
      transcriptionHistory: (id, viewer) => requireTranscription().history(id, viewer),
      overview: () => {
        if (!store) throw new AppError(AppErrorCode.INTERNAL, 'there is no registry on this server');
        return createOverview({ store, upstream: () => metrics.upstreamSnapshot(), now: () => clock.now() })();
      },
    },
    authenticator: deps.authenticator ?? createNoAuth(),
    rateLimits: {
      tokens: { perCaller: buckets(rate.tokensPerMinute), perIp: buckets(rate.tokensPerMinute * rate.ipMultiplier) },
      starts: { perCaller: buckets(rate.startsPerMinute), perIp: buckets(rate.startsPerMinute * rate.ipMultiplier) },
    },
  };
}
