import { randomBytes } from 'node:crypto';
import {
  ProviderHttpError,
  type ChatCompletionChunk,
  type ChatCompletionRequest,
  type ChatCompletionResponse,
  type ChatMessage,
  type EmbeddingsRequest,
  type EmbeddingsResponse,
  type ToolCall,
  type Usage,
} from './chat-provider';
import { invalidRequest, openAiErrorType } from './call-upstream';
import { parseDataUrl } from './data-url';
import { toolCallArguments } from './tool-call-arguments';

/**
 * Pure translation between OpenAI Chat Completions / Embeddings and Google's Gemini API (generateContent,
 * streamGenerateContent, embedContent, batchEmbedContents): https://ai.google.dev/api/generate-content.
 */

type Part = Record<string, unknown>;
interface Content {
  role: 'user' | 'model';
  parts: Part[];
}

/**
 * Gemini 3 returns a thoughtSignature with a function call that must come back with it in the next turn, and OpenAI's
 * wire has no place for it: it rides in the tool call id (clients echo ids verbatim), after this marker.
 */
export const THOUGHT_SIGNATURE_MARK = '__thought__';

/** A tool call id for a Gemini function call (Gemini gives none, or its own). */
export function geminiToolCallId(call: { id?: string }, thoughtSignature?: string): string {
  const id = call.id || `call_${randomBytes(12).toString('base64url')}`;
  return thoughtSignature ? `${id}${THOUGHT_SIGNATURE_MARK}${thoughtSignature}` : id;
}

function thoughtSignatureOf(toolCallId: string): string | undefined {
  const at = toolCallId.indexOf(THOUGHT_SIGNATURE_MARK);
  return at < 0 ? undefined : toolCallId.slice(at + THOUGHT_SIGNATURE_MARK.length);
}

