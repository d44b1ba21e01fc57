import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import type { PollCall } from './poller.js';

/**
 * What a kind reads from Agora more often while someone watches a task, between its polls (an
 * agent's history: its messages reach watchers as they are said, not at the next poll).
 */
export interface TaskFollow<R> {
  /** How often, while the task is watched on this instance. */
  everyMs: number;
  /** Whether there is something to read now (an agent: running, with Agora's id). */
  readable: (record: R) => boolean;
  /** Reads once; whatever is new is logged and published by the kind (each event once). */
  read: (record: R, call: PollCall) => Promise<unknown>;
}

/**
 * One reader per watched task on this instance, shared by all its watchers: it reads every
 * `everyMs` while at least one watch of the task is open and the task is readable, at the
 * background priority (a caller's calls go first), and stops with the last watch, the task's end
 * or `signal`. Several instances watching the same task each read: the kind's merge keeps every
 * message once.
 */
export function createFollowers<R>(options: {
  follow: TaskFollow<R>;
  load: (id: string) => Promise<R | undefined>;
  /** The task has ended: nothing more to read. */
  ended: (record: R) => boolean;
  clock: Clock;
  logger: Logger;
  signal: AbortSignal;
}) {
  const { follow, clock, logger } = options;
  const following = new Map<string, { watchers: number; end: AbortController }>();

  async function run(id: string, end: AbortController) {
    const signal = AbortSignal.any([end.signal, options.signal]);
    // A function, not the property: it changes across every await below.
    const aborted = () => signal.aborted;
    while (!aborted()) {
      await clock.sleep(follow.everyMs, signal).catch(() => undefined);
      if (aborted()) return;
      try {
        const record = await options.load(id);
        if (!record || options.ended(record)) return;
        if (follow.readable(record)) await follow.read(record, { signal, priority: 'background' });
      } catch (error) {
        if (aborted()) return;
        logger.debug({ taskId: id, err: error instanceof Error ? error.message : String(error) }, 'watched task not read; trying again');
      }
    }
  }

  return {
    /** A watch of `id` opened: reads begin (unless they run already); call the answer when it closes. */
    follow(id: string): () => void {
      let entry = following.get(id);
      if (!entry) {
        const created = { watchers: 0, end: new AbortController() };
        following.set(id, created);
        void run(id, created.end).finally(() => {
          if (following.get(id) === created) following.delete(id);
        });
        entry = created;
      }
      entry.watchers++;
      const opened = entry;
      let closed = false;
      return () => {
        if (closed) return;
        closed = true;
        if (--opened.watchers === 0) {
          opened.end.abort();
          if (following.get(id) === opened) following.delete(id);
        }
      };
    },
    /** How many tasks are read for their watchers now. */
    count: () => following.size,
  };
}
