/**
 * The server package's public entry: build the app (composeApp, or createApp on services built
 * with composeServices), load the configuration, and the factories and types those take. Test
 * support (a fake clock, the emulator, a token decoder) is `@agora-backend/server/testing`.
 */
export { parseAgentProfiles, type AgentProfiles } from './agent-profiles.js';
export { createApp, TRPC_PATH, type App, type AppServices, type EdgeDeps, type ReadinessCheck } from './app.js';
export {
  composeApp,
  composeServer,
  composeServices,
  type AppDeps,
  type ComposedServer,
  type ComposedServices,
  type ServiceConfig,
  type ServiceDeps,
} from './compose.js';
export {
  parseConfig,
  toAppConfig,
  type AppConfig,
  type ConfigResult,
  type EnvConfig,
  type RateLimitSettings,
  type StartupValues,
} from './config.js';
export { systemClock, type Clock } from './clock.js';
export { resolveCredentials, type AgoraCredentials } from './credentials.js';
export { createLogger, createSilentLogger, type Logger } from './logger.js';
export type { AppRouter } from './routers/_app.js';
export * from './tokens/index.js';
export { createAgoraClient, unlimitedBudget, type AgoraClient, type AgoraClientOptions } from './agora/index.js';
export type { JoinParams, StartParams } from './agora/index.js';
export { createPostgresStore, createSqliteStore, type Registry } from './store/index.js';
export { createPostgresLeases, type Leases } from './cluster/index.js';
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
