import { ownValue, toText } from './own-value';

/**
 * Conversation messages in the GenAI semconv "parts" shape. Input arrives in many shapes
 * (semconv parts, the seed's plain {role, content}, OpenAI chat format with tool_calls); all of
 * them are converted here so the API speaks one shape.
 */
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

/** Parses JSON leniently: a string that is not JSON stays a string. */
export function parseJsonLenient(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const trimmed = value.trim();
  if (!trimmed || !'[{"'.includes(trimmed[0]!)) return value;
  try {
    return JSON.parse(trimmed);
  } catch {
    return value;
  }
}

/**
 * One content item of another SDK's message format -> a semconv part. Covers OpenAI content arrays
 * ({type:'text', text}), Vercel AI SDK parts (tool-call, tool-result, reasoning) and Anthropic
 * blocks (tool_use, tool_result, thinking). Unknown shapes are kept with their own type.
 */
function contentItemToPart(o: Record<string, unknown>): MessagePart {
  const type = typeof o.type === 'string' ? o.type : undefined;
  switch (type) {
    case 'tool-call':
    case 'tool_use':
    case 'function_call': {
      const id = o.toolCallId ?? o.id ?? o.call_id;
      return { type: 'tool_call', ...(id === undefined ? {} : { id: toText(id) }), name: toText(o.toolName ?? o.name ?? ''), arguments: parseJsonLenient(o.input ?? o.args ?? o.arguments) };
    }
    case 'tool-result':
    case 'tool_result':
    case 'function_call_output': {
      const id = o.toolCallId ?? o.tool_use_id ?? o.call_id ?? o.id;
      const raw = o.output ?? o.result ?? o.content;
      const response = raw && typeof raw === 'object' && !Array.isArray(raw) && 'value' in raw && 'type' in raw ? (raw as Record<string, unknown>).value : raw;
      return { type: 'tool_call_response', ...(id === undefined ? {} : { id: toText(id) }), response: parseJsonLenient(response) };
    }
    case 'reasoning':
    case 'thinking': {
      const text = o.text ?? o.thinking ?? o.content;
      if (typeof text === 'string') return { type: 'reasoning', content: text };
      break;
    }
  }
  if (typeof o.text === 'string') return { type: 'text', content: o.text };
  if (typeof o.content === 'string') return { type: toText(type ?? 'text'), content: o.content };
  return { ...(o as object), type: toText(type ?? 'unknown') };
}

function textOf(content: unknown): MessagePart[] {
  if (content === undefined || content === null || content === '') return [];
  if (typeof content === 'string') return [{ type: 'text', content }];
  if (Array.isArray(content)) {
    // OpenAI-style content arrays: [{type:'text', text}, {type:'image_url', ...}], Vercel and Anthropic parts.
    return content.flatMap((item): MessagePart[] => {
      if (typeof item === 'string') return [{ type: 'text', content: item }];
      if (item && typeof item === 'object') return [contentItemToPart(item as Record<string, unknown>)];
      return [];
    });
  }
  return [{ type: 'text', content: JSON.stringify(content) }];
}

const FOREIGN_PART_TYPES = new Set(['tool-call', 'tool_use', 'function_call', 'tool-result', 'tool_result', 'function_call_output', 'thinking']);

/**
 * The Responses API links a tool call to its output by `call_id` (the item's own `id` is not that
 * link), and OTel JS passes both on: the call id becomes the part's `id`, as in every other dialect.
 */
function callIdAsId(callId: unknown): { id?: string } {
  return callId === undefined || callId === null ? {} : { id: toText(callId) };
}

function normalizePart(part: unknown): MessagePart | null {
  if (typeof part === 'string') return { type: 'text', content: part };
  if (!part || typeof part !== 'object') return null;
  const p = part as Record<string, unknown>;
  if (p.type === 'tool_call_response') {
    const { result, call_id, ...rest } = p;
    // A tool's output often arrives as the JSON text it returned: parse it, as for every other shape.
    const response = 'response' in p ? p.response : result;
    return { ...rest, ...callIdAsId(call_id), type: 'tool_call_response', ...(response === undefined ? {} : { response: parseJsonLenient(response) }) };
  }
  if (p.type === 'tool_call') {
    const { call_id, ...rest } = p;
    return { ...rest, ...callIdAsId(call_id), type: 'tool_call', name: toText(p.name ?? ''), arguments: parseJsonLenient(p.arguments) };
  }
  // Content capture off: some instrumentations keep the part's type and drop its content.
  if ((p.type === 'text' || p.type === 'reasoning') && p.content === undefined && p.text === undefined) return null;
  if (typeof p.type === 'string' && FOREIGN_PART_TYPES.has(p.type)) return contentItemToPart(p);
  return { ...p, type: toText(p.type ?? 'text') } as MessagePart;
}

