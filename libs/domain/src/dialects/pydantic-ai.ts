import { messagesFromEventRecords, parseJsonLenient, type ContentEventRecord } from '../messages';
import { compact, firstOf, keysMatching, num, type DialectMapper, type DialectResult } from './types';

const understands = (key: string) => key.startsWith('gen_ai.aggregated_usage.') || key.startsWith('gen_ai.usage.details.');

function eventsAttribute(value: unknown): ContentEventRecord[] {
  const parsed = parseJsonLenient(value);
  if (!Array.isArray(parsed)) return [];
  return parsed
    .filter((e): e is Record<string, unknown> => !!e && typeof e === 'object' && typeof (e as Record<string, unknown>)['event.name'] === 'string')
    .map((e) => ({ name: e['event.name'] as string, attributes: e }));
}

function detail(a: Record<string, unknown>, key: string): number | undefined {
  return firstOf(num(a[`gen_ai.usage.details.${key}`]), num(a[`gen_ai.aggregated_usage.details.${key}`]));
}

/**
 * pydantic-ai: standard gen_ai content, plus the agent span's `gen_ai.aggregated_usage.*` (the sum of
 * its model calls: aggregate, never counted twice) and, in instrumentation version 1, the messages as
 * a JSON `events` / `all_messages_events` attribute of deprecated per-message events.
 */
export const pydanticAiMapper: DialectMapper = {
  name: 'pydantic-ai',
  detect: (a, ctx) => Object.keys(a).some(understands) || ctx.scopeName === 'pydantic-ai' || eventsAttribute(a['events']).length > 0,
  map(a): DialectResult {
    const input = firstOf(num(a['gen_ai.aggregated_usage.input_tokens']), num(a['gen_ai.aggregated_usage.prompt_tokens']));
    const output = firstOf(num(a['gen_ai.aggregated_usage.output_tokens']), num(a['gen_ai.aggregated_usage.completion_tokens']));
    const events = [...eventsAttribute(a['events']), ...eventsAttribute(a['all_messages_events'])];
    const m = events.length ? messagesFromEventRecords(events) : null;
    return {
      ...compact({
        inputTokens: input,
        outputTokens: output,
        // RunUsage details (`gen_ai.usage.details.*` on model spans, `gen_ai.aggregated_usage.details.*` on runs).
        cacheReadInputTokens: firstOf(num(a['gen_ai.aggregated_usage.cache_read.input_tokens']), detail(a, 'cache_read_tokens')),
        cacheCreationInputTokens: firstOf(num(a['gen_ai.aggregated_usage.cache_creation.input_tokens']), detail(a, 'cache_write_tokens')),
        reasoningOutputTokens: firstOf(num(a['gen_ai.aggregated_usage.reasoning.output_tokens']), detail(a, 'reasoning_tokens')),
        inputMessages: m?.inputMessages,
        outputMessages: m?.outputMessages,
        aggregateUsage: input !== undefined || output !== undefined ? true : undefined,
      }),
      understoodKeys: keysMatching(a, understands),
    };
  },
};
