import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Local stand-ins for the OpenAI Chat Completions and Anthropic Messages APIs, so real client SDKs
 * (and the instrumentations patching them) run end to end without a network or a key. Answers are
 * fixed, so recorded spans are the same on every run except for ids and times:
 * - OpenAI: when tools are offered and no tool result is in the conversation yet, one `get_weather`
 *   tool call (finish `tool_calls`); otherwise a text answer (finish `stop`). `stream: true` answers
 *   as server-sent events (with a usage chunk when `stream_options.include_usage`).
 * - OpenAI Responses (`/v1/responses`): the same, as function_call / message output items; a
 *   `conversation` id in the request is echoed back.
 * - Anthropic: one text answer (stop `end_turn`) with cache read/write usage.
 */

export const MOCK_TOOL_CALL = { id: 'call_weather_paris', name: 'get_weather', arguments: '{"location":"Paris"}' } as const;
export const MOCK_FINAL_ANSWER = 'It is 18°C and sunny in Paris.';
export const MOCK_GREETING = 'Hi there! How can I help you today?';
export const MOCK_OPENAI_MODEL = 'gpt-4o-mini-2024-07-18';
/** Usage per answer: [prompt incl. cached, cached, completion incl. reasoning, reasoning]. */
export const MOCK_OPENAI_USAGE = { toolCall: [82, 64, 17, 0], final: [131, 64, 14, 0], greeting: [9, 0, 10, 0] } as const;
export const MOCK_ANTHROPIC_USAGE = { input_tokens: 9, cache_read_input_tokens: 4, cache_creation_input_tokens: 2, output_tokens: 12 } as const;

export interface RecordedLlmRequest {
  path: string;
  body: any;
}

export interface MockLlmServer {
  url: string;
  requests: RecordedLlmRequest[];
  close(): Promise<void>;
}

function readJson(req: IncomingMessage): Promise<any> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('error', reject);
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      try {
        resolve(text ? JSON.parse(text) : {});
      } catch (err) {
        reject(err);
      }
    });
  });
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

function usageOf([prompt, cached, completion, reasoning]: readonly number[]) {
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt! + completion!,
    prompt_tokens_details: { cached_tokens: cached, audio_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: reasoning, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
  };
}

function openAiChat(body: any, res: ServerResponse) {
  const messages: any[] = Array.isArray(body.messages) ? body.messages : [];
  const offersTools = Array.isArray(body.tools) && body.tools.length > 0;
  const hasToolResult = messages.some((m) => m?.role === 'tool');
  const created = 1_780_000_000;
  const kind = offersTools && !hasToolResult ? 'toolCall' : offersTools ? 'final' : 'greeting';
  // Ids depend on the answer only, so a re-recording gives the same normalized spans.
  const id = `chatcmpl-mock-${kind}`;
  const message =
    kind === 'toolCall'
      ? { role: 'assistant', content: null, refusal: null, tool_calls: [{ id: MOCK_TOOL_CALL.id, type: 'function', function: { name: MOCK_TOOL_CALL.name, arguments: MOCK_TOOL_CALL.arguments } }] }
      : { role: 'assistant', content: kind === 'final' ? MOCK_FINAL_ANSWER : MOCK_GREETING, refusal: null };
  const finish = kind === 'toolCall' ? 'tool_calls' : 'stop';
  const usage = usageOf(MOCK_OPENAI_USAGE[kind]);
  const headers = { 'x-request-id': `req_mock_${kind}` };

  if (!body.stream) {
    sendJson(
      res,
      200,
      { id, object: 'chat.completion', created, model: MOCK_OPENAI_MODEL, system_fingerprint: 'fp_mock', service_tier: 'default', choices: [{ index: 0, message, logprobs: null, finish_reason: finish }], usage },
      headers,
    );
    return;
  }
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', ...headers });
  const chunk = (delta: object, finish_reason: string | null, extra: object = {}) =>
    res.write(`data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model: MOCK_OPENAI_MODEL, system_fingerprint: 'fp_mock', choices: [{ index: 0, delta, logprobs: null, finish_reason }], ...extra })}\n\n`);
  if (kind === 'toolCall') {
    chunk({ role: 'assistant', content: null, tool_calls: [{ index: 0, id: MOCK_TOOL_CALL.id, type: 'function', function: { name: MOCK_TOOL_CALL.name, arguments: '' } }] }, null);
    chunk({ tool_calls: [{ index: 0, function: { arguments: MOCK_TOOL_CALL.arguments } }] }, null);
  } else {
    const text = message.content as string;
    chunk({ role: 'assistant', content: '' }, null);
    for (const piece of text.match(/.{1,12}/gsu) ?? []) chunk({ content: piece }, null);
  }
  chunk({}, finish);
  if (body.stream_options?.include_usage) {
    res.write(`data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model: MOCK_OPENAI_MODEL, system_fingerprint: 'fp_mock', choices: [], usage })}\n\n`);
  }
  res.end('data: [DONE]\n\n');
}