function normalizeMessage(raw: unknown, fallbackRole: string): ChatMessage | null {
  if (typeof raw === 'string') return { role: fallbackRole, parts: [{ type: 'text', content: raw }] };
  if (!raw || typeof raw !== 'object') return null;
  const m = raw as Record<string, unknown>;
  const role = typeof m.role === 'string' ? m.role : fallbackRole;
  let parts: MessagePart[];
  if (Array.isArray(m.parts)) {
    parts = m.parts.map(normalizePart).filter((p): p is MessagePart => p !== null);
  } else {
    parts = textOf(m.content);
    if (role === 'tool' && (m.tool_call_id !== undefined || m.id !== undefined)) {
      parts = [{ type: 'tool_call_response', id: toText(m.tool_call_id ?? m.id), response: parseJsonLenient(m.content) }];
    }
    for (const call of Array.isArray(m.tool_calls) ? m.tool_calls : []) {
      const c = (call ?? {}) as Record<string, unknown>;
      const fn = (c.function ?? {}) as Record<string, unknown>;
      parts.push({
        type: 'tool_call',
        id: c.id === undefined ? undefined : toText(c.id),
        name: toText(fn.name ?? c.name ?? ''),
        arguments: parseJsonLenient(fn.arguments ?? c.arguments),
      });
    }
  }
  const out: ChatMessage = { role, parts };
  if (typeof m.name === 'string') out.name = m.name;
  const finish = m.finish_reason ?? m.finishReason;
  if (typeof finish === 'string') out.finish_reason = normalizeFinishReason(finish);
  return out;
}

/** Any accepted message-list shape -> semconv messages; null when nothing usable was given. */
export function toSemconvMessages(value: unknown, fallbackRole = 'user'): ChatMessage[] | null {
  const parsed = parseJsonLenient(value);
  if (parsed === undefined || parsed === null || parsed === '') return null;
  const list = Array.isArray(parsed) ? parsed : [parsed];
  // A message without parts says nothing (content capture off leaves such shells): it is left out.
  const messages = list.map((m) => normalizeMessage(m, fallbackRole)).filter((m): m is ChatMessage => m !== null && m.parts.length > 0);
  return messages.length ? messages : null;
}

/** Provider and SDK spellings -> semconv finish_reason (stop, length, content_filter, tool_call, error). */
const FINISH_REASONS: Record<string, string> = {
  tool_calls: 'tool_call', // OpenAI
  'tool-calls': 'tool_call', // Vercel AI SDK
  function_call: 'tool_call',
  tool_use: 'tool_call', // Anthropic
  end_turn: 'stop', // Anthropic
  stop_sequence: 'stop', // Anthropic
  max_tokens: 'length', // Anthropic, Gemini (MAX_TOKENS)
  'content-filter': 'content_filter', // Vercel AI SDK
  safety: 'content_filter', // Gemini
};

/** `tool_calls` (OpenAI), `tool-calls` (Vercel) and `tool_use` (Anthropic) mean the semconv `tool_call`. */
export function normalizeFinishReason(reason: string): string {
  const r = reason.trim().toLowerCase();
  return ownValue(FINISH_REASONS, r) ?? r;
}

/** `gen_ai.system_instructions` (array of parts, a raw string, or a list of strings) -> parts; null when absent. */
export function toSystemInstructions(value: unknown): MessagePart[] | null {
  const parsed = parseJsonLenient(value);
  if (parsed === undefined || parsed === null || parsed === '') return null;
  if (typeof parsed === 'string') return [{ type: 'text', content: parsed }];
  const list = Array.isArray(parsed) ? parsed : [parsed];
  const parts = list.flatMap((item): MessagePart[] => {
    if (item && typeof item === 'object' && !('type' in item) && 'content' in item) return textOf((item as Record<string, unknown>).content);
    const p = normalizePart(item);
    return p ? [p] : [];
  });
  return parts.length ? parts : null;
}

/**
 * One tool definition in the semconv shape `{type, name, description, parameters}`: the OpenAI
 * request shape `{type: 'function', function: {...}}` is flattened, and the schema under Vercel's
 * `inputSchema` or Anthropic's `input_schema` becomes `parameters`. Other values are kept as given.
 */
function toToolDefinition(value: unknown): unknown {
  const parsed = parseJsonLenient(value);
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return parsed;
  const { function: fn, ...outer } = parsed as Record<string, unknown>;
  const nested = fn && typeof fn === 'object' && !Array.isArray(fn) && outer.name === undefined;
  const { inputSchema, input_schema, ...rest } = nested ? { ...outer, ...(fn as Record<string, unknown>) } : (parsed as Record<string, unknown>);
  const schema = rest.parameters ?? inputSchema ?? input_schema;
  return { ...rest, ...(schema === undefined ? {} : { parameters: parseJsonLenient(schema) }) };
}

/** `gen_ai.tool.definitions` and friends: a JSON array (or one object) of tool definitions; null when absent. */
export function toToolDefinitions(value: unknown): unknown[] | null {
  const parsed = parseJsonLenient(value);
  if (parsed === undefined || parsed === null || parsed === '') return null;
  const list = (Array.isArray(parsed) ? parsed : [parsed]).map(toToolDefinition);
  return list.length ? list : null;
}

