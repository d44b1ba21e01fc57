import type { IncomingMessage, ServerResponse } from 'node:http';
import { getTRPCErrorFromUnknown, TRPCError } from '@trpc/server';
import type { AppRouter } from '../routers/_app.js';
import type { Logger } from '../logger.js';
import type { WatchDelivery, WatchSink } from '../tasks/watch.js';
import type { Context } from '../trpc/context.js';
import { WatchPlan } from '../trpc/watch-stream.js';
import { VARY } from './respond.js';
import { callProcedure, routerPathsOfType, wireFormat } from './trpc-internals.js';
import type { RequestTarget } from './request-target.js';
import type { ContextFactory } from './context.js';
import { encodedOncePerDelivery } from './watch-encoding.js';

/**
 * Subscriptions over SSE (recording.watch, transcription.watch, agent.watch, channel.watch),
 * written straight to Node's response. tRPC's adapter builds each stream from Fetch web streams (a
 * ReadableStream, transform streams, an encoder, abort controllers), which cost an SSE watcher
 * four times a WebSocket one (bench/README.md); this writes the same wire format — `connected`,
 * one `data`/`id` event per value, `return` at the end, `serialized-error` for errors, the same
 * headers — and resumes with `Last-Event-ID` as tRPC does. The procedure runs as on every road
 * (its middlewares, its input), and the watch plan it resolves to is started with the response as
 * its sink: events are pushed to it, each live one serialized once for all its task's watchers, and
 * no frame of ours stays suspended per watcher. test/src/watch.test.ts and the equivalence test
 * hold it to tRPC's.
 */

const SSE_HEADERS = {
  'content-type': 'text/event-stream',
  'cache-control': 'no-cache, no-transform',
  'x-accel-buffering': 'no',
  connection: 'keep-alive',
  vary: VARY,
};

/** One event as tRPC's producer writes it: its lines, then a blank line (tRPC adds two). */
function frame(fields: { event?: string; data: string; id?: string }): string {
  return `${fields.event === undefined ? '' : `event: ${fields.event}\n`}data: ${fields.data}\n${fields.id === undefined ? '' : `id: ${fields.id}\n`}\n\n`;
}

const CONNECTED = frame({ event: 'connected', data: '{}' });
const RETURN = frame({ event: 'return', data: '' });

/** The id the client resumes after: its EventSource's header, or the query parameter tRPC's link also uses. */
function lastEventIdOf(req: IncomingMessage, url: RequestTarget): string | null {
  const header = req.headers['last-event-id'];
  return (typeof header === 'string' ? header : null) ?? url.searchParams.get('lastEventId') ?? url.searchParams.get('Last-Event-Id');
}

/** Writes unless the client has gone; a slow client's text waits in Node's buffer (nothing awaits it). */
function write(res: ServerResponse, text: string): void {
  if (!res.destroyed) res.write(text);
}

export function createTrpcSse(options: { router: AppRouter; createContext: ContextFactory; logger: Logger }) {
  const wire = wireFormat(options.router);
  const subscriptions = routerPathsOfType(options.router, 'subscription');
  const serialize = (value: unknown) => JSON.stringify(wire.serializeOutput(value));
  /** A live event's frame, serialized once for all the watchers of its task. */
  const eventFrame = encodedOncePerDelivery((delivery) => frame({ data: serialize(delivery.value), id: String(delivery.id) }));

  /** The error's `serialized-error` frame, as tRPC's adapter writes it (internal errors logged, as its onError does). */
  function errorFrame(cause: unknown, path: string, ctx: Context | undefined): string {
    const error = getTRPCErrorFromUnknown(cause);
    if (error.code === 'INTERNAL_SERVER_ERROR') options.logger.error({ err: error, path }, 'procedure failed');
    return frame({ event: 'serialized-error', data: serialize(wire.errorShape(error, 'subscription', path, ctx)) });
  }

  /**
   * One SSE watcher: its response and its path, nothing else (no frame of ours stays suspended
   * per watcher; the watch pushes to it). The context is not kept: our error formatter reads none.
   */
  class SseWatcher implements WatchSink<unknown> {
    constructor(
      private readonly res: ServerResponse,
      private readonly path: string,
    ) {}

    event(delivery: WatchDelivery<unknown>): void {
      write(this.res, eventFrame(delivery));
    }

    end(): void {
      write(this.res, RETURN);
      this.res.end();
    }

    fail(error: unknown): void {
      if (!this.res.destroyed) write(this.res, errorFrame(error, this.path, undefined));
      this.res.end();
    }
  }

  /** The input as tRPC's adapter reads it: `?input=` decoded by the transformer, `lastEventId` merged in. */
  function rawInput(url: RequestTarget, lastEventId: string | null): () => Promise<unknown> {
    return () => {
      try {
        const text = url.searchParams.get('input');
        let input: unknown = text ? wire.deserializeInput(JSON.parse(text)) : undefined;
        if (lastEventId)
          input =
            typeof input === 'object' && input !== null && !Array.isArray(input) ? { ...input, lastEventId } : (input ?? { lastEventId });
        return Promise.resolve(input);
      } catch (cause) {
        return Promise.reject(
          new TRPCError({ code: 'BAD_REQUEST', message: cause instanceof Error ? cause.message : 'Invalid input', cause }),
        );
      }
    };
  }

  return {
    /** A GET of one subscription (not a batch): the rest stays with tRPC's adapter. */
    accepts: (req: IncomingMessage, path: string, url: RequestTarget) =>
      req.method === 'GET' && subscriptions.has(path) && url.searchParams.get('batch') !== '1',

    /**
     * Runs the procedure (its middlewares and input parser: the same checks and errors as on every
     * road), then starts the watch plan it resolves to (trpc/watch-stream.ts) with this response as
     * its sink, and returns: the watch pushes its events, its end or its failure from then on.
     */
    async serve(req: IncomingMessage, res: ServerResponse, path: string, url: RequestTarget, head?: Record<string, string>): Promise<void> {
      const lastEventId = lastEventIdOf(req, url);
      let ctx: Context | undefined;
      res.writeHead(200, head ? { ...head, ...SSE_HEADERS } : SSE_HEADERS);
      write(res, CONNECTED);
      try {
        ctx = await options.createContext({ req });
        const result: unknown = await callProcedure({
          router: options.router,
          path,
          getRawInput: rawInput(url, lastEventId),
          ctx,
          type: 'subscription',
        });
        if (!(result instanceof WatchPlan))
          throw new TRPCError({ code: 'INTERNAL_SERVER_ERROR', message: `Subscription ${path} did not return a watch plan` });
        // The client left while the checks ran.
        if (res.destroyed) return void res.end();
        const watch = result.start(new SseWatcher(res, subscriptions.get(path) ?? path));
        res.on('close', () => watch.close());
      } catch (cause) {
        if (!res.destroyed) write(res, errorFrame(cause, path, ctx));
        res.end();
      }
    },
  };
}