/** The model id as the URL wants it: `gemini-2.5-flash` (a `models/` prefix, as Google's SDKs accept, dropped). */
export function geminiModelId(model: string): string {
  return model.replace(/^models\//, '');
}

const MIME_BY_EXTENSION: Record<string, string> = { png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg', webp: 'image/webp', gif: 'image/gif', heic: 'image/heic', pdf: 'application/pdf' };

function partsOf(content: ChatMessage['content'], where: string): Part[] {
  if (content == null) return [];
  if (typeof content === 'string') return content ? [{ text: content }] : [];
  return content.flatMap((p, i): Part[] => {
    if (p.type === 'text') return p.text ? [{ text: p.text }] : [];
    if (p.type === 'image_url') {
      const url = p.image_url?.url ?? '';
      const data = parseDataUrl(url);
      if (data) return [{ inlineData: { mimeType: data.mediaType, data: data.data } }];
      // Gemini reads files it can reach by URI (its Files API, gs://); inline data is the portable way.
      if (/^(https?|gs):\/\//i.test(url)) {
        const ext = /\.([a-z0-9]+)(?:[?#].*)?$/i.exec(url)?.[1]?.toLowerCase();
        const mimeType = ext ? MIME_BY_EXTENSION[ext] : undefined;
        return [{ fileData: { ...(mimeType ? { mimeType } : {}), fileUri: url } }];
      }
      throw invalidRequest(`${where}.content[${i}]: an image must be a base64 data: URL or a file URI`, where);
    }
    throw invalidRequest(`${where}.content[${i}]: unsupported content part type ${(p as { type: string }).type}`, where);
  });
}

function textOf(content: ChatMessage['content']): string {
  if (content == null) return '';
  if (typeof content === 'string') return content;
  return content.map((p) => (p.type === 'text' ? p.text : '')).join('');
}

/** A tool's result as Gemini's functionResponse.response (an object): a JSON object as is, anything else under `output`. */
function responseOf(content: ChatMessage['content']): Record<string, unknown> {
  const text = textOf(content);
  // Most tool results are plain text: skip the (costly) failed parse when it cannot be JSON.
  if (!/^\s*[[{"\-\d]|^\s*(true|false|null)\s*$/.test(text)) return { output: text };
  try {
    const value = JSON.parse(text);
    if (value && typeof value === 'object' && !Array.isArray(value)) return value;
    return { output: value };
  } catch {
    return { output: text };
  }
}

/** OpenAI chat request -> Gemini generateContent body. Throws a 400 ProviderHttpError for input Gemini cannot take. */
export function toGeminiRequest(req: ChatCompletionRequest): Record<string, unknown> {
  const system: Part[] = [];
  const contents: Content[] = [];
  const callNames = new Map<string, string>();
  const push = (role: Content['role'], parts: Part[]) => {
    if (parts.length === 0) return;
    const last = contents.at(-1);
    // Gemini wants the responses to one turn's parallel calls in one turn: consecutive same-side messages merge.
    if (last && last.role === role) last.parts.push(...parts);
    else contents.push({ role, parts });
  };
  req.messages.forEach((m, i) => {
    const where = `messages[${i}]`;
    switch (m.role) {
      case 'system':
      case 'developer': {
        const text = textOf(m.content);
        if (text) system.push({ text });
        break;
      }
      case 'user':
        push('user', partsOf(m.content, where));
        break;
      case 'assistant': {
        const parts = partsOf(m.content, where);
        for (const [j, call] of (m.tool_calls ?? []).entries()) {
          callNames.set(call.id, call.function.name);
          const signature = thoughtSignatureOf(call.id);
          parts.push({ functionCall: { name: call.function.name, args: toolCallArguments(call.function.arguments, `${where}.tool_calls[${j}]`) }, ...(signature ? { thoughtSignature: signature } : {}) });
        }
        push('model', parts);
        break;
      }
      case 'tool': {
        const name = m.tool_call_id ? callNames.get(m.tool_call_id) : undefined;
        if (!name) throw invalidRequest(`${where}: tool_call_id ${JSON.stringify(m.tool_call_id ?? null)} matches no earlier assistant tool call (Gemini needs the function's name)`, where);
        push('user', [{ functionResponse: { name, response: responseOf(m.content) } }]);
        break;
      }
      default:
        throw invalidRequest(`${where}: unknown role ${String((m as { role: unknown }).role)}`, where);
    }
  });

  const body: Record<string, unknown> = { contents };
  if (system.length) body.systemInstruction = { parts: system };
  if (req.tools?.length) {
    body.tools = [
      {
        functionDeclarations: req.tools.map((t) => ({
          name: t.function.name,
          ...(t.function.description ? { description: t.function.description } : {}),
          // JSON Schema as OpenAI clients send it (additionalProperties and all), which `parameters` would refuse.
          ...(t.function.parameters ? { parametersJsonSchema: t.function.parameters } : {}),
        })),
      },
    ];
  }
  const choice = req.tool_choice;
  const mode = choice === 'none' ? 'NONE' : choice === 'required' ? 'ANY' : choice === 'auto' ? 'AUTO' : choice && typeof choice === 'object' ? 'ANY' : undefined;
  if (mode) body.toolConfig = { functionCallingConfig: { mode, ...(choice && typeof choice === 'object' ? { allowedFunctionNames: [choice.function.name] } : {}) } };

  const config: Record<string, unknown> = {};
  if (req.temperature != null) config.temperature = req.temperature;
  if (req.top_p != null) config.topP = req.top_p;
  if (typeof req.top_k === 'number') config.topK = req.top_k;
  const maxTokens = req.max_completion_tokens ?? req.max_tokens;
  if (maxTokens != null) config.maxOutputTokens = maxTokens;
  if (req.stop != null) config.stopSequences = Array.isArray(req.stop) ? req.stop : [req.stop];
  if (req.seed != null) config.seed = req.seed;
  if (typeof req.n === 'number' && req.n > 1) config.candidateCount = req.n;
  if (typeof req.presence_penalty === 'number') config.presencePenalty = req.presence_penalty;
  if (typeof req.frequency_penalty === 'number') config.frequencyPenalty = req.frequency_penalty;
  const format = req.response_format;
  if (format?.type === 'json_object' || format?.type === 'json_schema') {
    config.responseMimeType = 'application/json';
    // responseJsonSchema takes JSON Schema as is; responseSchema (an OpenAPI subset) would refuse additionalProperties.
    if (format.type === 'json_schema' && format.json_schema?.schema) config.responseJsonSchema = format.json_schema.schema;
  }
  if (Object.keys(config).length) body.generationConfig = config;
  return body;
}

/** Gemini finishReason -> OpenAI finish_reason. */
export function geminiFinishReason(reason: string | undefined, calledTools: boolean): string | null {
  if (!reason || reason === 'FINISH_REASON_UNSPECIFIED') return null;
  if (reason === 'STOP') return calledTools ? 'tool_calls' : 'stop';
  if (reason === 'MAX_TOKENS') return 'length';
  if (['SAFETY', 'RECITATION', 'BLOCKLIST', 'PROHIBITED_CONTENT', 'SPII', 'IMAGE_SAFETY', 'IMAGE_PROHIBITED_CONTENT', 'IMAGE_RECITATION'].includes(reason)) return 'content_filter';
  return calledTools ? 'tool_calls' : 'stop'; // MALFORMED_FUNCTION_CALL, LANGUAGE, OTHER, ...
}

export interface GeminiUsageMetadata {
  promptTokenCount?: number;
  candidatesTokenCount?: number;
  totalTokenCount?: number;
  cachedContentTokenCount?: number;
  thoughtsTokenCount?: number;
  toolUsePromptTokenCount?: number;
}

/** Gemini usage -> OpenAI usage: thoughts are output (reasoning) tokens; promptTokenCount already includes the cache. */
export function geminiUsage(u: GeminiUsageMetadata): Usage {
  const prompt = (u.promptTokenCount ?? 0) + (u.toolUsePromptTokenCount ?? 0);
  const reasoning = u.thoughtsTokenCount ?? 0;
  const completion = (u.candidatesTokenCount ?? 0) + reasoning;
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: u.totalTokenCount ?? prompt + completion,
    prompt_tokens_details: { cached_tokens: u.cachedContentTokenCount ?? 0 },
    completion_tokens_details: { reasoning_tokens: reasoning },
  };
}

function chatId(json: any): string {
  return json?.responseId ? String(json.responseId) : `chatcmpl-${randomBytes(12).toString('base64url')}`;
}

/** A candidate's parts -> OpenAI message text and tool calls (thought summaries left out). */
function candidateMessage(candidate: any): { text: string; calls: ToolCall[] } {
  let text = '';
  const calls: ToolCall[] = [];
  for (const part of (candidate?.content?.parts ?? []) as any[]) {
    if (typeof part.text === 'string' && !part.thought) text += part.text;
    else if (part.functionCall) {
      calls.push({ id: geminiToolCallId(part.functionCall, part.thoughtSignature), type: 'function', function: { name: part.functionCall.name, arguments: JSON.stringify(part.functionCall.args ?? {}) } });
    }
  }
  return { text, calls };
}

/** Gemini generateContent response -> OpenAI chat completion. */
export function fromGeminiResponse(json: any, requestModel: string, now = Date.now()): ChatCompletionResponse {
  const candidates: any[] = json?.candidates ?? [];
  const choices: ChatCompletionResponse['choices'] = candidates.map((c, i) => {
    const { text, calls } = candidateMessage(c);
    const message: ChatMessage = { role: 'assistant', content: text || (calls.length ? null : '') };
    if (calls.length) message.tool_calls = calls;
    return { index: c.index ?? i, message, finish_reason: geminiFinishReason(c.finishReason, calls.length > 0) };
  });
  // A blocked prompt has no candidates, only promptFeedback.blockReason.
  if (choices.length === 0) choices.push({ index: 0, message: { role: 'assistant', content: '' }, finish_reason: json?.promptFeedback?.blockReason ? 'content_filter' : 'stop' });
  return {
    id: chatId(json),
    object: 'chat.completion',
    created: Math.floor(now / 1000),
    model: json?.modelVersion ?? geminiModelId(requestModel),
    choices,
    ...(json?.usageMetadata ? { usage: geminiUsage(json.usageMetadata) } : {}),
  };
}

/** Seconds from Google's RetryInfo.retryDelay ("7s", "0.5s"), rounded up: Gemini sends no Retry-After header. */
function retryDelayOf(details: unknown): string | undefined {
  if (!Array.isArray(details)) return undefined;
  for (const d of details) {
    const m = typeof d?.retryDelay === 'string' ? /^(\d+(?:\.\d+)?)s$/.exec(d.retryDelay) : null;
    if (m) return String(Math.ceil(Number(m[1])));
  }
  return undefined;
}

/** Gemini error JSON (`{error:{code, message, status, details}}`) -> ProviderHttpError in OpenAI's shape, same status. */
export function geminiError(status: number, bodyText: string, retryAfter?: string | null): ProviderHttpError {
  let message = bodyText.trim() || `Gemini answered HTTP ${status}`;
  let code: string | null = null;
  let delay: string | undefined;
  try {
    let parsed = JSON.parse(bodyText);
    if (Array.isArray(parsed)) parsed = parsed[0]; // the non-SSE stream wraps errors in an array
    if (parsed?.error?.message) message = String(parsed.error.message);
    if (parsed?.error?.status) code = String(parsed.error.status);
    delay = retryDelayOf(parsed?.error?.details);
  } catch {
    // not JSON: its text is the message
  }
  return new ProviderHttpError(status, { error: { message, type: openAiErrorType(status), code, param: null } }, retryAfter ?? delay);
}

/**
 * Gemini stream chunks (each a GenerateContentResponse) -> OpenAI chunks, one at a time (stateful, no I/O). Gemini
 * sends each function call whole; usage is cumulative, so the last one seen goes out in the final usage chunk.
 */
export class GeminiStreamTranslator {
  private id = '';
  private model: string;
  private readonly created: number;
  private usage: GeminiUsageMetadata | undefined;
  private readonly started = new Set<number>();
  private readonly toolCounts = new Map<number, number>();
  private finished = false;

  constructor(requestModel: string, now = Date.now()) {
    this.model = geminiModelId(requestModel);
    this.created = Math.floor(now / 1000);
  }

  private chunk(index: number, delta: ChatCompletionChunk['choices'][number]['delta'], finish: string | null = null): ChatCompletionChunk {
    return { id: this.id, object: 'chat.completion.chunk', created: this.created, model: this.model, choices: [{ index, delta, finish_reason: finish }] };
  }

  /** True once a finishReason (or a blocked prompt) has been seen: a stream that ends before that was cut. */
  get done(): boolean {
    return this.finished;
  }

  /** One parsed SSE data object -> the chunks it yields. An error object in the stream throws ProviderHttpError. */
  push(json: any): ChatCompletionChunk[] {
    if (json?.error) throw geminiError(Number(json.error.code) || 500, JSON.stringify(json));
    if (!this.id) this.id = chatId(json);
    if (json?.modelVersion) this.model = json.modelVersion;
    if (json?.usageMetadata) this.usage = json.usageMetadata;
    const out: ChatCompletionChunk[] = [];
    const candidates: any[] = json?.candidates ?? [];
    if (candidates.length === 0 && json?.promptFeedback?.blockReason) {
      this.finished = true;
      out.push(this.chunk(0, { role: 'assistant', content: '' }, 'content_filter'));
    }
    candidates.forEach((c, i) => {
      const index: number = c.index ?? i;
      const first = !this.started.has(index);
      this.started.add(index);
      const { text, calls } = candidateMessage(c);
      if (text || first) out.push(this.chunk(index, { ...(first ? { role: 'assistant' as const } : {}), content: text }));
      let count = this.toolCounts.get(index) ?? 0;
      for (const call of calls) out.push(this.chunk(index, { tool_calls: [{ index: count++, id: call.id, type: 'function', function: call.function }] }));
      this.toolCounts.set(index, count);
      const finish = geminiFinishReason(c.finishReason, count > 0);
      if (finish) {
        this.finished = true;
        out.push(this.chunk(index, {}, finish));
      }
    });
    return out;
  }

  /** At the end of the stream: the usage chunk (`choices: []`), when Gemini reported usage. */
  finish(): ChatCompletionChunk[] {
    if (!this.usage) return [];
    return [{ id: this.id, object: 'chat.completion.chunk', created: this.created, model: this.model, choices: [], usage: geminiUsage(this.usage) }];
  }
}

/** OpenAI embeddings request -> the Gemini call: embedContent for one text, batchEmbedContents for a list. */
export function toGeminiEmbedRequest(req: EmbeddingsRequest): { method: 'embedContent' | 'batchEmbedContents'; body: Record<string, unknown> } {
  const model = geminiModelId(req.model);
  const dims = req.dimensions != null ? { outputDimensionality: req.dimensions } : {};
  const texts = typeof req.input === 'string' ? [req.input] : req.input;
  if (!Array.isArray(texts) || texts.length === 0 || !texts.every((t) => typeof t === 'string')) {
    throw invalidRequest('input must be a string or a non-empty list of strings: Gemini embeds text, not token ids', 'input');
  }
  if (typeof req.input === 'string') return { method: 'embedContent', body: { content: { parts: [{ text: req.input }] }, ...dims } };
  return { method: 'batchEmbedContents', body: { requests: (texts as string[]).map((text) => ({ model: `models/${model}`, content: { parts: [{ text }] }, ...dims })) } };
}

/** Gemini embeddings -> OpenAI's shape; base64 as OpenAI encodes it (little-endian float32), which the openai Node client asks for by default. */
export function fromGeminiEmbeddings(json: any, req: EmbeddingsRequest): EmbeddingsResponse {
  const vectors: number[][] = json?.embedding ? [json.embedding.values ?? []] : (json?.embeddings ?? []).map((e: any) => e.values ?? []);
  const tokens = Number(json?.usageMetadata?.promptTokenCount ?? 0); // Gemini reports embedding tokens only on some models
  return {
    object: 'list',
    data: vectors.map((values, index) => ({
      object: 'embedding',
      index,
      embedding: req.encoding_format === 'base64' ? Buffer.from(new Float32Array(values).buffer).toString('base64') : values,
    })),
    model: geminiModelId(req.model),
    usage: { prompt_tokens: tokens, total_tokens: tokens },
  };
}
