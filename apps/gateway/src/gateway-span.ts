import type { AnyValue, KeyValue, SpanReceivedData } from '@temps/domain';
import { GATEWAY_SPAN_MARKER } from '@temps/domain';
import type { ChatMessage, ContentPart, ToolCall, Usage } from './providers/chat-provider';

/** What the gateway saw of one call: enough to make the GenAI span its clients' instrumentations would. */
export interface GatewayCall {
  operation: 'chat' | 'embeddings';
  /** gen_ai.provider.name. */
  providerName: string;
  /** The model as the provider was asked for it (without a `provider/` prefix). */
  requestModel: string;
  /** The model as the client wrote it, when different (`provider/model`). */
  clientModel?: string;
  request: Record<string, unknown>;
  stream: boolean;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  startNs: bigint;
  endNs: bigint;
  firstTokenNs?: bigint;
  baseUrl: string;
  keyId: string;
  response?: {
    id?: string;
    model?: string;
    finishReasons: string[];
    usage?: Usage | null;
    /** The answer, assembled (a stream's deltas joined). */
    outputs?: ChatMessage[];
    embeddingDimensions?: number;
  };
  error?: { status: number; type: string; message: string };
  captureContent: boolean;
}

export const GATEWAY_SERVICE_NAME = 'temps-ai-gateway';
export const GATEWAY_SCOPE_NAME = 'temps.ai-gateway';

function anyValue(v: unknown): AnyValue {
  if (typeof v === 'string') return { stringValue: v };
  if (typeof v === 'boolean') return { boolValue: v };
  if (typeof v === 'number') return Number.isInteger(v) ? { intValue: String(v) } : { doubleValue: v };
  if (Array.isArray(v)) return { arrayValue: { values: v.map(anyValue) } };
  return { stringValue: JSON.stringify(v) };
}

/** A W3C traceparent (version 00): the client's trace and span, or null when absent or malformed. */
export function parseTraceparent(header: string | undefined): { traceId: string; spanId: string } | null {
  const m = /^\s*([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})\s*$/.exec(header ?? '');
  if (!m || m[1] === 'ff' || /^0+$/.test(m[2]!) || /^0+$/.test(m[3]!)) return null;
  return { traceId: m[2]!, spanId: m[3]! };
}

const DATA_URL = /^data:([^;,]+)?[^,]*,/;

function partsOf(content: ChatMessage['content']): unknown[] {
  if (content === null || content === undefined) return [];
  if (typeof content === 'string') return [{ type: 'text', content }];
  return content.map((p: ContentPart) => {
    if (p.type === 'text') return { type: 'text', content: p.text };
    const url = p.image_url?.url ?? '';
    // An inline image is kept out of the span (attribute values are capped); its kind and size stay.
    const inline = DATA_URL.exec(url);
    return inline ? { type: 'blob', modality: 'image', mime_type: inline[1] ?? null, content: `(${url.length - inline[0].length} base64 characters, not kept)` } : { type: 'uri', modality: 'image', uri: url };
  });
}

function parsed(args: string): unknown {
  try {
    return JSON.parse(args);
  } catch {
    return args;
  }
}

const toolCallParts = (calls: ToolCall[] | undefined) => (calls ?? []).map((c) => ({ type: 'tool_call', id: c.id, name: c.function.name, arguments: parsed(c.function.arguments) }));

/** OpenAI chat messages in the GenAI semconv message format (gen_ai.input.messages). */
export function semconvMessages(messages: ChatMessage[], finishReasons?: string[]): unknown[] {
  return messages.map((m, i) => {
    if (m.role === 'tool') return { role: 'tool', parts: [{ type: 'tool_call_response', id: m.tool_call_id, response: typeof m.content === 'string' ? m.content : partsOf(m.content) }] };
    const out: Record<string, unknown> = { role: m.role === 'developer' ? 'system' : m.role, parts: [...partsOf(m.content), ...toolCallParts(m.tool_calls)] };
    if (m.name) out.name = m.name;
    if (finishReasons?.[i]) out.finish_reason = finishReasons[i];
    return out;
  });
}

/**
 * The call as the raw OTLP span the ingest path would store for it (OTLP/JSON attribute lists), with the
 * GenAI semconv attributes and the gateway marker: projections read it like any client's span.
 */
