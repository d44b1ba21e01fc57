import { isTrackedEnvelope, TRPCError } from '@trpc/server';
import { describe, expect, it } from 'vitest';
import { AppError } from '../errors.js';
import { createMetrics } from '../metrics/index.js';
import type { Watch, WatchDelivery, WatchSink } from '../tasks/watch.js';
import type { Context } from './context.js';
import { iterableOpener, watchPlan } from './watch-stream.js';

function contextOf(limit = 2) {
  const metrics = createMetrics();
  const opened: string[] = [];
  const closed: string[] = [];
  metrics.watcherOpened = (transport) => void opened.push(transport);
  metrics.watcherClosed = (transport) => void closed.push(transport);
  const ctx = {
    connection: { subscriptions: 0 },
    limits: { subscriptionsPerConnection: limit },
    transport: 'http',
    services: { metrics } as unknown as Context['services'],
  } satisfies Pick<Context, 'connection' | 'limits' | 'transport' | 'services'>;
  return { ctx, opened, closed };
}

function recorder() {
  const got = { deliveries: [] as WatchDelivery<string>[], ended: false, error: undefined as unknown };
  const sink: WatchSink<string> = {
    event: (delivery) => got.deliveries.push(delivery),
    end: () => (got.ended = true),
    fail: (error) => (got.error = error),
  };
  return { sink, got };
}

/** An opener whose watch the test drives: it resolves when `open` is called. */
function controlledOpener() {
  const state: { sink?: WatchSink<string>; closed: number; resolve?: () => void } = { closed: 0 };
  const watch: Watch = {
    close: () => {
      state.closed++;
    },
  };
  const opener = (sink: WatchSink<string>) =>
    new Promise<Watch>((resolve) => {
      state.sink = sink;
      state.resolve = () => resolve(watch);
    });
  return { opener, state };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('WatchPlan', () => {
  it('counts a pushed watch in its connection and the metrics until it ends, and refuses one over the limit', async () => {
    const { ctx, opened, closed } = contextOf(1);
    const first = controlledOpener();
    const a = recorder();
    watchPlan(ctx, undefined, first.opener).start(a.sink);
    first.state.resolve!();
    await settle();
    expect(ctx.connection.subscriptions).toBe(1);
    expect(opened).toEqual(['sse']);

    const b = recorder();
    watchPlan(ctx, undefined, controlledOpener().opener).start(b.sink);
    expect(b.got.error).toBeInstanceOf(TRPCError);
    expect((b.got.error as TRPCError).code).toBe('TOO_MANY_REQUESTS');

    first.state.sink!.event({ id: 1, value: 'x' });
    first.state.sink!.end();
    first.state.sink!.end();
    expect(a.got).toEqual({ deliveries: [{ id: 1, value: 'x' }], ended: true, error: undefined });
    expect(ctx.connection.subscriptions).toBe(0);
    expect(closed).toEqual(['sse']);
  });

  it('closes a watch that opens after the client went, and maps our errors to TRPCErrors', async () => {
    const { ctx, closed } = contextOf();
    const late = controlledOpener();
    const watch = watchPlan(ctx, undefined, late.opener).start(recorder().sink);
    watch.close();
    expect(ctx.connection.subscriptions).toBe(0);
    late.state.resolve!();
    await settle();
    expect(late.state.closed).toBe(1);
    expect(closed).toEqual(['sse']);

    const refused = recorder();
    watchPlan(ctx, undefined, () => Promise.reject(new AppError('NOT_FOUND', 'recording not found'))).start(refused.sink);
    await settle();
    expect((refused.got.error as TRPCError).code).toBe('NOT_FOUND');
    const thrown = recorder();
    watchPlan(ctx, undefined, () => {
      throw new AppError('NOT_FOUND', 'not configured');
    }).start(thrown.sink);
    expect((thrown.got.error as TRPCError).code).toBe('NOT_FOUND');
    expect(ctx.connection.subscriptions).toBe(0);
  });

  it('iterates as tracked events on the same road, and closes the watch when the signal aborts', async () => {
    const { ctx } = contextOf();
    const driven = controlledOpener();
    const abort = new AbortController();
    const iterator = watchPlan(ctx, abort.signal, driven.opener)[Symbol.asyncIterator]();
    const first = iterator.next();
    await settle();
    driven.state.resolve!();
    driven.state.sink!.event({ id: 7, value: 'a' });
    const value: unknown = (await first).value;
    expect(isTrackedEnvelope(value)).toBe(true);
    expect(value).toEqual(['7', 'a', expect.anything()]);
    const waiting = iterator.next();
    abort.abort();
    expect((await waiting).done).toBe(true);
    expect(driven.state.closed).toBe(1);
    expect(ctx.connection.subscriptions).toBe(0);
  });

  it('pumps an iterable source into the sink, and stops it when closed', async () => {
    const { ctx } = contextOf();
    let stopped: AbortSignal | undefined;
    async function* source(signal: AbortSignal) {
      stopped = signal;
      yield { eventId: 1, event: 'one' };
      await new Promise((resolve) => signal.addEventListener('abort', resolve));
    }
    const got = recorder();
    const watch = watchPlan(
      ctx,
      undefined,
      iterableOpener((signal) => Promise.resolve(source(signal))),
    ).start(got.sink);
    await settle();
    expect(got.got.deliveries).toEqual([{ id: 1, value: 'one' }]);
    watch.close();
    expect(stopped?.aborted).toBe(true);
    await settle();
    expect(got.got.ended).toBe(false);
  });
});
