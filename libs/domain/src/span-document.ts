import type { ChatMessage } from './messages';

/** What a span is for, whatever dialect described it. */
export type SpanCategory = 'generation' | 'embedding' | 'agent' | 'tool' | 'chain' | 'retriever' | 'workflow' | 'span';
export type TraceStatus = 'ok' | 'error' | 'unset';

/** A span's cost in USD (not rounded): input excludes the cached parts; output includes reasoning. */
export interface SpanCost {
  total: number;
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite: number;
  currency: 'USD';
  /** The price entry used. */
  pricedAs?: { provider: string | null; model: string; effectiveFrom: string };
}

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
  /** Tool definitions offered to the model (gen_ai.tool.definitions, llm.tools, ai.prompt.tools, ...). */
  toolDefinitions?: unknown[] | null;
  /** Conversation / session id from any dialect (gen_ai.conversation.id, session.id, langfuse.session.id, ...). */
  sessionId?: string | null;
  userId?: string | null;
  /** Request parameters other than temperature/max tokens (top_p, top_k, seed, stop_sequences, ...). */
  parameters?: Record<string, unknown> | null;
  /** Generic non-message input/output (input.value, traceloop.entity.input, langfuse.observation.input, ...). */
  input?: unknown;
  output?: unknown;
  /**
   * The span repeats the usage of its children (invoke_agent/invoke_workflow, ai.generateText roots,
   * gen_ai.aggregated_usage.*, workflow/agent/chain wrappers): its tokens are not added to totals when
   * a descendant carries usage.
   */
  aggregateUsage?: boolean;
  /** Cost of the span's usage at the price effective at its start; null: usage without a known price. */
  cost?: SpanCost | null;
  /**
   * How the span was read: dialects detected; gen_ai.* / llm.* / ai.* keys (and those under a mapper's
   * ownsPrefixes) no dialect understood; errors: mappers that threw on it (it was read without them), absent when none.
   */
  mapping?: { dialects: string[]; unmappedKeys: string[]; errors?: { dialect: string; message: string }[] };
  serviceName: string | null;
  scopeName: string | null;
  attributes: Record<string, unknown>;
  resourceAttributes: Record<string, unknown>;
  /** Global position of the event this document was built from (a re-sent span: newest wins). */
  position: string;
  receivedAt: string;
}