/** OpenAI Responses API, non-streaming: the same weather exchange as function_call / message output items. */
function openAiResponses(body: any, res: ServerResponse) {
  const input: any[] = Array.isArray(body.input) ? body.input : [];
  const offersTools = Array.isArray(body.tools) && body.tools.length > 0;
  const hasToolResult = input.some((i) => i?.type === 'function_call_output');
  const kind = offersTools && !hasToolResult ? 'toolCall' : offersTools ? 'final' : 'greeting';
  const [prompt, cached, completion, reasoning] = MOCK_OPENAI_USAGE[kind];
  const output =
    kind === 'toolCall'
      ? [{ type: 'function_call', id: 'fc_mock', call_id: MOCK_TOOL_CALL.id, name: MOCK_TOOL_CALL.name, arguments: MOCK_TOOL_CALL.arguments, status: 'completed' }]
      : [{ type: 'message', id: `msg_mock_${kind}`, role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: kind === 'final' ? MOCK_FINAL_ANSWER : MOCK_GREETING, annotations: [] }] }];
  sendJson(res, 200, {
    id: `resp_mock_${kind}`,
    object: 'response',
    created_at: 1_780_000_000,
    status: 'completed',
    model: MOCK_OPENAI_MODEL,
    ...(typeof body.conversation === 'string' ? { conversation: { id: body.conversation } } : {}),
    instructions: body.instructions ?? null,
    output,
    tools: body.tools ?? [],
    usage: { input_tokens: prompt, input_tokens_details: { cached_tokens: cached }, output_tokens: completion, output_tokens_details: { reasoning_tokens: reasoning }, total_tokens: prompt! + completion! },
  });
}

function anthropicMessages(body: any, res: ServerResponse) {
  sendJson(
    res,
    200,
    {
      id: 'msg_mock_greeting',
      type: 'message',
      role: 'assistant',
      model: String(body.model ?? 'claude-sonnet-4-20250514'),
      content: [{ type: 'text', text: MOCK_GREETING }],
      stop_reason: 'end_turn',
      stop_sequence: null,
      usage: { ...MOCK_ANTHROPIC_USAGE, service_tier: 'standard' },
    },
    { 'request-id': 'req_mock_greeting' },
  );
}

/** One server answering all three: `/v1/chat/completions`, `/v1/responses` (OpenAI), `/v1/messages` (Anthropic). */
export async function startMockLlmServer(): Promise<MockLlmServer> {
  const requests: RecordedLlmRequest[] = [];
  const server: Server = createServer((req, res) => {
    readJson(req)
      .then((body) => {
        const path = (req.url ?? '').split('?')[0]!;
        requests.push({ path, body });
        if (req.method === 'POST' && path.endsWith('/chat/completions')) return openAiChat(body, res);
        if (req.method === 'POST' && path.endsWith('/responses')) return openAiResponses(body, res);
        if (req.method === 'POST' && path.endsWith('/messages')) return anthropicMessages(body, res);
        sendJson(res, 404, { error: { message: `mock LLM server: no route for ${req.method} ${path}`, type: 'invalid_request_error' } });
      })
      .catch((err) => sendJson(res, 400, { error: { message: String(err), type: 'invalid_request_error' } }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
