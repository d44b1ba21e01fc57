import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient, type AgoraBackendClient } from '@agora-backend/client';
import {
  composeApp,
  parseAgentProfiles,
  type AgentProfiles,
  createAgoraClient,
  createEmbeddedStorage,
  createLinkSigner,
  createMetrics,
  createSqliteStore,
  systemClock,
  type AgoraClient,
  type AgoraClientOptions,
  type App,
  type AppConfig,
  type Clock,
  type Registry,
  type JoinParams,
  type StartParams,
  type Authenticator,
  type RecordingStorage,
  type Leases,
} from '@agora-backend/server';
import { createEmulator, createFakeClock, type Emulator, type EmulatorOptions, type FakeClock } from '@agora-backend/server/testing';
import { createCapturingLogger, TEST_APP_CERTIFICATE, TEST_APP_ID } from './server.js';

export const STORAGE = { vendor: 1, region: 0, bucket: 'test-bucket', accessKey: 'AKIA-TEST-ACCESS', secretKey: 'TEST-SECRET-KEY-123' };
export const CUSTOMER_SECRET = 'customer-secret-test-456';

export interface RecordingStack {
  app: App;
  client: AgoraBackendClient;
  emulator: Emulator;
  /** The emulator's clock: drives Agora's side (idle exit, resource expiry, failover). */
  agoraClock: FakeClock;
  store: Registry;
  registryFile: string;
  storageDir: string;
  /** Every start call our server made, as sent (token included). */
  starts: StartParams[];
  /** Every Speech-to-Text join the server sent, as sent. */
  sttJoins: JoinParams[];
  logs: string[];
  /** Closes the app (and its store); the emulator keeps running unless `all`. */
  close(all?: boolean): Promise<void>;
  /** A new app on the same registry file and emulator, as after a restart. */
  restart(): Promise<RecordingStack>;
}

export interface StackOptions {
  /** The server's clock; default the real one. */
  clock?: Clock;
  agoraClock?: FakeClock;
  emulator?: Partial<EmulatorOptions>;
  agora?: Partial<AgoraClientOptions>;
  maxDurationSeconds?: number;
  /** RECORDER_UID_MIN..MAX; default 4e9..2^32−1. */
  uidRange?: { min: number; max: number };
  watchdogIntervalMs?: number;
  registryFile?: string;
  existingEmulator?: Emulator;
  storageDir?: string;
  pollIntervalMs?: number;
  confirmDelayMs?: number;
  subscriptionsPerConnection?: number;
  webhookSecret?: string;
  authenticator?: Authenticator;
  rateLimits?: { tokensPerMinute: number; startsPerMinute: number; ipMultiplier: number };
  corsOrigins?: string[];
  wsConnectionsPerIp?: number;
  trustProxy?: string[];
  /** Credentials the stack's client sends. */
  auth?: string;
  /** A registry to use instead of a fresh SQLite file (e.g. PostgreSQL). */
  store?: Registry;
  /** Cluster leases (PostgreSQL), for several stacks on one registry. */
  leases?: Leases;
  /** Where recording.files reads; default the emulator's folder, served under /files. */
  files?: RecordingStorage;
  /** The server's agent profiles; default the embedded `default` one. */
  agentProfiles?: AgentProfiles;
  /** How long each agent token lasts (the server renews it 10 minutes before it runs out). */
  agentTokenSeconds?: number;
  /** How often a watched agent's history is read (default 2 s). */
  agentWatchedHistoryMs?: number;
  /** The embedded file links' secret (kept across restart()). */
  linkSecret?: Buffer;
  publicUrl?: string;
  /** A built console to serve at /console. */
  consoleDir?: string;
  /** How long a channel's presence counts as reconciled with Agora's user list (default 30 s; 0: on every watch and read). */
  presenceReconcileMs?: number;
  /** How long presence history is kept (PRESENCE_RETENTION_DAYS in ms; default 30 days). */
  presenceRetentionMs?: number;
  /** No Cloud Recording settings (so no recordings, transcriptions or agents): channels and presence alone. */
  noRecording?: boolean;
  /** The edge's limits (batch size, receive timeouts, connections per address), as createApp takes them. */
  edge?: Pick<AppConfig, 'maxBatchSize' | 'headersTimeoutMs' | 'requestTimeoutMs' | 'connectionsPerIp'>;
}

