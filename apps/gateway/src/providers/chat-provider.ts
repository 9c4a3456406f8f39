/**
 * The AI Gateway's provider seam: OpenAI's wire format (the subset the gateway speaks, as the `openai` clients send
 * it) and the interface every upstream implements. OpenAI-compatible providers pass requests through; Anthropic and
 * Gemini translate both ways. The gateway traces every call from these OpenAI-shaped results, so it needs no
 * per-provider case.
 */

export type ChatRole = 'system' | 'developer' | 'user' | 'assistant' | 'tool';

export type ContentPart =
  | { type: 'text'; text: string }
  | { type: 'image_url'; image_url: { url: string; detail?: string } };

export interface ToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

export interface ChatMessage {
  role: ChatRole;
  content: string | ContentPart[] | null;
  name?: string;
  tool_calls?: ToolCall[];
  tool_call_id?: string;
}

export interface ToolDefinition {
  type: 'function';
  function: { name: string; description?: string; parameters?: unknown; strict?: boolean };
}

export interface ChatCompletionRequest {
  model: string;
  messages: ChatMessage[];
  stream?: boolean;
  stream_options?: { include_usage?: boolean };
  tools?: ToolDefinition[];
  tool_choice?: 'none' | 'auto' | 'required' | { type: 'function'; function: { name: string } };
  response_format?: { type: 'text' | 'json_object' | 'json_schema'; json_schema?: { name: string; schema?: unknown; strict?: boolean } };
  temperature?: number;
  top_p?: number;
  max_tokens?: number;
  max_completion_tokens?: number;
  stop?: string | string[];
  seed?: number;
  user?: string;
  [extra: string]: unknown;
}

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  /** cached_tokens: read from the provider's cache; cache_creation_tokens: written to it (Anthropic). */
  prompt_tokens_details?: { cached_tokens?: number; cache_creation_tokens?: number };
  completion_tokens_details?: { reasoning_tokens?: number };
}

export interface ChatCompletionResponse {
  id: string;
  object: 'chat.completion';
  created: number;
  model: string;
  choices: { index: number; message: ChatMessage; finish_reason: string | null }[];
  usage?: Usage;
}

export interface ChunkToolCall {
  index: number;
  id?: string;
  type?: 'function';
  function?: { name?: string; arguments?: string };
}

export interface ChatCompletionChunk {
  id: string;
  object: 'chat.completion.chunk';
  created: number;
  model: string;
  choices: { index: number; delta: { role?: ChatRole; content?: string | null; tool_calls?: ChunkToolCall[] }; finish_reason: string | null }[];
  usage?: Usage | null;
}

export interface EmbeddingsRequest {
  model: string;
  input: string | string[] | number[] | number[][];
  encoding_format?: 'float' | 'base64';
  dimensions?: number;
  user?: string;
}

export interface EmbeddingsResponse {
  object: 'list';
  data: { object: 'embedding'; index: number; embedding: number[] | string }[];
  model: string;
  usage: { prompt_tokens: number; total_tokens: number };
}

/** Where and how to call one provider for one request. */
export interface Upstream {
  /** The provider's base URL in its SDK's own convention (OpenAI-compatible: with /v1; Anthropic: without; Gemini: API root). */
  baseUrl: string;
  apiKey: string;
  /** Aborted on the client's disconnect or the gateway's timeout: the upstream call must stop. */
  signal: AbortSignal;
  /** Extra headers for the upstream request (e.g. a traceparent). */
  headers?: Record<string, string>;
}

/** A provider's error, given to the client in OpenAI's error shape with the provider's status (and Retry-After). */
export class ProviderHttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: { error: { message: string; type: string; code?: string | null; param?: string | null } },
    readonly retryAfter?: string,
  ) {
    super(body.error.message);
    this.name = 'ProviderHttpError';
  }
}

export interface ChatProvider {
  /** gen_ai.provider.name of the calls it serves: 'openai', 'anthropic', 'gcp.gemini', 'x_ai', 'mistral_ai', ... */
  readonly name: string;
  chat(request: ChatCompletionRequest, upstream: Upstream): Promise<ChatCompletionResponse>;
  /**
   * The response as OpenAI stream chunks. Whenever the provider reports usage, the LAST chunk carries it (with
   * `choices: []`), whether or not the client asked for `stream_options.include_usage`: the gateway traces it and
   * forwards it only when asked. Errors before the first chunk throw ProviderHttpError.
   */
  chatStream(request: ChatCompletionRequest, upstream: Upstream): AsyncIterable<ChatCompletionChunk>;
  embeddings?(request: EmbeddingsRequest, upstream: Upstream): Promise<EmbeddingsResponse>;
  /** The model ids this provider serves with this key (GET /models), when the provider can list them. */
  listModels?(upstream: Upstream): Promise<string[]>;
}
