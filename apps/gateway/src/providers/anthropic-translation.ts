import {
  ProviderHttpError,
  type ChatCompletionChunk,
  type ChatCompletionRequest,
  type ChatCompletionResponse,
  type ChatMessage,
  type ToolCall,
  type Usage,
} from './chat-provider';
import { invalidRequest } from './call-upstream';
import { parseDataUrl } from './data-url';
import { toolCallArguments } from './tool-call-arguments';

/**
 * Pure translation between OpenAI Chat Completions and Anthropic's Messages API (no I/O, so each rule is
 * unit-testable). Anthropic's wire format: https://docs.anthropic.com/en/api/messages.
 */

/** Anthropic requires max_tokens; OpenAI clients usually omit it. 4096 is within every Claude model's output limit. */
export const ANTHROPIC_DEFAULT_MAX_TOKENS = 4096;
/**
 * Anthropic has no JSON mode: `response_format` becomes a tool the model must call, whose input is the JSON answer
 * (its schema enforced by tool use). Its call comes back to the client as the message content, not as a tool call.
 */
export const ANTHROPIC_JSON_TOOL = 'json_response';

type Block = Record<string, unknown> & { type: string };
interface AnthropicMessage {
  role: 'user' | 'assistant';
  content: Block[];
}

export interface AnthropicRequest {
  body: Record<string, unknown>;
  /** Set when response_format asked for JSON: the tool whose input is the answer. */
  jsonTool?: string;
}

