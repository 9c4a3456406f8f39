import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import OpenAI from 'openai';
import { anthropicProvider } from './anthropic';
import { geminiProvider } from './gemini';
import { ProviderHttpError, type ChatProvider, type Upstream } from './chat-provider';
import { startMockAnthropicServer, type MockAnthropicServer } from '../../../../test/support/mock-anthropic-server';
import { mockGeminiEmbedding, startMockGeminiServer, type MockGeminiServer } from '../../../../test/support/mock-gemini-server';

/**
 * The real `openai` Node client judges what the providers give back: a bare OpenAI-wire HTTP front (NOT the gateway:
 * no auth, routing by prefix only, no tracing) serves each provider's answers, chunks and errors, and the client's
 * own stream helper must reassemble them (it refuses a tool call delta without id/type/name, a choice without
 * finish_reason or role) and its embeddings call must decode the base64 vectors it asks for by default.
 */

let anthropic: MockAnthropicServer;
let gemini: MockGeminiServer;
let front: Server;
let client: OpenAI;
let lastBody: any;

function route(model: string): [ChatProvider, Omit<Upstream, 'signal'>] {
  if (model.startsWith('claude-')) return [anthropicProvider, { baseUrl: anthropic.url, apiKey: anthropic.apiKey }];
  return [geminiProvider, { baseUrl: gemini.url, apiKey: gemini.apiKey }];
}

async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  lastBody = body;
  const ac = new AbortController();
  res.on('close', () => ac.abort());
  const [provider, where] = route(body.model);
  const upstream: Upstream = { ...where, signal: ac.signal };
  try {
    if (req.url === '/v1/embeddings') return json(res, 200, await provider.embeddings!(body, upstream));
    if (!body.stream) return json(res, 200, await provider.chat(body, upstream));
    const stream = provider.chatStream(body, upstream)[Symbol.asyncIterator]();
    let next = await stream.next(); // errors before the first chunk still get their status
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    for (; !next.done; next = await stream.next()) {
      if (next.value.choices.length === 0 && !body.stream_options?.include_usage) continue;
      res.write(`data: ${JSON.stringify(next.value)}\n\n`);
    }
    res.end('data: [DONE]\n\n');
  } catch (err) {
    if (!(err instanceof ProviderHttpError)) throw err;
    if (res.headersSent) return void res.destroy(err);
    json(res, err.status, err.body, err.retryAfter ? { 'retry-after': err.retryAfter } : {});
  }
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

beforeAll(async () => {
  anthropic = await startMockAnthropicServer();
  gemini = await startMockGeminiServer();
  front = createServer((req, res) => {
    serve(req, res).catch((err) => json(res, 500, { error: { message: String(err), type: 'server_error' } }));
  });
  await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', resolve));
  client = new OpenAI({ apiKey: 'unused', baseURL: `http://127.0.0.1:${(front.address() as AddressInfo).port}/v1`, maxRetries: 0 });
});
afterAll(async () => {
  await new Promise((r) => front.close(r));
  await anthropic.close();
  await gemini.close();
});

const tools: OpenAI.Chat.ChatCompletionTool[] = [
  { type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { location: { type: 'string' } }, required: ['location'] } } },
];

describe.each(['claude-haiku-4-5', 'gemini-2.5-flash'])('the openai Node client reads %s through its provider', (model) => {
  it('a streamed answer reassembles (client stream helper) into the non-streaming one, usage included', async () => {
    const messages: OpenAI.Chat.ChatCompletionMessageParam[] = [{ role: 'user', content: 'Hi' }];
    const whole = await client.chat.completions.create({ model, messages });
    const stream = client.chat.completions.stream({ model, messages, stream_options: { include_usage: true } });
    const final = await stream.finalChatCompletion();
    expect(final.choices[0]!.message.content).toBe(whole.choices[0]!.message.content);
    expect(final.choices[0]!.finish_reason).toBe('stop');
    expect(final.usage).toEqual(whole.usage);
    expect(whole.usage!.prompt_tokens_details!.cached_tokens).toBeGreaterThan(0);
  });

  it('a streamed tool call reassembles with its arguments, and its result goes back through the client', async () => {
    const messages: OpenAI.Chat.ChatCompletionMessageParam[] = [{ role: 'user', content: 'Weather in Paris?' }];
    const final = await client.chat.completions.stream({ model, messages, tools }).finalChatCompletion();
    const message = final.choices[0]!.message;
    expect(final.choices[0]!.finish_reason).toBe('tool_calls');
    const call = message.tool_calls![0]!;
    expect(call.type === 'function' && call.function.name).toBe('get_weather');
    expect(call.type === 'function' && JSON.parse(call.function.arguments)).toMatchObject({ location: 'Paris' });
    const answer = await client.chat.completions.create({ model, tools, messages: [...messages, message, { role: 'tool', tool_call_id: call.id, content: '{"temp_c":18}' }] });
    expect(answer.choices[0]!.finish_reason).toBe('stop');
    expect(answer.choices[0]!.message.content).toMatch(/18°C/);
  });

  it('a provider 429 is the client RateLimitError with Retry-After', async () => {
    if (model.startsWith('claude')) anthropic.script({ error: { status: 429, type: 'rate_limit_error', message: 'slow down', retryAfter: '4' } });
    else gemini.script({ error: { status: 429, grpcStatus: 'RESOURCE_EXHAUSTED', message: 'slow down', retryDelay: '4s' } });
    const err = await client.chat.completions.create({ model, messages: [{ role: 'user', content: 'Hi' }] }).catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    expect(err.status).toBe(429);
    expect(err.headers.get('retry-after')).toBe('4');
    expect(err.error).toMatchObject({ message: 'slow down' });
  });
});

it('the openai Node client decodes Gemini embeddings it asked for as base64', async () => {
  const res = await client.embeddings.create({ model: 'gemini-embedding-001', input: ['a', 'bc'] });
  expect(lastBody.encoding_format).toBe('base64');
  expect(gemini.requests.at(-1)!.path).toBe('/v1beta/models/gemini-embedding-001:batchEmbedContents');
  expect(res.data.map((d) => d.embedding)).toEqual(['a', 'bc'].map((t) => Array.from(new Float32Array(mockGeminiEmbedding(t)))));
});