/** Fast retries so fault tests finish in milliseconds; the policy itself is tested with nock. */
const FAST_RETRY = {
  networkDelaysMs: [10, 10],
  rateLimitedDelaysMs: [20, 20, 20, 20],
  transientDelaysMs: {
    acquire: [10, 10, 10],
    start: [10, 10, 10],
    query: [10, 10, 10],
    update: [10, 10, 10],
    updateLayout: [10, 10, 10],
    stop: [10, 10, 10],
    sttJoin: [10, 10, 10],
    sttQuery: [10, 10, 10],
    sttUpdate: [10, 10, 10],
    sttLeave: [10, 10, 10],
    sttList: [10, 10, 10],
    agentJoin: [10, 10, 10],
    agentLeave: [10, 10, 10],
    agentUpdate: [10, 10, 10],
    agentQuery: [10, 10, 10],
    agentList: [10, 10, 10],
    agentInterrupt: [10, 10, 10],
    agentHistory: [10, 10, 10],
    agentTurns: [10, 10, 10],
  },
  queryNotFoundDelaysMs: [30, 30, 30],
};

/** The embedded default's profiles (the `default` profile alone). */
function embeddedProfiles(): AgentProfiles {
  const parsed = parseAgentProfiles({}, { embedded: true });
  if (!parsed.ok) throw new Error(parsed.errors.join('; '));
  return parsed.profiles;
}

/** Real server, real SQLite file, the emulator as Agora, and a real client over HTTP. */
/** The Cloud Recording settings a stack runs with (the test's bucket, uids, timings). */
function recordingSettings(options: StackOptions) {
  return {
    storage: STORAGE,
    uidRange: options.uidRange ?? { min: 4_000_000_000, max: 4_294_967_295 },
    defaultMaxDurationSeconds: options.maxDurationSeconds ?? 3_600,
    watchdogIntervalMs: options.watchdogIntervalMs ?? 3_600_000,
    ...(options.pollIntervalMs !== undefined ? { pollIntervalMs: options.pollIntervalMs } : {}),
    ...(options.confirmDelayMs !== undefined ? { confirmDelayMs: options.confirmDelayMs } : {}),
  };
}