export function gatewaySpan(call: GatewayCall): SpanReceivedData {
  const a: Record<string, unknown> = {
    'gen_ai.operation.name': call.operation,
    'gen_ai.provider.name': call.providerName,
    'gen_ai.request.model': call.requestModel,
  };
  const r = call.request;
  const num = (key: string, v: unknown) => typeof v === 'number' && Number.isFinite(v) && (a[key] = v);
  num('gen_ai.request.temperature', r.temperature);
  num('gen_ai.request.top_p', r.top_p);
  num('gen_ai.request.max_tokens', r.max_completion_tokens ?? r.max_tokens);
  num('gen_ai.request.seed', r.seed);
  num('gen_ai.request.frequency_penalty', r.frequency_penalty);
  num('gen_ai.request.presence_penalty', r.presence_penalty);
  num('gen_ai.request.choice.count', r.n);
  if (typeof r.stop === 'string' || Array.isArray(r.stop)) a['gen_ai.request.stop_sequences'] = ([] as unknown[]).concat(r.stop).map(String);
  const format = (r.response_format as { type?: string } | undefined)?.type;
  if (format === 'json_object' || format === 'json_schema') a['gen_ai.output.type'] = 'json';
  if (typeof r.dimensions === 'number') a['gen_ai.embeddings.dimension.count'] = r.dimensions;

  const res = call.response;
  if (res?.id) a['gen_ai.response.id'] = res.id;
  if (res?.model) a['gen_ai.response.model'] = res.model;
  if (res?.finishReasons.length) a['gen_ai.response.finish_reasons'] = res.finishReasons;
  if (res?.embeddingDimensions && a['gen_ai.embeddings.dimension.count'] === undefined) a['gen_ai.embeddings.dimension.count'] = res.embeddingDimensions;
  const u = res?.usage;
  if (u) {
    a['gen_ai.usage.input_tokens'] = u.prompt_tokens ?? 0;
    if (call.operation === 'chat') a['gen_ai.usage.output_tokens'] = u.completion_tokens ?? 0;
    if (u.prompt_tokens_details?.cached_tokens) a['gen_ai.usage.cache_read.input_tokens'] = u.prompt_tokens_details.cached_tokens;
    if (u.prompt_tokens_details?.cache_creation_tokens) a['gen_ai.usage.cache_creation.input_tokens'] = u.prompt_tokens_details.cache_creation_tokens;
    if (u.completion_tokens_details?.reasoning_tokens) a['gen_ai.usage.reasoning.output_tokens'] = u.completion_tokens_details.reasoning_tokens;
  }
  try {
    const url = new URL(call.baseUrl);
    a['server.address'] = url.hostname;
    a['server.port'] = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  } catch {
    /* a base URL that fetch took cannot be unparseable; nothing to say if it is */
  }
  if (call.error) {
    a['error.type'] = call.error.type || String(call.error.status);
    a['http.response.status_code'] = call.error.status;
  }
  if (call.captureContent && call.operation === 'chat') {
    const messages = Array.isArray(r.messages) ? (r.messages as ChatMessage[]) : [];
    a['gen_ai.input.messages'] = JSON.stringify(semconvMessages(messages));
    if (res?.outputs?.length) a['gen_ai.output.messages'] = JSON.stringify(semconvMessages(res.outputs, res.finishReasons));
    if (Array.isArray(r.tools) && r.tools.length) a['gen_ai.tool.definitions'] = JSON.stringify(r.tools);
  }
  a[GATEWAY_SPAN_MARKER] = true;
  a['temps.gateway.stream'] = call.stream;
  a['temps.gateway.api_key_id'] = call.keyId;
  if (call.clientModel && call.clientModel !== call.requestModel) a['temps.gateway.client_model'] = call.clientModel;
  if (call.firstTokenNs !== undefined) a['temps.gateway.time_to_first_token_ms'] = Number(call.firstTokenNs - call.startNs) / 1e6;

  const attributes: KeyValue[] = Object.entries(a).map(([key, value]) => ({ key, value: anyValue(value) }));
  return {
    span: {
      traceId: call.traceId,
      spanId: call.spanId,
      ...(call.parentSpanId ? { parentSpanId: call.parentSpanId } : {}),
      name: `${call.operation} ${call.requestModel}`,
      kind: 3, // CLIENT: the gateway's call to the provider, as a client SDK's span would be
      startTimeUnixNano: call.startNs.toString(),
      endTimeUnixNano: call.endNs.toString(),
      attributes,
      events: [],
      links: [],
      // The gateway knows how the call ended: OK or ERROR, never unset.
      status: call.error ? { code: 2, message: call.error.message.slice(0, 1000) } : { code: 1 },
      // sampled (bit 0); HAS_IS_REMOTE (0x100), IS_REMOTE (0x200) when the parent is the client's span
      flags: call.parentSpanId ? 0x301 : 0x101,
    },
    resource: { attributes: [{ key: 'service.name', value: { stringValue: GATEWAY_SERVICE_NAME } }] },
    scope: { name: GATEWAY_SCOPE_NAME, version: '1', attributes: [] },
  };
}
