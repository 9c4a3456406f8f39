import { anthropicProvider } from './anthropic';
import { ProviderHttpError, type ChatCompletionChunk, type ChatCompletionRequest, type ChatMessage, type ToolCall, type Upstream } from './chat-provider';
import { ANTHROPIC_DEFAULT_MAX_TOKENS, ANTHROPIC_JSON_TOOL } from './anthropic-translation';
import {
  MOCK_ANTHROPIC_FINAL,
  MOCK_ANTHROPIC_GREETING,
  MOCK_ANTHROPIC_INPUT_USAGE,
  MOCK_ANTHROPIC_MODELS,
  MOCK_ANTHROPIC_PREAMBLE,
  MOCK_ANTHROPIC_TOOL_INPUT,
  startMockAnthropicServer,
  type MockAnthropicServer,
} from '../../../../test/support/mock-anthropic-server';
import { drainStream } from '../../../../test/support/drain-stream';

const WEATHER_TOOLS: ChatCompletionRequest['tools'] = [
  { type: 'function', function: { name: 'get_weather', description: 'Weather in a city', parameters: { type: 'object', properties: { location: { type: 'string' }, unit: { type: 'string' } }, required: ['location'] } } },
  { type: 'function', function: { name: 'get_time', parameters: { type: 'object', properties: { location: { type: 'string' } } } } },
];
const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';
const PROMPT_TOKENS = MOCK_ANTHROPIC_INPUT_USAGE.input_tokens + MOCK_ANTHROPIC_INPUT_USAGE.cache_read_input_tokens + MOCK_ANTHROPIC_INPUT_USAGE.cache_creation_input_tokens;

let mock: MockAnthropicServer;
const upstream = (over: Partial<Upstream> = {}): Upstream => ({ baseUrl: mock.url, apiKey: mock.apiKey, signal: new AbortController().signal, ...over });
const lastBody = () => mock.requests.at(-1)!.body;

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

beforeAll(async () => {
  mock = await startMockAnthropicServer();
});
afterAll(() => mock.close());

