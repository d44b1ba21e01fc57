import { getTRPCErrorFromUnknown, isTrackedEnvelope, TRPCError } from '@trpc/server';
import type { RawData, WebSocket } from 'ws';
import type { AppRouter } from '../routers/_app.js';
import type { Watch, WatchDelivery, WatchSink } from '../tasks/watch.js';
import type { Context } from '../trpc/context.js';
import { WatchPlan } from '../trpc/watch-stream.js';
import {
  callProcedure,
  parseConnectionParams,
  routerPathsOfType,
  wireFormat,
  type ProcedureType,
  type WsRequest,
  type WsResponse,
} from './trpc-internals.js';
import { encodedOncePerDelivery } from './watch-encoding.js';

/**
 * tRPC's WebSocket protocol (v11, what `@trpc/client`'s wsLink speaks), written at the edge as
 * trpc-sse.ts writes its SSE. tRPC's adapter keeps per connection a closure set over the upgrade
 * request (its headers for the connection's life), an AbortController, a Map and two timers, and
 * per subscription async-iterator wrappers, a second AbortController and a race of promises per
 * event (bench/README.md, issue 35). Here a connection is one small record reached from its socket
 * (no request: the context's facts are read at the upgrade), the listeners are shared by all,
 * keep-alive is one sweep for all. A watch subscription (its procedure resolved to a WatchPlan) is
 * started as a push with a small record as its sink (`PushedSubscription`); any other subscription
 * is its AbortController (the procedure's signal) and one loop (`follow`). The messages, their
 * order and every edge case are the adapter's: trpc-ws-equivalence.test.ts holds them byte-equal.
 * Observables are not served: our subscriptions are async generators or watch plans (an
 * observable gets the adapter's not-iterable error).
 */

type Id = string | number;

/** A running subscription as its connection keeps it: stopped by `subscription.stop` or the socket's close. */
interface Stoppable {
  abort(): void;
}
type ContextFor = (connectionParams: Record<string, string | undefined> | null) => Context | Promise<Context>;

const OPEN = 1;

/** Our state of one socket, reached from it through a symbol: shared listeners need no closures. */
class Connection {
  /** The context once made (tRPC passes it to the error formatter, undefined before). */
  ctx: Context | undefined = undefined;
  /**
   * The context, or why it could not be made: a promise while it is being made, undefined while
   * the connection parameters are awaited.
   */
  ready: Promise<Context | TRPCError> | Context | TRPCError | undefined = undefined;
  /** Builds the context; kept only until the connection parameters come. */
  contextFor: ContextFor | undefined;
  /** Keep-alive sweeps since the client's last message. */
  quiet = 0;
  /**
   * Running subscriptions by the client's id. Most connections hold one: it is kept in two
   * fields, a Map (~190 bytes even for one entry) is made only for a second.
   */
  private soleId: Id | undefined = undefined;
  private sole: Stoppable | undefined = undefined;
  private more: Map<Id, Stoppable> | undefined = undefined;

  constructor(contextFor: ContextFor) {
    this.contextFor = contextFor;
  }

  subscription(id: Id): Stoppable | undefined {
    return this.sole !== undefined && this.soleId === id ? this.sole : this.more?.get(id);
  }

  addSubscription(id: Id, stop: Stoppable): void {
    if (this.sole === undefined) {
      this.soleId = id;
      this.sole = stop;
    } else (this.more ??= new Map()).set(id, stop);
  }

  /** Frees the id, if it is still this subscription's. */
  removeSubscription(id: Id, stop: Stoppable): void {
    if (this.sole === stop) {
      this.soleId = undefined;
      this.sole = undefined;
    } else if (this.more?.get(id) === stop) this.more.delete(id);
  }

  stopAll(): void {
    this.sole?.abort();
    if (this.more) for (const stop of this.more.values()) stop.abort();
    this.soleId = this.sole = this.more = undefined;
  }
}

const STATE = Symbol('trpc-ws connection');
type Socket = WebSocket & { [STATE]?: Connection };

