import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local stand-in for an OpenAI-compatible provider (the AI Gateway's upstream in tests and the bench):
 * chat completions (JSON and server-sent events, tool calls when tools are offered), embeddings and the
 * model list. Models named `gpt-fail-429`, `gpt-fail-400`, `gpt-fail-500` answer with that error (429 with
 * Retry-After: 7); `gpt-slow` never answers, `gpt-stall` streams one chunk and stops; both record when the caller hung up.
 */
export const PROVIDER_USAGE = { prompt_tokens: 20, completion_tokens: 7, total_tokens: 27, prompt_tokens_details: { cached_tokens: 5 }, completion_tokens_details: { reasoning_tokens: 0 } } as const;
export const PROVIDER_ANSWER = 'Hello from the mock provider!';
export const PROVIDER_TOOL_CALL = { id: 'call_mock_1', name: 'get_weather', arguments: '{"city":"Paris"}' } as const;
export const PROVIDER_MODELS = ['gpt-4o', 'text-embedding-3-small', 'whisper-1'] as const;

export interface ProviderRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: any;
}

export interface MockOpenAIProvider {
  /** Base URL in OpenAI's convention (with /v1). */
  baseUrl: string;
  requests: ProviderRequest[];
  /** Requests to `gpt-slow` whose caller hung up (the gateway cancelled the upstream call). */
  cancelled: number;
  close(): Promise<void>;
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

function chat(body: any, res: ServerResponse) {
  const toolTurn = Array.isArray(body.tools) && body.tools.length > 0 && !body.messages?.some((m: any) => m.role === 'tool');
  const id = `chatcmpl-mock-${toolTurn ? 'tool' : 'text'}-${Math.random().toString(36).slice(2, 10)}`;
  const created = Math.floor(Date.now() / 1000);
  const model = String(body.model);
  const message = toolTurn
    ? { role: 'assistant', content: null, tool_calls: [{ id: PROVIDER_TOOL_CALL.id, type: 'function', function: { name: PROVIDER_TOOL_CALL.name, arguments: PROVIDER_TOOL_CALL.arguments } }] }
    : { role: 'assistant', content: body.response_format?.type === 'json_object' ? '{"greeting":"hello"}' : PROVIDER_ANSWER };
  const finish = toolTurn ? 'tool_calls' : 'stop';
  if (!body.stream) {
    json(res, 200, { id, object: 'chat.completion', created, model, system_fingerprint: 'fp_mock', choices: [{ index: 0, message, logprobs: null, finish_reason: finish }], usage: PROVIDER_USAGE });
    return;
  }
  const include = body.stream_options?.include_usage === true;
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  const send = (choices: unknown[], extra: object = {}) =>
    res.write(`data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, system_fingerprint: 'fp_mock', choices, ...(include ? { usage: null } : {}), ...extra })}\n\n`);
  if (toolTurn) {
    send([{ index: 0, delta: { role: 'assistant', content: null, tool_calls: [{ index: 0, id: PROVIDER_TOOL_CALL.id, type: 'function', function: { name: PROVIDER_TOOL_CALL.name, arguments: '' } }] }, finish_reason: null }]);
    send([{ index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: PROVIDER_TOOL_CALL.arguments } }] }, finish_reason: null }]);
  } else {
    send([{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }]);
    for (const piece of (message.content as string).match(/.{1,8}/gs) ?? []) send([{ index: 0, delta: { content: piece }, finish_reason: null }]);
  }
  send([{ index: 0, delta: {}, finish_reason: finish }]);
  if (include) send([], { usage: PROVIDER_USAGE });
  res.end('data: [DONE]\n\n');
}

export async function startMockOpenAIProvider(): Promise<MockOpenAIProvider> {
  const state: MockOpenAIProvider = { baseUrl: '', requests: [], cancelled: 0, close: async () => undefined };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = (req.url ?? '').split('?')[0]!;
      const text = Buffer.concat(chunks).toString('utf8');
      let body: any = {};
      try {
        body = text ? JSON.parse(text) : {};
      } catch {
        return json(res, 400, { error: { message: 'mock provider: body is not JSON', type: 'invalid_request_error' } });
      }
      state.requests.push({ method: req.method ?? '', path, headers: req.headers, body });
      if (req.method === 'GET' && path === '/v1/models') return json(res, 200, { object: 'list', data: PROVIDER_MODELS.map((id) => ({ id, object: 'model', created: 0, owned_by: 'mock' })) });
      if (req.method === 'POST' && path === '/v1/embeddings') {
        const inputs = Array.isArray(body.input) ? body.input : [body.input];
        return json(res, 200, { object: 'list', data: inputs.map((_: unknown, index: number) => ({ object: 'embedding', index, embedding: [0.1, 0.2, 0.3, 0.4] })), model: body.model, usage: { prompt_tokens: 3 * inputs.length, total_tokens: 3 * inputs.length } });
      }
      if (req.method !== 'POST' || path !== '/v1/chat/completions') return json(res, 404, { error: { message: `mock provider: no route for ${req.method} ${path}`, type: 'invalid_request_error' } });
      const fail = /^gpt-fail-(\d{3})$/.exec(String(body.model));
      if (fail) {
        const status = Number(fail[1]);
        const type = status === 429 ? 'rate_limit_exceeded' : status >= 500 ? 'server_error' : 'invalid_request_error';
        return json(res, status, { error: { message: `mock provider says ${status}`, type, code: status === 429 ? 'rate_limit_exceeded' : null, param: null } }, status === 429 ? { 'retry-after': '7' } : {});
      }
      if (body.model === 'gpt-stall') {
        // streams its first chunk, then nothing
        res.on('close', () => {
          if (!res.writableEnded) state.cancelled++;
        });
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write(`data: ${JSON.stringify({ id: 'chatcmpl-stall', object: 'chat.completion.chunk', created: 1, model: 'gpt-stall', choices: [{ index: 0, delta: { role: 'assistant', content: 'Hel' }, finish_reason: null }] })}\n\n`);
        return;
      }
      if (body.model === 'gpt-slow') {
        res.on('close', () => {
          if (!res.writableEnded) state.cancelled++;
        });
        return; // never answers
      }
      chat(body, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  state.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return state;
}
