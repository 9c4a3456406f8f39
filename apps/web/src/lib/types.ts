// Generated from the OpenAPI document of the query API (apps/projector/src/query-api-schemas.ts, the controllers' ApiDoc) by `npm run gen:api-types`: do not edit. A test fails while this file is stale.
/** The shapes of the query API (GET /api/openapi.json) and of the live socket. */

export type TraceStatus = 'ok' | 'error' | 'unset';

export interface TraceListItem {
  traceId: string;
  rootSpanName: string;
  serviceName: string | null;
  /** ISO 8601 */
  startTime: string;
  endTime?: string;
  durationMs: number;
  status: TraceStatus;
  spanCount: number;
  errorCount?: number;
  providers: string[];
  models: string[];
  inputTokens: number;
  outputTokens: number;
  /** USD; null when none of its LLM calls has a known price. */
  cost?: number | null;
  /** Some LLM calls had no price: the cost is a lower bound. */
  costPartial?: boolean;
  agentNames?: string[];
  conversationId?: string | null;
  inProgress?: boolean;
  /** Some call of the trace went through the Temps AI Gateway (present only when true). */
  gateway?: boolean;
}

export interface TracePage {
  items: TraceListItem[];
  /** Pass back unchanged for the next page; null on the last page. */
  nextCursor: string | null;
  /** Every service seen in the project (for the service filter). */
  serviceNames?: string[];
}

export type MessagePart =
  | { type: 'text'; content: string }
  | { type: 'reasoning'; content: string }
  | { type: 'tool_call'; id?: string; name: string; arguments?: unknown }
  | { type: 'tool_call_response'; id?: string; response?: unknown }
  | { type: string; [key: string]: unknown };

export interface ChatMessage {
  role: string;
  parts: MessagePart[];
  name?: string;
  finish_reason?: string;
}

export type SpanKind = 'generation' | 'agent' | 'tool' | 'embedding' | 'retriever' | 'workflow' | 'span' | (string & {});

export interface SpanDetail {
  spanId: string;
  parentSpanId: string | null;
  name: string;
  kind: SpanKind;
  spanKind?: string;
  operation: string | null;
  provider: string | null;
  requestModel: string | null;
  responseModel: string | null;
  inputTokens: number | null;
  outputTokens: number | null;
  cost?: { total: number; currency: string; pricedAs?: unknown } | null;
  cacheReadInputTokens?: number | null;
  cacheCreationInputTokens?: number | null;
  reasoningOutputTokens?: number | null;
  finishReasons: string[];
  responseId?: string | null;
  temperature?: number | null;
  maxTokens?: number | null;
  startTime: string;
  endTime?: string;
  /** Full precision (decimal string of nanoseconds since the epoch), when the server sends it. */
  startTimeUnixNano?: string;
  endTimeUnixNano?: string;
  /** Event-store position of the span (arrival order), when the server sends it. */
  position?: string;
  durationMs: number;
  status: TraceStatus;
  statusMessage: string | null;
  errorType: string | null;
  agentName: string | null;
  toolName: string | null;
  toolCallId?: string | null;
  toolCallArguments: unknown;
  toolCallResult: unknown;
  inputMessages: ChatMessage[] | null;
  outputMessages: ChatMessage[] | null;
  systemInstructions?: unknown;
  conversationId?: string | null;
  serviceName?: string | null;
  scopeName?: string | null;
  attributes: Record<string, unknown>;
  resourceAttributes?: Record<string, unknown>;
  /** Which dialects mapped this span's attributes, and the GenAI-looking keys none of them knew. */
  mapping?: { dialects: string[]; unmappedKeys: string[] };
}

export interface TraceDetail {
  trace: TraceListItem;
  spans: SpanDetail[];
}

/** GET /api/projects: the projects the key may read. */
export interface ProjectRef {
  id: string;
  name: string;
}

export interface ProjectList {
  items: ProjectRef[];
}