export interface TrpcWsOptions {
  router: AppRouter;
  /** Calls one message may carry. */
  maxBatchSize: number;
  /** Ping after `pingMs` without a message from the client; terminate if none comes within `pongWaitMs` more. */
  keepAlive: { pingMs: number; pongWaitMs: number; /** How often one sweep checks every connection. */ sweepMs: number };
  /** What tRPC's adapter hands its `onError`: every error a call, the context or the socket raised. */
  onError: (error: TRPCError, path: string | undefined) => void;
  /**
   * Called when an accepted socket closes, from the one close listener this adds: the edge's own
   * bookkeeping rides on it rather than a listener of its own (a second makes every socket keep an
   * array of listeners).
   */
  onClosed?: (ws: WebSocket) => void;
}

const isAbortError = (error: unknown) => error instanceof Error && error.name === 'AbortError';

export function createTrpcWs(options: TrpcWsOptions) {
  const { router, maxBatchSize, onError } = options;
  const wire = wireFormat(router);
  const subscriptionPaths = routerPathsOfType(router, 'subscription');
  const RECONNECT = JSON.stringify({ id: null, method: 'reconnect' });

  const shape = (error: TRPCError, type: ProcedureType | 'unknown', path: string | undefined, conn: Connection) =>
    wire.errorShape(error, type, path, conn.ctx);

  /** Sends one message unless the socket is closing (the adapter drops replies then too). */
  function respond(ws: Socket, message: WsResponse): void {
    if (!isOpen(ws)) return;
    let text: string;
    try {
      text = wire.messageText(message);
    } catch (cause) {
      // As the adapter: a reply that cannot be encoded is reported and replaced by a bare error.
      onError(getTRPCErrorFromUnknown(cause), undefined);
      text = wire.messageText({ id: message.id, jsonrpc: message.jsonrpc, error: FALLBACK_SHAPE });
    }
    ws.send(text);
  }

  function respondError(
    ws: Socket,
    conn: Connection,
    id: Id | null,
    jsonrpc: '2.0' | undefined,
    error: TRPCError,
    type: ProcedureType | 'unknown',
    path: string | undefined,
  ) {
    respond(ws, { id, jsonrpc, error: shape(error, type, path, conn) });
  }

  /** Makes the context; on failure tells the client (id null) and closes, as the adapter does. */
  async function establish(ws: Socket, conn: Connection, contextFor: ContextFor, params: () => Record<string, string | undefined> | null) {
    conn.contextFor = undefined;
    try {
      conn.ctx = await contextFor(params());
      // The outcome itself from now on, not a settled promise: one object fewer per connection.
      return (conn.ready = conn.ctx);
    } catch (cause) {
      const error = getTRPCErrorFromUnknown(cause);
      onError(error, undefined);
      respondError(ws, conn, null, undefined, error, 'unknown', undefined);
      setImmediate(() => ws.close());
      return (conn.ready = error);
    }
  }

  function connectionParamsOf(text: string | Buffer): Record<string, string | undefined> | null {
    let message: unknown;
    try {
      message = decode(text);
      if (!isRecord(message)) throw new Error('Message was not an object');
    } catch (cause) {
      throw new TRPCError({ code: 'PARSE_ERROR', message: 'Malformed TRPCConnectionParamsMessage', cause });
    }
    return parseConnectionParams(message.data);
  }

  /** One message's calls, or none after answering a batch over the limit or a message we cannot read. */
  function parse(ws: Socket, conn: Connection, text: string | Buffer): WsRequest[] {
    try {
      const json = decode(text);
      const messages: unknown[] = Array.isArray(json) ? json : [json];
      if (Array.isArray(json) && messages.length > maxBatchSize) {
        const error = new TRPCError({ code: 'BAD_REQUEST', message: 'Batch call exceeds maximum size' });
        onError(error, undefined);
        const errorShape = shape(error, 'unknown', undefined, conn);
        let answered = false;
        // Each call that could be matched to its answer gets one; else one answer without an id.
        for (const raw of messages) {
          if (!isRecord(raw) || raw.method === 'subscription.stop' || (typeof raw.id !== 'number' && typeof raw.id !== 'string')) continue;
          respond(ws, { id: raw.id, jsonrpc: raw.jsonrpc === '2.0' ? '2.0' : undefined, error: errorShape });
          answered = true;
        }
        if (!answered) respond(ws, { id: null, error: errorShape });
        return [];
      }
      return messages.map((raw) => wire.parseMessage(raw));
    } catch (cause) {
      respondError(ws, conn, null, undefined, new TRPCError({ code: 'PARSE_ERROR', cause }), 'unknown', undefined);
      return [];
    }
  }

  function onMessage(this: Socket, data: RawData, isBinary: boolean): void {
    const conn = this[STATE];
    if (!conn) return;
    conn.quiet = 0;
    // ws hands Buffers (its default binaryType); the adapter refuses anything else, after PING/PONG.
    if (!Buffer.isBuffer(data)) {
      const error = new TRPCError({ code: 'UNPROCESSABLE_CONTENT', message: 'Unexpected WebSocket message format' });
      respondError(this, conn, null, undefined, error, 'unknown', undefined);
      return;
    }
    let text: string | undefined;
    if (!isBinary) {
      text = data.toString('utf8');
      if (text === 'PONG') return;
      if (text === 'PING') {
        this.send('PONG');
        return;
      }
    }
    const payload = text ?? data;
    if (conn.ready === undefined) {
      // The first message carries the connection parameters (the client's URL said connectionParams=1).
      conn.ready = establish(this, conn, conn.contextFor!, () => connectionParamsOf(payload));
      return;
    }
    const requests = parse(this, conn, payload);
    for (let index = 0; index < requests.length; index++) {
      try {
        handle(this, conn, requests[index]!, index);
      } catch (cause) {
        reportUnexpected(cause);
      }
    }
  }

  /** What escaped a call's own handling (an error formatter that throws): reported, as the adapter does. */
  const reportUnexpected = (cause: unknown) => onError(getTRPCErrorFromUnknown(cause), undefined);

  /**
   * One call: answered at once when it cannot run (no id, a duplicate subscription id), else
   * started without waiting (calls of one message run side by side, as in the adapter).
   */
  function handle(ws: Socket, conn: Connection, request: WsRequest, batchIndex: number): void {
    const { id, jsonrpc } = request;
    if (id === null) {
      const error = new TRPCError({ code: 'PARSE_ERROR', message: '`id` is required' });
      onError(error, undefined);
      respondError(ws, conn, id, jsonrpc, error, 'unknown', undefined);
      return;
    }
    if (request.method === 'subscription.stop') {
      conn.subscription(id)?.abort();
      return;
    }
    const { path, lastEventId } = request.params;
    let input: unknown = request.params.input;
    if (lastEventId !== undefined) {
      if (isRecord(input)) input = { ...input, lastEventId };
      else input ??= { lastEventId };
    }
    const type = request.method;
    if (type === 'subscription') {
      if (conn.subscription(id)) {
        const error = new TRPCError({ message: `Duplicate id ${id}`, code: 'BAD_REQUEST' });
        onError(error, path);
        respondError(ws, conn, id, jsonrpc, error, type, path);
        return;
      }
      subscribe(ws, conn, id, jsonrpc, path, input, batchIndex).catch(reportUnexpected);
      return;
    }
    run(ws, conn, id, jsonrpc, type, path, input, batchIndex).catch(reportUnexpected);
  }

  /** A query or a mutation: its data, or its error. */
  async function run(
    ws: Socket,
    conn: Connection,
    id: Id,
    jsonrpc: '2.0' | undefined,
    type: 'query' | 'mutation',
    path: string,
    input: unknown,
    batchIndex: number,
  ): Promise<void> {
    try {
      const ready = await conn.ready!;
      if (ready instanceof TRPCError) throw ready;
      const result = await callProcedure({ router, path, type, ctx: ready, getRawInput: () => Promise.resolve(input), batchIndex });
      if (isAsyncIterable(result)) {
        throw new TRPCError({
          code: 'UNSUPPORTED_MEDIA_TYPE',
          message: `Cannot return an async iterable or observable from a ${type} procedure with WebSockets`,
        });
      }
      respond(ws, { id, jsonrpc, result: { type: 'data', data: result } });
    } catch (cause) {
      const error = getTRPCErrorFromUnknown(cause);
      onError(error, path);
      respondError(ws, conn, id, jsonrpc, error, type, path);
    }
  }

  /**
   * A subscription: `started`, one `data` per value (a tracked one with its id), `stopped` at its
   * end, at `subscription.stop` or after an error once started; an error before it started is
   * answered alone. Its id is free again before the last answer goes out, as in the adapter.
   * This sets it up; once started, `follow` carries it alone (nothing waits on it).
   */
  async function subscribe(
    ws: Socket,
    conn: Connection,
    id: Id,
    jsonrpc: '2.0' | undefined,
    path: string,
    input: unknown,
    batchIndex: number,
  ): Promise<void> {
    const stop = new AbortController();
    conn.addSubscription(id, stop);
    try {
      const ready = await conn.ready!;
      if (ready instanceof TRPCError) throw ready;
      if (!stop.signal.aborted && isOpen(ws)) {
        const result = await callProcedure({
          router,
          path,
          type: 'subscription',
          ctx: ready,
          getRawInput: () => Promise.resolve(input),
          signal: stop.signal,
          batchIndex,
        });
        if (result instanceof WatchPlan) {
          if (!isStopped(stop) && isOpen(ws)) {
            respond(ws, { id, jsonrpc, result: { type: 'started' } });
            const kept = new PushedSubscription(
              ws,
              conn,
              id,
              jsonrpc === undefined ? undefined : '2.0',
              subscriptionPaths.get(path) ?? path,
              pushed,
            );
            push(kept, result, stop);
            return;
          }
          // Stopped or closed while the procedure set up: nothing was started.
          release(ws, conn, id, stop);
          respond(ws, { id, jsonrpc, result: { type: 'stopped' } });
          return;
        }
        if (!isAsyncIterable(result)) {
          throw new TRPCError({
            message: `Subscription ${path} did not return an observable or a AsyncGenerator`,
            code: 'INTERNAL_SERVER_ERROR',
          });
        }
        const iterator = result[Symbol.asyncIterator]();
        if (!isStopped(stop) && isOpen(ws)) {
          respond(ws, { id, jsonrpc, result: { type: 'started' } });
          void follow(ws, conn, id, jsonrpc, path, iterator, stop);
          return;
        }
        // Stopped or closed while the procedure set up: end it without a word but `stopped`.
        stop.abort();
        await iterator.return?.().catch((cause: unknown) => onError(getTRPCErrorFromUnknown(cause), path));
      }
    } catch (cause) {
      const error = getTRPCErrorFromUnknown(cause);
      // A procedure that gave up because it was stopped while setting up is no error.
      if (!(stop.signal.aborted && error.code === 'INTERNAL_SERVER_ERROR' && isAbortError(error.cause))) {
        release(ws, conn, id, stop);
        onError(error, path);
        respondError(ws, conn, id, jsonrpc, error, 'subscription', path);
        return;
      }
    }
    release(ws, conn, id, stop);
    respond(ws, { id, jsonrpc, result: { type: 'stopped' } });
  }

  /**
   * The per-subscription loop: each value out as it comes, until the iterator ends, the client
   * stops it or the socket closes (both abort `stop`, which the procedure's source listens to). An
   * error thrown mid-stream is answered (then `stopped`); the iterator is returned in every case.
   * It never rejects: what it holds while waiting is this frame and the iterator's pending step.
   */
  async function follow(
    ws: Socket,
    conn: Connection,
    id: Id,
    jsonrpc: '2.0' | undefined,
    path: string,
    iterator: AsyncIterator<unknown>,
    stop: AbortController,
  ): Promise<void> {
    let failure: TRPCError | undefined;
    let completed = false;
    try {
      for (;;) {
        let next: IteratorResult<unknown>;
        try {
          next = await iterator.next();
        } catch (cause) {
          const error = getTRPCErrorFromUnknown(cause);
          if (!stop.signal.aborted) throw error;
          // Rejections after a stop are how a stopped source ends; anything but an AbortError is reported.
          if (!isAbortError(error.cause)) onError(error, path);
          break;
        }
        if (stop.signal.aborted) break;
        if (next.done) {
          completed = true;
          break;
        }
        const value = next.value;
        respond(
          ws,
          isTrackedEnvelope(value)
            ? { id, jsonrpc, result: { type: 'data', data: { id: value[0], data: value[1] }, id: value[0] } }
            : { id, jsonrpc, result: { type: 'data', data: value } },
        );
      }
    } catch (cause) {
      failure = getTRPCErrorFromUnknown(cause);
    }
    if (!completed) stop.abort();
    try {
      try {
        await iterator.return?.();
      } catch (cause) {
        // Both failed: the client hears of the loop's error, the returning one is reported.
        if (failure !== undefined) answerFailure(ws, conn, id, jsonrpc, path, failure);
        failure = undefined;
        onError(getTRPCErrorFromUnknown(cause), path);
      }
      if (failure !== undefined) answerFailure(ws, conn, id, jsonrpc, path, failure);
      release(ws, conn, id, stop);
      respond(ws, { id, jsonrpc, result: { type: 'stopped' } });
    } catch (cause) {
      // Only an error formatter that throws gets here; nothing awaits this loop to hear of it.
      reportUnexpected(cause);
    }
  }

  /**
   * A watch plan started with the subscription as its sink: its events are pushed to the socket
   * and nothing of ours waits per watcher (no loop, no pending step, no AbortController kept: the
   * setup's is dropped once the watch runs). The same answers as `follow` gives an iterated watch.
   */
  function push(subscription: PushedSubscription, plan: WatchPlan<unknown>, setup: AbortController): void {
    const { conn, id } = subscription;
    conn.removeSubscription(id, setup);
    conn.addSubscription(id, subscription);
    // `fail` may come at once (the per-connection limit): the subscription is then already over.
    const watch = plan.start(subscription);
    if (subscription.over) watch.close();
    else subscription.watch = watch;
  }

  /** A live event's `data` member, serialized once for all the watchers of its task. */
  const deliveryData = encodedOncePerDelivery((delivery) =>
    JSON.stringify(wire.serializeOutput({ id: String(delivery.id), data: delivery.value })),
  );

  /** What pushed subscriptions call back: one object for all of them. */
  const pushed: PushedEdge = {
    data(subscription, delivery) {
      const { ws, id, jsonrpc } = subscription;
      if (!isOpen(ws)) return;
      let text: string;
      try {
        // The text messageText writes for `{ id, jsonrpc, result: { type: 'data', data: { id, data }, id } }`.
        text = `{"id":${JSON.stringify(id)}${jsonrpc === undefined ? '' : ',"jsonrpc":"2.0"'},"result":{"type":"data","data":${deliveryData(delivery)},"id":${JSON.stringify(String(delivery.id))}}}`;
      } catch (cause) {
        onError(getTRPCErrorFromUnknown(cause), undefined);
        text = wire.messageText({ id, jsonrpc, error: FALLBACK_SHAPE });
      }
      ws.send(text);
    },
    finish(subscription, failure) {
      const { ws, conn, id, jsonrpc, path } = subscription;
      if (failure !== undefined) answerFailure(ws, conn, id, jsonrpc, path, getTRPCErrorFromUnknown(failure));
      conn.removeSubscription(id, subscription);
      respond(ws, { id, jsonrpc, result: { type: 'stopped' } });
    },
  };

  function answerFailure(ws: Socket, conn: Connection, id: Id, jsonrpc: '2.0' | undefined, path: string, error: TRPCError) {
    onError(error, path);
    respondError(ws, conn, id, jsonrpc, error, 'subscription', path);
  }

  /** Frees the subscription's id; one whose socket closed meanwhile is aborted on the way. */
  function release(ws: Socket, conn: Connection, id: Id, stop: AbortController) {
    if (!isOpen(ws) && !stop.signal.aborted) stop.abort();
    conn.removeSubscription(id, stop);
  }

  function onSocketError(this: Socket, cause: Error): void {
    onError(getTRPCErrorFromUnknown(cause), undefined);
  }

  function onClose(this: Socket): void {
    this[STATE]?.stopAll();
    options.onClosed?.(this);
  }

  return {
    /**
     * Serves tRPC on an open socket. `contextFor` builds the context from the connection
     * parameters: at once when the client sends none, else from its first message.
     */
    accept(ws: WebSocket, contextFor: ContextFor, expectsConnectionParams: boolean): void {
      const socket = ws as Socket;
      const conn = new Connection(contextFor);
      socket[STATE] = conn;
      if (!expectsConnectionParams) conn.ready = establish(socket, conn, contextFor, () => null);
      socket.on('message', onMessage);
      socket.on('error', onSocketError);
      socket.on('close', onClose);
    },

    /**
     * One keep-alive sweep over every connection (the adapter's two timers per connection, at the
     * sweep's granularity): a PING after `pingMs` of quiet, the socket cut `pongWaitMs` later if
     * still nothing came.
     */
    sweep(clients: Iterable<WebSocket>): void {
      const { pingMs, pongWaitMs, sweepMs } = options.keepAlive;
      const pingAt = Math.max(1, Math.round(pingMs / sweepMs));
      const cutAt = pingAt + Math.max(1, Math.round(pongWaitMs / sweepMs));
      for (const ws of clients) {
        const conn = (ws as Socket)[STATE];
        if (!conn) continue;
        const quiet = ++conn.quiet;
        if (quiet === pingAt) ws.send('PING');
        else if (quiet >= cutAt) ws.terminate();
      }
    },

    /** Asks every open client to reconnect (before a shutdown), as the adapter's broadcast does. */
    announceReconnect(clients: Iterable<WebSocket>): void {
      for (const ws of clients) if (isOpen(ws)) ws.send(RECONNECT);
    },
  };
}

