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

function textOf(content: unknown): MessagePart[] {
  if (content === undefined || content === null || content === '') return [];
  if (typeof content === 'string') return [{ type: 'text', content }];
  if (Array.isArray(content)) {
    // OpenAI-style content arrays: [{type:'text', text}, {type:'image_url', ...}]
    return content.flatMap((item): MessagePart[] => {
      if (typeof item === 'string') return [{ type: 'text', content: item }];
      if (item && typeof item === 'object') {
        const o = item as Record<string, unknown>;
        if (typeof o.text === 'string') return [{ type: 'text', content: o.text }];
        if (typeof o.content === 'string') return [{ type: String(o.type ?? 'text'), content: o.content }];
        return [{ ...(o as object), type: String(o.type ?? 'unknown') }];
      }
      return [];
    });
  }
  return [{ type: 'text', content: JSON.stringify(content) }];
}

function normalizePart(part: unknown): MessagePart | null {
  if (typeof part === 'string') return { type: 'text', content: part };
  if (!part || typeof part !== 'object') return null;
  const p = part as Record<string, unknown>;
  if (p.type === 'tool_call_response' && !('response' in p) && 'result' in p) {
    const { result, ...rest } = p;
    return { ...rest, type: 'tool_call_response', response: result };
  }
  if (p.type === 'tool_call') {
    return { ...p, type: 'tool_call', name: String(p.name ?? ''), arguments: parseJsonLenient(p.arguments) };
  }
  return { ...p, type: String(p.type ?? 'text') } as MessagePart;
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
      parts = [{ type: 'tool_call_response', id: String(m.tool_call_id ?? m.id), response: parseJsonLenient(m.content) }];
    }
    for (const call of Array.isArray(m.tool_calls) ? m.tool_calls : []) {
      const c = (call ?? {}) as Record<string, unknown>;
      const fn = (c.function ?? {}) as Record<string, unknown>;
      parts.push({
        type: 'tool_call',
        id: c.id === undefined ? undefined : String(c.id),
        name: String(fn.name ?? c.name ?? ''),
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
  const messages = list.map((m) => normalizeMessage(m, fallbackRole)).filter((m): m is ChatMessage => m !== null);
  return messages.length ? messages : null;
}

/** `tool_calls` (OpenAI) and `tool-calls` (Vercel) mean the semconv `tool_call`. */
export function normalizeFinishReason(reason: string): string {
  const r = reason.trim().toLowerCase();
  if (r === 'tool_calls' || r === 'tool-calls' || r === 'function_call') return 'tool_call';
  return r;
}
