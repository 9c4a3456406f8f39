import OpenAI from 'openai';
import { eventually, getJson, startServer, type RunningServer } from '../support/temps-server';
import { MOCK_ANTHROPIC_FINAL, MOCK_ANTHROPIC_GREETING, MOCK_ANTHROPIC_TOOL_INPUT, startMockAnthropicServer, type MockAnthropicServer } from '../support/mock-anthropic-server';
import { MOCK_GEMINI_FINAL, MOCK_GEMINI_GREETING, MOCK_GEMINI_TOOL_ARGS, MOCK_GEMINI_USAGE, mockGeminiEmbedding, startMockGeminiServer, type MockGeminiServer } from '../support/mock-gemini-server';

/**
 * The AI Gateway with its Anthropic and Gemini translators, through the real `openai` Node client, local mock
 * Anthropic and Gemini servers standing in for the providers (keys and base URLs from TEMPS_AI_* env).
 */

const tools = [{ type: 'function' as const, function: { name: 'get_weather', parameters: { type: 'object', properties: { location: { type: 'string' } }, required: ['location'] } } }];

describe('AI Gateway translators: Anthropic and Gemini behind /api/ai/v1 (real openai Node client; providers: local mock servers)', () => {
  let server: RunningServer;
  let anthropic: MockAnthropicServer;
  let gemini: MockGeminiServer;
  let client: OpenAI;

  beforeAll(async () => {
    anthropic = await startMockAnthropicServer();
    gemini = await startMockGeminiServer();
    server = await startServer({
      env: { TEMPS_AI_ANTHROPIC_API_KEY: anthropic.apiKey, TEMPS_AI_ANTHROPIC_BASE_URL: anthropic.url, TEMPS_AI_GOOGLE_API_KEY: gemini.apiKey, TEMPS_AI_GOOGLE_BASE_URL: gemini.url, TEMPS_AI_TIMEOUT_MS: '1500' },
    });
    client = new OpenAI({ apiKey: server.apiKey, baseURL: `${server.url}/api/ai/v1`, maxRetries: 0 });
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
    await anthropic?.close();
    await gemini?.close();
  });

  const traceOf = (traceId: string) =>
    eventually(async () => {
      const { status, body } = await getJson(server, `/api/projects/1/ai/traces/${traceId}`);
      return status === 200 ? body : undefined;
    }, 15_000, `trace ${traceId}`);

  it('a Claude call is translated, answered in OpenAI shape and traced with cache tokens and cost', async () => {
    const { data, response } = await client.chat.completions.create({ model: 'claude-haiku-4-5', messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hi' }] }).withResponse();
    expect(data.choices[0]!.message.content).toBe(MOCK_ANTHROPIC_GREETING);
    const up = anthropic.requests.at(-1)!;
    expect(up.headers['x-api-key']).toBe(anthropic.apiKey); // the provider's key, never the tk_ key
    expect(up.body).toMatchObject({ model: 'claude-haiku-4-5', system: [{ type: 'text', text: 'Be brief.' }], max_tokens: 4096 });
    const detail = await traceOf(response.headers.get('x-temps-trace-id')!);
    expect(detail.trace).toMatchObject({ providers: ['anthropic'], models: ['claude-haiku-4-5-20251001'], inputTokens: 2121, gateway: true });
    expect(detail.spans[0]).toMatchObject({ provider: 'anthropic', requestModel: 'claude-haiku-4-5', cacheReadInputTokens: 1800, cacheCreationInputTokens: 300, responseId: data.id });
    expect(detail.trace.cost).toBeGreaterThan(0);
  });

  it('a Gemini call is translated, answered and traced with cached and reasoning tokens', async () => {
    const { data, response } = await client.chat.completions.create({ model: 'gemini-2.5-flash', messages: [{ role: 'user', content: 'Hi' }] }).withResponse();
    expect(data.choices[0]!.message.content).toBe(MOCK_GEMINI_GREETING);
    expect(gemini.requests.at(-1)!.headers['x-goog-api-key']).toBe(gemini.apiKey);
    const detail = await traceOf(response.headers.get('x-temps-trace-id')!);
    expect(detail.trace).toMatchObject({ providers: ['gcp.gemini'], models: ['gemini-2.5-flash'], inputTokens: MOCK_GEMINI_USAGE.promptTokenCount, gateway: true });
    expect(detail.spans[0]).toMatchObject({ cacheReadInputTokens: MOCK_GEMINI_USAGE.cachedContentTokenCount, reasoningOutputTokens: MOCK_GEMINI_USAGE.thoughtsTokenCount });
    expect(detail.trace.cost).toBeGreaterThan(0);
  });

  it.each([
    ['claude-sonnet-4-5', MOCK_ANTHROPIC_TOOL_INPUT, MOCK_ANTHROPIC_FINAL],
    ['google/gemini-3-pro-preview', MOCK_GEMINI_TOOL_ARGS, MOCK_GEMINI_FINAL],
  ])('%s: a streamed tool call (client stream helper) and its result sent back', async (model, args, final) => {
    const messages: OpenAI.Chat.ChatCompletionMessageParam[] = [{ role: 'user', content: 'Weather in Paris?' }];
    const streamed = await client.chat.completions.stream({ model, messages, tools, stream_options: { include_usage: true } }).finalChatCompletion();
    const message = streamed.choices[0]!.message;
    expect(streamed.choices[0]!.finish_reason).toBe('tool_calls');
    expect(message.tool_calls!.map((c) => c.type === 'function' && [c.function.name, JSON.parse(c.function.arguments)])).toEqual([['get_weather', args]]);
    expect(streamed.usage!.prompt_tokens_details!.cached_tokens).toBeGreaterThan(0);
    // Gemini 3 refuses the next turn without the call's thought signature: the round trip proves it came back.
    const answer = await client.chat.completions.create({ model, tools, messages: [...messages, message, { role: 'tool', tool_call_id: message.tool_calls![0]!.id, content: '18C' }] });
    expect(answer.choices[0]!.message.content).toBe(final);
  });

  it('provider errors come back in OpenAI shape with their status and Retry-After', async () => {
    anthropic.script({ error: { status: 429, type: 'rate_limit_error', message: 'Anthropic says slow down', retryAfter: '11' } });
    const a = await client.chat.completions.create({ model: 'claude-haiku-4-5', messages: [{ role: 'user', content: 'Hi' }] }).catch((e) => e);
    expect(a).toBeInstanceOf(OpenAI.RateLimitError);
    expect(a.headers.get('retry-after')).toBe('11');
    expect(a.error).toMatchObject({ message: 'Anthropic says slow down', type: 'rate_limit_error' });
    gemini.script({ error: { status: 429, grpcStatus: 'RESOURCE_EXHAUSTED', message: 'Gemini quota', retryDelay: '6s' } });
    const g = await client.chat.completions.create({ model: 'gemini-2.5-flash', messages: [{ role: 'user', content: 'Hi' }], stream: true }).catch((e) => e);
    expect(g).toBeInstanceOf(OpenAI.RateLimitError);
    expect(g.headers.get('retry-after')).toBe('6');
  });

  it('a hung provider is cancelled upstream by the gateway timeout', async () => {
    anthropic.script({ hang: true });
    const err = await client.chat.completions.create({ model: 'claude-haiku-4-5', messages: [{ role: 'user', content: 'Hi' }] }).catch((e) => e);
    expect(err.status).toBe(504);
    await anthropic.closedEarly(anthropic.requests.at(-1)!);
  });

  it('a client that leaves cancels the translated call upstream at once, before the timeout (Claude waiting, Gemini mid-stream)', async () => {
    anthropic.script({ hang: true });
    const before = anthropic.requests.length;
    const leaving = new AbortController();
    // The gateway's timeout (1500 ms) starts after this: the upstream call closed sooner can only be the client leaving.
    const started = Date.now();
    const pending = client.chat.completions.create({ model: 'claude-haiku-4-5', messages: [{ role: 'user', content: 'Hi' }] }, { signal: leaving.signal }).catch((e) => e);
    await eventually(async () => (anthropic.requests.length > before ? true : undefined), 5000, 'the Claude call upstream');
    leaving.abort();
    expect(await pending).toBeInstanceOf(OpenAI.APIUserAbortError);
    await anthropic.closedEarly(anthropic.requests.at(-1)!);
    expect(Date.now() - started).toBeLessThan(1500);

    gemini.script({ hang: true }); // streams its first piece, then nothing
    const streamLeaving = new AbortController();
    const streamStarted = Date.now();
    const stream = await client.chat.completions.create({ model: 'gemini-2.5-flash', messages: [{ role: 'user', content: 'Hi' }], stream: true }, { signal: streamLeaving.signal });
    let text = '';
    await (async () => {
      for await (const chunk of stream) {
        text += chunk.choices[0]?.delta?.content ?? '';
        streamLeaving.abort();
      }
    })().catch(() => undefined);
    expect(text).toBe('Hello');
    await gemini.closedEarly(gemini.requests.at(-1)!);
    expect(Date.now() - streamStarted).toBeLessThan(1500);
  });

  it('Gemini embeddings (base64, as the client asks) and the models of both providers', async () => {
    const emb = await client.embeddings.create({ model: 'gemini-embedding-001', input: ['a', 'bc'] });
    expect(emb.data.map((d) => d.embedding)).toEqual(['a', 'bc'].map((t) => Array.from(new Float32Array(mockGeminiEmbedding(t)))));
    const ids = (await client.models.list()).data.map((m) => m.id);
    expect(ids).toEqual(expect.arrayContaining(['claude-haiku-4-5-20251001', 'gemini-2.5-flash', 'gemini-embedding-001']));
  });
});