export async function startRecordingStack(options: StackOptions = {}): Promise<RecordingStack> {
  const clock = options.clock ?? systemClock;
  const agoraClock =
    options.agoraClock ?? (clock !== systemClock && 'advance' in clock ? (clock as FakeClock) : createFakeClock(Date.now()));
  // Temporary folders this stack made (not ones a restart inherits): removed by close(true).
  const madeDirs: string[] = [];
  const tempDir = async (prefix: string) => {
    const dir = await mkdtemp(join(tmpdir(), prefix));
    madeDirs.push(dir);
    return dir;
  };
  const storageDir = options.storageDir ?? (await tempDir('rec-storage-'));
  // One debug-level logger for the app, the Agora client and the emulator: tests read every line.
  const { logger, lines } = createCapturingLogger('debug');
  const emulator =
    options.existingEmulator ??
    createEmulator({
      appId: TEST_APP_ID,
      appCertificate: TEST_APP_CERTIFICATE,
      customerId: 'test-customer',
      customerSecret: CUSTOMER_SECRET,
      storageDir,
      clock: agoraClock,
      timing: { statusStepMs: 0, exitLingerMs: 3_000 },
      limits: { requestsPerSecond: 0 },
      logger,
      ...options.emulator,
    });
  if (!options.existingEmulator) await emulator.listen();
  const registryFile = options.registryFile ?? join(await tempDir('registry-'), 'registry.sqlite');
  const store = options.store ?? (await createSqliteStore(registryFile));
  const metrics = createMetrics();
  const inner = createAgoraClient({
    onCall: (call) => metrics.upstream(call),
    appId: TEST_APP_ID,
    customerId: 'test-customer',
    customerSecret: CUSTOMER_SECRET,
    baseUrls: [emulator.url],
    clock,
    retry: FAST_RETRY,
    logger,
    ...options.agora,
  });
  const linkSecret = options.linkSecret ?? randomBytes(32);
  const signer = createLinkSigner(linkSecret);
  // The emulator writes bucket STORAGE.bucket under its storage folder.
  const filesRoot = join(storageDir, STORAGE.bucket);
  const starts: StartParams[] = [];
  const sttJoins: JoinParams[] = [];
  const agora: AgoraClient = {
    ...inner,
    start: (params, callOptions) => {
      starts.push(params);
      return inner.start(params, callOptions);
    },
    stt: {
      ...inner.stt,
      join: (params, callOptions) => {
        sttJoins.push(params);
        return inner.stt.join(params, callOptions);
      },
    },
  };
  const app = composeApp(
    {
      host: '127.0.0.1',
      port: 0,
      appId: TEST_APP_ID,
      appCertificate: TEST_APP_CERTIFICATE,
      shutdownTimeoutMs: 2_000,
      ...(options.noRecording ? {} : { recording: recordingSettings(options) }),
      agents: {
        profiles: options.agentProfiles ?? embeddedProfiles(),
        ...(options.agentTokenSeconds !== undefined ? { tokenSeconds: options.agentTokenSeconds } : {}),
        ...(options.agentWatchedHistoryMs !== undefined ? { watchedHistoryMs: options.agentWatchedHistoryMs } : {}),
      },
      ...(options.subscriptionsPerConnection !== undefined ? { subscriptionsPerConnection: options.subscriptionsPerConnection } : {}),
      ...(options.webhookSecret !== undefined ? { webhookSecret: options.webhookSecret } : {}),
      // Generous unless a test is about limits: most tests start many recordings quickly.
      rateLimits: options.rateLimits ?? { tokensPerMinute: 10_000, startsPerMinute: 10_000, ipMultiplier: 1 },
      ...(options.corsOrigins ? { corsOrigins: options.corsOrigins } : {}),
      ...(options.wsConnectionsPerIp !== undefined ? { wsConnectionsPerIp: options.wsConnectionsPerIp } : {}),
      ...(options.trustProxy ? { trustProxy: options.trustProxy } : {}),
      ...(options.publicUrl ? { publicUrl: options.publicUrl } : {}),
      ...(options.presenceReconcileMs !== undefined ? { presenceReconcileMs: options.presenceReconcileMs } : {}),
      ...(options.presenceRetentionMs !== undefined ? { presenceRetentionMs: options.presenceRetentionMs } : {}),
      ...options.edge,
    },
    {
      logger,
      clock,
      agora,
      store,
      metrics,
      files: options.files ?? createEmbeddedStorage({ root: filesRoot, signer, clock }),
      // With a bucket of the test's, /files redirects to it; else it serves the emulator's folder.
      fileLinks: options.files ? { signer } : { signer, root: filesRoot },
      ...(options.consoleDir ? { consoleDir: options.consoleDir } : {}),
      ...(options.authenticator ? { authenticator: options.authenticator } : {}),
      ...(options.leases ? { leases: options.leases } : {}),
    },
  );
  const { url } = await app.listen();
  const stack: RecordingStack = {
    app,
    client: createClient({ url, ...(options.auth ? { auth: options.auth } : {}) }),
    emulator,
    agoraClock,
    store,
    registryFile,
    storageDir,
    starts,
    sttJoins,
    logs: lines,
    async close(all = false) {
      await app.close();
      if (!all) return;
      await emulator.close();
      await Promise.all(madeDirs.map((dir) => rm(dir, { recursive: true, force: true })));
    },
    restart: () => startRecordingStack({ ...options, clock, agoraClock, registryFile, existingEmulator: emulator, storageDir, linkSecret }),
  };
  return stack;
}
