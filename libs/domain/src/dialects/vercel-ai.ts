import { normalizeFinishReason, parseJsonLenient, toSemconvMessages, toToolDefinitions, type ChatMessage, type MessagePart } from '../messages';
import { toText } from '../own-value';
import type { SpanCategory } from '../span-document';
import { normalizeProvider } from './provider';
import { compact, firstOf, keysMatching, num, str, type DialectMapper, type DialectResult } from './types';

const VERCEL_PREFIXES = ['ai.model.', 'ai.telemetry.', 'ai.prompt.', 'ai.response.', 'ai.result.', 'ai.usage.', 'ai.settings.', 'ai.toolCall.', 'ai.request.', 'ai.schema', 'ai.embedding', 'ai.value', 'ai.stream.'];
const VERCEL_EXACT = new Set(['ai.operationId', 'ai.prompt', 'ai.finishReason']);
const understands = (key: string) => VERCEL_EXACT.has(key) || VERCEL_PREFIXES.some((p) => key.startsWith(p));

/** Operation id (ai.operationId, else the span name) -> [operation, kind, aggregate]. */
function classify(operationId: string): [string | undefined, SpanCategory | undefined, boolean] {
  if (/\.do(Generate|Stream)$/.test(operationId)) return ['chat', 'generation', false];
  if (/\.doEmbed$/.test(operationId)) return ['embeddings', 'embedding', false];
  if (operationId === 'ai.toolCall') return ['execute_tool', 'tool', false];
  // ai.generateText / streamText / generateObject / streamObject / embed / embedMany wrap their
  // do* calls and repeat their usage.
  if (/^ai\.(generate|stream)(Text|Object)$/.test(operationId)) return [undefined, 'chain', true];
  if (/^ai\.embed(Many)?$/.test(operationId)) return [undefined, 'chain', true];
  return [undefined, undefined, false];
}

interface VercelToolCall {
  toolCallId?: unknown;
  toolName?: unknown;
  args?: unknown;
  input?: unknown;
}

function outputMessage(a: Record<string, unknown>, finish: string | undefined): ChatMessage[] | undefined {
  const parts: MessagePart[] = [];
  const reasoning = firstOf(str(a['ai.response.reasoningText']), str(a['ai.response.reasoning']));
  if (reasoning) parts.push({ type: 'reasoning', content: reasoning });
  const text = firstOf(str(a['ai.response.text']), str(a['ai.result.text']), str(a['ai.response.object']), str(a['ai.result.object']));
  if (text) parts.push({ type: 'text', content: text });
  const calls = parseJsonLenient(firstOf(a['ai.response.toolCalls'], a['ai.result.toolCalls']));
  for (const c of Array.isArray(calls) ? (calls as (VercelToolCall | null)[]) : []) {
    if (!c || typeof c !== 'object') continue; // not a tool call: nothing to show
    parts.push({ type: 'tool_call', ...(c.toolCallId !== undefined ? { id: toText(c.toolCallId) } : {}), name: toText(c.toolName ?? ''), arguments: parseJsonLenient(c.input ?? c.args) });
  }
  if (!parts.length) return undefined;
  return [{ role: 'assistant', parts, ...(finish ? { finish_reason: finish } : {}) }];
}

/** ai.prompt on wrapper spans: `{system?, prompt?, messages?}`. */
function promptMessages(value: unknown): { messages?: ChatMessage[]; system?: MessagePart[] } {
  const p = parseJsonLenient(value);
  if (typeof p === 'string') return { messages: [{ role: 'user', parts: [{ type: 'text', content: p }] }] };
  if (!p || typeof p !== 'object' || Array.isArray(p)) return {};
  const o = p as Record<string, unknown>;
  const system = typeof o.system === 'string' ? [{ type: 'text', content: o.system }] : undefined;
  const messages = o.messages ? (toSemconvMessages(o.messages, 'user') ?? undefined) : typeof o.prompt === 'string' ? [{ role: 'user', parts: [{ type: 'text', content: o.prompt }] }] : (toSemconvMessages(o.prompt, 'user') ?? undefined);
  return { messages, system };
}

