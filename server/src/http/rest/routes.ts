import { z } from 'zod';
import { AppErrorCode } from '@agora-backend/shared';
import { appRouter } from '../../routers/_app.js';
import { AppError } from '../../errors.js';
import { procedureSchemas, type ProcedurePath, type ProcedureType } from '../trpc-internals.js';
import { asObject, withNumbers } from './inputs.js';
import { REST_TABLE, type RestRow } from './table.js';

/** What a REST request carries, before the procedure validates it. */
export interface RestRequestParts {
  params: Record<string, string>;
  query: Record<string, string>;
  body: unknown;
}

/** A row of the table with what its procedure says: its type, schemas and the input's assembly. */
export interface RestRoute {
  method: RestRow['method'];
  path: string;
  procedure: ProcedurePath;
  type: ProcedureType;
  summary: string;
  tags: string[];
  /** Input as the procedure sees it, assembled from path, query and body; the procedure validates it. */
  input(parts: RestRequestParts): unknown;
  /** For the OpenAPI document and the query check: the body's schema, the query's, the output's. */
  bodySchema?: z.ZodType;
  querySchema?: z.ZodObject;
  outputSchema: z.ZodType;
  successStatus: 200 | 201;
}

/** The input's fields besides the path's parameters: the input itself when the path has none. */
function fieldsBesides(row: RestRow, input: z.ZodType, params: string[]): z.ZodType {
  if (params.length === 0) return input;
  if (!(input instanceof z.ZodObject))
    throw new Error(`REST ${row.method} ${row.path}: ${row.procedure}'s input is not an object to take {${params.join(', ')}} from`);
  // zod's own omit (`.omit()` wants the keys as literal types; these are the row's path's).
  const fields: unknown = z.core.util.omit(input, Object.fromEntries(params.map((name) => [name, true])));
  if (!(fields instanceof z.ZodObject))
    throw new Error(`REST ${row.method} ${row.path}: omitting {${params.join(', ')}} from ${row.procedure}'s input gave no object`);
  return fields;
}

/** Fields of a query schema that take numbers: a query string's digits are given to them as numbers. */
function numberFields(schema: z.ZodObject): string[] {
  return Object.entries(schema.shape)
    .filter(([, field]) => ['integer', 'number'].includes(String(z.toJSONSchema(field, { io: 'input', unrepresentable: 'any' }).type)))
    .map(([name]) => name);
}

/** A row, completed from its procedure; a row naming no procedure with schemas fails at start-up. */
function deriveRoute(row: RestRow): RestRoute {
  const schemas = procedureSchemas(appRouter, row.procedure);
  if (!schemas?.input || !schemas.output)
    throw new Error(`REST ${row.method} ${row.path}: ${row.procedure} has no procedure with .input() and .output()`);
  const params = [...row.path.matchAll(/\{(\w+)\}/g)].map((match) => match[1]!);
  // Path parameters the input takes as numbers (a uid, a rule id) are given digits as numbers, as query parameters are.
  const numericParams = schemas.input instanceof z.ZodObject ? numberFields(schemas.input).filter((name) => params.includes(name)) : [];
  const fromPath = (values: Record<string, string>) => withNumbers(values, numericParams);
  const route = {
    method: row.method,
    path: row.path,
    procedure: row.procedure,
    type: schemas.type,
    summary: row.summary,
    tags: [row.path.split('/')[1]!],
    outputSchema: schemas.output,
    successStatus: row.status,
  };
  const fields = row.input === 'path' ? undefined : (row.documentedBody ?? fieldsBesides(row, schemas.input, params));
  if (row.input === 'query') {
    if (!(fields instanceof z.ZodObject)) throw new Error(`REST ${row.method} ${row.path}: query parameters need an object input`);
    const numbers = numberFields(fields);
    return {
      ...route,
      querySchema: fields,
      input: ({ params: values, query }) => ({ ...withNumbers(query, numbers), ...fromPath(values) }),
    };
  }
  if (row.input === 'body') {
    return {
      ...route,
      bodySchema: fields,
      input: ({ params: values, body }) => (params.length === 0 ? body : { ...asObject(body), ...fromPath(values) }),
    };
  }
  return { ...route, input: ({ params: values }) => fromPath(values) };
}

/**
 * The REST surface: each route is a procedure of the tRPC router under another URL, so there is no
 * second implementation to drift.
 */
export const REST_ROUTES: readonly RestRoute[] = REST_TABLE.map(deriveRoute);

/** Each route's path as a pattern with its parameter names, compiled once. */
const PATTERNS = REST_ROUTES.map((route) => {
  const names: string[] = [];
  const pattern = new RegExp(
    `^${route.path.replace(/\{(\w+)\}/g, (_match, name: string) => {
      names.push(name);
      return '([^/]+)';
    })}$`,
  );
  return { route, names, pattern };
});

/** A route found for a request, with its path parameters. */
export interface RestMatch {
  route: RestRoute;
  params: Record<string, string>;
}

/** No path parameters: one object for every such route's matches, read and never written. */
const NO_PARAMS: Record<string, string> = Object.freeze({});

/** Finds the route for a method and path under /api/v1, with its path parameters. */
export function matchRoute(method: string, path: string): RestMatch | { allowed: string[] } | undefined {
  const allowed: string[] = [];
  for (const { route, names, pattern } of PATTERNS) {
    const match = pattern.exec(path);
    if (!match) continue;
    if (route.method !== method) {
      allowed.push(route.method);
      continue;
    }
    const params =
      names.length === 0 ? NO_PARAMS : Object.fromEntries(names.map((name, index) => [name, decodePathSegment(name, match[index + 1]!)]));
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