function imageBlock(url: string, where: string): Block {
  const data = parseDataUrl(url);
  if (data) return { type: 'image', source: { type: 'base64', media_type: data.mediaType, data: data.data } };
  if (/^https?:\/\//i.test(url)) return { type: 'image', source: { type: 'url', url } };
  throw invalidRequest(`${where}: an image must be an http(s) URL or a base64 data: URL`, where);
}

/**
 * `cache_control` on a content part (the OpenAI-wire extension LiteLLM and OpenRouter accept) marks an Anthropic
 * prompt-cache breakpoint: kept on the block, so clients can use Anthropic's cache through the gateway.
 */
function withCacheControl(block: Block, part: object): Block {
  const cache = (part as { cache_control?: unknown }).cache_control;
  return cache && typeof cache === 'object' ? { ...block, cache_control: cache } : block;
}

function contentBlocks(content: ChatMessage['content'], where: string, textOnly = false): Block[] {
  if (content == null) return [];
  if (typeof content === 'string') return content ? [{ type: 'text', text: content }] : [];
  return content.flatMap((p, i): Block[] => {
    if (p.type === 'text') return p.text ? [withCacheControl({ type: 'text', text: p.text }, p)] : [];
    if (p.type === 'image_url' && !textOnly) return [withCacheControl(imageBlock(p.image_url?.url ?? '', `${where}.content[${i}]`), p)];
    throw invalidRequest(`${where}.content[${i}]: unsupported content part type ${(p as { type: string }).type}${textOnly ? ' (only text here)' : ''}`, where);
  });
}

/**
 * Anthropic takes tool ids of [a-zA-Z0-9_-] only; a history started with another provider may hold others (a Gemini
 * id carrying its signature, say). The same mapping on tool_use and tool_result keeps each pair matched.
 */
const toolId = (id: string) => id.replace(/[^a-zA-Z0-9_-]/g, '_');

/** OpenAI chat request -> Anthropic Messages request body. Throws a 400 ProviderHttpError for input Anthropic cannot take. */
export function toAnthropicRequest(req: ChatCompletionRequest): AnthropicRequest {
  if (typeof req.n === 'number' && req.n > 1) throw invalidRequest('n > 1 is not supported by Anthropic models', 'n');
  const system: Block[] = [];
  const messages: AnthropicMessage[] = [];
  const push = (role: 'user' | 'assistant', blocks: Block[]) => {
    if (blocks.length === 0) return;
    const last = messages.at(-1);
    // Anthropic wants alternating turns: consecutive OpenAI messages of one side (parallel tool results, say) merge.
    if (last && last.role === role) last.content.push(...blocks);
    else messages.push({ role, content: blocks });
  };
  req.messages.forEach((m, i) => {
    const where = `messages[${i}]`;
    switch (m.role) {
      case 'system':
      case 'developer':
        system.push(...contentBlocks(m.content, where, true));
        break;
      case 'user':
        push('user', contentBlocks(m.content, where));
        break;
      case 'assistant': {
        const blocks = contentBlocks(m.content, where);
        for (const [j, call] of (m.tool_calls ?? []).entries()) {
          blocks.push({ type: 'tool_use', id: toolId(call.id), name: call.function.name, input: toolCallArguments(call.function.arguments, `${where}.tool_calls[${j}]`) });
        }
        push('assistant', blocks);
        break;
      }
      case 'tool': {
        if (!m.tool_call_id) throw invalidRequest(`${where}: a tool message needs tool_call_id`, where);
        const content = contentBlocks(m.content, where);
        push('user', [{ type: 'tool_result', tool_use_id: toolId(m.tool_call_id), ...(content.length ? { content } : {}) }]);
        break;
      }
      default:
        throw invalidRequest(`${where}: unknown role ${String((m as { role: unknown }).role)}`, where);
    }
  });

  const body: Record<string, unknown> = {
    model: req.model,
    max_tokens: req.max_completion_tokens ?? req.max_tokens ?? ANTHROPIC_DEFAULT_MAX_TOKENS,
    messages,
  };
  if (system.length) body.system = system;
  if (req.temperature != null) body.temperature = req.temperature;
  if (req.top_p != null) body.top_p = req.top_p;
  if (typeof req.top_k === 'number') body.top_k = req.top_k;
  if (req.stop != null) body.stop_sequences = Array.isArray(req.stop) ? req.stop : [req.stop];
  if (req.user) body.metadata = { user_id: req.user };
  if (req.stream) body.stream = true;

  const tools: Record<string, unknown>[] = (req.tools ?? []).map((t) => ({
    name: t.function.name,
    ...(t.function.description ? { description: t.function.description } : {}),
    input_schema: t.function.parameters ?? { type: 'object', properties: {} },
  }));
  let toolChoice: Record<string, unknown> | undefined;
  const choice = req.tool_choice;
  if (choice === 'none') toolChoice = { type: 'none' };
  else if (choice === 'auto') toolChoice = { type: 'auto' };
  else if (choice === 'required') toolChoice = { type: 'any' };
  else if (choice && typeof choice === 'object') toolChoice = { type: 'tool', name: choice.function.name };

  let jsonTool: string | undefined;
  const format = req.response_format;
  if (format && (format.type === 'json_object' || format.type === 'json_schema') && choice !== 'none') {
    jsonTool = ANTHROPIC_JSON_TOOL;
    const schema = format.type === 'json_schema' ? (format.json_schema?.schema ?? { type: 'object' }) : { type: 'object' };
    tools.push({
      name: jsonTool,
      description: 'Give the final answer to the user by calling this tool: its input is the answer, as JSON.',
      input_schema: schema,
    });
    // No other tools: the answer must be this one. With the user's tools: some tool must be called, theirs or this.
    if (!toolChoice || toolChoice.type === 'auto' || toolChoice.type === 'any') toolChoice = tools.length === 1 ? { type: 'tool', name: jsonTool } : { type: 'any' };
  }
  if (req.parallel_tool_calls === false && tools.length) toolChoice = { ...(toolChoice ?? { type: 'auto' }), disable_parallel_tool_use: true };
  if (tools.length) body.tools = tools;
  if (toolChoice && tools.length) body.tool_choice = toolChoice;
  return { body, jsonTool };
}

/** Anthropic stop_reason -> OpenAI finish_reason. */
export function anthropicFinishReason(stopReason: string | null | undefined, calledUserTool: boolean): string | null {
  switch (stopReason) {
    case null:
    case undefined:
      return null;
    case 'tool_use':
      return calledUserTool ? 'tool_calls' : 'stop';
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'length';
    case 'refusal':
      return 'content_filter';
    default:
      return 'stop'; // end_turn, stop_sequence, pause_turn
  }
}

export interface AnthropicUsage {
  input_tokens?: number | null;
  output_tokens?: number | null;
  cache_read_input_tokens?: number | null;
  cache_creation_input_tokens?: number | null;
}

/** Anthropic usage -> OpenAI usage: Anthropic's input_tokens excludes the cache, OpenAI's prompt_tokens includes it. */
export function anthropicUsage(u: AnthropicUsage): Usage {
  const cacheRead = u.cache_read_input_tokens ?? 0;
  const cacheCreation = u.cache_creation_input_tokens ?? 0;
  const prompt = (u.input_tokens ?? 0) + cacheRead + cacheCreation;
  const completion = u.output_tokens ?? 0;
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    prompt_tokens_details: { cached_tokens: cacheRead, cache_creation_tokens: cacheCreation },
  };
}

