import { ProviderHttpError, type ChatCompletionChunk, type ChatProvider, type Upstream } from './chat-provider';
import { callUpstream, joinUrl, parseProviderJson, type ProviderErrorMapper } from './call-upstream';
import { readServerSentEvents } from './server-sent-events';
import { GeminiStreamTranslator, fromGeminiEmbeddings, fromGeminiResponse, geminiError, geminiModelId, toGeminiEmbedRequest, toGeminiRequest } from './gemini-translation';

const headersFor = (upstream: Upstream) => ({ 'x-goog-api-key': upstream.apiKey });
const toError: ProviderErrorMapper = (status, body, headers) => geminiError(status, body, headers.get('retry-after'));
const modelUrl = (upstream: Upstream, model: string, method: string) => joinUrl(upstream.baseUrl, `/v1beta/models/${encodeURIComponent(geminiModelId(model))}:${method}`);

/** Google's Gemini API behind the gateway's OpenAI wire format. Base URL: the API root (https://generativelanguage.googleapis.com). */
export const geminiProvider: ChatProvider = {
  name: 'gcp.gemini',

  async chat(request, upstream) {
    const body = JSON.stringify(toGeminiRequest(request));
    const res = await callUpstream(modelUrl(upstream, request.model, 'generateContent'), { method: 'POST', headers: headersFor(upstream), body }, upstream, toError);
    return fromGeminiResponse(parseProviderJson(await res.text(), 'Gemini'), request.model);
  },

  async *chatStream(request, upstream): AsyncGenerator<ChatCompletionChunk> {
    const body = JSON.stringify(toGeminiRequest(request));
    const res = await callUpstream(modelUrl(upstream, request.model, 'streamGenerateContent?alt=sse'), { method: 'POST', headers: { ...headersFor(upstream), accept: 'text/event-stream' }, body }, upstream, toError);
    const translator = new GeminiStreamTranslator(request.model);
    let complete = false;
    try {
      for await (const event of readServerSentEvents(res.body!)) {
        if (event.data) yield* translator.push(parseProviderJson(event.data, 'Gemini'));
      }
      complete = true;
    } finally {
      // Stopped early (the client left): release the connection instead of draining it.
      if (!complete) await res.body?.cancel().catch(() => undefined);
    }
    if (!translator.done) {
      throw new ProviderHttpError(502, { error: { message: 'Gemini stream ended before a finishReason', type: 'api_error', code: null, param: null } });
    }
    yield* translator.finish();
  },

  async embeddings(request, upstream) {
    const { method, body } = toGeminiEmbedRequest(request);
    const res = await callUpstream(modelUrl(upstream, request.model, method), { method: 'POST', headers: headersFor(upstream), body: JSON.stringify(body) }, upstream, toError);
    return fromGeminiEmbeddings(parseProviderJson(await res.text(), 'Gemini'), request);
  },

  async listModels(upstream) {
    const ids: string[] = [];
    let pageToken: string | undefined;
    for (let page = 0; page < 20; page++) {
      const url = joinUrl(upstream.baseUrl, `/v1beta/models?pageSize=1000${pageToken ? `&pageToken=${encodeURIComponent(pageToken)}` : ''}`);
      const res = await callUpstream(url, { method: 'GET', headers: headersFor(upstream) }, upstream, toError);
      const json = parseProviderJson(await res.text(), 'Gemini') as { models?: { name: string; supportedGenerationMethods?: string[] }[]; nextPageToken?: string };
      for (const m of json.models ?? []) {
        const methods = m.supportedGenerationMethods ?? [];
        // Only what the gateway can serve: chat (generateContent) and embeddings.
        if (methods.includes('generateContent') || methods.includes('embedContent')) ids.push(geminiModelId(m.name));
      }
      if (!json.nextPageToken) break;
      pageToken = json.nextPageToken;
    }
    return ids;
  },
};
