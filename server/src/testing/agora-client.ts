import { Writable } from 'node:stream';
import { inspect } from 'node:util';
import { pino } from 'pino';
import { createFakeClock } from '../clock.js';
import { createAgoraClient, type AgoraClientOptions } from '../agora/client.js';
import { unlimitedBudget } from '../agora/rate-budget.js';
import type { Logger } from '../logger.js';
import { drive, recordSleeps } from './drive.js';

/** A debug-level logger whose every line is kept, to assert what was (and was not) logged. */
export function captureLogs(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const logger = pino(
    { level: 'debug' },
    new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    }),
  );
  return { logger, lines };
}

/**
 * An Agora client for nock tests: one host, a fake clock whose sleeps are recorded, a captured
 * log and no rate limit; `run` settles a call whose retries sleep on that clock.
 */
export function setupAgoraClient(options: AgoraClientOptions) {
  const base = createFakeClock(1_700_000_000_000);
  const { clock, sleeps } = recordSleeps(base);
  const { logger, lines } = captureLogs();
  const client = createAgoraClient({ clock, logger, rateBudget: unlimitedBudget, ...options });
  const run = <T>(promise: Promise<T>) => drive(base, promise);
  return { client, clock: base, sleeps, lines, run };
}

/** A network failure as the HTTP library reports it, with its system error code (ECONNRESET, ECONNREFUSED…). */
export const netError = (code: string) => Object.assign(new Error(`${code} (simulated)`), { code });

/** Everything an error holds, hidden properties and causes included, as text: to assert that no secret is in it. */
export const everythingIn = (error: unknown) =>
  `${inspect(error, { depth: 20, showHidden: true })}\n${JSON.stringify(error, Object.getOwnPropertyNames(error))}`;

/** The error a promise rejects with, or undefined when it resolves. */
export const caught = <T>(promise: Promise<T>) =>
  promise.then(
    () => undefined,
    (error: unknown) => error,
  );
