export { createSqliteStore } from './sqlite.js';
export * from './types.js';
