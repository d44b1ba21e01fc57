import {
  Recording,
  RecordingFilesInput,
  RecordingFilesOutput,
  RecordingGetInput,
  RecordingListInput,
  RecordingListOutput,
  RecordingQueryOutput,
  RecordingStartInput,
  RecordingStartOutput,
  RecordingStopOutput,
  RecordingUpdateChanges,
  RecordingUpdateLayoutInput,
  RecordingUpdateOutput,
  TokenGenerateInput,
  TokenGenerateOutput,
} from '@agora-backend/shared';
import { z } from 'zod';
import { AppErrorCode } from '@agora-backend/shared';
import type { appRouter } from '../../routers/_app.js';
import { AppError } from '../../errors.js';
import { asObject, IdOnly, withNumbers } from './inputs.js';
import { TRANSCRIPTION_ROUTES } from './transcription-routes.js';

type Caller = ReturnType<typeof appRouter.createCaller>;

/** What a REST request carries, before the procedure validates it. */
export interface RestRequestParts {
  params: Record<string, string>;
  query: Record<string, string>;
  body: unknown;
}

export interface RestRoute {
  method: 'GET' | 'POST' | 'PATCH' | 'PUT';
  /** OpenAPI-style path under /api/v1, e.g. `/recordings/{id}`. */
  path: string;
  /** The tRPC procedure it serves: the same validation, authorization and errors. */
  procedure: string;
  summary: string;
  tags: string[];
  /** Input as the procedure sees it, assembled from path, query and body. */
  input(parts: RestRequestParts): unknown;
  /** Runs the procedure. The input is validated by the procedure's own .input() schema. */
  call(caller: Caller, input: unknown): Promise<unknown>;
  /** For the OpenAPI document: the body schema (POST/PATCH/PUT), query parameters, output. */
  bodySchema?: z.ZodType;
  querySchema?: z.ZodObject;
  outputSchema: z.ZodType;
  successStatus: 200 | 201;
}



/**
 * The REST surface: each route is a procedure of the tRPC router under another URL, so there is no
 * second implementation to drift.
 */
export const REST_ROUTES: RestRoute[] = [
  {
    method: 'POST',
    path: '/tokens',
    procedure: 'token.generate',
    summary: 'Build an RTC, RTM or Chat token',
    tags: ['tokens'],
    input: ({ body }) => body,
    call: (caller, input) => caller.token.generate(input as never),
    bodySchema: TokenGenerateInput,
    outputSchema: TokenGenerateOutput,
    successStatus: 200,
  },
  {
    method: 'POST',
    path: '/recordings',
    procedure: 'recording.start',
    summary: 'Start a cloud recording',
    tags: ['recordings'],
    input: ({ body }) => body,
    call: (caller, input) => caller.recording.start(input as never),
    bodySchema: RecordingStartInput,
    outputSchema: RecordingStartOutput,
    successStatus: 201,
  },
  {
    method: 'GET',
    path: '/recordings',
    procedure: 'recording.list',
    summary: 'List recordings, newest first',
    tags: ['recordings'],
    input: ({ query }) => withNumbers(query, ['limit']),
    call: (caller, input) => caller.recording.list(input as never),
    querySchema: RecordingListInput,
    outputSchema: RecordingListOutput,
    successStatus: 200,
  },
  {
    method: 'GET',
    path: '/recordings/{id}',
    procedure: 'recording.get',
    summary: 'One recording as the registry keeps it',
    tags: ['recordings'],
    input: ({ params }) => ({ id: params.id }),
    call: (caller, input) => caller.recording.get(input as never),
    querySchema: RecordingGetInput.omit({ id: true }),
    outputSchema: Recording,
    successStatus: 200,
  },
  {
    method: 'GET',
    path: '/recordings/{id}/status',
    procedure: 'recording.query',
    summary: "A recording's status and files, from Agora",
    tags: ['recordings'],
    input: ({ params }) => ({ id: params.id }),
    call: (caller, input) => caller.recording.query(input as never),
    querySchema: IdOnly,
    outputSchema: RecordingQueryOutput,
    successStatus: 200,
  },
  {
    method: 'GET',
    path: '/recordings/{id}/files',
    procedure: 'recording.files',
    summary: "A recording's files in the bucket, each with a link that expires",
    tags: ['recordings'],
    input: ({ params, query }) => ({ ...withNumbers(query, ['expiresInSeconds']), id: params.id }),
    call: (caller, input) => caller.recording.files(input as never),
    querySchema: RecordingFilesInput.omit({ id: true }),
    outputSchema: RecordingFilesOutput,
    successStatus: 200,
  },
  {
    method: 'POST',
    path: '/recordings/{id}/stop',
    procedure: 'recording.stop',
    summary: 'Stop a recording (stopping an ended one is not an error)',
    tags: ['recordings'],
    input: ({ params }) => ({ id: params.id }),
    call: (caller, input) => caller.recording.stop(input as never),
    outputSchema: RecordingStopOutput,
    successStatus: 200,
  },
  {
    method: 'PATCH',
    path: '/recordings/{id}',
    procedure: 'recording.update',
    summary: 'Change subscriptions, or pause/resume a web recording',
    tags: ['recordings'],
    input: ({ params, body }) => ({ ...asObject(body), id: params.id }),
    call: (caller, input) => caller.recording.update(input as never),
    bodySchema: RecordingUpdateChanges,
    outputSchema: RecordingUpdateOutput,
    successStatus: 200,
  },
  {
    method: 'PUT',
    path: '/recordings/{id}/layout',
    procedure: 'recording.updateLayout',
    summary: "Replace a mix recording's layout",
    tags: ['recordings'],
    input: ({ params, body }) => ({ ...asObject(body), id: params.id }),
    call: (caller, input) => caller.recording.updateLayout(input as never),
    bodySchema: RecordingUpdateLayoutInput.omit({ id: true }),
    outputSchema: RecordingUpdateOutput,
    successStatus: 200,
  },
  ...TRANSCRIPTION_ROUTES,
];

/** Each route's path as a pattern with its parameter names, compiled once. */
const PATTERNS = REST_ROUTES.map((route) => {
  const names: string[] = [];
  const pattern = new RegExp(`^${route.path.replace(/\{(\w+)\}/g, (_match, name: string) => {
    names.push(name);
    return '([^/]+)';
  })}$`);
  return { route, names, pattern };
});

/** Finds the route for a method and path under /api/v1, with its path parameters. */
export function matchRoute(method: string, path: string): { route: RestRoute; params: Record<string, string> } | { allowed: string[] } | undefined {
  const allowed: string[] = [];
  for (const { route, names, pattern } of PATTERNS) {
    const match = pattern.exec(path);
    if (!match) continue;
    if (route.method !== method) {
      allowed.push(route.method);
      continue;
    }
    const params = Object.fromEntries(names.map((name, index) => [name, decodePathSegment(name, match[index + 1]!)]));
    return { route, params };
  }
  return allowed.length > 0 ? { allowed } : undefined;
}

/** A path parameter, percent-decoded; a malformed escape (`%E0%A4%A`) is the caller's error, not ours. */
function decodePathSegment(name: string, segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new AppError(AppErrorCode.MALFORMED_REQUEST, `${name}: the URL path has a malformed percent-escape`);
  }
}
