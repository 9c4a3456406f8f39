import { normalizeFinishReason, parseJsonLenient, toSemconvMessages, toSystemInstructions, toToolDefinitions } from '../messages';
import { ownValue, toText } from '../own-value';
import type { SpanCategory } from '../span-document';
import { normalizeProvider } from './provider';
import { compact, firstOf, keysMatching, num, str, type DialectMapper, type DialectResult } from './types';
import { isVercelUsageCopy } from './vercel-ai';

export const OPERATION_CATEGORY: Record<string, SpanCategory> = {
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

export function stringList(v: unknown): string[] {
  const parsed = parseJsonLenient(v);
  if (Array.isArray(parsed)) return parsed.filter((x) => x !== null && x !== undefined).map(toText);
  if (typeof parsed === 'string' && parsed) return [parsed];
  return [];
}

const EXACT = new Set([
  'gen_ai.operation.name',
  'gen_ai.provider.name',
  'gen_ai.system',
  'gen_ai.usage.input_tokens',
  'gen_ai.usage.output_tokens',
  'gen_ai.usage.prompt_tokens',
  'gen_ai.usage.completion_tokens',
  'gen_ai.usage.cache_read.input_tokens',
  'gen_ai.usage.cache_creation.input_tokens',
  // The Anthropic Python SDK's own spans (anthropic>=2) spell cache creation this way.
  'gen_ai.usage.cache_write.input_tokens',
  'gen_ai.usage.reasoning.output_tokens',
  'gen_ai.usage.text.input_tokens',
  'gen_ai.usage.image.input_tokens',
  'gen_ai.usage.audio.input_tokens',
  'gen_ai.usage.video.input_tokens',
  'gen_ai.input.messages',
  'gen_ai.output.messages',
  'gen_ai.system_instructions',
  'gen_ai.output.type',
  'gen_ai.conversation.id',
  'gen_ai.data_source.id',
  'gen_ai.prompt.name',
  'gen_ai.workflow.name',
  'gen_ai.embeddings.dimension.count',
  'gen_ai.token.type',
  // @ai-sdk/otel copies its duration histograms onto the spans: the span's own duration says the same.
  'gen_ai.client.operation.duration',
  'gen_ai.execute_tool.duration',
]);
const PREFIXES = ['gen_ai.request.', 'gen_ai.response.', 'gen_ai.agent.', 'gen_ai.tool.', 'gen_ai.evaluation.', 'gen_ai.openai.'];

export function semconvUnderstands(key: string): boolean {
  return EXACT.has(key) || PREFIXES.some((p) => key.startsWith(p));
}

/** Request parameters other than model/temperature/max_tokens, under their semconv names. */
const PARAMETERS = ['top_p', 'top_k', 'stop_sequences', 'frequency_penalty', 'presence_penalty', 'seed', 'choice.count', 'stream', 'encoding_formats'];
/** [name, attribute key] once: a key built per span is a new string to hash at every lookup. */
const PARAMETER_KEYS = PARAMETERS.map((p) => [p, `gen_ai.request.${p}`] as const);

/**
 * OTel GenAI semantic conventions on span attributes, current names first, then their deprecated
 * aliases (gen_ai.system, gen_ai.usage.prompt_tokens/completion_tokens).
 */
export const semconvMapper: DialectMapper = {
  name: 'otel-genai',
  detect: (attrs) => Object.keys(attrs).some(semconvUnderstands),
  map(a): DialectResult {
    const operation = str(a['gen_ai.operation.name']);
    const toolName = str(a['gen_ai.tool.name']);
    let kind: SpanCategory | undefined = ownValue(OPERATION_CATEGORY, operation);
    if (!kind && toolName) kind = 'tool';
    const parameters: Record<string, unknown> = {};
    for (const [p, key] of PARAMETER_KEYS) {
      const v = a[key];
      if (v !== undefined && v !== null) parameters[p] = parseJsonLenient(v);
    }
    // The Anthropic SDK's own spans carry the stop reason only under its vendor key.
    const finishReasons = stringList(firstOf(a['gen_ai.response.finish_reasons'], a['anthropic.message.stop_reason'])).map(normalizeFinishReason);
    // Vercel do* spans: gen_ai.usage.* is a copy of ai.usage.*, which the Vercel mapper reads with its cache details.
    const copy = isVercelUsageCopy(a);
    const inputTokens = copy ? undefined : firstOf(num(a['gen_ai.usage.input_tokens']), num(a['gen_ai.usage.prompt_tokens']));
    const outputTokens = copy ? undefined : firstOf(num(a['gen_ai.usage.output_tokens']), num(a['gen_ai.usage.completion_tokens']));
    const hasUsage = inputTokens !== undefined || outputTokens !== undefined;
    const result = compact({
      operation,
      kind,
      provider: normalizeProvider(firstOf(str(a['gen_ai.provider.name']), str(a['gen_ai.system']))) ?? undefined,
      requestModel: str(a['gen_ai.request.model']),
      responseModel: str(a['gen_ai.response.model']),
      inputTokens,
      outputTokens,
      cacheReadInputTokens: num(a['gen_ai.usage.cache_read.input_tokens']),
      cacheCreationInputTokens: firstOf(num(a['gen_ai.usage.cache_creation.input_tokens']), num(a['gen_ai.usage.cache_write.input_tokens'])),
      reasoningOutputTokens: num(a['gen_ai.usage.reasoning.output_tokens']),
      finishReasons: finishReasons.length ? finishReasons : undefined,
      responseId: str(a['gen_ai.response.id']),
      temperature: num(a['gen_ai.request.temperature']),
      maxTokens: num(a['gen_ai.request.max_tokens']),
      parameters: Object.keys(parameters).length ? parameters : undefined,
      errorType: str(a['error.type']),
      agentName: str(a['gen_ai.agent.name']),
      toolName,
      toolCallId: str(a['gen_ai.tool.call.id']),
      toolCallArguments: parseJsonLenient(a['gen_ai.tool.call.arguments']),
      toolCallResult: parseJsonLenient(a['gen_ai.tool.call.result']),
      inputMessages: toSemconvMessages(a['gen_ai.input.messages'], 'user'),
      outputMessages: toSemconvMessages(a['gen_ai.output.messages'], 'assistant'),
      systemInstructions: toSystemInstructions(a['gen_ai.system_instructions']),
      toolDefinitions: toToolDefinitions(a['gen_ai.tool.definitions']),
      sessionId: str(a['gen_ai.conversation.id']),
      // invoke_agent / invoke_workflow spans repeat the usage of the calls they made.
      aggregateUsage: hasUsage && (operation === 'invoke_agent' || operation === 'invoke_workflow') ? true : undefined,
    }) as DialectResult;
    // Set on compact's own object: a spread copy of it per span shows in rebuild profiles.
    result.understoodKeys = keysMatching(a, semconvUnderstands);
    for (const k of ['error.type', 'anthropic.message.stop_reason']) if (k in a) result.understoodKeys.push(k);
    return result;
  },
};
