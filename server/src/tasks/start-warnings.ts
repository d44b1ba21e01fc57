import type { StartWarning } from '@agora-backend/shared';
import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';

/**
 * Who publishes in a channel now, by uid (compose.ts gives the channel service's cached read).
 * A start asks it beside its own calls to warn about a channel where nobody publishes: Agora
 * would otherwise say so only at the stop (a recording's 435, "no recorded data").
 */
export type PublisherLookup = (channel: string) => Promise<number[]>;

/** How long a start's answer waits for the channel's look once the task has started. */
const LOOK_GRACE_MS = 2_000;

export interface StartWarningOptions {
  lookup: PublisherLookup | undefined;
  clock: Clock;
  logger: Logger;
  /** What nobody publishing means for this task, after `nobody is publishing in channel "x" yet: `. */
  consequence: string;
}

/** What the look learnt: the publishers, or nothing (no lookup, it failed, or it was too slow). */
async function look(options: StartWarningOptions, channel: string): Promise<number[] | undefined> {
  if (!options.lookup) return undefined;
  try {
    return await options.lookup(channel);
  } catch (error) {
    options.logger.warn({ err: error, channel }, 'could not learn who publishes in the channel: the start answers without warnings');
    return undefined;
  }
}

/**
 * Starts a task while looking at its channel, and answers it with its warnings: CHANNEL_EMPTY
 * when nobody but the task's own uid publishes there. The look never fails nor holds up a start:
 * when it fails or has not answered `LOOK_GRACE_MS` after the start, there is no warning (logged).
 */
export async function startWithWarnings<T extends { channel: string; uid: string }>(
  options: StartWarningOptions,
  channel: string,
  start: () => Promise<T>,
): Promise<T & { warnings: StartWarning[] }> {
  const looking = look(options, channel);
  const started = await start();
  const stop = new AbortController();
  const late = options.clock.sleep(LOOK_GRACE_MS, stop.signal).then(
    () => 'late' as const,
    () => 'late' as const,
  );
  const seen = await Promise.race([looking, late]);
  stop.abort();
  if (seen === 'late') {
    options.logger.warn({ channel }, 'the channel took too long to say who publishes there: the start answers without warnings');
    return { ...started, warnings: [] };
  }
  const others = seen?.filter((uid) => String(uid) !== started.uid);
  const warnings: StartWarning[] =
    others && others.length === 0
      ? [{ code: 'CHANNEL_EMPTY', message: `nobody is publishing in channel "${channel}" yet: ${options.consequence}` }]
      : [];
  return { ...started, warnings };
}
