import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AppErrorCode } from '@agora-backend/shared';
import { backgroundLimit, type AgoraClient } from './agora/index.js';
import { createApp, type App, type AppServices, type EdgeDeps } from './app.js';
import { createApiKeyAuth, createJwtAuth, createNoAuth, createTokenBuckets, type Authenticator } from './auth/index.js';
import { createPostgresBus, createPostgresLeases, createPostgresRateBudget, type Leases } from './cluster/index.js';
import { systemClock, type Clock } from './clock.js';
import { APP_DEFAULTS, toAppConfig, type AppConfig, type EnvConfig } from './config.js';
import { resolveCredentials } from './credentials.js';
import { AppError } from './errors.js';
import { recordingTopic, type EventBus } from './events/index.js';
import { WEBHOOK_PATH } from './http/webhook.js';
import type { TranscriptionEvent } from './store/index.js';
import { createTranscriptionRuntime, transcriptionTopic } from './transcription/index.js';
import { agentTopic, createAgentRuntime } from './agents/index.js';
import type { AgentEvent } from './store/index.js';
import { createSilentLogger, type Logger } from './logger.js';
import { createRecordingRuntime } from './recording/index.js';
import { createPostgresStore, createSqliteStore, type Registry } from './store/index.js';
import type { LinkSigner, RecordingStorage } from './storage/index.js';
import { createTokenIssuer, type TokenIssuer } from './tokens/index.js';
import { createMetrics, type Metrics } from './metrics/index.js';
import { createOverview } from './tasks/overview.js';
import { createChannelService, createPresence, presenceTopic } from './channels/index.js';
import { createInMemoryBus } from './events/index.js';
import type { PresenceEvent } from './store/index.js';
import { createUpstream, readBackStorage, type Upstream } from './upstream.js';

/** What the services are built from: the share of AppConfig that is not the edge's. */
export type ServiceConfig = Pick<
  AppConfig,
  | 'appId'
  | 'appCertificate'
  | 'recording'
  | 'agents'
  | 'rateLimits'
  | 'agoraRequestsPerSecond'
  | 'presenceReconcileMs'
  | 'presenceRetentionMs'
>;

/** What the services run on: given by main.ts (or a test), each with an in-process default. */
export interface ServiceDeps {
  logger?: Logger;
  agora?: AgoraClient;
  store?: Registry;
  authenticator?: Authenticator;
  bus?: EventBus;
  /** Where transcription events go (PostgreSQL relays them between instances); default in-process. */
  transcriptionBus?: EventBus<TranscriptionEvent>;
  /** Where agent events go (PostgreSQL relays them between instances); default in-process. */
  agentBus?: EventBus<AgentEvent>;
  /** Where presence events go (PostgreSQL relays them between instances); default in-process. */
  presenceBus?: EventBus<PresenceEvent>;
  leases?: Leases;
  clock?: Clock;
  /** Where recordings are read back from (recording.files). */
  files?: RecordingStorage;
  /** Signs this server's /files links (set with AppDeps.fileLinks). */
  linkSigner?: LinkSigner;
  /** The operator's metrics; default a registry of this app's own. */
  metrics?: Metrics;
}

/** Every built service: what the app serves (AppServices) and the token issuer. */
export interface ComposedServices extends AppServices {
  tokens: TokenIssuer;
}

const retentionOf = (ms: number) => (ms > 0 ? ms : undefined);

/**
 * Every service, built once from the configuration. It knows no HTTP; createApp puts the edge in
 * front of what this returns (composeApp does both).
 */
