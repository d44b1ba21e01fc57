import { callTRPCProcedure, getErrorShape, transformTRPCResponse, type inferRouterOutputs, type TRPCError } from '@trpc/server';
import { getHTTPStatusCode, getHTTPStatusCodeFromError } from '@trpc/server/http';
import {
  parseConnectionParamsFromUnknown,
  parseTRPCMessage,
  type TRPCClientOutgoingMessage,
} from '@trpc/server/unstable-core-do-not-import';
import { z } from 'zod';
import type { AppRouter } from '../routers/_app.js';
import type { Context } from '../trpc/context.js';
import { superjsonFlatText } from '../trpc/flat-json.js';
import { transformer } from '../trpc/transformer.js';

/**
 * Every use of tRPC's internals in the server, behind one module (ESLint refuses them anywhere
 * else): the router's definition (`_def`: its config and its flattened procedures), the call by
 * path, the error shape and the response transform its adapters use. The edge needs them to serve
 * tRPC's wire format without the Fetch adapter (trpc-fast-path.ts, trpc-sse.ts), to write errors
 * in tRPC's envelope (respond.ts), to speak its WebSocket protocol (trpc-ws.ts) and to derive REST from the procedures (rest/). When tRPC is
 * upgraded, this file and the equivalence test (trpc-equivalence.test.ts) are where to look.
 */

export type ProcedureType = 'query' | 'mutation' | 'subscription';

/** A procedure's definition, as far as we read it; parsed, never cast. */
const ProcedureDef = z.object({
  type: z.enum(['query', 'mutation', 'subscription']),
  inputs: z.array(z.unknown()),
  output: z.unknown().optional(),
});

function definitionOf(router: AppRouter, path: string): z.infer<typeof ProcedureDef> | undefined {
  const procedures: Record<string, unknown> = router._def.procedures;
  const procedure = Object.hasOwn(procedures, path) ? procedures[path] : undefined;
  if (typeof procedure !== 'function' || !('_def' in procedure)) return undefined;
  const parsed = ProcedureDef.safeParse(procedure._def);
  return parsed.success ? parsed.data : undefined;
}

/** The router's procedures of one type by dotted path ("token.generate"), as tRPC flattens them. */
export function proceduresOfType(router: AppRouter, type: ProcedureType): Set<string> {
  return new Set(Object.keys(router._def.procedures).filter((path) => definitionOf(router, path)?.type === type));
}

/**
 * The router's own copy of each path of a type, by any equal string: a connection held for hours
 * keeps that copy (an error's shape names the path), not the one its request was parsed into.
 */
export function routerPathsOfType(router: AppRouter, type: ProcedureType): Map<string, string> {
  return new Map([...proceduresOfType(router, type)].map((path) => [path, path]));
}

const asZod = (schema: unknown): z.ZodType | undefined => (schema instanceof z.ZodType ? schema : undefined);

/** A procedure's type and its own input and output schemas (one `.input()` each here), or undefined. */
export function procedureSchemas(
  router: AppRouter,
  path: string,
): { type: ProcedureType; input: z.ZodType | undefined; output: z.ZodType | undefined } | undefined {
  const def = definitionOf(router, path);
  if (!def) return undefined;
  return { type: def.type, input: def.inputs.length === 1 ? asZod(def.inputs[0]) : undefined, output: asZod(def.output) };
}

/**
 * Runs the procedure at `path` as tRPC's adapters do (its middlewares, input and output parsers),
 * or throws tRPC's NOT_FOUND for a path that is no procedure of `type`. A server-side caller does
 * the same (`getRawInput` giving the input as is), without its proxy.
 */
export function callProcedure(options: {
  router: AppRouter;
  path: string;
  type: ProcedureType;
  ctx: Context;
  getRawInput: () => Promise<unknown>;
  signal?: AbortSignal | undefined;
  batchIndex?: number;
}): Promise<unknown> {
  const { router, path, type, ctx, getRawInput, signal, batchIndex = 0 } = options;
  return callTRPCProcedure({ router, path, type, ctx, getRawInput, signal, batchIndex });
}

type Outputs = inferRouterOutputs<AppRouter>;

/** Every procedure's dotted path, e.g. "recording.start". */
export type ProcedurePath = { [N in Extract<keyof Outputs, string>]: `${N}.${Extract<keyof Outputs[N], string>}` }[Extract<
  keyof Outputs,
  string
>];

/** What the procedure at a path answers. */
export type ProcedureOutput<P extends ProcedurePath> = P extends `${infer N extends Extract<keyof Outputs, string>}.${infer K}`
  ? K extends keyof Outputs[N]
    ? Outputs[N][K]
    : never
  : never;

