import { RequestMethod, type Type } from '@nestjs/common';
import { API_DOC, type ApiDocSpec } from './api-doc';
import { QUERY_API_SCHEMAS, type JsonSchema } from './query-api-schemas';
import { queryFieldsOf, type QueryFieldSpec } from './query-field';

/** Nest's own route metadata keys (@Controller / @Get paths and methods). */
const PATH_METADATA = 'path';
const METHOD_METADATA = 'method';

const AUTH_TEXT: Record<ApiDocSpec['auth'], string> = {
  'project-read':
    'Needs `Authorization: Bearer tk_...`: an API key whose role may read (admin, member or viewer) and, when the key is limited to projects, allowed this project. Deployment tokens (dt_) may only send telemetry.',
  'any-key': 'Needs `Authorization: Bearer tk_...`: any valid API key whose role may read.',
  public: 'No key needed.',
};

function fieldSchema(spec: QueryFieldSpec): JsonSchema {
  switch (spec.kind) {
    case 'string':
      return { type: 'string', ...(spec.maxLength ? { maxLength: spec.maxLength } : {}) };
    case 'time':
      return { type: 'string', format: 'date-time' };
    case 'integer':
      return { type: 'integer', minimum: spec.min, maximum: spec.max, default: spec.default };
    case 'enum':
      return { type: 'string', enum: [...spec.values] };
  }
}

const errorResponse = (description: string) => ({ description, content: { 'application/json': { schema: { $ref: '#/components/schemas/ApiError' } } } });

/** `api/projects/:projectId/ai/traces` + `:traceId` -> `/api/projects/{projectId}/ai/traces/{traceId}` and its path parameters. */
function openApiPath(...parts: string[]): { path: string; params: string[] } {
  const joined = parts.filter((p) => p && p !== '/').map((p) => p.replace(/^\/|\/$/g, '')).join('/');
  const params: string[] = [];
  const path = '/' + joined.replace(/:([A-Za-z0-9_]+)/g, (_m, name: string) => (params.push(name), `{${name}}`));
  return { path, params };
}

/**
 * The OpenAPI 3.1 document of the query API, from the controllers' own routes (Nest metadata), each route's
 * ApiDoc (or its entry in `docs`, for a controller of a lib), its query DTO's fields (the ones QueryDtoPipe validates)
 * and QUERY_API_SCHEMAS. Routes without either are not part of the documented API.
 */
export function buildOpenApiDocument(controllers: Type[], options: { version: string; docs?: Map<Function, ApiDocSpec> }): JsonSchema {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const controller of controllers) {
    const base = String(Reflect.getMetadata(PATH_METADATA, controller) ?? '');
    for (const name of Object.getOwnPropertyNames(controller.prototype)) {
      const handler = (controller.prototype as Record<string, unknown>)[name];
      if (name === 'constructor' || typeof handler !== 'function') continue;
      const doc = options.docs?.get(handler) ?? (Reflect.getMetadata(API_DOC, handler) as ApiDocSpec | undefined);
      if (!doc) continue;
      if (Reflect.getMetadata(METHOD_METADATA, handler) !== RequestMethod.GET) throw new Error(`${controller.name}.${name}: only GET routes are documented`);
      const paramTypes = (Reflect.getMetadata('design:paramtypes', controller.prototype, name) ?? []) as unknown[];
      if (doc.query && !paramTypes.includes(doc.query)) throw new Error(`${controller.name}.${name}: ApiDoc names query ${doc.query.name}, which the handler does not take`);
      if (!QUERY_API_SCHEMAS[doc.response]) throw new Error(`${controller.name}.${name}: no schema ${doc.response} in QUERY_API_SCHEMAS`);
      const { path, params } = openApiPath(base, String(Reflect.getMetadata(PATH_METADATA, handler) ?? ''));
      const parameters = [
        ...params.map((p) => ({ name: p, in: 'path', required: true, schema: { type: 'string' } })),
        ...(doc.query ? queryFieldsOf(doc.query) : []).map(([field, spec]) => ({
          name: field,
          in: 'query',
          required: spec.kind === 'enum' && spec.required === true,
          description: spec.description,
          schema: fieldSchema(spec),
        })),
      ];
      const responses: Record<string, unknown> = {
        '200': { description: 'OK', content: { 'application/json': { schema: { $ref: `#/components/schemas/${doc.response}` } } } },
      };
      if (doc.query || doc.auth === 'project-read') responses['400'] = errorResponse('A query parameter, cursor or project header is not valid: the message says which and why.');
      if (doc.auth !== 'public') {
        responses['401'] = errorResponse('No key, or an unknown or revoked one.');
        responses['403'] = errorResponse(doc.auth === 'project-read' ? 'The key may not read this project.' : 'The key may not read.');
      }
      if (doc.notFound) responses['404'] = errorResponse('No such resource in this project.');
      paths[path] = {
        ...(paths[path] ?? {}),
        get: {
          operationId: `${controller.name.replace(/Controller$/, '')}_${name}`,
          summary: doc.summary,
          description: AUTH_TEXT[doc.auth],
          ...(doc.auth === 'public' ? { security: [] } : {}),
          parameters,
          responses,
        },
      };
    }
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Temps AI Tracing query API',
      version: options.version,
      description:
        'Read traces, sessions, usage and GenAI metrics of a project. Every route needs an API key (`Authorization: Bearer tk_...`) unless it says otherwise; project routes need read access to the project of the path. Errors are JSON `{ statusCode, message, error }`.',
    },
    security: [{ apiKey: [] }],
    paths: Object.fromEntries(Object.entries(paths).sort(([a], [b]) => a.localeCompare(b))),
    components: {
      securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'An API key (tk_...) made by `temps api-key` or shown at the first start.' } },
      schemas: QUERY_API_SCHEMAS,
    },
  };
}
