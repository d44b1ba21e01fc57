export { createApp, TRPC_PATH, type App, type AppConfig, type AppDeps, type ReadinessCheck } from './app.js';
export { createFakeClock, systemClock, type Clock, type FakeClock } from './clock.js';
export { parseConfig, type EnvConfig, type ConfigResult } from './config.js';
export { resolveCredentials, type AgoraCredentials } from './credentials.js';
export { createLogger, createSilentLogger, type Logger } from './logger.js';
export type { AppRouter } from './routers/_app.js';
export * from './tokens/index.js';
