/**
 * The entry point: the only module that reads process.env, opens ports and installs signal handlers
 * (docs/architecture.md, "Rings"). Everything else is a factory it calls.
 */
import { createApp } from './app.js';
import { parseConfig } from './config.js';
import { resolveCredentials } from './credentials.js';
import { systemClock } from './clock.js';
import { createLogger } from './logger.js';
import { createApiKeyAuth, createJwtAuth, createNoAuth, type Authenticator } from './auth/index.js';
import type { Clock } from './clock.js';
import type { EnvConfig } from './config.js';
import { createPostgresStore, createSqliteStore, type Registry } from './store/index.js';
import { createPostgresBus, createPostgresLeases, createPostgresRateBudget } from './cluster/index.js';
import { recordingTopic } from './events/index.js';
import { transcriptionTopic } from './transcription/index.js';
import type { Logger } from './logger.js';
import { randomBytes } from 'node:crypto';
import { createUpstream, readBackStorage, storageFor } from './upstream.js';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createMetrics } from './metrics/index.js';
import { WEBHOOK_PATH } from './http/webhook.js';
import { createServer } from 'node:net';

/** A port we are about to listen on, and the setting that chose it. */
interface WantedPort {
  setting: 'PORT' | 'EMULATOR_PORT';
  host: string;
  port: number;
}

/** Why a port cannot be listened on (the `listen` error's code), or undefined when it is free. */
function portProblem(wanted: WantedPort): Promise<string | undefined> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    probe.listen(wanted.port, wanted.host, () => probe.close(() => resolve(undefined)));
  });
}

/** What to tell the operator about a port that is not free: which setting to change, and how. */
function portMessage(wanted: WantedPort, code: string): string {
  const where = `${wanted.host}:${wanted.port}`;
  const why = code === 'EADDRINUSE' ? 'is taken: another process listens there' : code === 'EACCES' ? 'needs privileges this process does not have' : `cannot be used (${code})`;
  return `${wanted.setting}=${wanted.port}: ${where} ${why}. Stop that process, or set ${wanted.setting} to another port (0 picks a free one).`;
}

/**
 * Checks the ports before anything is created (credentials, registry, emulator): a taken port
 * stops the server with the setting to change, not with EADDRINUSE after half a start-up.
 */
