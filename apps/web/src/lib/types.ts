/** The shapes of the query API (GET /api/projects/:projectId/ai/traces...) and of the live socket. */

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
}

export interface TracePage {
  items: TraceListItem[];
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
}

export interface TraceDetail {
  trace: TraceListItem;
  spans: SpanDetail[];
}