interface AnthropicContentBlock {
  type: string;
  text?: string;
  id?: string;
  name?: string;
  input?: unknown;
}

/** Anthropic Messages response -> OpenAI chat completion. */
export function fromAnthropicResponse(msg: any, jsonTool?: string, now = Date.now()): ChatCompletionResponse {
  let text = '';
  const toolCalls: ToolCall[] = [];
  for (const block of (msg.content ?? []) as AnthropicContentBlock[]) {
    if (block.type === 'text') text += block.text ?? '';
    else if (block.type === 'tool_use' && jsonTool && block.name === jsonTool) text += JSON.stringify(block.input ?? {});
    else if (block.type === 'tool_use') toolCalls.push({ id: block.id!, type: 'function', function: { name: block.name!, arguments: JSON.stringify(block.input ?? {}) } });
    // thinking / redacted_thinking / server tool blocks have no Chat Completions counterpart
  }
  const message: ChatMessage = { role: 'assistant', content: text || (toolCalls.length ? null : '') };
  if (toolCalls.length) message.tool_calls = toolCalls;
  return {
    id: msg.id,
    object: 'chat.completion',
    created: Math.floor(now / 1000),
    model: msg.model,
    choices: [{ index: 0, message, finish_reason: anthropicFinishReason(msg.stop_reason, toolCalls.length > 0) }],
    ...(msg.usage ? { usage: anthropicUsage(msg.usage) } : {}),
  };
}

/** Anthropic error JSON (`{type:'error', error:{type, message}}`) -> ProviderHttpError in OpenAI's shape, same status. */
export function anthropicError(status: number, bodyText: string, retryAfter?: string | null): ProviderHttpError {
  let type = 'api_error';
  let message = bodyText.trim() || `Anthropic answered HTTP ${status}`;
  try {
    const parsed = JSON.parse(bodyText);
    if (parsed?.error?.message) message = String(parsed.error.message);
    if (parsed?.error?.type) type = String(parsed.error.type);
  } catch {
    // not JSON (a proxy's HTML page, say): its text is the message
  }
  const code = status === 401 ? 'invalid_api_key' : status === 429 ? 'rate_limit_exceeded' : null;
  return new ProviderHttpError(status, { error: { message, type, code, param: null } }, retryAfter ?? undefined);
}

/** The status Anthropic gives each error type, for errors that arrive inside a stream (after the 200). */
const STREAM_ERROR_STATUS: Record<string, number> = {
  invalid_request_error: 400,
  authentication_error: 401,
  permission_error: 403,
  not_found_error: 404,
  request_too_large: 413,
  rate_limit_error: 429,
  api_error: 500,
  overloaded_error: 529,
};

interface BlockState {
  kind: 'text' | 'tool' | 'json' | 'other';
  toolIndex: number;
  gotArguments: boolean;
}

/**
 * Anthropic stream events -> OpenAI chunks, one event at a time (stateful, no I/O). The last chunk carries the
 * usage with `choices: []`, as OpenAI sends it with `stream_options.include_usage`.
 */
export class AnthropicStreamTranslator {
  private id = '';
  private model: string;
  private readonly created: number;
  private usage: AnthropicUsage = {};
  private readonly blocks = new Map<number, BlockState>();
  private tools = 0;
  private finished = false;

