/**
 * The response shapes of the query API as JSON Schema (OpenAPI 3.1 components): the one source of the
 * OpenAPI document (GET /api/openapi.json) and of the dashboard's types (apps/web/src/lib/types.ts, generated:
 * `npm run gen:api-types`). A change here changes both; a test fails while the committed types are stale.
 */
export type JsonSchema = { [key: string]: unknown };

const ref = (name: string): JsonSchema => ({ $ref: `#/components/schemas/${name}` });
const str = (description?: string): JsonSchema => ({ type: 'string', ...(description ? { description } : {}) });
const num = (description?: string): JsonSchema => ({ type: 'number', ...(description ? { description } : {}) });
const int = (description?: string): JsonSchema => ({ type: 'integer', ...(description ? { description } : {}) });
const bool = (description?: string): JsonSchema => ({ type: 'boolean', ...(description ? { description } : {}) });
const array = (items: JsonSchema, description?: string): JsonSchema => ({ type: 'array', items, ...(description ? { description } : {}) });
/** `schema` or null. */
const orNull = (schema: JsonSchema, description?: string): JsonSchema => ({ anyOf: [schema, { type: 'null' }], ...(description ? { description } : {}) });
const any = (description?: string): JsonSchema => (description ? { description } : {});
const record = (description?: string): JsonSchema => ({ type: 'object', additionalProperties: {}, ...(description ? { description } : {}) });

/** An object: properties in order; those named in `optional` may be absent. */
function object(properties: Record<string, JsonSchema>, optional: string[] = [], description?: string): JsonSchema {
  return {
    type: 'object',
    ...(description ? { description } : {}),
    properties,
    required: Object.keys(properties).filter((k) => !optional.includes(k)),
  };
}

const nextCursor = orNull(str(), 'Pass back unchanged for the next page; null on the last page.');
const latency = orNull(object({ p50: num(), p95: num(), p99: num() }));

