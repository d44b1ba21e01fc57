export { localLeases, type Leases } from './types.js';
export { createPostgresLeases } from './leases.js';
export { createPostgresBus } from './bus.js';
export { createPostgresRateBudget } from './rate-budget.js';
export { ConnectionDownError } from './kept-connection.js';
