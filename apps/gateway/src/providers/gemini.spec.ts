import { geminiProvider } from './gemini';
import { ProviderHttpError, type ChatCompletionChunk, type ChatCompletionRequest, type ChatMessage, type ToolCall, type Upstream } from './chat-provider';
import { THOUGHT_SIGNATURE_MARK } from './gemini-translation';
import {
  MOCK_GEMINI_FINAL,
  MOCK_GEMINI_GREETING,
  MOCK_GEMINI_THOUGHT_SIGNATURE,
  MOCK_GEMINI_TOOL_ARGS,
  MOCK_GEMINI_USAGE,
  mockGeminiEmbedding,
  startMockGeminiServer,
  type MockGeminiServer,
} from '../../../../test/support/mock-gemini-server';
import { drainStream } from '../../../../test/support/drain-stream';

const WEATHER_TOOLS: ChatCompletionRequest['tools'] = [
  { type: 'function', function: { name: 'get_weather', description: 'Weather in a city', parameters: { type: 'object', properties: { location: { type: 'string' }, unit: { type: 'string' } }, required: ['location'], additionalProperties: false } } },
  { type: 'function', function: { name: 'get_time', parameters: { type: 'object', properties: { location: { type: 'string' } } } } },
];
const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';

let mock: MockGeminiServer;
const upstream = (over: Partial<Upstream> = {}): Upstream => ({ baseUrl: mock.url, apiKey: mock.apiKey, signal: new AbortController().signal, ...over });
const last = () => mock.requests.at(-1)!;

async function collect(stream: AsyncIterable<ChatCompletionChunk>): Promise<ChatCompletionChunk[]> {
  const chunks: ChatCompletionChunk[] = [];
  for await (const c of stream) chunks.push(c);
  return chunks;
}

/** Reassembles OpenAI chunks into the final message the way the openai clients' stream helpers do. */
function reassemble(chunks: ChatCompletionChunk[]) {
  let content = '';
  let finish: string | null = null;
  const calls: ToolCall[] = [];
  for (const c of chunks) {
    for (const choice of c.choices) {
      content += choice.delta.content ?? '';
      for (const t of choice.delta.tool_calls ?? []) {
        calls[t.index] ??= { id: '', type: 'function', function: { name: '', arguments: '' } };
        const call = calls[t.index]!;
        if (t.id) call.id = t.id;
        if (t.function?.name) call.function.name = t.function.name;
        call.function.arguments += t.function?.arguments ?? '';
      }
      finish = choice.finish_reason ?? finish;
    }
  }
  return { content, finish, calls, usage: chunks.at(-1)?.usage };
}

const wordsIn = (text: string) => text.split(/(?<= )/).length;
const expectedUsage = (candidates: number) => ({
  prompt_tokens: MOCK_GEMINI_USAGE.promptTokenCount,
  completion_tokens: candidates + MOCK_GEMINI_USAGE.thoughtsTokenCount,
  total_tokens: MOCK_GEMINI_USAGE.promptTokenCount + candidates + MOCK_GEMINI_USAGE.thoughtsTokenCount,
  prompt_tokens_details: { cached_tokens: MOCK_GEMINI_USAGE.cachedContentTokenCount },
  completion_tokens_details: { reasoning_tokens: MOCK_GEMINI_USAGE.thoughtsTokenCount },
});

beforeAll(async () => {
  mock = await startMockGeminiServer();
});
afterAll(() => mock.close());

