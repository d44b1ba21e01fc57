export { localLeases, type Leases } from './types.js';
export { createPostgresBus, createPostgresLeases, createPostgresRateBudget } from './postgres.js';
