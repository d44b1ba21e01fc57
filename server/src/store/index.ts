export { createSqliteStore } from './sqlite.js';
export * from './types.js';
export { createPostgresStore, type PostgresStoreOptions } from './postgres.js';
export * from './transcription-types.js';
export { errorMessage, isDatabaseUnavailable } from './database-errors.js';
