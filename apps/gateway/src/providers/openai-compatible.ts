import {
  ProviderHttpError,
  type ChatCompletionChunk,
  type ChatCompletionRequest,
  type ChatCompletionResponse,
  type ChatProvider,
  type EmbeddingsRequest,
  type EmbeddingsResponse,
  type Upstream,
} from './chat-provider';
import { upstreamRequest, type UpstreamResponse } from './upstream-http';

/** The provider's error body in OpenAI's shape, whatever it sent (some send `{error: "text"}` or `{message}`, some HTML). */
export async function providerError(res: UpstreamResponse): Promise<ProviderHttpError> {
  const text = await res.text().catch(() => '');
  let message = text.slice(0, 2000) || `${res.status} ${res.statusText}`;
  let type = res.status === 429 ? 'rate_limit_error' : res.status >= 500 ? 'api_error' : 'invalid_request_error';
  let code: string | null = null;
  let param: string | null = null;
  try {
    const body = JSON.parse(text) as { error?: unknown; message?: unknown };
    const e = (Array.isArray(body) ? body[0]?.error : body.error) ?? body;
    if (typeof e === 'string') message = e;
    else if (e && typeof e === 'object') {
      const o = e as Record<string, unknown>;
      if (typeof o.message === 'string') message = o.message;
      if (typeof o.type === 'string') type = o.type;
      if (o.code !== undefined && o.code !== null) code = String(o.code);
      if (typeof o.param === 'string') param = o.param;
    }
  } catch {
    /* not JSON: the text is the message */
  }
  return new ProviderHttpError(res.status, { error: { message, type, code, param } }, res.header('retry-after'));
}

/** Server-sent events' `data:` payloads, as they arrive. */
export async function* sseData(body: AsyncIterable<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const bytes of body) {
    buffer += decoder.decode(bytes, { stream: true });
    let end: number;
    while ((end = buffer.search(/\r?\n\r?\n/)) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + (buffer[end] === '\r' ? 4 : 2));
      const data = block
        .split(/\r?\n/)
        .filter((l) => l.startsWith('data:'))
        .map((l) => l.slice(l[5] === ' ' ? 6 : 5))
        .join('\n');
      if (data) yield data;
    }
  }
  const rest = buffer.trim();
  if (rest.startsWith('data:')) yield rest.slice(5).trim();
}

/**
 * OpenAI, Azure OpenAI, xAI, Mistral, DeepSeek, Groq and any OpenAI-compatible base URL: requests pass
 * through as they came (unknown fields too). Streaming always asks upstream for usage, so the call can be
 * traced; the gateway forwards the usage chunk only to clients that asked for it.
 */
export class OpenAICompatibleProvider implements ChatProvider {
  constructor(
    readonly name: string,
    /** Azure takes its keys in `api-key`; everyone else as a bearer token. */
    private readonly auth: 'bearer' | 'api-key' = 'bearer',
  ) {}

  private headers(upstream: Upstream): Record<string, string> {
    return {
      'content-type': 'application/json',
      accept: 'application/json',
      ...(this.auth === 'api-key' ? { 'api-key': upstream.apiKey } : { authorization: `Bearer ${upstream.apiKey}` }),
      ...upstream.headers,
    };
  }

  private async post(path: string, body: unknown, upstream: Upstream): Promise<UpstreamResponse> {
    const res = await upstreamRequest(`${upstream.baseUrl}${path}`, { method: 'POST', headers: this.headers(upstream), body: JSON.stringify(body), signal: upstream.signal });
    if (res.status < 200 || res.status > 299) throw await providerError(res);
    return res;
  }

  private async postJson<T>(path: string, body: unknown, upstream: Upstream): Promise<T> {
    const res = await this.post(path, body, upstream);
    const text = await res.text();
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new ProviderHttpError(502, { error: { message: `the provider answered ${res.status} with a body that is not JSON: ${text.slice(0, 200)}`, type: 'api_error', code: 'bad_upstream_response' } });
    }
  }

  async chat(request: ChatCompletionRequest, upstream: Upstream): Promise<ChatCompletionResponse> {
    const { stream: _s, stream_options: _o, ...rest } = request;
    return this.postJson<ChatCompletionResponse>('/chat/completions', rest, upstream);
  }

  async *chatStream(request: ChatCompletionRequest, upstream: Upstream): AsyncIterable<ChatCompletionChunk> {
    const body = { ...request, stream: true, stream_options: { ...request.stream_options, include_usage: true } };
    const res = await this.post('/chat/completions', body, upstream);
    for await (const data of sseData(res.body)) {
      if (data === '[DONE]') return;
      const chunk = JSON.parse(data) as ChatCompletionChunk & { error?: { message?: string; type?: string; code?: string } };
      if (chunk.error) {
        const e = chunk.error;
        throw new ProviderHttpError(502, { error: { message: e.message ?? 'the provider failed mid-stream', type: e.type ?? 'api_error', code: e.code ?? null } });
      }
      yield chunk;
    }
  }

  async embeddings(request: EmbeddingsRequest, upstream: Upstream): Promise<EmbeddingsResponse> {
    return this.postJson<EmbeddingsResponse>('/embeddings', request, upstream);
  }

  async listModels(upstream: Upstream): Promise<string[]> {
    const res = await upstreamRequest(`${upstream.baseUrl}/models`, { method: 'GET', headers: this.headers(upstream), signal: upstream.signal });
    if (res.status !== 200) throw await providerError(res);
    const body = JSON.parse(await res.text()) as { data?: { id?: unknown }[] };
    return (body.data ?? []).map((m) => m.id).filter((id): id is string => typeof id === 'string');
  }
}
