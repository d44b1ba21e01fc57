import { tracked, TRPCError, type TrackedEnvelope } from '@trpc/server';
import type { Metrics } from '../metrics/index.js';
import type { Watch, WatchDelivery, WatchOpener, WatchSink } from '../tasks/watch.js';
import type { Context } from './context.js';
import { toTRPCError } from './errors.js';

/**
 * What a watch subscription (recording.watch, transcription.watch, agent.watch, channel.watch)
 * resolves to, once tRPC's middlewares and input parser have passed: a plan of the watch, run by
 * whoever serves it. Two roads, one set of rules (the opener's):
 *
 * - **push** (`start`): the edges that write the wire themselves (trpc-sse.ts) hand it a sink and
 *   keep the returned watch to close it; nothing of the watch stays suspended per watcher.
 * - **iteration**: anything else that calls the procedure (tRPC's own adapters, a server-side
 *   caller) iterates it as an async generator of `tracked(eventId, event)`, ended by the
 *   procedure's signal — built on `start`, so both roads behave alike.
 *
 * Both apply the per-connection limit, count the watcher in the metrics while it is open, and map
 * our errors to TRPCErrors: errors met while streaming bypass the procedure's middleware.
 */
export class WatchPlan<O> implements AsyncIterable<TrackedEnvelope<O>> {
  constructor(
    private readonly ctx: Pick<Context, 'connection' | 'limits' | 'transport' | 'services'>,
    private readonly open: WatchOpener<O>,
    private readonly signal: AbortSignal | undefined,
  ) {}

  /**
   * Starts the watch: events, then `end` or `fail` (a TRPCError for ours, e.g. the limit or a
   * NOT_FOUND), go to `sink`; `close` on the answer when the client goes. Never throws.
   */
  start(sink: WatchSink<O>): Watch {
    const { connection, limits, services } = this.ctx;
    if (connection.subscriptions >= limits.subscriptionsPerConnection) {
      sink.fail(
        new TRPCError({ code: 'TOO_MANY_REQUESTS', message: `at most ${limits.subscriptionsPerConnection} subscriptions per connection` }),
      );
      return CLOSED;
    }
    const counted = new CountedWatch(sink, connection, services.metrics, this.ctx.transport === 'ws' ? 'ws' : 'sse');
    let opening: Promise<Watch>;
    try {
      opening = this.open(counted);
    } catch (error) {
      counted.fail(error);
      return counted;
    }
    opening.then(
      (watch) => {
        // Closed (or ended) while the checks ran: the watch just opened goes at once.
        if (counted.settled) watch.close();
        else counted.inner = watch;
      },
      (error: unknown) => counted.fail(error),
    );
    return counted;
  }

  [Symbol.asyncIterator](): AsyncIterator<TrackedEnvelope<O>> {
    return iterate(this, this.signal);
  }
}

const CLOSED: Watch = { close: () => undefined };

/** A watch counted in its connection's subscriptions and the metrics from its start to its end, close or failure. */
class CountedWatch<O> implements WatchSink<O>, Watch {
  inner: Watch | undefined;
  settled = false;
  constructor(
    private readonly sink: WatchSink<O>,
    private readonly connection: Context['connection'],
    private readonly metrics: Metrics,
    private readonly transport: 'ws' | 'sse',
  ) {
    connection.subscriptions++;
    metrics.watcherOpened(transport);
  }

  event(delivery: WatchDelivery<O>): void {
    if (!this.settled) this.sink.event(delivery);
  }

  end(): void {
    if (this.settle()) this.sink.end();
  }

  fail(error: unknown): void {
    if (this.settle()) this.sink.fail(toTRPCError(error) ?? error);
  }

  close(): void {
    if (this.settle()) this.inner?.close();
  }

  private settle(): boolean {
    if (this.settled) return false;
    this.settled = true;
    this.connection.subscriptions--;
    this.metrics.watcherClosed(this.transport);
    return true;
  }
}

/** The plan as an async generator, for the callers that iterate: a queue between the sink and the consumer. */
async function* iterate<O>(plan: WatchPlan<O>, signal: AbortSignal | undefined): AsyncGenerator<TrackedEnvelope<O>> {
  const queue: WatchDelivery<O>[] = [];
  // Set by the sink's calls, between the loop's awaits.
  const outcome: { ended: boolean; failure?: { error: unknown } } = { ended: false };
  let wake: (() => void) | undefined;
  const watch = plan.start({
    event: (delivery) => {
      queue.push(delivery);
      wake?.();
    },
    end: () => {
      outcome.ended = true;
      wake?.();
    },
    fail: (error) => {
      outcome.failure = { error };
      wake?.();
    },
  });
  const onAbort = () => wake?.();
  signal?.addEventListener('abort', onAbort);
  try {
    for (;;) {
      const delivery = queue.shift();
      if (delivery) yield tracked(String(delivery.id), delivery.value);
      else if (outcome.failure) throw outcome.failure.error;
      else if (outcome.ended || signal?.aborted) return;
      else {
        await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
      }
    }
  } finally {
    watch.close();
    signal?.removeEventListener('abort', onAbort);
  }
}

/** A watch subscription's result: `open` runs when the plan is started or iterated, after the limit check. */
export function watchPlan<O>(
  ctx: Pick<Context, 'connection' | 'limits' | 'transport' | 'services'>,
  signal: AbortSignal | undefined,
  open: WatchOpener<O>,
): WatchPlan<O> {
  return new WatchPlan(ctx, open, signal);
}

/**
 * An opener over a stream that is still an async iterable (channel.watch's presence): pumped into
 * the sink by one loop per watcher, ended by its own signal when the watch is closed.
 */
export function iterableOpener<O>(open: (signal: AbortSignal) => Promise<AsyncIterable<{ eventId: number; event: O }>>): WatchOpener<O> {
  return async (sink) => {
    const closed = new AbortController();
    const source = await open(closed.signal);
    void (async () => {
      try {
        for await (const { eventId, event } of source) {
          if (closed.signal.aborted) return;
          sink.event({ id: eventId, value: event });
        }
        if (!closed.signal.aborted) sink.end();
      } catch (error) {
        if (!closed.signal.aborted) sink.fail(error);
      }
    })();
    return { close: () => closed.abort() };
  };
}