export function composeServices(config: ServiceConfig, deps: ServiceDeps): ComposedServices {
  const logger = deps.logger ?? createSilentLogger();
  const clock = deps.clock ?? systemClock;
  const tokens = createTokenIssuer({ appId: config.appId, appCertificate: config.appCertificate, clock });
  const metrics = deps.metrics ?? createMetrics();
  const store = deps.store;
  // Channel management needs only Agora's client; bans are kept with their author when there is a registry.
  const channels = deps.agora && createChannelService({ agora: deps.agora.channels, bans: store?.bans, clock, logger });
  // What every kind of task runs on: the same registry, Agora client, clock, logs, storage, leases and metrics.
  const base = config.recording && deps.agora && store ? { settings: config.recording, registry: store, agora: deps.agora } : undefined;
  const taskDeps = (kind: 'recording' | 'transcription' | 'agent', on: NonNullable<typeof base>) => ({
    registry: on.registry,
    agora: on.agora,
    tokens,
    clock,
    logger,
    leases: deps.leases,
    // A start warns when nobody publishes in its channel (the channel service's cached read).
    publishers: channels && ((channel: string) => channels.publishers(channel)),
    files: deps.files,
    linkSigner: deps.linkSigner,
    onPolled: (gapMs: number) => metrics.polled(kind, gapMs),
    onFailed: (reason: string) => metrics.failure(kind, reason),
  });
  const recording =
    base &&
    createRecordingRuntime(base.settings, {
      ...taskDeps('recording', base),
      bus: deps.bus,
      onWatchdogAction: (action) => metrics.watchdog(action),
    });
  const transcription =
    base && createTranscriptionRuntime(base.settings, { ...taskDeps('transcription', base), bus: deps.transcriptionBus });
  // Agents run on the recordings' settings (uids, polling, the watchdog) with the server's profiles.
  const agent =
    base &&
    createAgentRuntime(
      {
        ...base.settings,
        profiles: config.agents?.profiles ?? new Map(),
        tokenSeconds: config.agents?.tokenSeconds,
        watchedHistoryMs: config.agents?.watchedHistoryMs,
      },
      { ...taskDeps('agent', base), bus: deps.agentBus },
    );
  if (store) {
    const intervalSeconds = (config.recording?.pollIntervalMs ?? 30_000) / 1000;
    const pollsPerSecond = backgroundLimit(config.agoraRequestsPerSecond ?? APP_DEFAULTS.agoraRequestsPerSecond);
    const active = (counts: Partial<Record<string, number>>, states: string[]) =>
      states.reduce((sum, state) => sum + (counts[state] ?? 0), 0);
    metrics.setSources({
      recordingsByState: () => store.recordings.countByState(),
      transcriptionsByState: () => store.transcriptions.countByState(),
      agentsByState: () => store.agents.countByState(),
      pollCadenceSeconds: async () => {
        const polled =
          active(await store.recordings.countByState(), ['recording', 'stopping']) +
          active(await store.transcriptions.countByState(), ['running', 'stopping']) +
          active(await store.agents.countByState(), ['running', 'stopping']);
        return Math.max(intervalSeconds, polled / pollsPerSecond);
      },
      polledHere: () => ({
        recording: recording?.pollers.count() ?? 0,
        transcription: transcription?.pollers.count() ?? 0,
        agent: agent?.pollers.count() ?? 0,
      }),
    });
  }
  const requireTranscription = () => {
    if (!transcription) throw new AppError(AppErrorCode.INTERNAL, 'Real-Time Transcription is not configured on this server');
    return transcription;
  };
  const requireAgent = () => {
    if (!agent) throw new AppError(AppErrorCode.INTERNAL, 'Conversational AI agents are not configured on this server');
    return agent;
  };
  const requireRecording = () => {
    if (!recording) throw new AppError(AppErrorCode.INTERNAL, 'Cloud Recording is not configured on this server');
    return recording;
  };
  const requireChannels = () => {
    if (!channels) throw new AppError(AppErrorCode.INTERNAL, "Agora's channel management is not configured on this server");
    return channels;
  };
  // Presence needs the registry (members, history, the event log) and Agora's user list to reconcile with.
  const presence =
    channels &&
    store &&
    createPresence({
      table: store.presence,
      bus: deps.presenceBus ?? createInMemoryBus<PresenceEvent>(presenceTopic),
      listUsers: (channel, priority) => channels.users(channel, priority),
      clock,
      logger,
      reconcileAfterMs: config.presenceReconcileMs ?? APP_DEFAULTS.presenceReconcileMs,
      // 0 keeps presence history for ever (the operator's choice, e.g. when it is exported elsewhere).
      retentionMs: retentionOf(config.presenceRetentionMs ?? APP_DEFAULTS.presenceRetentionDays * 86_400_000),
    });
  const requirePresence = () => {
    if (!presence) throw new AppError(AppErrorCode.INTERNAL, "presence needs a registry and Agora's channel management on this server");
    return presence;
  };
  const rate = config.rateLimits ?? APP_DEFAULTS.rateLimits;
  const buckets = (perMinute: number) => createTokenBuckets({ perMinute, clock });
  return {
    logger,
    clock,
    tokens,
    recording,
    transcription,
    agent,
    presence,
    metrics,
    services: {
      agents: () => requireAgent().service,
      watchAgent: (id, lastEventId, viewer) => (sink) => requireAgent().watch(id, lastEventId, viewer)(sink),
      transcriptions: () => requireTranscription().service,
      watchTranscription: (id, lastEventId, viewer) => (sink) => requireTranscription().watch(id, lastEventId, viewer)(sink),
      tokens,
      metrics,
      recordings: () => requireRecording().service,
      watch: (id, lastEventId, viewer) => (sink) => requireRecording().watch(id, lastEventId, viewer)(sink),
      recordingHistory: (id, viewer) => requireRecording().history(id, viewer),
      transcriptionHistory: (id, viewer) => requireTranscription().history(id, viewer),
      channels: requireChannels,
      presence: requirePresence,
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

/** What createApp runs on, given by a caller (a test, a benchmark) or by composeServer; each has an in-process default. */
export interface AppDeps extends ServiceDeps, EdgeDeps {}

/** The app in one call: the services (composeServices) behind the edge (createApp). */
export function composeApp(config: AppConfig, deps: AppDeps = {}): App {
  const composed = composeServices(config, { ...deps, ...(deps.fileLinks ? { linkSigner: deps.fileLinks.signer } : {}) });
  return createApp(config, composed, deps);
}

/** The server `pnpm start` runs: the app, and what it listens beside (the embedded emulator). */
export interface ComposedServer {
  app: App;
  /** Listens, points the embedded emulator's notifications at our webhook, and says where everything is. */
  listen: () => Promise<{ url: string; wsUrl: string }>;
}

/**
 * The composition root of `pnpm start`: from the environment's configuration to a server ready to
 * listen. Credentials (development ones when none are set), the registry (SQLite or PostgreSQL),
 * the cluster's shared state, Agora or the embedded emulator, storage read-back, the console.
 */
export async function composeServer(config: EnvConfig, logger: Logger): Promise<ComposedServer> {
  const { credentials, createdFile, file } = await resolveCredentials(config);
  if (credentials.development) {
    logger.warn(
      { appId: credentials.appId, credentialsFile: file, created: createdFile !== undefined },
      'Development mode: no AGORA_APP_ID/AGORA_APP_CERTIFICATE set, so tokens are signed with a local ' +
        'development App ID and certificate. They work with this server only, not with Agora.',
    );
  }
  // Names this process in Agora's request log (User-Agent) and in pg_stat_activity.
  const instanceId = randomBytes(6).toString('hex');
  const store = await createStore(config, instanceId, logger);
  // Several instances on PostgreSQL share events, leases and Agora's rate budget through it.
  const cluster = config.database
    ? await createCluster({
        database: config.database,
        instanceId,
        store,
        appId: credentials.appId,
        requestsPerSecond: config.agora.requestsPerSecond,
        logger,
      })
    : undefined;
  const metrics = createMetrics();
  const upstream = await createUpstream(config, credentials, {
    clock: systemClock,
    logger,
    onCall: (call) => metrics.upstream(call),
    ...(cluster ? { rateBudget: cluster.rateBudget, userAgent: `agora-backend (instance ${cluster.instanceId})` } : {}),
  });
  logUpstream(config, upstream, logger);
  const readBack = await readBackStorage(config, upstream, systemClock);
  const consoleDir = builtConsole(logger);
  // The embedded emulator sends Agora's notifications to our own webhook, so that path runs offline too.
  const webhookSecret = config.webhookSecret ?? (upstream.emulator ? randomBytes(24).toString('hex') : undefined);
  const appConfig = toAppConfig(config, { appId: credentials.appId, appCertificate: credentials.appCertificate, webhookSecret });
  const app = composeApp(appConfig, {
    logger,
    metrics,
    agora: upstream.agora,
    store,
    files: readBack.files,
    ...(consoleDir ? { consoleDir } : {}),
    fileLinks: readBack.links,
    authenticator: createAuthenticator(config, systemClock),
    ...(cluster
      ? {
          bus: cluster.bus,
          transcriptionBus: cluster.transcriptionBus,
          agentBus: cluster.agentBus,
          presenceBus: cluster.presenceBus,
          leases: cluster.leases,
          readinessChecks: cluster.readinessChecks,
        }
      : {}),
    closeables: [upstream, ...(cluster ? [cluster] : [])],
  });
  const listen = async () => {
    const { url, wsUrl } = await app.listen();
    if (upstream.emulator && webhookSecret) {
      upstream.emulator.control.setNotificationTarget({ url: `${loopbackUrl(url)}${WEBHOOK_PATH}`, secret: webhookSecret });
    }
    logListening({ url, wsUrl, appId: credentials.appId, auth: config.auth.mode, consoleDir, emulatorUrl: upstream.emulator?.url }, logger);
    return { url, wsUrl };
  };
  return { app, listen };
}

/** The registry: PostgreSQL when DATABASE_URL is set, else an SQLite file in DATA_DIR. */
async function createStore(config: EnvConfig, instanceId: string, logger: Logger): Promise<Registry> {
  const registryFile = join(config.dataDir, 'registry.sqlite');
  const store = config.database
    ? await createPostgresStore({
        url: config.database.url,
        schema: config.database.schema,
        logger,
        applicationName: sessionName(instanceId, 'registry'),
      })
    : await createSqliteStore(registryFile);
  logger.info({ registry: config.database ? `postgres (schema ${config.database.schema})` : registryFile }, 'recording registry ready');
  return store;
}

function logUpstream(config: EnvConfig, upstream: Upstream, logger: Logger): void {
  if (upstream.emulator) {
    logger.info(
      { emulatorUrl: upstream.emulator.url, storageDir: config.emulator.storageDir, control: `${upstream.emulator.url}/_emulator/state` },
      'No AGORA_CUSTOMER_ID/AGORA_CUSTOMER_SECRET: Cloud Recording and Real-Time Transcription run against the built-in emulator ' +
        "(Agora's REST contract, with test-pattern media); recordings and captions are written to the storage folder.",
    );
  } else {
    logger.info({ agoraApi: config.agora.apiUrl ?? 'https://api.agora.io' }, 'Cloud Recording and Speech-to-Text calls go to Agora');
  }
}

/** The built console's folder; `pnpm start` builds it first, and run any other way the server starts without it. */
function builtConsole(logger: Logger): string | undefined {
  // server/src/compose.ts and the bundled server/dist/main.js sit at the same depth.
  const consoleDir = fileURLToPath(new URL('../../console/dist', import.meta.url));
  if (existsSync(join(consoleDir, 'index.html'))) return consoleDir;
  logger.warn({ consoleDir }, 'the console is not built (pnpm --filter @agora-backend/console build): /console is off');
  return undefined;
}

/** The line a newcomer reads: where the API, the console and the emulator's control API are. */
function logListening(
  where: { url: string; wsUrl: string; appId: string; auth: string; consoleDir: string | undefined; emulatorUrl: string | undefined },
  logger: Logger,
): void {
  const { url, wsUrl, emulatorUrl } = where;
  const consoleUrl = where.consoleDir ? url.replace(/\/trpc$/, '/console') : undefined;
  const also = [
    consoleUrl ? `console ${consoleUrl}` : undefined,
    emulatorUrl ? `emulator ${emulatorUrl} (control: ${emulatorUrl}/_emulator)` : undefined,
  ].filter(Boolean);
  const fields = { url, wsUrl, appId: where.appId, auth: where.auth };
  logger.info(
    { ...fields, ...(consoleUrl ? { console: consoleUrl } : {}), ...(emulatorUrl ? { emulatorUrl } : {}) },
    `Listening on ${url}${also.length > 0 ? ` · ${also.join(' · ')}` : ''}`,
  );
}

function createAuthenticator(config: EnvConfig, clock: Clock): Authenticator {
  switch (config.auth.mode) {
    case 'apikey':
      return createApiKeyAuth(config.auth.keys);
    case 'jwt':
      return createJwtAuth({ ...config.auth, clock });
    case 'none':
      return createNoAuth();
  }
}

/** Our own URL as a local process reaches it: a wildcard bind answers on loopback. */
function loopbackUrl(url: string): string {
  const parsed = new URL(url);
  if (parsed.hostname === '0.0.0.0') parsed.hostname = '127.0.0.1';
  if (parsed.hostname === '[::]') parsed.hostname = '[::1]';
  return parsed.origin;
}

/**
 * PostgreSQL's application_name of this instance's sessions, by role (`registry`, `lease`,
 * `events listen`, `events notify`, `stt-events listen`, `stt-events notify`, `budget`): an
 * operator (or bench/soak-cluster.ts) tells whose session is whose in pg_stat_activity.
 */
const sessionName = (instanceId: string, role: string) => `agora-backend ${instanceId} ${role}`;

/** This instance's share of the cluster: leases, the event buses and Agora's rate budget, all on PostgreSQL. */
async function createCluster(options: {
  database: { url: string; schema: string };
  instanceId: string;
  store: Registry;
  appId: string;
  requestsPerSecond: number;
  logger: Logger;
}) {
  const { database, instanceId, store, logger } = options;
  const clock = systemClock;
  const leases = await createPostgresLeases({
    url: database.url,
    namespace: `agora-backend:${database.schema}`,
    logger,
    clock,
    applicationName: sessionName(instanceId, 'lease'),
  });
  // One channel per event log (recordings', transcriptions'), each with its own ids.
  const shared = { url: database.url, instanceId, logger, clock };
  const bus = await createPostgresBus({
    ...shared,
    channel: `agora_events_${database.schema}`,
    readAfter: (topic, afterId) => store.recordings.eventsAfter(topic, afterId),
    topicOf: recordingTopic,
    applicationName: sessionName(instanceId, 'events'),
  });
  const transcriptionBus = await createPostgresBus({
    ...shared,
    channel: `agora_stt_events_${database.schema}`,
    readAfter: (topic, afterId) => store.transcriptions.eventsAfter(topic, afterId),
    topicOf: transcriptionTopic,
    applicationName: sessionName(instanceId, 'stt-events'),
  });
  const agentBus = await createPostgresBus({
    ...shared,
    channel: `agora_agent_events_${database.schema}`,
    readAfter: (topic, afterId) => store.agents.eventsAfter(topic, afterId),
    topicOf: agentTopic,
    applicationName: sessionName(instanceId, 'agent-events'),
  });
  const presenceBus = await createPostgresBus({
    ...shared,
    channel: `agora_presence_events_${database.schema}`,
    readAfter: (topic, afterId) => store.presence.eventsAfter(topic, afterId),
    topicOf: presenceTopic,
    applicationName: sessionName(instanceId, 'presence-events'),
  });
  const rateBudget = await createPostgresRateBudget({
    url: database.url,
    schema: database.schema,
    appId: options.appId,
    limit: options.requestsPerSecond,
    windowMs: 1_000,
    clock,
    logger,
    member: { id: leases.memberId, class: leases.memberClass },
    applicationName: sessionName(instanceId, 'budget'),
  });
  logger.info({ instanceId }, 'cluster mode: events, leases and the Agora rate budget go through PostgreSQL');
  return {
    instanceId,
    leases,
    bus,
    transcriptionBus,
    agentBus,
    presenceBus,
    rateBudget,
    /** /readyz: this instance coordinates with the others only while its kept sessions are up. */
    readinessChecks: [
      { name: 'leases', check: () => Promise.resolve(leases.healthy()) },
      {
        name: 'events',
        check: () => Promise.resolve(bus.healthy() && transcriptionBus.healthy() && agentBus.healthy() && presenceBus.healthy()),
      },
    ],
    async close() {
      await leases.close();
      await bus.close();
      await transcriptionBus.close();
      await agentBus.close();
      await presenceBus.close();
      await rateBudget.close();
    },
  };
}
