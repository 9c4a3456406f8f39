import { SetMetadata } from '@nestjs/common';

export const API_DOC = 'temps:api-doc';

/**
 * Who may call a route, as the OpenAPI document states it: `project-read` (ProjectAccessGuard: a key that may
 * read the `{projectId}` of the path), `any-key` (ApiKeyGuard: any valid key that may read), `public`.
 */
export type ApiAuth = 'project-read' | 'any-key' | 'public';

/** A route of the query API, for the OpenAPI document: its summary, its query DTO and its 200 response schema. */
export interface ApiDocSpec {
  summary: string;
  /** The query DTO class the handler takes (@Query(QueryDtoPipe)); checked against the handler's parameter types. */
  query?: abstract new () => unknown;
  /** Name of the 200 response schema in QUERY_API_SCHEMAS. */
  response: string;
  auth: ApiAuth;
  /** The route answers 404 for an unknown id of its path. */
  notFound?: boolean;
}

/** Describes a route for the OpenAPI document (GET /api/openapi.json). */
export const ApiDoc = (spec: ApiDocSpec) => SetMetadata(API_DOC, spec);