async function checkPorts(config: EnvConfig, embedded: boolean): Promise<string[]> {
  const wanted: WantedPort[] = [{ setting: 'PORT', host: config.host, port: config.port }];
  // The embedded emulator listens on loopback (it takes no credentials on its control API).
  if (embedded) wanted.push({ setting: 'EMULATOR_PORT', host: '127.0.0.1', port: config.emulator.port });
  const problems = await Promise.all(wanted.filter((entry) => entry.port !== 0).map(async (entry) => ({ entry, code: await portProblem(entry) })));
  return problems.flatMap(({ entry, code }) => (code === undefined ? [] : [portMessage(entry, code)]));
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

async function createCluster(database: { url: string; schema: string }, instanceId: string, store: Registry, appId: string, requestsPerSecond: number, logger: Logger) {
  const clock = systemClock;
  const leases = await createPostgresLeases({ url: database.url, namespace: `agora-backend:${database.schema}`, logger, clock, applicationName: sessionName(instanceId, 'lease') });
  const bus = await createPostgresBus({
    url: database.url,
    channel: `agora_events_${database.schema}`,
    readAfter: (topic, afterId) => store.recordings.eventsAfter(topic, afterId),
    topicOf: recordingTopic,
    instanceId,
    logger,
    clock,
    applicationName: sessionName(instanceId, 'events'),
  });
  // Transcriptions have their own event log (and ids): their own channel.
  const transcriptionBus = await createPostgresBus({
    url: database.url,
    channel: `agora_stt_events_${database.schema}`,
    readAfter: (topic, afterId) => store.transcriptions.eventsAfter(topic, afterId),
    topicOf: transcriptionTopic,
    instanceId,
    logger,
    clock,
    applicationName: sessionName(instanceId, 'stt-events'),
  });
  const rateBudget = await createPostgresRateBudget({
    url: database.url,
    schema: database.schema,
    appId,
    limit: requestsPerSecond,
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
    rateBudget,
    /** /readyz: this instance coordinates with the others only while its kept sessions are up. */
    readinessChecks: [
      { name: 'leases', check: () => Promise.resolve(leases.healthy()) },
      { name: 'events', check: () => Promise.resolve(bus.healthy() && transcriptionBus.healthy()) },
    ],
    async close() {
      await leases.close();
      await bus.close();
      await transcriptionBus.close();
      await rateBudget.close();
    },
  };
}

async function main(): Promise<void> {
  const parsed = parseConfig(process.env);
  if (!parsed.ok) {
    process.stderr.write(
      `Invalid configuration, not starting:\n${parsed.errors.map((line) => `  - ${line}`).join('\n')}\n`,
    );
    process.exit(1);
  }
  const config = parsed.config;
  const portProblems = await checkPorts(config, config.agora.customerId === undefined || config.agora.customerSecret === undefined);
  if (portProblems.length > 0) {
    process.stderr.write(`Cannot listen, not starting (nothing was created):\n${portProblems.map((line) => `  - ${line}`).join('\n')}\n`);
    process.exit(1);
  }
  const logger = createLogger({
    level: config.logLevel,
    format: config.logFormat ?? (process.stdout.isTTY ? 'pretty' : 'json'),
  });

  const { credentials, createdFile, file } = await resolveCredentials(config);
  if (credentials.development) {
    logger.warn(
      { appId: credentials.appId, credentialsFile: file, created: createdFile !== undefined },
      'Development mode: no AGORA_APP_ID/AGORA_APP_CERTIFICATE set, so tokens are signed with a local ' +
        'development App ID and certificate. They work with this server only, not with Agora.',
    );
  }

  const registryFile = join(config.dataDir, 'registry.sqlite');
  // Names this process in Agora's request log (User-Agent) and in pg_stat_activity.
  const instanceId = randomBytes(6).toString('hex');
  const store = config.database
    ? await createPostgresStore({ url: config.database.url, schema: config.database.schema, logger, applicationName: sessionName(instanceId, 'registry') })
    : await createSqliteStore(registryFile);
  logger.info({ registry: config.database ? `postgres (schema ${config.database.schema})` : registryFile }, 'recording registry ready');
  // Several instances on PostgreSQL share events, leases and Agora's rate budget through it.
  const cluster = config.database ? await createCluster(config.database, instanceId, store, credentials.appId, config.agora.requestsPerSecond, logger) : undefined;
  const metrics = createMetrics();
  const upstream = await createUpstream(config, credentials, {
    clock: systemClock,
    logger,
    onCall: (call) => metrics.upstream(call),
    ...(cluster ? { rateBudget: cluster.rateBudget, userAgent: `agora-backend (instance ${cluster.instanceId})` } : {}),
  });
  if (upstream.emulator) {
    logger.info(
      { emulatorUrl: upstream.emulator.url, storageDir: config.emulator.storageDir, control: `${upstream.emulator.url}/_emulator/state` },
      'No AGORA_CUSTOMER_ID/AGORA_CUSTOMER_SECRET: Cloud Recording and Real-Time Transcription run against the built-in emulator ' +
        "(Agora's REST contract, with test-pattern media); recordings and captions are written to the storage folder.",
    );
  } else {
    logger.info({ agoraApi: config.agora.apiUrl ?? 'https://api.agora.io' }, 'Cloud Recording and Speech-to-Text calls go to Agora');
  }

  const readBack = await readBackStorage(config, upstream, systemClock);
  // `pnpm start` builds the console first; run any other way, the server starts without it.
  const consoleDir = fileURLToPath(new URL('../../console/dist', import.meta.url));
  const hasConsole = existsSync(join(consoleDir, 'index.html'));
  if (!hasConsole) logger.warn({ consoleDir }, 'the console is not built (pnpm --filter @agora-backend/console build): /console is off');

  // The embedded emulator sends Agora's notifications to our own webhook, so that path runs offline too.
  const webhookSecret = config.webhookSecret ?? (upstream.emulator ? randomBytes(24).toString('hex') : undefined);
  const app = createApp(
    {
      host: config.host,
      port: config.port,
      appId: credentials.appId,
      appCertificate: credentials.appCertificate,
      shutdownTimeoutMs: config.shutdownTimeoutMs,
      recording: {
        storage: storageFor(config),
        uidRange: { min: config.recording.uidMin, max: config.recording.uidMax },
        defaultMaxDurationSeconds: config.recording.defaultMaxDurationSeconds,
        watchdogIntervalMs: config.recording.watchdogIntervalSeconds * 1000,
        pollIntervalMs: config.recording.pollIntervalSeconds * 1000,
        confirmDelayMs: Math.min(5_000, config.recording.pollIntervalSeconds * 1000),
        failoverWindowMs: config.recording.failoverWindowSeconds * 1000,
        startSettleMs: config.recording.startSettleSeconds * 1000,
      },
      subscriptionsPerConnection: config.subscriptionsPerConnection,
      agoraRequestsPerSecond: config.agora.requestsPerSecond,
      corsOrigins: config.corsOrigins,
      wsConnectionsPerIp: config.wsConnectionsPerIp,
      trustProxy: config.trustProxy,
      ...(config.publicUrl ? { publicUrl: config.publicUrl } : {}),
      rateLimits: config.rateLimits,
      maxBodyBytes: config.bodyLimitBytes,
      maxBatchSize: config.maxBatchSize,
      headersTimeoutMs: config.headersTimeoutMs,
      requestTimeoutMs: config.requestTimeoutMs,
      connectionsPerIp: config.connectionsPerIp,
      ...(webhookSecret ? { webhookSecret } : {}),
    },
    {
      logger,
      metrics,
      agora: upstream.agora,
      store,
      files: readBack.files,
      ...(hasConsole ? { consoleDir } : {}),
      fileLinks: readBack.links,
      authenticator: createAuthenticator(config, systemClock),
      ...(cluster ? { bus: cluster.bus, transcriptionBus: cluster.transcriptionBus, leases: cluster.leases, readinessChecks: cluster.readinessChecks } : {}),
      closeables: [upstream, ...(cluster ? [cluster] : [])],
    },
  );
  const { url, wsUrl } = await app.listen();
  if (upstream.emulator && webhookSecret) {
    upstream.emulator.control.setNotificationTarget({ url: `${loopbackUrl(url)}${WEBHOOK_PATH}`, secret: webhookSecret });
  }
  const consoleUrl = hasConsole ? url.replace(/\/trpc$/, '/console') : undefined;
  // The line a newcomer reads: where the API, the console and the emulator's control API are.
  const where = [consoleUrl ? `console ${consoleUrl}` : undefined, upstream.emulator ? `emulator ${upstream.emulator.url} (control: ${upstream.emulator.url}/_emulator)` : undefined].filter(Boolean);
  logger.info(
    { url, wsUrl, appId: credentials.appId, auth: config.auth.mode, ...(consoleUrl ? { console: consoleUrl } : {}), ...(upstream.emulator ? { emulatorUrl: upstream.emulator.url } : {}) },
    `Listening on ${url}${where.length > 0 ? ` · ${where.join(' · ')}` : ''}`,
  );

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting without waiting');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, 'shutting down');
    app.close().then(
      () => {
        logger.info('stopped');
        logger.flush();
        process.exit(0);
      },
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        logger.flush();
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  // The edge answers every request itself; a rejection nobody awaited is a bug to log, not a
  // reason to drop every watcher and in-flight recording call with the process.
  process.on('unhandledRejection', (reason: unknown) => {
    logger.error({ err: reason }, 'unhandled promise rejection (the server keeps running)');
  });
  process.on('uncaughtException', (error: Error) => {
    // State may be inconsistent after a synchronous throw nobody caught: stop cleanly, exit 1.
    logger.fatal({ err: error }, 'uncaught exception: shutting down');
    void app.close().finally(() => {
      logger.flush();
      process.exit(1);
    });
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`Failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
