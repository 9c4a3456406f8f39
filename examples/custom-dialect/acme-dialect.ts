/**
 * A team dialect mapper: the spans of "acme-llm", an in-house LLM client, in the canonical fields.
 *
 * It imports TYPES only (erased when compiled or when Node strips them), so the file loads anywhere the
 * projector does: under jest, from a built app, or straight from `TEMPS_DIALECTS=/abs/path/acme-dialect.ts#acmeDialect`
 * on Node 24. Pure: same attributes, same result (rebuilds depend on it).
 *
 * What acme-llm sends on each call span:
 *   acme.llm.vendor              "openai" | "anthropic" | ...   the upstream the gateway used
 *   acme.llm.model               requested model
 *   acme.llm.tokens.prompt       input tokens
 *   acme.llm.tokens.completion   output tokens
 *   acme.llm.prompt              JSON: [{ "role": "system" | "user" | "assistant", "text": "..." }]
 *   acme.llm.completion          the answer's text
 *   acme.llm.session             conversation id
 *   gen_ai.system                always "acme-gateway" (the in-house gateway, not the model's provider)
 */
import type { ChatMessage, DialectMapper, DialectResult, MessagePart } from '@temps/domain';

const PREFIX = 'acme.llm.';
const KNOWN_KEYS = new Set(['vendor', 'model', 'tokens.prompt', 'tokens.completion', 'prompt', 'completion', 'session'].map((k) => PREFIX + k));

const text = (v: unknown): string | undefined => (typeof v === 'string' && v.length ? v : undefined);

function count(v: unknown): number | undefined {
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  return typeof n === 'number' && Number.isFinite(n) ? n : undefined;
}

/** acme.llm.prompt's turns: system ones become system instructions, the rest input messages. */
function readPrompt(raw: unknown): { system: MessagePart[]; messages: ChatMessage[] } {
  const system: MessagePart[] = [];
  const messages: ChatMessage[] = [];
  let turns: unknown;
  try {
    turns = typeof raw === 'string' ? JSON.parse(raw) : raw;
  } catch {
    // not JSON: the whole prompt is one user turn
    turns = [{ role: 'user', text: raw }];
  }
  for (const turn of Array.isArray(turns) ? turns : []) {
    const content = text((turn as { text?: unknown })?.text);
    if (content === undefined) continue;
    const role = text((turn as { role?: unknown }).role) ?? 'user';
    if (role === 'system') system.push({ type: 'text', content });
    else messages.push({ role, parts: [{ type: 'text', content }] });
  }
  return { system, messages };
}

export const acmeDialect: DialectMapper = {
  name: 'acme-llm',
  // Unknown acme.llm.* keys (a field added by a newer acme-llm) show up in the mapping report.
  ownsPrefixes: [PREFIX],
  detect: (attrs) => `${PREFIX}model` in attrs,
  map(attrs): DialectResult {
    const { system, messages } = readPrompt(attrs[`${PREFIX}prompt`]);
    const completion = text(attrs[`${PREFIX}completion`]);
    return {
      operation: 'chat',
      kind: 'generation',
      // Runs before the built-in mappers: this wins over their reading of gen_ai.system = "acme-gateway".
      provider: text(attrs[`${PREFIX}vendor`])?.toLowerCase(),
      requestModel: text(attrs[`${PREFIX}model`]),
      inputTokens: count(attrs[`${PREFIX}tokens.prompt`]),
      outputTokens: count(attrs[`${PREFIX}tokens.completion`]),
      inputMessages: messages.length ? messages : undefined,
      systemInstructions: system.length ? system : undefined,
      outputMessages: completion === undefined ? undefined : [{ role: 'assistant', parts: [{ type: 'text', content: completion }] }],
      sessionId: text(attrs[`${PREFIX}session`]),
      understoodKeys: Object.keys(attrs).filter((k) => KNOWN_KEYS.has(k)),
    };
  },
};
