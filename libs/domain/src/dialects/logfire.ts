import { parseJsonLenient, toSemconvMessages, toToolDefinitions, type ChatMessage } from '../messages';
import { compact, num, type DialectMapper, type DialectResult } from './types';

function record(v: unknown): Record<string, unknown> | undefined {
  const p = parseJsonLenient(v);
  return p && typeof p === 'object' && !Array.isArray(p) ? (p as Record<string, unknown>) : undefined;
}

/**
 * Logfire legacy LLM instrumentation: `request_data` (the SDK call's kwargs: messages, tools,
 * temperature...) and `response_data` ({message, usage}) as JSON attributes. Legacy, so it sits
 * with the other legacy content forms, below span semconv and events.
 */
export const logfireMapper: DialectMapper = {
  name: 'logfire',
  detect: (a) => record(a['request_data']) !== undefined || record(a['response_data']) !== undefined,
  map(a): DialectResult {
    const req = record(a['request_data']) ?? {};
    const res = record(a['response_data']) ?? {};
    const usage = (res.usage && typeof res.usage === 'object' ? res.usage : {}) as Record<string, unknown>;
    const message = res.message as Record<string, unknown> | undefined;
    const outputMessages: ChatMessage[] | undefined = message ? (toSemconvMessages([{ role: 'assistant', ...message }], 'assistant') ?? undefined) : undefined;
    const system = typeof req.system === 'string' ? [{ type: 'text', content: req.system }] : undefined;
    return {
      ...compact({
        requestModel: typeof req.model === 'string' ? req.model : undefined,
        inputMessages: toSemconvMessages(req.messages, 'user') ?? undefined,
        outputMessages,
        systemInstructions: system,
        toolDefinitions: req.tools ? (toToolDefinitions(req.tools) ?? undefined) : undefined,
        temperature: num(req.temperature),
        maxTokens: num(req.max_tokens ?? req.max_completion_tokens),
        inputTokens: num(usage.prompt_tokens ?? usage.input_tokens),
        outputTokens: num(usage.completion_tokens ?? usage.output_tokens),
      }),
      understoodKeys: [],
    };
  },
};
