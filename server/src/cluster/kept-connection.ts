import pg from 'pg';
import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import { errorMessage } from '../store/database-errors.js';

/** Thrown by a kept connection's `run` while it is down: callers treat it as "not now". */
export class ConnectionDownError extends Error {
  constructor(name: string) {
    super(`the ${name} connection to PostgreSQL is down; reconnecting`);
    this.name = 'ConnectionDownError';
  }
}

export interface KeptConnectionOptions {
  url: string;
  /** Names the connection in logs ("lease", "listen"). */
  name: string;
  logger: Logger;
  clock: Clock;
  /** Runs on every new session before it counts as up (LISTEN, a membership lock). */
  onConnect?: (client: pg.Client, session: number) => Promise<void>;
  /** Told the moment a session is lost (terminated, network, server restart). */
  onDown?: (session: number) => void;
  /** Told once a new session is up after a loss (not for the first one). */
  onReconnected?: (session: number) => void;
  /** Backoff between reconnection attempts, doubling from `minMs` to `maxMs`. */
  backoff?: { minMs: number; maxMs: number };
  /** Extra pg client settings (search_path…). */
  clientOptions?: Omit<pg.ClientConfig, 'connectionString'>;
}

/**
 * One dedicated PostgreSQL connection that is kept: errors never escape as uncaught events, a lost
 * session is reported at once (`onDown`) and replaced with backoff, for as long as the process
 * runs. Session state (advisory locks, LISTEN) dies with a session: `onConnect` rebuilds what
 * can be rebuilt, and each session has a number so callers can tell one from the next.
 */
export async function createKeptConnection(options: KeptConnectionOptions) {
  const { logger, clock } = options;
  const backoff = options.backoff ?? { minMs: 200, maxMs: 5_000 };
  let client: pg.Client | undefined;
  let session = 0;
  let closed = false;
  const closing = new AbortController();
  // One connection runs one query at a time: chain the calls.
  let queue: Promise<unknown> = Promise.resolve();

  async function open(): Promise<void> {
    // Named, so that an operator (or a soak) can tell the sessions apart in pg_stat_activity.
    const next = new pg.Client({
      connectionString: options.url,
      connectionTimeoutMillis: 5_000,
      application_name: `agora-backend ${options.name}`,
      ...options.clientOptions,
    });
    // Until it is ours, a failing client only needs its error swallowed (connect() rejects).
    next.on('error', () => undefined);
    await next.connect();
    const number = session + 1;
    try {
      await options.onConnect?.(next, number);
    } catch (error) {
      await next.end().catch(() => undefined);
      throw error;
    }
    let lost = false;
    const onLost = (why: string) => {
      if (lost) return;
      lost = true;
      if (client === next) client = undefined;
      if (closed) return;
      logger.warn({ connection: options.name, session: number, err: why }, 'PostgreSQL connection lost; reconnecting');
      options.onDown?.(number);
      void reconnect();
    };
    next.removeAllListeners('error');
    next.on('error', (error) => onLost(errorMessage(error)));
    next.on('end', () => onLost('the connection ended'));
    session = number;
    client = next;
  }

  let reconnecting: Promise<void> | undefined;
  function reconnect(): Promise<void> {
    reconnecting ??= (async () => {
      let delay = backoff.minMs;
      while (!closed) {
        await clock.sleep(delay, closing.signal).catch(() => undefined);
        if (closing.signal.aborted) return;
        try {
          await open();
          logger.info({ connection: options.name, session }, 'PostgreSQL connection back');
          options.onReconnected?.(session);
          return;
        } catch (error) {
          logger.warn({ connection: options.name, err: errorMessage(error), retryInMs: delay }, 'PostgreSQL still unreachable');
          delay = Math.min(delay * 2, backoff.maxMs);
        }
      }
    })().finally(() => {
      reconnecting = undefined;
    });
    return reconnecting;
  }

  await open();

  return {
    /** The current session's number (0 before the first, then 1, 2, … one per reconnection). */
    session: () => session,
    isUp: () => client !== undefined,
    /**
     * Runs `work` on the current session, after any work already queued. Rejects with
     * ConnectionDownError while the connection is down, and with the query's error if it is lost
     * meanwhile. `session` is the session the work ran on.
     */
    run<T>(work: (client: pg.Client, session: number) => Promise<T>): Promise<T> {
      const next = queue.then(() => {
        const current = client;
        if (!current) throw new ConnectionDownError(options.name);
        return work(current, session);
      });
      queue = next.catch(() => undefined);
      return next;
    },
    async close(): Promise<void> {
      closed = true;
      closing.abort();
      await reconnecting;
      const current = client;
      client = undefined;
      await queue;
      await current?.end().catch(() => undefined);
    },
  };
}

export type KeptConnection = Awaited<ReturnType<typeof createKeptConnection>>;