function record(v: unknown): Record<string, unknown> | undefined {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

/** Vercel do* spans copy ai.usage.* into gen_ai.usage.*; the ai.* original (with cache details) is read instead. */
export function isVercelUsageCopy(a: Record<string, unknown>): boolean {
  return 'ai.operationId' in a && ('ai.usage.inputTokens' in a || 'ai.usage.promptTokens' in a);
}

function metadata(a: Record<string, unknown>, ...names: string[]): string | undefined {
  for (const n of names) {
    const v = str(a[`ai.telemetry.metadata.${n}`]);
    if (v) return v;
  }
  return undefined;
}

/**
 * Vercel AI SDK legacy telemetry (`ai.*`, v4 to v7 LegacyOpenTelemetry): ai.generateText roots
 * (aggregate) -> ai.generateText.doGenerate (the model call) -> ai.toolCall. The do* spans also
 * carry gen_ai.* attributes (read by the semconv mapper, with the raw provider string normalized).
 * Usage: ai.usage.inputTokens|promptTokens etc.; when v7 inputTokenDetails are given, input is at
 * least their sum (never subtract). The v7 @ai-sdk/otel form is plain semconv.
 */
export const vercelAiMapper: DialectMapper = {
  name: 'vercel-ai',
  detect: (a) => Object.keys(a).some(understands),
  map(a, ctx): DialectResult {
    const operationId = str(a['ai.operationId']) ?? ctx.span.name;
    const [operation, kind, aggregate] = classify(operationId);
    const finishRaw = firstOf(str(a['ai.response.finishReason']), str(a['ai.finishReason']));
    const finish = finishRaw ? normalizeFinishReason(finishRaw) : undefined;
    const noCache = num(a['ai.usage.inputTokenDetails.noCacheTokens']);
    const cacheRead = firstOf(num(a['ai.usage.inputTokenDetails.cacheReadTokens']), num(a['ai.usage.cachedInputTokens']));
    const cacheWrite = num(a['ai.usage.inputTokenDetails.cacheWriteTokens']);
    let cacheReadTokens = cacheRead;
    let cacheWriteTokens = cacheWrite;
    let input = firstOf(num(a['ai.usage.inputTokens']), num(a['ai.usage.promptTokens']), num(a['ai.usage.tokens']));
    const provider = normalizeProvider(a['ai.model.provider']) ?? undefined;
    if (noCache !== undefined) {
      // v6+: inputTokens is the cache-inclusive total of the details.
      input = Math.max(input ?? 0, noCache + (cacheRead ?? 0) + (cacheWrite ?? 0));
    } else if (provider === 'anthropic' && input !== undefined) {
      // v4/v5 pass Anthropic's input_tokens through, which EXCLUDE cache reads and writes (those are in
      // ai.usage.cachedInputTokens / providerMetadata.anthropic): add them for the semconv meaning.
      const meta = record(record(parseJsonLenient(a['ai.response.providerMetadata']))?.anthropic);
      cacheReadTokens = firstOf(cacheRead, num(meta?.cacheReadInputTokens));
      cacheWriteTokens = firstOf(cacheWrite, num(meta?.cacheCreationInputTokens));
      input += (cacheReadTokens ?? 0) + (cacheWriteTokens ?? 0);
    }
    const output = firstOf(num(a['ai.usage.outputTokens']), num(a['ai.usage.completionTokens']));
    const prompt = promptMessages(a['ai.prompt']);
    const tools = a['ai.prompt.tools'];
    const parameters = compact({
      top_p: num(a['ai.settings.topP']),
      top_k: num(a['ai.settings.topK']),
      frequency_penalty: num(a['ai.settings.frequencyPenalty']),
      presence_penalty: num(a['ai.settings.presencePenalty']),
      seed: num(a['ai.settings.seed']),
      stop_sequences: a['ai.settings.stopSequences'],
      max_retries: num(a['ai.settings.maxRetries']),
      tool_choice: parseJsonLenient(a['ai.prompt.toolChoice']),
    });
    return {
      ...compact({
        operation,
        kind,
        provider,
        requestModel: str(a['ai.model.id']),
        responseModel: str(a['ai.response.model']),
        responseId: str(a['ai.response.id']),
        inputTokens: input,
        outputTokens: output,
        cacheReadInputTokens: cacheReadTokens,
        cacheCreationInputTokens: cacheWriteTokens,
        reasoningOutputTokens: firstOf(num(a['ai.usage.reasoningTokens']), num(a['ai.usage.outputTokenDetails.reasoningTokens'])),
        finishReasons: finish ? [finish] : undefined,
        temperature: num(a['ai.settings.temperature']),
        maxTokens: firstOf(num(a['ai.settings.maxOutputTokens']), num(a['ai.settings.maxTokens'])),
        parameters: Object.keys(parameters).length ? parameters : undefined,
        inputMessages: (toSemconvMessages(a['ai.prompt.messages'], 'user') ?? undefined) || prompt.messages,
        outputMessages: outputMessage(a, finish),
        systemInstructions: prompt.system,
        toolDefinitions: Array.isArray(tools) || typeof tools === 'string' ? (toToolDefinitions(tools) ?? undefined) : undefined,
        toolName: str(a['ai.toolCall.name']),
        toolCallId: str(a['ai.toolCall.id']),
        toolCallArguments: parseJsonLenient(firstOf(a['ai.toolCall.args'], a['ai.toolCall.input'])),
        toolCallResult: parseJsonLenient(firstOf(a['ai.toolCall.result'], a['ai.toolCall.output'])),
        sessionId: metadata(a, 'sessionId', 'session_id', 'conversationId', 'threadId'),
        userId: metadata(a, 'userId', 'user_id'),
        aggregateUsage: aggregate ? true : undefined,
      }),
      understoodKeys: keysMatching(a, understands),
    };
  },
};
