import { ProjectsController } from '@temps/access';
import type { ApiDocSpec } from './api-doc';
import { buildOpenApiDocument } from './build-openapi-document';
import { GenaiMetricsQueryController } from './genai-metrics-query.controller';
import { ProjectionsStatusController } from './projections-status.controller';
import { RetentionController } from './retention.controller';
import type { JsonSchema } from './query-api-schemas';
import { SessionsQueryController } from './sessions-query.controller';
import { TracesQueryController } from './traces-query.controller';
import { UsageQueryController } from './usage-query.controller';

/** The controllers of the query API (ProjectorModule mounts them; the OpenAPI document describes them). */
export const QUERY_API_CONTROLLERS = [ProjectsController, TracesQueryController, UsageQueryController, GenaiMetricsQueryController, SessionsQueryController, ProjectionsStatusController, RetentionController];

/** ProjectsController lives in libs/access (which cannot import this app's ApiDoc): its entry here. */
const LIB_DOCS = new Map<Function, ApiDocSpec>([[ProjectsController.prototype.list, { summary: 'The projects the key may read', response: 'ProjectList', auth: 'any-key' }]]);

/** Version of the query API's contract (not of the server): a breaking change of a documented route bumps it. */
export const QUERY_API_VERSION = '1';

let document: JsonSchema | undefined;

/** The OpenAPI 3.1 document of the query API (built once). */
export function queryApiDocument(): JsonSchema {
  document ??= buildOpenApiDocument(QUERY_API_CONTROLLERS, { version: QUERY_API_VERSION, docs: LIB_DOCS });
  return document;
}
