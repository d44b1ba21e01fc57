export { createSqliteStore } from './sqlite.js';
export * from './task-types.js';
export * from './recording-types.js';
export * from './transcription-types.js';
export * from './agent-types.js';
export type { Registry } from './registry.js';
export { createPostgresStore, type PostgresStoreOptions } from './postgres.js';
export { errorMessage, isDatabaseUnavailable } from './database-errors.js';
export type { BanRecord, BanTable } from './ban-table.js';
export type {
  ListedMembers,
  PresenceChange,
  PresenceEvent,
  PresenceMember,
  PresenceRole,
  PresenceSession,
  PresenceSource,
  PresenceTable,
} from './presence-table.js';