  constructor(
    requestModel: string,
    private readonly jsonTool?: string,
    now = Date.now(),
  ) {
    this.model = requestModel;
    this.created = Math.floor(now / 1000);
  }

  /** True once message_stop has been seen. */
  get done(): boolean {
    return this.finished;
  }

  private chunk(delta: ChatCompletionChunk['choices'][number]['delta'], finish: string | null = null): ChatCompletionChunk {
    return { id: this.id, object: 'chat.completion.chunk', created: this.created, model: this.model, choices: [{ index: 0, delta, finish_reason: finish }] };
  }

  private mergeUsage(u: AnthropicUsage | undefined): void {
    if (!u) return;
    for (const [k, v] of Object.entries(u) as [keyof AnthropicUsage, number | null][]) if (typeof v === 'number') this.usage[k] = v;
  }

  /** One parsed SSE data object -> the chunks it yields. An `error` event throws ProviderHttpError. */
  push(event: any): ChatCompletionChunk[] {
    switch (event?.type) {
      case 'message_start': {
        const m = event.message ?? {};
        this.id = m.id ?? this.id;
        this.model = m.model ?? this.model;
        this.mergeUsage(m.usage);
        return [this.chunk({ role: 'assistant', content: '' })];
      }
      case 'content_block_start': {
        const b = event.content_block ?? {};
        if (b.type === 'text') {
          this.blocks.set(event.index, { kind: 'text', toolIndex: -1, gotArguments: false });
          return b.text ? [this.chunk({ content: b.text })] : [];
        }
        if (b.type === 'tool_use' && this.jsonTool && b.name === this.jsonTool) {
          this.blocks.set(event.index, { kind: 'json', toolIndex: -1, gotArguments: false });
          return [];
        }
        if (b.type === 'tool_use') {
          const toolIndex = this.tools++;
          this.blocks.set(event.index, { kind: 'tool', toolIndex, gotArguments: false });
          return [this.chunk({ tool_calls: [{ index: toolIndex, id: b.id, type: 'function', function: { name: b.name, arguments: '' } }] })];
        }
        this.blocks.set(event.index, { kind: 'other', toolIndex: -1, gotArguments: false });
        return [];
      }
      case 'content_block_delta': {
        const block = this.blocks.get(event.index);
        const d = event.delta ?? {};
        if (!block) return [];
        if (d.type === 'text_delta' && block.kind === 'text') return d.text ? [this.chunk({ content: d.text })] : [];
        if (d.type === 'input_json_delta' && d.partial_json) {
          block.gotArguments = true;
          if (block.kind === 'json') return [this.chunk({ content: d.partial_json })];
          if (block.kind === 'tool') return [this.chunk({ tool_calls: [{ index: block.toolIndex, function: { arguments: d.partial_json } }] })];
        }
        return [];
      }
      case 'content_block_stop': {
        const block = this.blocks.get(event.index);
        // A call without arguments streams no fragment: OpenAI clients expect "{}" to parse.
        if (block && !block.gotArguments && block.kind === 'tool') return [this.chunk({ tool_calls: [{ index: block.toolIndex, function: { arguments: '{}' } }] })];
        if (block && !block.gotArguments && block.kind === 'json') return [this.chunk({ content: '{}' })];
        return [];
      }
      case 'message_delta': {
        this.mergeUsage(event.usage);
        const finish = anthropicFinishReason(event.delta?.stop_reason, this.tools > 0);
        return finish ? [this.chunk({}, finish)] : [];
      }
      case 'message_stop':
        this.finished = true;
        return [{ id: this.id, object: 'chat.completion.chunk', created: this.created, model: this.model, choices: [], usage: anthropicUsage(this.usage) }];
      case 'error': {
        const type = String(event.error?.type ?? 'api_error');
        const status = STREAM_ERROR_STATUS[type] ?? 500;
        throw new ProviderHttpError(status, { error: { message: String(event.error?.message ?? 'Anthropic stream error'), type, code: null, param: null } });
      }
      default:
        return []; // ping, and event types this version does not know
    }
  }
}