/** A conversation (gen_ai.conversation.id and peers) over its traces. */
export interface SessionSummary {
  projectId: string;
  sessionId: string;
  traceCount: number;
  inputTokens: number;
  outputTokens: number;
  cost: number | null;
  errorCount: number;
  /** ISO 8601 */
  firstSeen: string;
  lastSeen: string;
  models: string[];
  userIds: string[];
  firstTraceName: string;
}

export interface SessionPage {
  items: SessionSummary[];
  /** Pass back unchanged for the next page; null on the last page. */
  nextCursor: string | null;
}

export interface SessionDetail {
  session: SessionSummary;
  /** Oldest first. */
  traces: { items: TraceListItem[]; nextCursor: string | null };
}

export type UsageBucket = 'hour' | 'day';

export type UsageGroupBy = 'model' | 'provider';

export interface UsageTotals {
  calls: number;
  errors: number;
  inputTokens: number;
  outputTokens: number;
  cacheReadInputTokens: number;
  cacheCreationInputTokens: number;
  reasoningOutputTokens: number;
  cost: number | null;
  latencyMs: { p50: number; p95: number; p99: number } | null;
}

export interface UsagePoint extends UsageTotals {
  /** ISO 8601 */
  bucketStart: string;
  provider: string | null;
  /** null when grouped by provider. */
  model: string | null;
}

export interface UsagePage {
  bucket: UsageBucket;
  groupBy: UsageGroupBy;
  items: UsagePoint[];
  totals: UsageTotals;
  /** Pass back unchanged for the next page; null on the last page. */
  nextCursor: string | null;
}

/** GET /ai/mapping: which GenAI dialects the project's spans use, and the gen_ai-like keys nobody mapped. */
export interface MappingReport {
  dialects: { dialect: string; spans: number }[];
  unmappedKeys: { key: string; spans: number }[];
}

export interface GenaiMetricPoint {
  bucketStart: string;
  provider: string | null;
  /** Null when grouped by provider. */
  model: string | null;
  /** gen_ai.client.token.usage only. */
  tokenType?: string | null;
  /** gen_ai.client.operation.duration only. */
  operation?: string | null;
  count: number;
  /** In the metric's unit: tokens, or seconds. */
  sum: number;
  /** Interpolated within the buckets (tokens, or seconds); absent when the points carried no buckets. */
  p50?: number;
  p95?: number;
  p99?: number;
}

export interface GenaiMetricsPage {
  metric: string;
  from: string;
  to: string;
  bucket: UsageBucket;
  groupBy: UsageGroupBy;
  items: GenaiMetricPoint[];
  /** Pass back unchanged for the next page; null on the last page. */
  nextCursor: string | null;
}

/** Where a projection stands: version, serving build, lag, a rebuild's progress (positions as decimal strings). */
export interface ProjectionState {
  name: string;
  version: number;
  state: string;
  lagEvents: number;
  lagSeconds: number;
  serving: { namespace: string; version: number } | null;
  rebuild: { namespace: string; version: number; position?: string | null; head?: string; eventsPerSecond?: number; progress?: number; etaSeconds: number | null } | null;
}

export interface ProjectionList {
  items: ProjectionState[];
}

/** GET /retention: the retention in force for the project. */
export interface Retention {
  /** Traces, and hourly log streams, older than this many days are deleted; null: kept forever. */
  days: number | null;
  /** project: set for this project (temps project retention); default: TEMPS_RETENTION_DAYS; none: no retention. */
  source: 'project' | 'default' | 'none';
  /** Model usage of expired traces stays in the usage read model (TEMPS_RETENTION_KEEP_USAGE). */
  keepUsage: boolean;
}

/** Every error answer of the query API (400 bad parameter or cursor, 401 no or unknown key, 403 not allowed, 404 not found). */
export interface ApiError {
  statusCode: number;
  /** What was wrong, for a person to read. */
  message: string;
  error?: string;
}
