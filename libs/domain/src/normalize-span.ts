import { keyValuesToRecord } from './any-value';
import type { IngestMetadata, SpanReceivedData } from './events';
import { normalizeFinishReason, parseJsonLenient, toSemconvMessages } from './messages';
import type { SpanCategory, SpanDocument, TraceStatus } from './span-document';

const SPAN_KINDS = ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer'];

/** Old `gen_ai.system` values and raw SDK strings -> semconv `gen_ai.provider.name` values. */
const PROVIDER_ALIASES: Record<string, string> = {
  vertex_ai: 'gcp.vertex_ai',
  gemini: 'gcp.gemini',
  'az.ai.inference': 'azure.ai.inference',
  'az.ai.openai': 'azure.ai.openai',
  xai: 'x_ai',
  'google.vertex': 'gcp.vertex_ai',
  'google.generative-ai': 'gcp.gemini',
  'amazon-bedrock': 'aws.bedrock',
  'azure-openai': 'azure.ai.openai',
  azure: 'azure.ai.inference',
  mistral: 'mistral_ai',
};

export function normalizeProvider(raw: unknown): string | null {
  if (typeof raw !== 'string' || !raw.trim()) return null;
  const value = raw.trim().toLowerCase();
  if (PROVIDER_ALIASES[value]) return PROVIDER_ALIASES[value]!;
  // Vercel AI SDK style `openai.chat` / `anthropic.messages`: the provider is the prefix.
  const prefix = value.split('.')[0]!;
  if (value.includes('.') && !value.startsWith('gcp.') && !value.startsWith('aws.') && !value.startsWith('azure.') && !value.startsWith('ibm.')) {
    return PROVIDER_ALIASES[prefix] ?? prefix;
  }
  return value;
}

const OPERATION_CATEGORY: Record<string, SpanCategory> = {
  chat: 'generation',
  text_completion: 'generation',
  generate_content: 'generation',
  embeddings: 'embedding',
  execute_tool: 'tool',
  invoke_agent: 'agent',
  create_agent: 'agent',
  invoke_workflow: 'workflow',
  retrieval: 'retriever',
};

function str(v: unknown): string | null {
  if (v === undefined || v === null) return null;
  if (typeof v === 'string') return v.length ? v : null;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return null;
}

function num(v: unknown): number | null {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return null;
}

function first<T>(...values: (T | null | undefined)[]): T | null {
  for (const v of values) if (v !== null && v !== undefined) return v;
  return null;
}

function stringList(v: unknown): string[] {
  const parsed = parseJsonLenient(v);
  if (Array.isArray(parsed)) return parsed.map((x) => String(x));
  if (typeof parsed === 'string' && parsed) return [parsed];
  return [];
}

/** Nanoseconds (decimal string) -> ISO 8601 with millisecond precision. */
export function nanosToIso(nanos: string): string {
  const ms = Number(BigInt(nanos || '0') / 1_000_000n);
  return new Date(ms).toISOString();
}

export function nanosDiffMs(start: string, end: string): number {
  const diff = BigInt(end || '0') - BigInt(start || '0');
  return diff <= 0n ? 0 : Number(diff) / 1e6;
}

function statusOf(code: number): TraceStatus {
  return code === 2 ? 'error' : code === 1 ? 'ok' : 'unset';
}

/**
 * Raw span -> canonical span document. Precedence, once for all fields: current semconv
 * attributes > deprecated semconv aliases (gen_ai.system, prompt/completion_tokens).
 * Pure: the same event always gives the same document, which is what makes rebuilds safe.
 */
export function normalizeSpan(data: SpanReceivedData, meta: IngestMetadata, position: bigint): SpanDocument {
  const { span } = data;
  const a = keyValuesToRecord(span.attributes);
  const resource = keyValuesToRecord(data.resource?.attributes);

  const operation = str(a['gen_ai.operation.name']);
  const toolName = str(a['gen_ai.tool.name']);
  const agentName = str(a['gen_ai.agent.name']);
  let kind: SpanCategory = (operation && OPERATION_CATEGORY[operation]) || 'span';
  if (kind === 'span' && toolName) kind = 'tool';

  const finishReasons = stringList(a['gen_ai.response.finish_reasons']).map(normalizeFinishReason);
  const status = statusOf(span.status?.code ?? 0);
  const errorType = str(a['error.type']) ?? (status === 'error' ? (str(span.status?.message) ?? null) : null);

  return {
    projectId: meta.projectId,
    traceId: span.traceId,
    spanId: span.spanId,
    parentSpanId: span.parentSpanId || null,
    name: span.name,
    kind,
    spanKind: SPAN_KINDS[span.kind] ?? 'unspecified',
    operation,
    provider: normalizeProvider(first(a['gen_ai.provider.name'], a['gen_ai.system'])),
    requestModel: str(a['gen_ai.request.model']),
    responseModel: str(a['gen_ai.response.model']),
    inputTokens: first(num(a['gen_ai.usage.input_tokens']), num(a['gen_ai.usage.prompt_tokens'])),
    outputTokens: first(num(a['gen_ai.usage.output_tokens']), num(a['gen_ai.usage.completion_tokens'])),
    cacheReadInputTokens: num(a['gen_ai.usage.cache_read.input_tokens']),
    cacheCreationInputTokens: num(a['gen_ai.usage.cache_creation.input_tokens']),
    reasoningOutputTokens: num(a['gen_ai.usage.reasoning.output_tokens']),
    finishReasons,
    responseId: str(a['gen_ai.response.id']),
    temperature: num(a['gen_ai.request.temperature']),
    maxTokens: num(a['gen_ai.request.max_tokens']),
    startTime: nanosToIso(span.startTimeUnixNano),
    endTime: nanosToIso(span.endTimeUnixNano),
    startTimeUnixNano: span.startTimeUnixNano,
    endTimeUnixNano: span.endTimeUnixNano,
    durationMs: nanosDiffMs(span.startTimeUnixNano, span.endTimeUnixNano),
    status,
    statusMessage: str(span.status?.message),
    errorType,
    agentName,
    toolName,
    toolCallId: str(a['gen_ai.tool.call.id']),
    toolCallArguments: parseJsonLenient(a['gen_ai.tool.call.arguments']) ?? null,
    toolCallResult: parseJsonLenient(a['gen_ai.tool.call.result']) ?? null,
    inputMessages: toSemconvMessages(a['gen_ai.input.messages'], 'user'),
    outputMessages: toSemconvMessages(a['gen_ai.output.messages'], 'assistant'),
    systemInstructions: parseJsonLenient(a['gen_ai.system_instructions']) ?? null,
    conversationId: str(a['gen_ai.conversation.id']),
    serviceName: str(resource['service.name']),
    scopeName: data.scope?.name || null,
    attributes: a,
    resourceAttributes: resource,
    position: position.toString(),
    receivedAt: meta.receivedAt,
  };
}