/**
 * A content event, whatever carried it: a span event (`name`, attributes) or an OTLP log record
 * (name from LogRecord.event_name, else the `event.name` attribute; content usually in `body`).
 */
export interface ContentEventRecord {
  name?: string;
  attributes: Record<string, unknown>;
  body?: unknown;
}

export interface EventMessages {
  inputMessages: ChatMessage[] | null;
  outputMessages: ChatMessage[] | null;
  systemInstructions: MessagePart[] | null;
  toolDefinitions: unknown[] | null;
}

const DEPRECATED_MESSAGE_EVENTS: Record<string, string> = {
  'gen_ai.system.message': 'system',
  'gen_ai.user.message': 'user',
  'gen_ai.assistant.message': 'assistant',
  'gen_ai.tool.message': 'tool',
};
export const GENAI_CONTENT_EVENT_NAMES = new Set([
  ...Object.keys(DEPRECATED_MESSAGE_EVENTS),
  'gen_ai.choice',
  'gen_ai.client.inference.operation.details',
  'gen_ai.content.prompt',
  'gen_ai.content.completion',
]);

export function contentEventName(record: ContentEventRecord): string | null {
  const name = record.name || record.attributes['event.name'];
  return typeof name === 'string' && name ? name : null;
}

/** The event's payload: a structured body, else a JSON `gen_ai.event.content` attribute (Azure SDKs), else the attributes. */
function eventPayload(record: ContentEventRecord): Record<string, unknown> {
  const body = parseJsonLenient(record.body);
  if (body && typeof body === 'object' && !Array.isArray(body)) return body as Record<string, unknown>;
  if (typeof body === 'string' && body) return { content: body };
  const content = parseJsonLenient(record.attributes['gen_ai.event.content']);
  if (content && typeof content === 'object' && !Array.isArray(content)) return content as Record<string, unknown>;
  return record.attributes;
}

/**
 * GenAI content events -> messages. Understands the deprecated per-message events
 * (gen_ai.{system,user,assistant,tool}.message, gen_ai.choice with tool_calls under `message` as in
 * OTel Python/JS or at the top level as in OpenLLMetry), the current
 * `gen_ai.client.inference.operation.details` and the older gen_ai.content.prompt/completion.
 * Records are taken in the order given; choices are sorted by `index`.
 */
export function messagesFromEventRecords(records: readonly ContentEventRecord[]): EventMessages {
  const input: ChatMessage[] = [];
  const choices: { index: number; message: ChatMessage }[] = [];
  let detailsIn: ChatMessage[] | null = null;
  let detailsOut: ChatMessage[] | null = null;
  let system: MessagePart[] | null = null;
  let tools: unknown[] | null = null;
  for (const record of records) {
    const name = contentEventName(record);
    if (!name) continue;
    const role = ownValue(DEPRECATED_MESSAGE_EVENTS, name);
    if (role) {
      const p = eventPayload(record);
      const m = normalizeMessage({ ...p, role: typeof p.role === 'string' ? p.role : role }, role);
      // Capture off: the instrumentation still sends one event per message, with an empty body.
      if (m && m.parts.length) input.push(m);
    } else if (name === 'gen_ai.choice') {
      const p = eventPayload(record);
      const msg = (p.message && typeof p.message === 'object' ? p.message : {}) as Record<string, unknown>;
      const toolCalls = [...(Array.isArray(msg.tool_calls) ? msg.tool_calls : []), ...(Array.isArray(p.tool_calls) ? p.tool_calls : [])];
      const m = normalizeMessage({ role: msg.role ?? 'assistant', content: msg.content ?? p.content, tool_calls: toolCalls, finish_reason: p.finish_reason ?? msg.finish_reason }, 'assistant');
      if (m && m.parts.length) choices.push({ index: Number(p.index ?? choices.length) || 0, message: m });
    } else if (name === 'gen_ai.client.inference.operation.details') {
      const body = parseJsonLenient(record.body);
      const src = { ...(body && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : {}), ...record.attributes };
      detailsIn = detailsIn ?? toSemconvMessages(src['gen_ai.input.messages'], 'user');
      detailsOut = detailsOut ?? toSemconvMessages(src['gen_ai.output.messages'], 'assistant');
      system = system ?? toSystemInstructions(src['gen_ai.system_instructions']);
      tools = tools ?? toToolDefinitions(src['gen_ai.tool.definitions']);
    } else if (name === 'gen_ai.content.prompt') {
      detailsIn = detailsIn ?? toSemconvMessages(record.attributes['gen_ai.prompt'], 'user');
    } else if (name === 'gen_ai.content.completion') {
      detailsOut = detailsOut ?? toSemconvMessages(record.attributes['gen_ai.completion'], 'assistant');
    }
  }
  choices.sort((x, y) => x.index - y.index);
  return {
    inputMessages: detailsIn ?? (input.length ? input : null),
    outputMessages: detailsOut ?? (choices.length ? choices.map((c) => c.message) : null),
    systemInstructions: system,
    toolDefinitions: tools,
  };
}
