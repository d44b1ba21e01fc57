import type pg from 'pg';

/** An error's message for a log line, whatever was thrown. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** SQLSTATE classes and codes that mean "the database is not there", not "the query is wrong". */
const UNAVAILABLE_SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300']);
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
/** node-postgres says these in plain messages, without a code. */
const UNAVAILABLE_MESSAGES = [
  'Connection terminated',
  'Client has encountered a connection error',
  'timeout exceeded when trying to connect',
  'Client was closed and is not queryable',
  'connection to PostgreSQL is down',
];

/**
 * Whether an error says the registry's database cannot be reached right now (terminated sessions,
 * a restart, a failover, refused connections): the caller gets SERVICE_UNAVAILABLE and may retry,
 * instead of an internal error.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const code = 'code' in error && typeof error.code === 'string' ? error.code : undefined;
  if (code !== undefined && (code.startsWith('08') || UNAVAILABLE_SQLSTATES.has(code) || NETWORK_CODES.has(code))) return true;
  const message = error instanceof Error ? error.message : '';
  if (UNAVAILABLE_MESSAGES.some((text) => message.includes(text))) return true;
  // Kysely and our own wrappers keep the original as the cause.
  return 'cause' in error && error.cause !== error && isDatabaseUnavailable(error.cause);
}

/**
 * Keeps a pool's lost sessions from ending the process. node-postgres emits 'error' on a client
 * whose session ends (terminated, a restart): on the pool while the client is idle in it, but on
 * the client itself while it is checked out (inside a transaction, between two statements), where
 * nobody listened, so Node threw it as an uncaught exception. The call using the client fails
 * with the error either way; the pool drops the client and opens another when next needed.
 */
export function keepPoolSessions(pool: pg.Pool, onIdleLost: (error: Error) => void): void {
  pool.on('error', onIdleLost);
  pool.on('connect', (client) => client.on('error', () => undefined));
}
