import { ProviderHttpError, type ChatCompletionChunk, type ChatProvider, type Upstream } from './chat-provider';
import { callUpstream, joinUrl, parseProviderJson, type ProviderErrorMapper } from './call-upstream';
import { readServerSentEvents } from './server-sent-events';
import { AnthropicStreamTranslator, anthropicError, fromAnthropicResponse, toAnthropicRequest } from './anthropic-translation';

/** The Messages API version the translation follows. */
export const ANTHROPIC_VERSION = '2023-06-01';

const headersFor = (upstream: Upstream) => ({ 'x-api-key': upstream.apiKey, 'anthropic-version': ANTHROPIC_VERSION });
const toError: ProviderErrorMapper = (status, body, headers) => anthropicError(status, body, headers.get('retry-after'));

/** Anthropic's Messages API behind the gateway's OpenAI wire format. Base URL without /v1, as in Anthropic's SDKs. */
export const anthropicProvider: ChatProvider = {
  name: 'anthropic',

  async chat(request, upstream) {
    const { body, jsonTool } = toAnthropicRequest({ ...request, stream: false });
    const res = await callUpstream(joinUrl(upstream.baseUrl, '/v1/messages'), { method: 'POST', headers: headersFor(upstream), body: JSON.stringify(body) }, upstream, toError);
    return fromAnthropicResponse(parseProviderJson(await res.text(), 'Anthropic'), jsonTool);
  },

  async *chatStream(request, upstream): AsyncGenerator<ChatCompletionChunk> {
    const { body, jsonTool } = toAnthropicRequest({ ...request, stream: true });
    const res = await callUpstream(joinUrl(upstream.baseUrl, '/v1/messages'), { method: 'POST', headers: { ...headersFor(upstream), accept: 'text/event-stream' }, body: JSON.stringify(body) }, upstream, toError);
    const translator = new AnthropicStreamTranslator(request.model, jsonTool);
    try {
      for await (const event of readServerSentEvents(res.body!)) {
        if (!event.data) continue;
        yield* translator.push(parseProviderJson(event.data, 'Anthropic'));
        if (translator.done) return;
      }
    } finally {
      // Stopped early (the client left): release the connection instead of draining it.
      if (!translator.done) await res.body?.cancel().catch(() => undefined);
    }
    if (!translator.done) {
      throw new ProviderHttpError(502, { error: { message: 'Anthropic stream ended before message_stop', type: 'api_error', code: null, param: null } });
    }
  },

  async listModels(upstream) {
    const ids: string[] = [];
    let after: string | undefined;
    // Paged by after_id; a few pages at most in practice.
    for (let page = 0; page < 20; page++) {
      const url = joinUrl(upstream.baseUrl, `/v1/models?limit=1000${after ? `&after_id=${encodeURIComponent(after)}` : ''}`);
      const res = await callUpstream(url, { method: 'GET', headers: headersFor(upstream) }, upstream, toError);
      const json = parseProviderJson(await res.text(), 'Anthropic') as { data?: { id: string }[]; has_more?: boolean; last_id?: string };
      ids.push(...(json.data ?? []).map((m) => m.id));
      if (!json.has_more || !json.last_id) break;
      after = json.last_id;
    }
    return ids;
  },
};