describe('geminiProvider against a mock Gemini API over HTTP', () => {
  it('answers a text chat: systemInstruction, inline and file images, generationConfig, usage with cached and thought tokens', async () => {
    const res = await geminiProvider.chat(
      {
        model: 'gemini-2.5-flash',
        messages: [
          { role: 'system', content: 'Be brief.' },
          { role: 'user', content: 'Hi' },
          { role: 'assistant', content: 'Hello.' },
          {
            role: 'user',
            content: [
              { type: 'text', text: 'What is in these?' },
              { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG}` } },
              { type: 'image_url', image_url: { url: 'https://generativelanguage.googleapis.com/v1beta/files/abc.jpg' } },
            ],
          },
        ],
        temperature: 0.3,
        top_p: 0.9,
        max_tokens: 500,
        stop: ['END', 'STOP'],
        seed: 7,
      },
      upstream(),
    );
    expect(last().path).toBe('/v1beta/models/gemini-2.5-flash:generateContent');
    expect(last().headers['x-goog-api-key']).toBe(mock.apiKey);
    expect(last().body).toEqual({
      systemInstruction: { parts: [{ text: 'Be brief.' }] },
      contents: [
        { role: 'user', parts: [{ text: 'Hi' }] },
        { role: 'model', parts: [{ text: 'Hello.' }] },
        {
          role: 'user',
          parts: [
            { text: 'What is in these?' },
            { inlineData: { mimeType: 'image/png', data: PNG } },
            { fileData: { mimeType: 'image/jpeg', fileUri: 'https://generativelanguage.googleapis.com/v1beta/files/abc.jpg' } },
          ],
        },
      ],
      generationConfig: { temperature: 0.3, topP: 0.9, maxOutputTokens: 500, stopSequences: ['END', 'STOP'], seed: 7 },
    });
    expect(res).toMatchObject({
      id: 'mock-resp-0001',
      object: 'chat.completion',
      model: 'gemini-2.5-flash',
      choices: [{ index: 0, message: { role: 'assistant', content: MOCK_GEMINI_GREETING }, finish_reason: 'stop' }],
    });
    expect(res.usage).toEqual(expectedUsage(wordsIn(MOCK_GEMINI_GREETING)));
  });

  it('maps MAX_TOKENS to finish_reason length', async () => {
    const res = await geminiProvider.chat({ model: 'gemini-2.5-flash', messages: [{ role: 'user', content: 'Hi' }], max_completion_tokens: 2 }, upstream());
    expect(res.choices[0]).toMatchObject({ message: { content: 'Hello from ' }, finish_reason: 'length' });
  });

  it('round-trips tools on Gemini 3: function calls out with ids, function responses (names recovered, thought signature kept) back in', async () => {
    const ask: ChatMessage[] = [{ role: 'user', content: 'Weather and time in Paris?' }];
    const first = await geminiProvider.chat({ model: 'gemini-3-pro-preview', messages: ask, tools: WEATHER_TOOLS, tool_choice: 'auto' }, upstream());
    expect(last().body.tools).toEqual([
      {
        functionDeclarations: [
          { name: 'get_weather', description: 'Weather in a city', parametersJsonSchema: WEATHER_TOOLS![0]!.function.parameters },
          { name: 'get_time', parametersJsonSchema: WEATHER_TOOLS![1]!.function.parameters },
        ],
      },
    ]);
    expect(last().body.toolConfig).toEqual({ functionCallingConfig: { mode: 'AUTO' } });
    const message = first.choices[0]!.message;
    expect(first.choices[0]!.finish_reason).toBe('tool_calls');
    expect(message.content).toBeNull();
    expect(message.tool_calls!.map((c) => [c.function.name, JSON.parse(c.function.arguments)])).toEqual([
      ['get_weather', MOCK_GEMINI_TOOL_ARGS],
      ['get_time', MOCK_GEMINI_TOOL_ARGS],
    ]);
    const [weather, time] = message.tool_calls!;
    expect(weather!.id).toMatch(/^call_[\w-]+__thought__/);
    expect(weather!.id.endsWith(`${THOUGHT_SIGNATURE_MARK}${MOCK_GEMINI_THOUGHT_SIGNATURE}`)).toBe(true);
    expect(time!.id).toMatch(/^call_[\w-]+$/);
    expect(weather!.id).not.toBe(time!.id);

    const second = await geminiProvider.chat(
      {
        model: 'gemini-3-pro-preview',
        tools: WEATHER_TOOLS,
        messages: [
          ...ask,
          message,
          // Answered in the other order: names come from the ids, not the positions.
          { role: 'tool', tool_call_id: time!.id, content: '14:05' },
          { role: 'tool', tool_call_id: weather!.id, content: '{"temp_c":18}' },
        ],
      },
      upstream(),
    );
    // The mock refuses unmatched function responses and a Gemini 3 call without its signature: reaching it proves both.
    expect(last().body.contents).toEqual([
      { role: 'user', parts: [{ text: 'Weather and time in Paris?' }] },
      {
        role: 'model',
        parts: [
          { functionCall: { name: 'get_weather', args: MOCK_GEMINI_TOOL_ARGS }, thoughtSignature: MOCK_GEMINI_THOUGHT_SIGNATURE },
          { functionCall: { name: 'get_time', args: MOCK_GEMINI_TOOL_ARGS } },
        ],
      },
      {
        role: 'user',
        parts: [{ functionResponse: { name: 'get_time', response: { output: '14:05' } } }, { functionResponse: { name: 'get_weather', response: { temp_c: 18 } } }],
      },
    ]);
    expect(second.choices[0]).toMatchObject({ message: { role: 'assistant', content: MOCK_GEMINI_FINAL }, finish_reason: 'stop' });
  });

  it('refuses a tool result whose tool_call_id matches no earlier call, before calling Gemini', async () => {
    const before = mock.requests.length;
    const err = await geminiProvider
      .chat({ model: 'gemini-2.5-flash', messages: [{ role: 'user', content: 'x' }, { role: 'tool', tool_call_id: 'call_nope', content: '1' }] }, upstream())
      .catch((e) => e);
    expect(err).toBeInstanceOf(ProviderHttpError);
    expect(err.status).toBe(400);
    expect(err.body.error.message).toMatch(/call_nope.*matches no earlier assistant tool call/);
    expect(mock.requests.length).toBe(before);
  });

  it('maps tool_choice to functionCallingConfig and response_format to responseMimeType / responseJsonSchema', async () => {
    const named = await geminiProvider.chat(
      { model: 'gemini-2.5-flash', messages: [{ role: 'user', content: 'x' }], tools: WEATHER_TOOLS, tool_choice: { type: 'function', function: { name: 'get_time' } } },
      upstream(),
    );
    expect(last().body.toolConfig).toEqual({ functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['get_time'] } });
    expect(named.choices[0]!.message.tool_calls!.map((c) => c.function.name)).toEqual(['get_time']);

    const schema = { type: 'object', properties: { location: { type: 'string' } }, required: ['location'], additionalProperties: false };
    const res = await geminiProvider.chat({ model: 'gemini-2.5-flash', messages: [{ role: 'user', content: 'Where?' }], response_format: { type: 'json_schema', json_schema: { name: 'place', schema } } }, upstream());
    expect(last().body.generationConfig).toEqual({ responseMimeType: 'application/json', responseJsonSchema: schema });
    expect(JSON.parse(res.choices[0]!.message.content as string)).toEqual(MOCK_GEMINI_TOOL_ARGS);
    await geminiProvider.chat({ model: 'gemini-2.5-flash', messages: [{ role: 'user', content: 'Where?' }], response_format: { type: 'json_object' } }, upstream());
    expect(last().body.generationConfig).toEqual({ responseMimeType: 'application/json' });
  });

  it('streams text (SSE with alt=sse) into chunks that reassemble into the non-streaming message, ending with a usage chunk', async () => {
    const req: ChatCompletionRequest = { model: 'gemini-2.5-flash', messages: [{ role: 'user', content: 'Hi' }] };
    const whole = await geminiProvider.chat(req, upstream());
    const chunks = await collect(geminiProvider.chatStream({ ...req, stream: true }, upstream()));
    expect(last().path).toBe('/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse');
    expect(chunks[0]!.choices[0]!.delta.role).toBe('assistant');
    expect(chunks.filter((c) => c.choices[0]?.delta.content).length).toBe(3);
    expect(new Set(chunks.map((c) => c.id))).toEqual(new Set([expect.stringMatching(/^mock-resp-/)]));
    const streamed = reassemble(chunks);
    expect(chunks.at(-1)!.choices).toEqual([]);
    expect(streamed.content).toBe(whole.choices[0]!.message.content);
    expect(streamed.finish).toBe('stop');
    expect(streamed.usage).toEqual(whole.usage);
  });

  it('streams tool calls that reassemble into the same calls as the non-streaming answer', async () => {
    const req: ChatCompletionRequest = { model: 'gemini-2.5-flash', messages: [{ role: 'user', content: 'Weather?' }], tools: WEATHER_TOOLS };
    const whole = await geminiProvider.chat(req, upstream());
    const streamed = reassemble(await collect(geminiProvider.chatStream({ ...req, stream: true }, upstream())));
    const shape = (calls: ToolCall[]) => calls.map((c) => ({ type: c.type, name: c.function.name, args: JSON.parse(c.function.arguments), id: typeof c.id }));
    expect(shape(streamed.calls)).toEqual(shape(whole.choices[0]!.message.tool_calls!));
    expect(streamed.calls.every((c) => c.id.startsWith('call_'))).toBe(true);
    expect(streamed.finish).toBe('tool_calls');
    expect(streamed.usage).toEqual(whole.usage);
    expect(streamed.usage).toEqual(expectedUsage(10));
  });

  it('gives Gemini errors in OpenAI shape with the same status; a 429 gets Retry-After from RetryInfo', async () => {
    mock.script({ error: { status: 429, grpcStatus: 'RESOURCE_EXHAUSTED', message: 'You exceeded your current quota.', retryDelay: '12.5s' } });
    const err = await geminiProvider.chat({ model: 'gemini-2.5-flash', messages: [{ role: 'user', content: 'Hi' }] }, upstream()).catch((e) => e);
    expect(err).toBeInstanceOf(ProviderHttpError);
    expect(err.status).toBe(429);
    expect(err.retryAfter).toBe('13');
    expect(err.body).toEqual({ error: { message: 'You exceeded your current quota.', type: 'rate_limit_error', code: 'RESOURCE_EXHAUSTED', param: null } });

    mock.script({ error: { status: 503, grpcStatus: 'UNAVAILABLE', message: 'The model is overloaded.' } });
    const streamErr = await collect(geminiProvider.chatStream({ model: 'gemini-2.5-flash', messages: [{ role: 'user', content: 'Hi' }], stream: true }, upstream())).catch((e) => e);
    expect(streamErr.status).toBe(503);
    expect(streamErr.body.error).toMatchObject({ type: 'api_error', code: 'UNAVAILABLE' });

    const badKey = await geminiProvider.chat({ model: 'gemini-2.5-flash', messages: [{ role: 'user', content: 'Hi' }] }, upstream({ apiKey: 'nope' })).catch((e) => e);
    expect(badKey.status).toBe(400);
    expect(badKey.body.error.message).toBe('API key not valid. Please pass a valid API key.');

    mock.script({ streamError: { code: 500, grpcStatus: 'INTERNAL', message: 'An internal error has occurred.' } });
    const { chunks: got, error: mid } = await drainStream(geminiProvider.chatStream({ model: 'gemini-2.5-flash', messages: [{ role: 'user', content: 'Hi' }], stream: true }, upstream()));
    expect(reassemble(got).content).toBe('Hello');
    expect(mid).toBeInstanceOf(ProviderHttpError);
    expect(mid.status).toBe(500);
  });

  it('a stream the provider cuts short ends in a 502 after the chunks before it', async () => {
    mock.script({ cutShort: true });
    const { chunks: got, error: err } = await drainStream(geminiProvider.chatStream({ model: 'gemini-2.5-flash', messages: [{ role: 'user', content: 'Hi' }], stream: true }, upstream()));
    expect(reassemble(got).content).toBe('Hello');
    expect(err).toBeInstanceOf(ProviderHttpError);
    expect(err.status).toBe(502);
    expect(err.message).toMatch(/stream ended before/);
  });

  it('a consumer that stops reading the stream (the client left) closes the upstream connection', async () => {
    mock.script({ hang: true });
    const got: ChatCompletionChunk[] = [];
    for await (const c of geminiProvider.chatStream({ model: 'gemini-2.5-flash', messages: [{ role: 'user', content: 'Hi' }], stream: true }, upstream())) {
      got.push(c);
      if (reassemble(got).content === 'Hello') break;
    }
    await mock.closedEarly(mock.requests.at(-1)!);
    expect(mock.requests.at(-1)!.closedEarly).toBe(true);
  });

  it('an aborted signal cancels the upstream request, streaming or not (the mock sees the connection closed)', async () => {
    mock.script({ hang: true });
    const count = mock.requests.length;
    const ac = new AbortController();
    const pending = geminiProvider.chat({ model: 'gemini-2.5-flash', messages: [{ role: 'user', content: 'Hi' }] }, upstream({ signal: ac.signal })).catch((e) => e);
    await waitFor(() => mock.requests.length > count);
    ac.abort();
    expect((await pending).name).toBe('AbortError');
    await mock.closedEarly(mock.requests.at(-1)!);

    mock.script({ hang: true });
    const ac2 = new AbortController();
    const got: ChatCompletionChunk[] = [];
    const done = (async () => {
      for await (const c of geminiProvider.chatStream({ model: 'gemini-2.5-flash', messages: [{ role: 'user', content: 'Hi' }], stream: true }, upstream({ signal: ac2.signal }))) {
        got.push(c);
        ac2.abort();
      }
    })().catch((e) => e);
    expect((await done).name).toBe('AbortError');
    const streaming = mock.requests.at(-1)!;
    await mock.closedEarly(streaming);
    expect(streaming.closedEarly).toBe(true);
    expect(reassemble(got).content).toBe('Hello');
  });

  it('embeds one text with embedContent and a list with batchEmbedContents, floats or base64', async () => {
    const one = await geminiProvider.embeddings!({ model: 'gemini-embedding-001', input: 'hello', dimensions: 4 }, upstream());
    expect(last().path).toBe('/v1beta/models/gemini-embedding-001:embedContent');
    expect(last().body).toEqual({ content: { parts: [{ text: 'hello' }] }, outputDimensionality: 4 });
    expect(one).toEqual({ object: 'list', model: 'gemini-embedding-001', data: [{ object: 'embedding', index: 0, embedding: mockGeminiEmbedding('hello', 4) }], usage: { prompt_tokens: 0, total_tokens: 0 } });

    const many = await geminiProvider.embeddings!({ model: 'gemini-embedding-001', input: ['a', 'bc'], encoding_format: 'base64' }, upstream());
    expect(last().path).toBe('/v1beta/models/gemini-embedding-001:batchEmbedContents');
    expect(last().body.requests.map((r: any) => r.model)).toEqual(['models/gemini-embedding-001', 'models/gemini-embedding-001']);
    // Decoded as the openai client decodes base64 embeddings: little-endian float32.
    const decoded = many.data.map((d) => {
      const bytes = Buffer.from(d.embedding as string, 'base64');
      return Array.from({ length: bytes.length / 4 }, (_, i) => bytes.readFloatLE(i * 4));
    });
    const expected = ['a', 'bc'].map((t) => Array.from(new Float32Array(mockGeminiEmbedding(t))));
    expect(decoded).toEqual(expected);

    const tokens = await geminiProvider.embeddings!({ model: 'gemini-embedding-001', input: [1, 2, 3] }, upstream()).catch((e) => e);
    expect(tokens.status).toBe(400);
  });

  it('lists the chat and embedding models the key can use', async () => {
    expect(await geminiProvider.listModels!(upstream())).toEqual(['gemini-2.5-flash', 'gemini-3-pro-preview', 'gemini-embedding-001']);
  });
});

async function waitFor(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 5));
  }
}