export const QUERY_API_SCHEMAS: Record<string, JsonSchema> = {
  TraceStatus: { type: 'string', enum: ['ok', 'error', 'unset'] },
  TraceListItem: object(
    {
      traceId: str(),
      rootSpanName: str(),
      serviceName: orNull(str()),
      startTime: str('ISO 8601'),
      endTime: str(),
      durationMs: num(),
      status: ref('TraceStatus'),
      spanCount: int(),
      errorCount: int(),
      providers: array(str()),
      models: array(str()),
      inputTokens: int(),
      outputTokens: int(),
      cost: orNull(num(), 'USD; null when none of its LLM calls has a known price.'),
      costPartial: bool('Some LLM calls had no price: the cost is a lower bound.'),
      agentNames: array(str()),
      conversationId: orNull(str()),
      inProgress: bool(),
      gateway: bool('Some call of the trace went through the Temps AI Gateway (present only when true).'),
    },
    ['endTime', 'errorCount', 'cost', 'costPartial', 'agentNames', 'conversationId', 'inProgress', 'gateway'],
  ),
  TracePage: object(
    { items: array(ref('TraceListItem')), nextCursor, serviceNames: array(str(), 'Every service seen in the project (for the service filter).') },
    ['serviceNames'],
  ),
  MessagePart: {
    oneOf: [
      object({ type: { const: 'text' }, content: str() }),
      object({ type: { const: 'reasoning' }, content: str() }),
      object({ type: { const: 'tool_call' }, id: str(), name: str(), arguments: any() }, ['id', 'arguments']),
      object({ type: { const: 'tool_call_response' }, id: str(), response: any() }, ['id', 'response']),
      { ...object({ type: str() }), additionalProperties: {} },
    ],
  },
  ChatMessage: object({ role: str(), parts: array(ref('MessagePart')), name: str(), finish_reason: str() }, ['name', 'finish_reason']),
  SpanKind: { anyOf: [{ type: 'string', enum: ['generation', 'agent', 'tool', 'embedding', 'retriever', 'workflow', 'span'] }, { type: 'string' }] },
  SpanDetail: object(
    {
      spanId: str(),
      parentSpanId: orNull(str()),
      name: str(),
      kind: ref('SpanKind'),
      spanKind: str(),
      operation: orNull(str()),
      provider: orNull(str()),
      requestModel: orNull(str()),
      responseModel: orNull(str()),
      inputTokens: orNull(int()),
      outputTokens: orNull(int()),
      cost: orNull(object({ total: num(), currency: str(), pricedAs: any() }, ['pricedAs'])),
      cacheReadInputTokens: orNull(int()),
      cacheCreationInputTokens: orNull(int()),
      reasoningOutputTokens: orNull(int()),
      finishReasons: array(str()),
      responseId: orNull(str()),
      temperature: orNull(num()),
      maxTokens: orNull(int()),
      startTime: str(),
      endTime: str(),
      startTimeUnixNano: str('Full precision (decimal string of nanoseconds since the epoch), when the server sends it.'),
      endTimeUnixNano: str(),
      position: str('Event-store position of the span (arrival order), when the server sends it.'),
      durationMs: num(),
      status: ref('TraceStatus'),
      statusMessage: orNull(str()),
      errorType: orNull(str()),
      agentName: orNull(str()),
      toolName: orNull(str()),
      toolCallId: orNull(str()),
      toolCallArguments: any(),
      toolCallResult: any(),
      inputMessages: orNull(array(ref('ChatMessage'))),
      outputMessages: orNull(array(ref('ChatMessage'))),
      systemInstructions: any(),
      conversationId: orNull(str()),
      serviceName: orNull(str()),
      scopeName: orNull(str()),
      attributes: record(),
      resourceAttributes: record(),
      mapping: object({ dialects: array(str()), unmappedKeys: array(str()) }, [], "Which dialects mapped this span's attributes, and the GenAI-looking keys none of them knew."),
    },
    [
      'spanKind',
      'cost',
      'cacheReadInputTokens',
      'cacheCreationInputTokens',
      'reasoningOutputTokens',
      'responseId',
      'temperature',
      'maxTokens',
      'endTime',
      'startTimeUnixNano',
      'endTimeUnixNano',
      'position',
      'toolCallId',
      'systemInstructions',
      'conversationId',
      'serviceName',
      'scopeName',
      'resourceAttributes',
      'mapping',
    ],
  ),
  TraceDetail: object({ trace: ref('TraceListItem'), spans: array(ref('SpanDetail')) }),
  ProjectRef: object({ id: str(), name: str() }, [], 'GET /api/projects: the projects the key may read.'),
  ProjectList: object({ items: array(ref('ProjectRef')) }),
  SessionSummary: object(
    {
      projectId: str(),
      sessionId: str(),
      traceCount: int(),
      inputTokens: int(),
      outputTokens: int(),
      cost: orNull(num()),
      errorCount: int(),
      firstSeen: str('ISO 8601'),
      lastSeen: str(),
      models: array(str()),
      userIds: array(str()),
      firstTraceName: str(),
    },
    [],
    'A conversation (gen_ai.conversation.id and peers) over its traces.',
  ),
  SessionPage: object({ items: array(ref('SessionSummary')), nextCursor }),
  SessionDetail: object({ session: ref('SessionSummary'), traces: object({ items: array(ref('TraceListItem')), nextCursor }, [], 'Oldest first.') }),
  UsageBucket: { type: 'string', enum: ['hour', 'day'] },
  UsageGroupBy: { type: 'string', enum: ['model', 'provider'] },
  UsageTotals: object({
    calls: int(),
    errors: int(),
    inputTokens: int(),
    outputTokens: int(),
    cacheReadInputTokens: int(),
    cacheCreationInputTokens: int(),
    reasoningOutputTokens: int(),
    cost: orNull(num()),
    latencyMs: latency,
  }),
  UsagePoint: {
    allOf: [ref('UsageTotals'), object({ bucketStart: str('ISO 8601'), provider: orNull(str()), model: orNull(str(), 'null when grouped by provider.') })],
  },
  UsagePage: object({ bucket: ref('UsageBucket'), groupBy: ref('UsageGroupBy'), items: array(ref('UsagePoint')), totals: ref('UsageTotals'), nextCursor }),
  MappingReport: object(
    { dialects: array(object({ dialect: str(), spans: int() })), unmappedKeys: array(object({ key: str(), spans: int() })) },
    [],
    "GET /ai/mapping: which GenAI dialects the project's spans use, and the gen_ai-like keys nobody mapped.",
  ),
  GenaiMetricPoint: object(
    {
      bucketStart: str(),
      provider: orNull(str()),
      model: orNull(str(), 'Null when grouped by provider.'),
      tokenType: orNull(str(), 'gen_ai.client.token.usage only.'),
      operation: orNull(str(), 'gen_ai.client.operation.duration only.'),
      count: int(),
      sum: num("In the metric's unit: tokens, or seconds."),
      p50: num('Interpolated within the buckets (tokens, or seconds); absent when the points carried no buckets.'),
      p95: num(),
      p99: num(),
    },
    ['tokenType', 'operation', 'p50', 'p95', 'p99'],
  ),
  GenaiMetricsPage: object({
    metric: str(),
    from: str(),
    to: str(),
    bucket: ref('UsageBucket'),
    groupBy: ref('UsageGroupBy'),
    items: array(ref('GenaiMetricPoint')),
    nextCursor,
  }),
  ProjectionState: object(
    {
      name: str(),
      version: int(),
      state: str(),
      lagEvents: int(),
      lagSeconds: num(),
      serving: orNull(object({ namespace: str(), version: int() })),
      rebuild: orNull(
        object(
          {
            namespace: str(),
            version: int(),
            position: orNull(str()),
            head: str(),
            eventsPerSecond: num(),
            progress: num('0..1: what a key limited to some projects gets instead of the positions, head and rate (every tenant\'s volume).'),
            etaSeconds: orNull(num()),
          },
          ['position', 'head', 'eventsPerSecond', 'progress'],
        ),
      ),
    },
    [],
    "Where a projection stands: version, serving build, lag, a rebuild's progress (positions as decimal strings).",
  ),
  ProjectionList: object({ items: array(ref('ProjectionState')) }),
  Retention: object(
    {
      days: orNull(int(), 'Traces, and hourly log streams, older than this many days are deleted; null: kept forever.'),
      source: { type: 'string', enum: ['project', 'default', 'none'], description: 'project: set for this project (temps project retention); default: TEMPS_RETENTION_DAYS; none: no retention.' },
      keepUsage: bool('Model usage of expired traces stays in the usage read model (TEMPS_RETENTION_KEEP_USAGE).'),
    },
    [],
    'GET /retention: the retention in force for the project.',
  ),
  ApiError: object(
    { statusCode: int(), message: str('What was wrong, for a person to read.'), error: str() },
    ['error'],
    'Every error answer of the query API (400 bad parameter or cursor, 401 no or unknown key, 403 not allowed, 404 not found).',
  ),
};
