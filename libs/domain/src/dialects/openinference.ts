import { normalizeFinishReason, parseJsonLenient, toSemconvMessages, toToolDefinitions, type ChatMessage } from '../messages';
import { ownValue } from '../own-value';
import type { SpanCategory } from '../span-document';
import { normalizeProvider } from './provider';
import { compact, firstOf, keysMatching, num, str, unflatten, type DialectMapper, type DialectResult } from './types';

const KIND: Record<string, SpanCategory> = {
  LLM: 'generation',
  EMBEDDING: 'embedding',
  CHAIN: 'chain',
  TOOL: 'tool',
  RETRIEVER: 'retriever',
  RERANKER: 'retriever',
  AGENT: 'agent',
};
const OPERATION: Record<string, string> = { LLM: 'chat', EMBEDDING: 'embeddings', TOOL: 'execute_tool', AGENT: 'invoke_agent', RETRIEVER: 'retrieval' };
const OI_LLM = /^llm\.(model_name|provider|system|invocation_parameters|input_messages|output_messages|tools|token_count|cost|prompts|prompt_template|function_call|finish_reason)(\.|$)/;

export function openinferenceUnderstands(key: string): boolean {
  return (
    key === 'openinference.span.kind' ||
    OI_LLM.test(key) ||
    /^(input|output)\.(value|mime_type)$/.test(key) ||
    key.startsWith('tool.') ||
    key.startsWith('tool_call.') ||
    key.startsWith('embedding.') ||
    key.startsWith('retrieval.') ||
    key.startsWith('reranker.') ||
    key === 'session.id' ||
    key === 'user.id' ||
    key === 'agent.name' ||
    key === 'metadata' ||
    key === 'tag.tags'
  );
}

interface OiMessage {
  message?: {
    role?: unknown;
    content?: unknown;
    name?: unknown;
    tool_call_id?: unknown;
    contents?: { message_content?: { type?: unknown; text?: unknown; image?: { image?: { url?: unknown } } } }[];
    tool_calls?: { tool_call?: { id?: unknown; function?: { name?: unknown; arguments?: unknown } } }[];
  };
}

function oiMessages(attrs: Record<string, unknown>, prefix: string, fallbackRole: string): ChatMessage[] | undefined {
  const list = unflatten(attrs, prefix, true);
  if (!Array.isArray(list)) return undefined;
  const raw = (list as OiMessage[]).filter((m) => m?.message).map(({ message: m }) => {
    const contents = (m!.contents ?? []).filter(Boolean).map(({ message_content: c }) =>
      c?.type === 'image' ? { type: 'uri', modality: 'image', uri: c.image?.image?.url } : { type: 'text', text: c?.text ?? '' },
    );
    return {
      role: str(m!.role) ?? fallbackRole,
      content: m!.content !== undefined ? m!.content : contents.length ? contents : undefined,
      ...(m!.name !== undefined ? { name: m!.name } : {}),
      ...(m!.tool_call_id !== undefined ? { tool_call_id: m!.tool_call_id } : {}),
      ...(m!.tool_calls ? { tool_calls: m!.tool_calls.filter(Boolean).map((t) => ({ id: t.tool_call?.id, function: t.tool_call?.function ?? {} })) } : {}),
    };
  });
  return toSemconvMessages(raw, fallbackRole) ?? undefined;
}

/**
 * OpenInference (Arize): openinference.span.kind, llm.* (model, provider/system, flattened
 * llm.input_messages/llm.output_messages, llm.tools, llm.token_count.*, llm.invocation_parameters),
 * tool.*, session.id, user.id, agent.name. llm.token_count.prompt keeps its meaning (includes cache reads).
 */
export const openinferenceMapper: DialectMapper = {
  name: 'openinference',
  detect: (a) => 'openinference.span.kind' in a || Object.keys(a).some((k) => OI_LLM.test(k)),
  map(a): DialectResult {
    const spanKind = str(a['openinference.span.kind'])?.toUpperCase();
    const kind = ownValue(KIND, spanKind);
    const params = parseJsonLenient(a['llm.invocation_parameters']);
    const p = params && typeof params === 'object' && !Array.isArray(params) ? (params as Record<string, unknown>) : undefined;
    const tools = unflatten(a, 'llm.tools', true);
    const schemas = Array.isArray(tools) ? tools.map((t: { tool?: { json_schema?: unknown } }) => t?.tool?.json_schema).filter((t) => t !== undefined) : [];
    const toolDefinitions = schemas.length ? (toToolDefinitions(schemas) ?? []) : [];
    const input = firstOf(num(a['llm.token_count.prompt']));
    const output = firstOf(num(a['llm.token_count.completion']));
    const isTool = spanKind === 'TOOL';
    const { temperature, max_tokens, max_completion_tokens, model: requested, messages: _messages, tools: _tools, ...rest } = p ?? {};
    // llm.model_name is the model that answered (OpenAI's response model); the request's is in the invocation parameters.
    const modelName = firstOf(str(a['llm.model_name']), str(a['embedding.model_name']));
    const finish = str(a['llm.finish_reason']);
    return {
      ...compact({
        operation: ownValue(OPERATION, spanKind),
        kind,
        provider: normalizeProvider(firstOf(str(a['llm.provider']), str(a['llm.system']))) ?? undefined,
        requestModel: firstOf(str(requested), modelName),
        responseModel: str(requested) ? modelName : undefined,
        finishReasons: finish ? [normalizeFinishReason(finish)] : undefined,
        inputTokens: input,
        outputTokens: output,
        cacheReadInputTokens: num(a['llm.token_count.prompt_details.cache_read']),
        cacheCreationInputTokens: num(a['llm.token_count.prompt_details.cache_write']),
        reasoningOutputTokens: num(a['llm.token_count.completion_details.reasoning']),
        temperature: num(temperature),
        maxTokens: num(firstOf(max_tokens, max_completion_tokens)),
        parameters: p && Object.keys(rest).length ? rest : undefined,
        inputMessages: oiMessages(a, 'llm.input_messages', 'user'),
        outputMessages: oiMessages(a, 'llm.output_messages', 'assistant'),
        toolDefinitions: toolDefinitions.length ? toolDefinitions : undefined,
        toolName: str(a['tool.name']),
        toolCallId: firstOf(str(a['tool.id']), str(a['tool_call.id'])),
        toolCallArguments: isTool ? parseJsonLenient(a['input.value']) : undefined,
        toolCallResult: isTool ? parseJsonLenient(a['output.value']) : undefined,
        agentName: str(a['agent.name']),
        sessionId: str(a['session.id']),
        userId: str(a['user.id']),
        // AGENT and CHAIN spans with token counts repeat their children's usage.
        aggregateUsage: (spanKind === 'AGENT' || spanKind === 'CHAIN') && (input !== undefined || output !== undefined) ? true : undefined,
      }),
      understoodKeys: keysMatching(a, openinferenceUnderstands),
    };
  },
};
