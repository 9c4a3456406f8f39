import { parseJsonLenient, toSemconvMessages } from '../messages';
import type { SpanCategory } from '../span-document';
import { ownValue } from '../own-value';
import { compact, firstOf, keysMatching, num, str, type DialectMapper, type DialectResult } from './types';

const understands = (key: string) => key.startsWith('langfuse.');

const TYPE: Record<string, SpanCategory> = {
  generation: 'generation',
  embedding: 'embedding',
  agent: 'agent',
  tool: 'tool',
  chain: 'chain',
  retriever: 'retriever',
  span: 'span',
  event: 'span',
  evaluator: 'span',
  guardrail: 'span',
};

/** Messages when the value looks like a message list, else undefined (it stays generic input/output). */
function asMessages(value: unknown, fallbackRole: string) {
  const v = parseJsonLenient(value);
  const list = Array.isArray(v) ? v : v && typeof v === 'object' ? [v] : [];
  if (!list.length || !list.every((m) => m && typeof m === 'object' && typeof (m as Record<string, unknown>).role === 'string')) return undefined;
  return toSemconvMessages(list, fallbackRole) ?? undefined;
}

/**
 * Langfuse usage_details follow Langfuse's convention: the usage types are disjoint and every key
 * containing `input` (input, input_cache_read, cache_read_input_tokens, ...) is part of the input,
 * every key containing `output` part of the output. Summing them gives the semconv meaning (input
 * includes cache, output includes reasoning); nothing is ever subtracted.
 */
function usage(value: unknown) {
  const u = parseJsonLenient(value);
  if (!u || typeof u !== 'object' || Array.isArray(u)) return {};
  const o = u as Record<string, unknown>;
  const sum = (word: string) => {
    let total: number | undefined;
    for (const [k, v] of Object.entries(o)) if (k.includes(word) && !k.includes('total') && num(v) !== undefined) total = (total ?? 0) + num(v)!;
    return total;
  };
  return {
    inputTokens: firstOf(sum('input'), num(o.prompt_tokens)),
    outputTokens: firstOf(sum('output'), num(o.completion_tokens)),
    cacheReadInputTokens: firstOf(num(o.input_cache_read), num(o.input_cached_tokens), num(o.cache_read_input_tokens)),
    cacheCreationInputTokens: firstOf(num(o.input_cache_creation), num(o.input_cache_write), num(o.cache_creation_input_tokens)),
    reasoningOutputTokens: firstOf(num(o.output_reasoning), num(o.output_reasoning_tokens), num(o.reasoning_tokens)),
  };
}

/**
 * Langfuse namespace: explicit overrides set by the user through the Langfuse SDKs; highest precedence.
 */
export const langfuseMapper: DialectMapper = {
  name: 'langfuse',
  detect: (a) => Object.keys(a).some(understands),
  map(a): DialectResult {
    const type = str(a['langfuse.observation.type'])?.toLowerCase();
    const params = parseJsonLenient(a['langfuse.observation.model.parameters']);
    const p = params && typeof params === 'object' && !Array.isArray(params) ? (params as Record<string, unknown>) : undefined;
    const { temperature, max_tokens, ...rest } = p ?? {};
    const inputRaw = firstOf(a['langfuse.observation.input'], a['langfuse.trace.input']);
    const outputRaw = firstOf(a['langfuse.observation.output'], a['langfuse.trace.output']);
    const inputMessages = asMessages(inputRaw, 'user');
    const outputMessages = asMessages(outputRaw, 'assistant');
    return {
      ...compact({
        kind: ownValue(TYPE, type),
        requestModel: str(a['langfuse.observation.model.name']),
        ...compact(usage(a['langfuse.observation.usage_details'])),
        temperature: num(temperature),
        maxTokens: num(max_tokens),
        parameters: p && Object.keys(rest).length ? rest : undefined,
        inputMessages,
        outputMessages,
        input: inputMessages ? undefined : parseJsonLenient(inputRaw),
        output: outputMessages ? undefined : parseJsonLenient(outputRaw),
        sessionId: str(a['langfuse.session.id']),
        userId: firstOf(str(a['langfuse.user.id']), str(a['langfuse.trace.user_id'])),
      }),
      understoodKeys: keysMatching(a, understands),
    };
  },
};
