import { z } from 'zod';
import { REST_PREFIX } from './handler.js';
import { REST_ROUTES } from './routes.js';

type JsonSchema = Record<string, unknown>;

/**
 * JSON Schema of a shared zod schema, as the REST surface sees it: inputs before parsing
 * (defaults optional, aliases accepted), outputs after, dates as ISO 8601 strings.
 */
function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, {
    io,
    unrepresentable: 'any',
    override: (ctx) => {
      if (ctx.zodSchema._zod.def.type === 'date') {
        ctx.jsonSchema.type = 'string';
        ctx.jsonSchema.format = 'date-time';
      }
    },
  });
  return rest;
}

const ErrorSchema: JsonSchema = {
  type: 'object',
  required: ['code', 'message'],
  properties: {
    code: { type: 'string', description: 'tRPC error code, e.g. BAD_REQUEST, UNAUTHORIZED, NOT_FOUND' },
    message: { type: 'string', description: 'What went wrong, naming the field and rule for bad input' },
    appCode: { type: 'string' },
    issues: {
      type: 'array',
      items: { type: 'object', properties: { path: { type: 'string' }, message: { type: 'string' } }, required: ['path', 'message'] },
    },
    agora: { type: 'object', properties: { httpStatus: { type: 'integer' }, code: { type: 'integer' }, reason: { type: 'string' } } },
    retryAfterSeconds: { type: 'integer' },
  },
};

/** The OpenAPI 3.1 document of /api/v1, built from the same routes and schemas that serve it. */
export function createOpenApiDocument(baseUrl: string): JsonSchema {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of REST_ROUTES) {
    const parameters: unknown[] = [];
    for (const match of route.path.matchAll(/\{(\w+)\}/g)) {
      parameters.push({ name: match[1], in: 'path', required: true, schema: { type: 'string' } });
    }
    if (route.querySchema) {
      const query = jsonSchema(route.querySchema, 'input');
      const properties = (query.properties ?? {}) as Record<string, JsonSchema>;
      const required = new Set((query.required ?? []) as string[]);
      for (const [name, schema] of Object.entries(properties)) {
        parameters.push({ name, in: 'query', required: required.has(name), schema });
      }
    }
    const operation: Record<string, unknown> = {
      operationId: route.procedure.replace('.', '_'),
      summary: route.summary,
      tags: route.tags,
      ...(parameters.length > 0 ? { parameters } : {}),
      ...(route.bodySchema
        ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(route.bodySchema, 'input') } } } }
        : {}),
      responses: {
        [String(route.successStatus)]: {
          description: 'Success',
          content: { 'application/json': { schema: jsonSchema(route.outputSchema, 'output') } },
        },
        default: { description: 'Error', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
      },
    };
    (paths[route.path] ??= {})[route.method.toLowerCase()] = operation;
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Agora backend REST API',
      version: '1.0.0',
      description: 'Agora tokens and Cloud Recording over plain HTTP: the same procedures as the tRPC API.',
    },
    servers: [{ url: `${baseUrl}${REST_PREFIX}` }],
    security: [{ bearerAuth: [] }],
    components: {
      securitySchemes: {
        bearerAuth: { type: 'http', scheme: 'bearer', description: 'An API key (AUTH_MODE=apikey) or a JWT (AUTH_MODE=jwt).' },
      },
      schemas: { Error: ErrorSchema },
    },
    paths,
  };
}
