import type { IncomingMessage, ServerResponse } from 'node:http';
import { once } from 'node:events';
import { getTRPCErrorFromUnknown, isTrackedEnvelope, TRPCError } from '@trpc/server';
import type { AppRouter } from '../routers/_app.js';
import type { Logger } from '../logger.js';
import type { Context } from '../trpc/context.js';
import { VARY } from './respond.js';
import { callProcedure, proceduresOfType, wireFormat } from './trpc-internals.js';
import type { RequestTarget } from './request-target.js';
import type { ContextFactory } from './context.js';

/**
 * Subscriptions over SSE (recording.watch, transcription.watch), written straight to Node's
 * response. tRPC's adapter builds each stream from Fetch web streams (a ReadableStream, transform
 * streams, an encoder, abort controllers), which cost an SSE watcher four times a WebSocket one
 * (bench/README.md); this writes the same wire format — `connected`, one `data`/`id` event per
 * value, `return` at the end, `serialized-error` for errors, the same headers — and resumes with
 * `Last-Event-ID` as tRPC does. test/src/watch.test.ts and the equivalence test hold it to tRPC's.
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

const isAbortError = (error: unknown) => error instanceof Error && error.name === 'AbortError';

/** The id the client resumes after: its EventSource's header, or the query parameter tRPC's link also uses. */
function lastEventIdOf(req: IncomingMessage, url: RequestTarget): string | null {
  const header = req.headers['last-event-id'];
  return (typeof header === 'string' ? header : null) ?? url.searchParams.get('lastEventId') ?? url.searchParams.get('Last-Event-Id');
}

export function createTrpcSse(options: { router: AppRouter; createContext: ContextFactory; logger: Logger }) {
  const wire = wireFormat(options.router);
  const subscriptions = proceduresOfType(options.router, 'subscription');
  const serialize = (value: unknown) => JSON.stringify(wire.serializeOutput(value));

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

  async function write(res: ServerResponse, text: string): Promise<void> {
    if (res.destroyed) return;
    if (!res.write(text)) await once(res, 'drain').catch(() => undefined);
  }

  return {
    /** A GET of one subscription (not a batch): the rest stays with tRPC's adapter. */
    accepts: (req: IncomingMessage, path: string, url: RequestTarget) =>
      req.method === 'GET' && subscriptions.has(path) && url.searchParams.get('batch') !== '1',

    async serve(req: IncomingMessage, res: ServerResponse, path: string, url: RequestTarget): Promise<void> {
      const closed = new AbortController();
      res.once('close', () => closed.abort());
      const lastEventId = lastEventIdOf(req, url);
      let ctx: Context | undefined;
      res.writeHead(200, SSE_HEADERS);
      await write(res, frame({ event: 'connected', data: '{}' }));
      try {
        ctx = await options.createContext({ req });
        const result: unknown = await callProcedure({
          router: options.router,
          path,
          getRawInput: rawInput(url, lastEventId),
          ctx,
          type: 'subscription',
          signal: closed.signal,
        });
        if (typeof result !== 'object' || result === null || !(Symbol.asyncIterator in result))
          throw new TRPCError({ code: 'INTERNAL_SERVER_ERROR', message: `Subscription ${path} did not return an AsyncGenerator` });
        let resumeId = lastEventId && !/[\0\n\r]/.test(lastEventId) ? lastEventId : null;
        for await (const value of result as AsyncIterable<unknown>) {
          if (isTrackedEnvelope(value)) {
            resumeId = value[0];
            await write(res, frame({ data: serialize(value[1]), id: value[0] }));
          } else if (resumeId === null) {
            await write(res, frame({ data: serialize(value) }));
          } else {
            // An event without an id would make the EventSource forget the one it resumes from.
            await write(res, frame({ data: serialize(value), id: '' }) + frame({ event: 'restore-id', data: '', id: resumeId }));
          }
        }
        await write(res, frame({ event: 'return', data: '' }));
      } catch (cause) {
        if (!isAbortError(cause) && !closed.signal.aborted) {
          const error = getTRPCErrorFromUnknown(cause);
          if (error.code === 'INTERNAL_SERVER_ERROR') options.logger.error({ err: error, path }, 'procedure failed');
          await write(res, frame({ event: 'serialized-error', data: serialize(wire.errorShape(error, 'subscription', path, ctx)) }));
        }
      } finally {
        res.end();
      }
    },
  };
}
