export { createApp, TRPC_PATH, type App, type AppConfig, type AppDeps, type ReadinessCheck } from './app.js';
export { createFakeClock, systemClock, type Clock, type FakeClock } from './clock.js';
export { parseConfig, type EnvConfig, type ConfigResult } from './config.js';
export { resolveCredentials, type AgoraCredentials } from './credentials.js';
export { createLogger, createSilentLogger, type Logger } from './logger.js';
export type { AppRouter } from './routers/_app.js';
export * from './tokens/index.js';
export { createAgoraClient, unlimitedBudget, type AgoraClient, type AgoraClientOptions } from './agora/index.js';
export type { JoinParams, StartParams } from './agora/index.js';
export { createEmulator, type Emulator, type EmulatorOptions } from '@agora-backend/emulator';
export { createPostgresStore, createSqliteStore, type Registry } from './store/index.js';
export { createPostgresLeases, type Leases } from './cluster/index.js';
export { drive, recordSleeps } from './testing/drive.js';
export * from './auth/index.js';
export { createMetrics, type Metrics } from './metrics/index.js';
export {
  createBucketStorage,
  createEmbeddedStorage,
  createLinkSigner,
  createS3Storage,
  createUnlinkedStorage,
  AWS_REGIONS,
  type LinkSigner,
  type RecordingStorage,
} from './storage/index.js';
