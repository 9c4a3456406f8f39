import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ProviderHttpError } from './chat-provider';
import { OpenAICompatibleProvider, sseData } from './openai-compatible';

async function* pieces(...parts: string[]): AsyncGenerator<Uint8Array> {
  for (const p of parts) yield Buffer.from(p);
}

async function all(gen: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const x of gen) out.push(x);
  return out;
}

describe('sseData: server-sent events as providers send them', () => {
  it('joins events split across chunks, takes CRLF and LF, skips comments and other fields', async () => {
    expect(await all(sseData(pieces('data: {"a"', ':1}\n\n: keep-alive\n\nevent: x\r\ndata: {"b":2}\r\n\r\n', 'data: [DONE]\n\n')))).toEqual(['{"a":1}', '{"b":2}', '[DONE]']);
  });

  it('keeps a last event without its blank line, and multi-line data', async () => {
    expect(await all(sseData(pieces('data: one\ndata: two\n\ndata: [DONE]')))).toEqual(['one\ntwo', '[DONE]']);
  });
});

describe('OpenAICompatibleProvider against a real local HTTP server', () => {
  let server: Server;
  let base: string;
  let reply: (res: import('node:http').ServerResponse) => void = () => undefined;
  beforeAll(async () => {
    server = createServer((req, res) => {
      req.resume();
      req.on('end', () => reply(res));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  const upstream = () => ({ baseUrl: base, apiKey: 'k', signal: new AbortController().signal });
  const provider = new OpenAICompatibleProvider('openai');

  it.each([
    ['an OpenAI error', 429, '{"error":{"message":"slow down","type":"rate_limit_error","code":"rate_limit_exceeded"}}', { message: 'slow down', type: 'rate_limit_error', code: 'rate_limit_exceeded' }],
    ['a bare string error', 400, '{"error":"bad model"}', { message: 'bad model', type: 'invalid_request_error' }],
    ['a list of errors (Gemini-style)', 403, '[{"error":{"message":"denied","code":403}}]', { message: 'denied', code: '403' }],
    ['HTML from a proxy', 502, '<html>Bad gateway</html>', { message: '<html>Bad gateway</html>', type: 'api_error' }],
  ])('gives %s in OpenAI shape with its status', async (_what, status, body, error) => {
    reply = (res) => {
      res.writeHead(status, { 'content-type': 'application/json', ...(status === 429 ? { 'retry-after': '3' } : {}) });
      res.end(body);
    };
    const err = await provider.chat({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] }, upstream()).catch((e) => e);
    expect(err).toBeInstanceOf(ProviderHttpError);
    expect(err.status).toBe(status);
    expect(err.body.error).toMatchObject(error);
    expect(err.retryAfter).toBe(status === 429 ? '3' : undefined);
  });

  it('throws an error event that arrives mid-stream', async () => {
    reply = (res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"hi"},"finish_reason":null}]}\n\n');
      res.end('data: {"error":{"message":"overloaded","type":"server_error"}}\n\n');
    };
    const seen: string[] = [];
    const err = await (async () => {
      for await (const c of provider.chatStream({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] }, upstream())) seen.push(c.choices[0]!.delta.content ?? '');
    })().catch((e) => e);
    expect(seen).toEqual(['hi']);
    expect(err).toBeInstanceOf(ProviderHttpError);
    expect(err.body.error.message).toBe('overloaded');
  });
});
