import { GENAI_METRIC_NAMES, type GenaiMetricName, type TraceStatus } from '@temps/domain';
import { QueryField } from './query-field';

const cursor = { kind: 'string', description: 'The nextCursor of the previous page, unchanged.' } as const;

/** GET /api/projects/{projectId}/ai/traces */
export class TraceListQuery {
  @QueryField({ kind: 'string', description: 'Only traces with an LLM call to this provider (gen_ai.provider.name).' })
  provider?: string;
  @QueryField({ kind: 'string', description: 'Only traces with an LLM call to this model (request or response model).' })
  model?: string;
  @QueryField({ kind: 'enum', values: ['ok', 'error', 'unset'], description: 'Only traces of this status.' })
  status?: TraceStatus;
  @QueryField({ kind: 'string', description: 'Only traces with at least one span from this service (resource service.name).' })
  service?: string;
  @QueryField({ kind: 'string', trim: true, maxLength: 200, description: 'Free text, case-insensitive, over span, agent and tool names and message text.' })
  q?: string;
  @QueryField({ kind: 'time', description: 'Traces that started at or after this ISO 8601 time.' })
  from?: string;
  @QueryField({ kind: 'time', description: 'Traces that started before this ISO 8601 time.' })
  to?: string;
  @QueryField({ kind: 'integer', min: 1, max: 500, default: 50, description: 'Page size.' })
  limit!: number;
  @QueryField(cursor)
  cursor?: string;
}

/** GET /api/projects/{projectId}/ai/sessions */
export class SessionListQuery {
  @QueryField({ kind: 'integer', min: 1, max: 500, default: 50, description: 'Page size.' })
  limit!: number;
  @QueryField(cursor)
  cursor?: string;
}

/** GET /api/projects/{projectId}/ai/sessions/{sessionId}: the page of the session's traces. */
export class SessionTracesQuery {
  @QueryField({ kind: 'integer', min: 1, max: 500, default: 100, description: 'Page size of the session\'s traces.' })
  limit!: number;
  @QueryField(cursor)
  cursor?: string;
}

/** The time range of an hourly read model (usage, GenAI metrics): see hourlyRange. */
export class HourlyRangeQuery {
  @QueryField({ kind: 'time', description: 'Start of the range (ISO 8601; rounded down to the hour). Default: 24 hours before `to`.' })
  from?: string;
  @QueryField({ kind: 'time', description: 'End of the range (ISO 8601; rounded up to the hour). Default: now. At most 400 days after `from`.' })
  to?: string;
  @QueryField({ kind: 'enum', values: ['hour', 'day'], description: 'Bucket size. Default: hour for ranges up to 3 days, day beyond.' })
  bucket?: 'hour' | 'day';
  @QueryField({ kind: 'enum', values: ['model', 'provider'], description: 'Series per model (default) or per provider.' })
  groupBy?: 'model' | 'provider';
  @QueryField({ kind: 'integer', min: 1, max: 5000, default: 1000, description: 'Points per page.' })
  limit!: number;
  @QueryField(cursor)
  cursor?: string;
}

/** GET /api/projects/{projectId}/ai/usage */
export class UsageQuery extends HourlyRangeQuery {
  @QueryField({ kind: 'string', description: 'Only this provider.' })
  provider?: string;
  @QueryField({ kind: 'string', description: 'Only this model.' })
  model?: string;
}

/** GET /api/projects/{projectId}/ai/metrics */
export class GenaiMetricsQuery extends HourlyRangeQuery {
  @QueryField({ kind: 'enum', values: GENAI_METRIC_NAMES, required: true, description: 'The OTel GenAI metric.' })
  metric!: GenaiMetricName;
}