/** The edge's side of pushed subscriptions, shared by all of them. */
interface PushedEdge {
  data(subscription: PushedSubscription, delivery: WatchDelivery<unknown>): void;
  /** Its last answers: the error if it failed, then `stopped`; its id is free again. */
  finish(subscription: PushedSubscription, failure: unknown): void;
}

/**
 * A running watch subscription: the watch's sink, and what its connection stops. A few fields,
 * no closures: thousands live for hours (bench/README.md, issue 35).
 */
class PushedSubscription implements WatchSink<unknown>, Stoppable {
  watch: Watch | undefined = undefined;
  over = false;
  constructor(
    readonly ws: Socket,
    readonly conn: Connection,
    readonly id: Id,
    readonly jsonrpc: '2.0' | undefined,
    readonly path: string,
    private readonly edge: PushedEdge,
  ) {}

  event(delivery: WatchDelivery<unknown>): void {
    if (!this.over) this.edge.data(this, delivery);
  }

  end(): void {
    this.finish(undefined);
  }

  fail(error: unknown): void {
    this.finish(error);
  }

  /** `subscription.stop`, or the socket closed. */
  abort(): void {
    this.watch?.close();
    this.finish(undefined);
  }

  private finish(failure: unknown): void {
    if (this.over) return;
    this.over = true;
    this.watch = undefined;
    this.edge.finish(this, failure);
  }
}

/** What the adapter sends when an error cannot be formatted or encoded: nothing about the error. */
const FALLBACK_SHAPE = { code: -32603, message: 'Internal server error', data: { code: 'INTERNAL_SERVER_ERROR', httpStatus: 500 } };

/** tRPC's JSON encoder: text frames only. */
function decode(payload: string | Buffer): unknown {
  if (typeof payload !== 'string')
    throw new Error('jsonEncoder received binary data. JSON uses text frames. Use a binary encoder for binary data.');
  return JSON.parse(payload);
}

/** Read afresh each time: a socket may close while a call awaits. */
const isOpen = (ws: WebSocket) => ws.readyState === OPEN;

/** The same, for a subscription's stop (aborted by a message or the close while a call awaits). */
const isStopped = (stop: AbortController) => stop.signal.aborted;

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof value === 'object' && value !== null && Symbol.asyncIterator in value;
}