describe('anthropicProvider against a mock Anthropic Messages API over HTTP', () => {
  it('answers a text chat: system to `system`, image parts to image blocks, max_tokens defaulted, stop to stop_sequences', async () => {
    const res = await anthropicProvider.chat(
      {
        model: 'claude-haiku-4-5',
        messages: [
          { role: 'system', content: 'Be brief.' },
          { role: 'developer', content: [{ type: 'text', text: 'Answer in English.' }] },
          {
            role: 'user',
            content: [
              { type: 'text', text: 'What is in these images?' },
              { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG}` } },
              { type: 'image_url', image_url: { url: 'https://example.com/cat.jpg' } },
            ],
          },
        ],
        stop: 'END',
        temperature: 0.2,
        user: 'user-42',
      },
      upstream(),
    );
    const req = mock.requests.at(-1)!;
    expect(req.path).toBe('/v1/messages');
    expect(req.headers['x-api-key']).toBe(mock.apiKey);
    expect(req.headers['anthropic-version']).toBe('2023-06-01');
    expect(req.body).toEqual({
      model: 'claude-haiku-4-5',
      max_tokens: ANTHROPIC_DEFAULT_MAX_TOKENS,
      system: [
        { type: 'text', text: 'Be brief.' },
        { type: 'text', text: 'Answer in English.' },
      ],
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What is in these images?' },
            { type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG } },
            { type: 'image', source: { type: 'url', url: 'https://example.com/cat.jpg' } },
          ],
        },
      ],
      stop_sequences: ['END'],
      temperature: 0.2,
      metadata: { user_id: 'user-42' },
    });
    expect(res).toMatchObject({
      id: 'msg_mock_0001',
      object: 'chat.completion',
      model: 'claude-haiku-4-5-20251001',
      choices: [{ index: 0, message: { role: 'assistant', content: MOCK_ANTHROPIC_GREETING }, finish_reason: 'stop' }],
    });
    const words = MOCK_ANTHROPIC_GREETING.split(' ').length;
    expect(res.usage).toEqual({
      prompt_tokens: PROMPT_TOKENS,
      completion_tokens: words,
      total_tokens: PROMPT_TOKENS + words,
      prompt_tokens_details: { cached_tokens: 1800, cache_creation_tokens: 300 },
    });
  });

  it('keeps cache_control on system and user parts (prompt-cache breakpoints), as LiteLLM and OpenRouter clients send them', async () => {
    const cache = { type: 'ephemeral', ttl: '1h' };
    const res = await anthropicProvider.chat(
      {
        model: 'claude-sonnet-4-5',
        messages: [
          { role: 'system', content: [{ type: 'text', text: 'A long shared preamble.', cache_control: cache } as never, { type: 'text', text: 'Today is Sunday.' }] },
          { role: 'user', content: [{ type: 'text', text: 'A long document.', cache_control: { type: 'ephemeral' } } as never, { type: 'text', text: 'Summarize it.' }] },
        ],
      },
      upstream(),
    );
    expect(lastBody().system).toEqual([
      { type: 'text', text: 'A long shared preamble.', cache_control: cache },
      { type: 'text', text: 'Today is Sunday.' },
    ]);
    expect(lastBody().messages[0].content[0]).toEqual({ type: 'text', text: 'A long document.', cache_control: { type: 'ephemeral' } });
    expect(res.model).toBe('claude-sonnet-4-5-20250929');
    expect(res.usage!.prompt_tokens_details).toEqual({ cached_tokens: 1800, cache_creation_tokens: 300 });
  });

  it('maps max_tokens cut-off to finish_reason length', async () => {
    const res = await anthropicProvider.chat({ model: 'claude-haiku-4-5', messages: [{ role: 'user', content: 'Hi' }], max_completion_tokens: 3 }, upstream());
    expect(lastBody().max_tokens).toBe(3);
    expect(res.choices[0]!.message.content).toBe(MOCK_ANTHROPIC_GREETING.split(' ').slice(0, 3).join(' '));
    expect(res.choices[0]!.finish_reason).toBe('length');
  });

  it('round-trips tools: tool calls out, then tool results (merged into one user turn) back in', async () => {
    const ask: ChatMessage[] = [{ role: 'user', content: 'Weather and time in Paris?' }];
    const first = await anthropicProvider.chat({ model: 'claude-sonnet-4-5', messages: ask, tools: WEATHER_TOOLS, tool_choice: 'auto' }, upstream());
    expect(lastBody().tools).toEqual([
      { name: 'get_weather', description: 'Weather in a city', input_schema: WEATHER_TOOLS![0]!.function.parameters },
      { name: 'get_time', input_schema: WEATHER_TOOLS![1]!.function.parameters },
    ]);
    expect(lastBody().tool_choice).toEqual({ type: 'auto' });
    const message = first.choices[0]!.message;
    expect(first.choices[0]!.finish_reason).toBe('tool_calls');
    expect(message.content).toBe(MOCK_ANTHROPIC_PREAMBLE);
    expect(message.tool_calls).toEqual([
      { id: 'toolu_mock_01_get_weather', type: 'function', function: { name: 'get_weather', arguments: JSON.stringify(MOCK_ANTHROPIC_TOOL_INPUT) } },
      { id: 'toolu_mock_02_get_time', type: 'function', function: { name: 'get_time', arguments: JSON.stringify(MOCK_ANTHROPIC_TOOL_INPUT) } },
    ]);

    const second = await anthropicProvider.chat(
      {
        model: 'claude-sonnet-4-5',
        tools: WEATHER_TOOLS,
        messages: [
          ...ask,
          message,
          { role: 'tool', tool_call_id: message.tool_calls![0]!.id, content: '{"temp_c":18}' },
          { role: 'tool', tool_call_id: message.tool_calls![1]!.id, content: [{ type: 'text', text: '14:05' }] },
        ],
      },
      upstream(),
    );
    // The mock rejects unpaired tool_use / tool_result blocks as the real API does: reaching it proves the pairing.
    expect(lastBody().messages).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'Weather and time in Paris?' }] },
      {
        role: 'assistant',
        content: [
          { type: 'text', text: MOCK_ANTHROPIC_PREAMBLE },
          { type: 'tool_use', id: 'toolu_mock_01_get_weather', name: 'get_weather', input: MOCK_ANTHROPIC_TOOL_INPUT },
          { type: 'tool_use', id: 'toolu_mock_02_get_time', name: 'get_time', input: MOCK_ANTHROPIC_TOOL_INPUT },
        ],
      },
      {
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: 'toolu_mock_01_get_weather', content: [{ type: 'text', text: '{"temp_c":18}' }] },
          { type: 'tool_result', tool_use_id: 'toolu_mock_02_get_time', content: [{ type: 'text', text: '14:05' }] },
        ],
      },
    ]);
    expect(second.choices[0]).toMatchObject({ message: { role: 'assistant', content: MOCK_ANTHROPIC_FINAL }, finish_reason: 'stop' });
  });

  it('continues a conversation whose tool call another provider made (an id Anthropic would refuse as is)', async () => {
    const id = 'call_x1__thought__bW9jaw+/==';
    const res = await anthropicProvider.chat(
      {
        model: 'claude-haiku-4-5',
        tools: WEATHER_TOOLS,
        messages: [
          { role: 'user', content: 'Weather?' },
          { role: 'assistant', content: null, tool_calls: [{ id, type: 'function', function: { name: 'get_weather', arguments: '{"location":"Paris"}' } }] },
          { role: 'tool', tool_call_id: id, content: '18C' },
        ],
      },
      upstream(),
    );
    expect(res.choices[0]!.message.content).toBe(MOCK_ANTHROPIC_FINAL);
  });

  it('maps tool_choice required / a named function / parallel_tool_calls false', async () => {
    await anthropicProvider.chat({ model: 'claude-haiku-4-5', messages: [{ role: 'user', content: 'x' }], tools: WEATHER_TOOLS, tool_choice: 'required', parallel_tool_calls: false }, upstream());
    expect(lastBody().tool_choice).toEqual({ type: 'any', disable_parallel_tool_use: true });
    const res = await anthropicProvider.chat(
      { model: 'claude-haiku-4-5', messages: [{ role: 'user', content: 'x' }], tools: WEATHER_TOOLS, tool_choice: { type: 'function', function: { name: 'get_time' } } },
      upstream(),
    );
    expect(lastBody().tool_choice).toEqual({ type: 'tool', name: 'get_time' });
    expect(res.choices[0]!.message.tool_calls!.map((c) => c.function.name)).toEqual(['get_time']);
  });

  it('answers response_format json_schema through a forced tool, given back as the message content', async () => {
    const schema = { type: 'object', properties: { location: { type: 'string' }, unit: { type: 'string' } }, required: ['location', 'unit'], additionalProperties: false };
    const res = await anthropicProvider.chat(
      { model: 'claude-haiku-4-5', messages: [{ role: 'user', content: 'Where?' }], response_format: { type: 'json_schema', json_schema: { name: 'place', schema, strict: true } } },
      upstream(),
    );
    expect(lastBody().tools).toEqual([expect.objectContaining({ name: ANTHROPIC_JSON_TOOL, input_schema: schema })]);
    expect(lastBody().tool_choice).toEqual({ type: 'tool', name: ANTHROPIC_JSON_TOOL });
    expect(JSON.parse(res.choices[0]!.message.content as string)).toEqual(MOCK_ANTHROPIC_TOOL_INPUT);
    expect(res.choices[0]!.message.tool_calls).toBeUndefined();
    expect(res.choices[0]!.finish_reason).toBe('stop');

    const chunks = await collect(anthropicProvider.chatStream({ model: 'claude-haiku-4-5', messages: [{ role: 'user', content: 'Where?' }], response_format: { type: 'json_object' }, stream: true }, upstream()));
    const streamed = reassemble(chunks);
    expect(JSON.parse(streamed.content)).toEqual(MOCK_ANTHROPIC_TOOL_INPUT);
    expect(streamed.calls).toEqual([]);
    expect(streamed.finish).toBe('stop');
  });

  it('streams text as OpenAI chunks that reassemble into the non-streaming message, ending with a usage chunk', async () => {
    const req: ChatCompletionRequest = { model: 'claude-haiku-4-5', messages: [{ role: 'user', content: 'Hi' }] };
    const whole = await anthropicProvider.chat(req, upstream());
    const chunks = await collect(anthropicProvider.chatStream({ ...req, stream: true }, upstream()));
    expect(lastBody().stream).toBe(true);
    expect(chunks.length).toBeGreaterThan(4);
    expect(chunks[0]!.choices[0]!.delta.role).toBe('assistant');
    expect(chunks.every((c) => c.object === 'chat.completion.chunk' && c.id.startsWith('msg_mock_') && c.model === 'claude-haiku-4-5-20251001')).toBe(true);
    const last = chunks.at(-1)!;
    expect(last.choices).toEqual([]);
    const streamed = reassemble(chunks);
    expect(streamed.content).toBe(whole.choices[0]!.message.content);
    expect(streamed.finish).toBe('stop');
    expect(streamed.usage).toEqual(whole.usage);
    expect(streamed.usage!.prompt_tokens_details).toEqual({ cached_tokens: 1800, cache_creation_tokens: 300 });
  });

  it('streams tool calls (input_json_delta fragments) that reassemble into the same tool calls', async () => {
    const req: ChatCompletionRequest = { model: 'claude-sonnet-4-5', messages: [{ role: 'user', content: 'Weather?' }], tools: WEATHER_TOOLS };
    const whole = await anthropicProvider.chat(req, upstream());
    const chunks = await collect(anthropicProvider.chatStream({ ...req, stream: true, stream_options: { include_usage: true } }, upstream()));
    const streamed = reassemble(chunks);
    expect(streamed.content).toBe(whole.choices[0]!.message.content);
    expect(streamed.calls).toEqual(whole.choices[0]!.message.tool_calls);
    expect(streamed.finish).toBe('tool_calls');
    expect(streamed.usage).toEqual(whole.usage);
    // Arguments arrive in more than one fragment per call.
    const fragments = chunks.flatMap((c) => c.choices.flatMap((ch) => ch.delta.tool_calls ?? [])).filter((t) => t.index === 0 && t.function?.arguments);
    expect(fragments.length).toBeGreaterThan(1);
  });

  it('gives Anthropic errors in OpenAI shape with the same status, keeping Retry-After on 429', async () => {
    mock.script({ error: { status: 429, type: 'rate_limit_error', message: 'Number of request tokens has exceeded your per-minute rate limit', retryAfter: '17' } });
    const err = await anthropicProvider.chat({ model: 'claude-haiku-4-5', messages: [{ role: 'user', content: 'Hi' }] }, upstream()).catch((e) => e);
    expect(err).toBeInstanceOf(ProviderHttpError);
    expect(err.status).toBe(429);
    expect(err.retryAfter).toBe('17');
    expect(err.body).toEqual({ error: { message: 'Number of request tokens has exceeded your per-minute rate limit', type: 'rate_limit_error', code: 'rate_limit_exceeded', param: null } });

    mock.script({ error: { status: 529, type: 'overloaded_error', message: 'Overloaded' } });
    const overloaded = await collect(anthropicProvider.chatStream({ model: 'claude-haiku-4-5', messages: [{ role: 'user', content: 'Hi' }], stream: true }, upstream())).catch((e) => e);
    expect(overloaded).toBeInstanceOf(ProviderHttpError);
    expect(overloaded.status).toBe(529);
    expect(overloaded.body.error.type).toBe('overloaded_error');

    const badKey = await anthropicProvider.chat({ model: 'claude-haiku-4-5', messages: [{ role: 'user', content: 'Hi' }] }, upstream({ apiKey: 'wrong' })).catch((e) => e);
    expect(badKey.status).toBe(401);
    expect(badKey.body.error).toMatchObject({ type: 'authentication_error', code: 'invalid_api_key', message: 'invalid x-api-key' });
  });

  it('throws an error event that arrives mid-stream as a ProviderHttpError after the chunks before it', async () => {
    mock.script({ streamError: { type: 'overloaded_error', message: 'Overloaded' } });
    const { chunks: got, error: err } = await drainStream(anthropicProvider.chatStream({ model: 'claude-haiku-4-5', messages: [{ role: 'user', content: 'Hi' }], stream: true }, upstream()));
    expect(reassemble(got).content).toBe('Hello');
    expect(err).toBeInstanceOf(ProviderHttpError);
    expect(err.status).toBe(529);
  });

  it('refuses what Anthropic cannot take with a clear 400 before calling it', async () => {
    const before = mock.requests.length;
    const err = await anthropicProvider
      .chat({ model: 'claude-haiku-4-5', messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'ftp://x/y.png' } }] }] }, upstream())
      .catch((e) => e);
    expect(err).toBeInstanceOf(ProviderHttpError);
    expect(err.status).toBe(400);
    expect(err.body.error.message).toMatch(/http\(s\) URL or a base64 data: URL/);
    const n = await anthropicProvider.chat({ model: 'claude-haiku-4-5', messages: [{ role: 'user', content: 'x' }], n: 2 }, upstream()).catch((e) => e);
    expect(n.status).toBe(400);
    expect(mock.requests.length).toBe(before);
  });

  it('a stream the provider cuts short ends in a 502 after the chunks before it', async () => {
    mock.script({ cutShort: true });
    const { chunks: got, error: err } = await drainStream(anthropicProvider.chatStream({ model: 'claude-haiku-4-5', messages: [{ role: 'user', content: 'Hi' }], stream: true }, upstream()));
    expect(reassemble(got).content).toBe('Hello');
    expect(err).toBeInstanceOf(ProviderHttpError);
    expect(err.status).toBe(502);
    expect(err.message).toMatch(/stream ended before/);
  });

  it('a consumer that stops reading the stream (the client left) closes the upstream connection', async () => {
    mock.script({ hang: true });
    const got: ChatCompletionChunk[] = [];
    for await (const c of anthropicProvider.chatStream({ model: 'claude-haiku-4-5', messages: [{ role: 'user', content: 'Hi' }], stream: true }, upstream())) {
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
    const pending = anthropicProvider.chat({ model: 'claude-haiku-4-5', messages: [{ role: 'user', content: 'Hi' }] }, upstream({ signal: ac.signal })).catch((e) => e);
    await waitFor(() => mock.requests.length > count);
    const hung = mock.requests.at(-1)!;
    ac.abort();
    expect((await pending).name).toBe('AbortError');
    await mock.closedEarly(hung);

    mock.script({ hang: true });
    const ac2 = new AbortController();
    const stream = anthropicProvider.chatStream({ model: 'claude-haiku-4-5', messages: [{ role: 'user', content: 'Hi' }], stream: true }, upstream({ signal: ac2.signal }));
    const got: ChatCompletionChunk[] = [];
    const done = (async () => {
      for await (const c of stream) {
        got.push(c);
        if (c.choices[0]?.delta.content === 'Hello') ac2.abort();
      }
    })().catch((e) => e);
    expect((await done).name).toBe('AbortError');
    const streaming = mock.requests.at(-1)!;
    await mock.closedEarly(streaming);
    expect(streaming.closedEarly).toBe(true);
    expect(reassemble(got).content).toBe('Hello');
  });

  it('lists the models the key can use', async () => {
    expect(await anthropicProvider.listModels!(upstream())).toEqual(MOCK_ANTHROPIC_MODELS);
    expect(mock.requests.at(-1)!.path).toBe('/v1/models?limit=1000');
  });
});

async function waitFor(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 5));
  }
}
