import { normalizeFinishReason, parseJsonLenient, toSemconvMessages, type ChatMessage } from '../messages';
import { ownValue } from '../own-value';
import type { SpanCategory } from '../span-document';
import { compact, firstOf, keysMatching, num, str, unflatten, type DialectMapper, type DialectResult } from './types';

// Only `gen_ai.prompt.<digits>.` is the legacy indexed form: semconv `gen_ai.prompt.name` shares the prefix.
const INDEXED = /^gen_ai\.(prompt|completion)\.\d+\./;
const EXACT = new Set([
  'llm.request.type',
  'llm.usage.total_tokens',
  'llm.is_streaming',
  'llm.headers',
  'llm.user',
  'llm.frequency_penalty',
  'llm.presence_penalty',
  'llm.top_k',
  'llm.chat.stop_sequences',
  'llm.response.finish_reason',
  'llm.response.stop_reason',
  'llm.request.repetition_penalty',
  'llm.request.reasoning_effort',
  'llm.request.reasoning_summary',
  'llm.openai.api_base',
  'llm.openai.api_version',
  'gen_ai.usage.total_tokens',
  'gen_ai.usage.cache_read_input_tokens',
  'gen_ai.usage.cache_creation_input_tokens',
  'gen_ai.usage.reasoning_tokens',
  'gen_ai.is_streaming',
]);

export function openllmetryUnderstands(key: string): boolean {
  return EXACT.has(key) || INDEXED.test(key) || /^llm\.request\.functions\.\d+\./.test(key) || key.startsWith('traceloop.');
}

const REQUEST_TYPE: Record<string, [string, SpanCategory]> = {
  chat: ['chat', 'generation'],
  completion: ['text_completion', 'generation'],
  embedding: ['embeddings', 'embedding'],
  rerank: ['rerank', 'retriever'],
};
const SPAN_KIND: Record<string, SpanCategory> = { workflow: 'workflow', task: 'chain', agent: 'agent', tool: 'tool' };

interface IndexedMessage {
  role?: unknown;
  content?: unknown;
  finish_reason?: unknown;
  tool_call_id?: unknown;
  tool_calls?: { id?: unknown; name?: unknown; arguments?: unknown }[];
}

function indexedMessages(attrs: Record<string, unknown>, prefix: string, fallbackRole: string): ChatMessage[] | undefined {
  const list = unflatten(attrs, prefix, true);
  if (!Array.isArray(list) || !list.length) return undefined;
  const raw = (list as IndexedMessage[]).filter(Boolean).map((m) => ({
    role: str(m.role) ?? fallbackRole,
    // Anthropic content arrives as a JSON list of blocks.
    content: parseJsonLenient(m.content),
    ...(m.tool_call_id !== undefined ? { tool_call_id: m.tool_call_id } : {}),
    ...(Array.isArray(m.tool_calls) ? { tool_calls: m.tool_calls } : {}),
    ...(m.finish_reason !== undefined ? { finish_reason: m.finish_reason } : {}),
  }));
  return toSemconvMessages(raw, fallbackRole) ?? undefined;
}

/**
 * OpenLLMetry / Traceloop: the legacy indexed content (gen_ai.prompt.{i}.*, gen_ai.completion.{i}.*,
 * llm.request.functions.{i}.*), its extra usage keys, and the decorator attributes traceloop.*.
 * The current OpenLLMetry form is plain semconv and is read by the semconv mapper. Usage keeps
 * OpenLLMetry's meaning, which is already semconv's (Anthropic input = input + cache_read + cache_creation).
 */
export const openllmetryMapper: DialectMapper = {
  name: 'openllmetry',
  detect: (attrs) => Object.keys(attrs).some(openllmetryUnderstands),
  map(a): DialectResult {
    const requestType = ownValue(REQUEST_TYPE, str(a['llm.request.type']));
    const spanKind = str(a['traceloop.span.kind']);
    const kind = ownValue(SPAN_KIND, spanKind) || requestType?.[1];
    const entityName = str(a['traceloop.entity.name']);
    const outputMessages = indexedMessages(a, 'gen_ai.completion', 'assistant');
    const finishReasons = (outputMessages ?? []).map((m) => m.finish_reason).filter((r): r is string => !!r);
    const functions = unflatten(a, 'llm.request.functions', true);
    const toolDefinitions = Array.isArray(functions)
      ? functions.filter(Boolean).map((f: Record<string, unknown>) => compact({ type: 'function', name: f.name, description: f.description, parameters: parseJsonLenient(f.parameters) }))
      : undefined;
    const legacyFinish = str(a['llm.response.finish_reason']) ?? str(a['llm.response.stop_reason']);
    return {
      ...compact({
        operation: requestType?.[0],
        kind,
        inputMessages: indexedMessages(a, 'gen_ai.prompt', 'user'),
        outputMessages,
        finishReasons: finishReasons.length ? finishReasons : legacyFinish ? [normalizeFinishReason(legacyFinish)] : undefined,
        toolDefinitions: toolDefinitions?.length ? toolDefinitions : undefined,
        cacheReadInputTokens: num(a['gen_ai.usage.cache_read_input_tokens']),
        cacheCreationInputTokens: num(a['gen_ai.usage.cache_creation_input_tokens']),
        reasoningOutputTokens: num(a['gen_ai.usage.reasoning_tokens']),
        agentName: spanKind === 'agent' ? entityName : undefined,
        toolName: spanKind === 'tool' ? entityName : undefined,
        sessionId: firstOf(str(a['traceloop.association.properties.session_id']), str(a['traceloop.association.properties.sessionId'])),
        userId: firstOf(str(a['traceloop.association.properties.user_id']), str(a['traceloop.association.properties.userId']), str(a['llm.user'])),
        parameters: compact({
          top_k: num(a['llm.top_k']),
          frequency_penalty: num(a['llm.frequency_penalty']),
          presence_penalty: num(a['llm.presence_penalty']),
          stop_sequences: parseJsonLenient(a['llm.chat.stop_sequences']),
          stream: a['llm.is_streaming'] ?? a['gen_ai.is_streaming'],
        }),
        // Workflow and agent decorator spans wrap the calls they make.
        aggregateUsage: spanKind === 'workflow' || spanKind === 'agent' ? true : undefined,
      }),
      understoodKeys: keysMatching(a, openllmetryUnderstands),
    };
  },
};