/**
 * Calls procedures by path, as a server-side caller does, with inputs they validate themselves:
 * the surfaces that assemble an input from a request (REST, the tutorial) need no cast to the
 * procedure's input type.
 */
export function createPathCaller(router: AppRouter) {
  const types = new Map<string, ProcedureType>();
  for (const type of ['query', 'mutation', 'subscription'] as const)
    for (const path of proceduresOfType(router, type)) types.set(path, type);
  return async <P extends ProcedurePath>(ctx: Context, path: P, input: unknown): Promise<ProcedureOutput<P>> => {
    const output = await callProcedure({ router, path, type: types.get(path) ?? 'query', ctx, getRawInput: () => Promise.resolve(input) });
    // The procedure's output parser has checked it: it is of the output schema's type.
    return output as ProcedureOutput<P>;
  };
}

/** One answer of tRPC's HTTP protocol before its transform: a result or an error shape. */
export type TrpcResponseItem = { result: { data: unknown } } | { error: unknown };

/** tRPC's wire format of this router: its transformer, error shapes (our formatter's) and responses. */
export function wireFormat(router: AppRouter) {
  const config = router._def._config;
  // Flat answers are written directly only under our superjson transformer, whose output it mirrors.
  const writesFlat = config.transformer.output.serialize === transformer.output.serialize;
  return {
    /** Decodes an input as the adapter does (superjson framing checked by our transformer). */
    deserializeInput: (raw: unknown): unknown => config.transformer.input.deserialize(raw),
    /** Encodes a value as the adapter does (SSE data). */
    serializeOutput: (value: unknown): unknown => config.transformer.output.serialize(value),
    /** The error as tRPC's envelope carries it, through the router's error formatter. */
    errorShape: (error: TRPCError, type: ProcedureType | 'unknown', path: string | undefined, ctx: Context | undefined): unknown =>
      getErrorShape({ config, error, type, path, input: undefined, ctx }),
    /** The JSON text of one answer, or of a batch's answers, as the adapter writes it. */
    responseText: (response: TrpcResponseItem | TrpcResponseItem[]): string =>
      (writesFlat ? flatResponseText(response) : undefined) ??
      JSON.stringify(transformTRPCResponse(config, response as Parameters<typeof transformTRPCResponse>[1])),
    /** The JSON text of one WebSocket message (an answer with its id, or an error), transformed as the WS adapter does. */
    messageText: (message: WsResponse): string =>
      JSON.stringify(transformTRPCResponse(config, message as unknown as Parameters<typeof transformTRPCResponse>[1])),
    /** One message of a WebSocket client, checked and its input decoded as the WS adapter does; throws otherwise. */
    parseMessage: (raw: unknown): WsRequest => parseTRPCMessage(raw, config.transformer),
  };
}

/** A result's text when its data is flat (a token answer), as transformTRPCResponse and JSON.stringify would write it. */
function flatResultText(item: TrpcResponseItem): string | undefined {
  if (!('result' in item)) return undefined;
  const data = superjsonFlatText(item.result.data);
  return data === undefined ? undefined : `{"result":{"data":${data}}}`;
}

/** The answer's text when every result in it is flat and none is an error; undefined otherwise. */
function flatResponseText(response: TrpcResponseItem | TrpcResponseItem[]): string | undefined {
  if (!Array.isArray(response)) return flatResultText(response);
  let text = '';
  for (const item of response) {
    const written = flatResultText(item);
    if (written === undefined) return undefined;
    text += `${text === '' ? '' : ','}${written}`;
  }
  return `[${text}]`;
}

/** tRPC's HTTP status of one error (its code's status). */
export const statusOfError = (error: TRPCError): number => getHTTPStatusCodeFromError(error);

/** tRPC's HTTP status of a batch: the errors' shared status, 200 when none failed, else 207. */
export const statusOfBatch = (items: TrpcResponseItem[], errors: readonly (TRPCError | undefined)[]): number =>
  getHTTPStatusCode(items as Parameters<typeof getHTTPStatusCode>[0], errors);

/** A WebSocket client's call or stop, as tRPC's parser returns it. */
export type WsRequest = TRPCClientOutgoingMessage;

/** What the server sends over a WebSocket before the transform: a result or an error for a call's id. */
export type WsResponse =
  | {
      id: string | number | null;
      jsonrpc?: '2.0' | undefined;
      result: { type: 'started' | 'stopped' } | { type: 'data'; data: unknown; id?: string };
    }
  | { id: string | number | null; jsonrpc?: '2.0' | undefined; error: unknown };

/** The connection parameters of a WebSocket's first message, checked as tRPC's adapter does (string values, or null). */
export const parseConnectionParams = (raw: unknown): Record<string, string | undefined> | null => parseConnectionParamsFromUnknown(raw);
