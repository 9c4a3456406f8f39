import type { ChatMessage } from './messages';

/** What a span is for, whatever dialect described it. */
export type SpanCategory = 'generation' | 'embedding' | 'agent' | 'tool' | 'retriever' | 'workflow' | 'span';
export type TraceStatus = 'ok' | 'error' | 'unset';

/** The normalized span: the read model document behind the trace tree. Derived, rebuildable. */
export interface SpanDocument {
  projectId: string;
  traceId: string;
  spanId: string;
  parentSpanId: string | null;
  name: string;
  kind: SpanCategory;
  /** OTLP SpanKind name: internal, server, client, producer, consumer, unspecified. */
  spanKind: string;
  operation: string | null;
  provider: string | null;
  requestModel: string | null;
  responseModel: string | null;
  inputTokens: number | null;
  outputTokens: number | null;
  cacheReadInputTokens: number | null;
  cacheCreationInputTokens: number | null;
  reasoningOutputTokens: number | null;
  finishReasons: string[];
  responseId: string | null;
  temperature: number | null;
  maxTokens: number | null;
  startTime: string;
  endTime: string;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  durationMs: number;
  status: TraceStatus;
  statusMessage: string | null;
  errorType: string | null;
  agentName: string | null;
  toolName: string | null;
  toolCallId: string | null;
  toolCallArguments: unknown;
  toolCallResult: unknown;
  inputMessages: ChatMessage[] | null;
  outputMessages: ChatMessage[] | null;
  systemInstructions: unknown;
  conversationId: string | null;
  serviceName: string | null;
  scopeName: string | null;
  attributes: Record<string, unknown>;
  resourceAttributes: Record<string, unknown>;
  /** Global position of the event this document was built from (a re-sent span: newest wins). */
  position: string;
  receivedAt: string;
}
