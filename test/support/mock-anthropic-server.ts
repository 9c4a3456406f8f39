import type { IncomingMessage, ServerResponse } from 'node:http';
import { listenMock, readBody, requestLog, type RecordedRequest } from './recorded-requests';

/**
 * A local stand-in for Anthropic's Messages API (POST /v1/messages, JSON and SSE; GET /v1/models), shaped after
 * https://docs.anthropic.com/en/api/messages and .../messages-streaming. It checks what the real API rejects (key,
 * in x-api-key or as a Bearer token; anthropic-version, model, max_tokens, roles, tool_use/tool_result pairing) with
 * Anthropic's error JSON, records every request (and whether the client closed it early) and answers deterministically:
 * - a forced tool (`tool_choice: {type:'tool'}`): that tool called with MOCK_ANTHROPIC_TOOL_INPUT;
 * - tools offered and the last user turn has no tool_result: "Let me check." then a tool_use per offered tool;
 * - otherwise text: MOCK_ANTHROPIC_FINAL after tool results, else MOCK_ANTHROPIC_GREETING, cut to max_tokens words.
 * Usage always reports cache reads and writes. `script()` queues errors, hangs and mid-stream errors.
 */

export const MOCK_ANTHROPIC_GREETING = 'Hello! I am a mock Claude, happy to help you today.';
export const MOCK_ANTHROPIC_FINAL = 'It is 18°C and sunny in Paris right now.';
export const MOCK_ANTHROPIC_PREAMBLE = 'Let me check.';
export const MOCK_ANTHROPIC_TOOL_INPUT = { location: 'Paris', unit: 'celsius' } as const;
/** Input usage of every answer; output_tokens is the answer's word count, plus 20 per tool call. */
export const MOCK_ANTHROPIC_INPUT_USAGE = { input_tokens: 21, cache_read_input_tokens: 1800, cache_creation_input_tokens: 300 } as const;
export const MOCK_ANTHROPIC_MODELS = ['claude-haiku-4-5-20251001', 'claude-sonnet-4-5-20250929', 'claude-opus-4-1-20250805'];

export type RecordedAnthropicRequest = RecordedRequest;

export type MockAnthropicStep =
  | { error: { status: number; type: string; message: string; retryAfter?: string } }
  /** Non-streaming: never answers. Streaming: sends message_start and one text delta, then waits. */
  | { hang: true }
  /** Streaming: message_start, one text delta, then an `error` event. */
  | { streamError: { type: string; message: string } }
  /** Streaming: message_start, one text delta, then the connection ends (no message_stop). */
  | { cutShort: true };

export interface MockAnthropicServer {
  /** The base URL, without /v1 (Anthropic SDK convention). */
  url: string;
  apiKey: string;
  requests: RecordedAnthropicRequest[];
  /** Queues behaviours for the next POST /v1/messages calls, in order; the default behaviour when the queue is empty. */
  script(...steps: MockAnthropicStep[]): void;
  /** Resolves when a request has been closed early by the client. */
  closedEarly(request: RecordedAnthropicRequest, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'request-id': 'req_mock', ...headers });
  res.end(text);
}

function sendError(res: ServerResponse, status: number, type: string, message: string, headers: Record<string, string> = {}) {
  sendJson(res, status, { type: 'error', error: { type, message }, request_id: 'req_mock' }, headers);
}

const blocksOf = (content: unknown): any[] => (typeof content === 'string' ? [{ type: 'text', text: content }] : Array.isArray(content) ? content : []);

/** What the real API refuses, with its wording where known; undefined when the request is acceptable. */
function invalid(body: any): string | undefined {
  if (typeof body?.model !== 'string' || !body.model) return 'model: Field required';
  if (!Number.isInteger(body.max_tokens) || body.max_tokens < 1) return 'max_tokens: Field required';
  if (!Array.isArray(body.messages) || body.messages.length === 0) return 'messages: at least one message is required';
  if (body.system !== undefined && typeof body.system !== 'string' && !Array.isArray(body.system)) return 'system: Input should be a valid list';
  const badCache = (b: any) => b.cache_control !== undefined && b.cache_control?.type !== 'ephemeral';
  for (const [j, b] of (Array.isArray(body.system) ? body.system : []).entries()) {
    if (b.type !== 'text' || !b.text) return `system.${j}: system blocks must be non-empty text`;
    if (badCache(b)) return `system.${j}.cache_control.type: Input should be 'ephemeral'`;
  }
  for (const [i, m] of (body.messages as any[]).entries()) {
    if (m.role !== 'user' && m.role !== 'assistant') return `messages.${i}.role: Input should be 'user' or 'assistant'`;
    const blocks = blocksOf(m.content);
    if (typeof m.content !== 'string' && !Array.isArray(m.content)) return `messages.${i}.content: Input should be a valid list`;
    for (const [j, b] of blocks.entries()) {
      if (b.type === 'text' && !b.text) return `messages.${i}.content.${j}.text: text content blocks must be non-empty`;
      if (badCache(b)) return `messages.${i}.content.${j}.cache_control.type: Input should be 'ephemeral'`;
      if (b.type === 'image' && !['base64', 'url'].includes(b.source?.type)) return `messages.${i}.content.${j}.image.source: invalid source`;
      if (b.type === 'tool_use' && (m.role !== 'assistant' || !b.name || typeof b.input !== 'object')) return `messages.${i}.content.${j}: invalid tool_use block`;
      if (b.type === 'tool_use' && !/^[a-zA-Z0-9_-]+$/.test(b.id ?? '')) return `messages.${i}.content.${j}.tool_use.id: String should match pattern '^[a-zA-Z0-9_-]+$'`;
      if (b.type === 'tool_result') {
        const prev = body.messages[i - 1];
        const ids = prev?.role === 'assistant' ? blocksOf(prev.content).filter((x) => x.type === 'tool_use').map((x) => x.id) : [];
        if (m.role !== 'user' || !ids.includes(b.tool_use_id)) {
          return `messages.${i}.content.${j}: unexpected \`tool_use_id\` found in \`tool_result\` blocks: ${b.tool_use_id}. Each \`tool_result\` block must have a corresponding \`tool_use\` block in the previous message.`;
        }
      }
    }
    const uses = m.role === 'assistant' ? blocks.filter((b) => b.type === 'tool_use').map((b) => b.id) : [];
    if (uses.length) {
      const next = blocksOf(body.messages[i + 1]?.content).filter((b) => b.type === 'tool_result').map((b) => b.tool_use_id);
      const missing = uses.filter((id: string) => !next.includes(id));
      if (missing.length) return `messages.${i}: \`tool_use\` ids were found without \`tool_result\` blocks immediately after: ${missing.join(', ')}. Each \`tool_use\` block must have a corresponding \`tool_result\` block in the next message.`;
    }
  }
  if (body.tools !== undefined) {
    for (const [i, t] of (body.tools as any[]).entries()) {
      if (!t.name || typeof t.input_schema !== 'object' || t.input_schema?.type !== 'object') return `tools.${i}.custom.input_schema: Input should be an object schema`;
    }
  }
  return undefined;
}

interface Answer {
  content: any[];
  stop_reason: string;
  output_tokens: number;
}

function answer(body: any): Answer {
  const tools: any[] = Array.isArray(body.tools) ? body.tools : [];
  const last = body.messages.at(-1);
  const lastHasToolResult = last.role === 'user' && blocksOf(last.content).some((b) => b.type === 'tool_result');
  let n = 0;
  const toolUse = (name: string) => ({ type: 'tool_use', id: `toolu_mock_${String(++n).padStart(2, '0')}_${name}`, name, input: { ...MOCK_ANTHROPIC_TOOL_INPUT } });
  if (body.tool_choice?.type === 'tool') return { content: [toolUse(body.tool_choice.name)], stop_reason: 'tool_use', output_tokens: 20 };
  if (tools.length && body.tool_choice?.type !== 'none' && !lastHasToolResult) {
    const uses = tools.map((t) => toolUse(t.name));
    const pre = body.tool_choice?.type === 'any' ? [] : [{ type: 'text', text: MOCK_ANTHROPIC_PREAMBLE }];
    return { content: [...pre, ...uses], stop_reason: 'tool_use', output_tokens: 2 * pre.length + 20 * uses.length };
  }
  const words = (lastHasToolResult ? MOCK_ANTHROPIC_FINAL : MOCK_ANTHROPIC_GREETING).split(' ');
  const cut = words.length > body.max_tokens;
  const text = words.slice(0, body.max_tokens).join(' ');
  return { content: [{ type: 'text', text }], stop_reason: cut ? 'max_tokens' : 'end_turn', output_tokens: Math.min(words.length, body.max_tokens) };
}

/** An alias answers with its dated model id, as the real API does; other ids come back as sent. */
const responseModel = (model: string) => MOCK_ANTHROPIC_MODELS.find((m) => m.startsWith(`${model}-`)) ?? model;

function sse(res: ServerResponse, type: string, data: object) {
  res.write(`event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`);
}

export async function startMockAnthropicServer(apiKey = 'sk-ant-mock-key'): Promise<MockAnthropicServer> {
  const log = requestLog();
  const steps: MockAnthropicStep[] = [];
  let messageCount = 0;

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const text = await readBody(req);
    let body: any;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      return sendError(res, 400, 'invalid_request_error', 'There was an issue with the request body: invalid JSON');
    }
    const url = new URL(req.url ?? '/', 'http://mock');
    const record = log.record(req, res, url, body);

    // x-api-key as documented; the anthropic SDKs from 2.x send the key as a Bearer token instead.
    if (req.headers['x-api-key'] !== apiKey && req.headers.authorization !== `Bearer ${apiKey}`) return sendError(res, 401, 'authentication_error', 'invalid x-api-key');
    if (!req.headers['anthropic-version']) return sendError(res, 400, 'invalid_request_error', 'anthropic-version: header is required');

    if (req.method === 'GET' && url.pathname === '/v1/models') {
      const limit = Math.min(Number(url.searchParams.get('limit') ?? 20), 1000);
      const after = url.searchParams.get('after_id');
      const start = after ? MOCK_ANTHROPIC_MODELS.indexOf(after) + 1 : 0;
      const page = MOCK_ANTHROPIC_MODELS.slice(start, start + limit);
      return sendJson(res, 200, {
        data: page.map((id) => ({ type: 'model', id, display_name: id, created_at: '2025-10-01T00:00:00Z' })),
        has_more: start + limit < MOCK_ANTHROPIC_MODELS.length,
        first_id: page[0] ?? null,
        last_id: page.at(-1) ?? null,
      });
    }
    if (req.method !== 'POST' || url.pathname !== '/v1/messages') return sendError(res, 404, 'not_found_error', `Not found: ${url.pathname}`);

    const step = steps.shift();
    if (step && 'error' in step) {
      const { status, type, message, retryAfter } = step.error;
      return sendError(res, status, type, message, retryAfter ? { 'retry-after': retryAfter } : {});
    }
    const problem = invalid(body);
    if (problem) return sendError(res, 400, 'invalid_request_error', problem);

    const id = `msg_mock_${String(++messageCount).padStart(4, '0')}`;
    const model = responseModel(body.model);
    const hang = step !== undefined && 'hang' in step;
    if (!body.stream) {
      if (hang) return; // the client's abort is the only way out
      const a = answer(body);
      return sendJson(res, 200, {
        id,
        type: 'message',
        role: 'assistant',
        model,
        content: a.content,
        stop_reason: a.stop_reason,
        stop_sequence: null,
        usage: { ...MOCK_ANTHROPIC_INPUT_USAGE, output_tokens: a.output_tokens, service_tier: 'standard' },
      });
    }

    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive', 'request-id': 'req_mock' });
    const a = answer(body);
    sse(res, 'message_start', {
      message: { id, type: 'message', role: 'assistant', model, content: [], stop_reason: null, stop_sequence: null, usage: { ...MOCK_ANTHROPIC_INPUT_USAGE, output_tokens: 1, service_tier: 'standard' } },
    });
    if (hang || (step && ('streamError' in step || 'cutShort' in step))) {
      sse(res, 'content_block_start', { index: 0, content_block: { type: 'text', text: '' } });
      sse(res, 'content_block_delta', { index: 0, delta: { type: 'text_delta', text: 'Hello' } });
      if (step && 'streamError' in step) sse(res, 'error', { error: step.streamError });
      if (!hang) res.end();
      return;
    }
    sse(res, 'ping', {});
    for (const [index, block] of a.content.entries()) {
      if (block.type === 'text') {
        sse(res, 'content_block_start', { index, content_block: { type: 'text', text: '' } });
        // A few words per delta, like the real stream.
        const words = block.text.split(/(?<= )/);
        for (let i = 0; i < words.length; i += 2) sse(res, 'content_block_delta', { index, delta: { type: 'text_delta', text: words.slice(i, i + 2).join('') } });
      } else {
        sse(res, 'content_block_start', { index, content_block: { type: 'tool_use', id: block.id, name: block.name, input: {} } });
        const json = JSON.stringify(block.input);
        const mid = Math.floor(json.length / 2);
        // The first fragment is empty, as the real API sends it; the rest cut mid-token.
        for (const part of ['', json.slice(0, mid), json.slice(mid)]) sse(res, 'content_block_delta', { index, delta: { type: 'input_json_delta', partial_json: part } });
      }
      sse(res, 'content_block_stop', { index });
    }
    sse(res, 'message_delta', { delta: { stop_reason: a.stop_reason, stop_sequence: null }, usage: { output_tokens: a.output_tokens } });
    // The last event arrives split across two writes: clients must buffer partial lines.
    const stop = `event: message_stop\ndata: ${JSON.stringify({ type: 'message_stop' })}\n\n`;
    res.write(stop.slice(0, 20));
    await new Promise((r) => setTimeout(r, 5));
    res.end(stop.slice(20));
  };

  const server = await listenMock(handle, (res, err) => sendError(res, 500, 'api_error', String(err)));
  return {
    url: `http://127.0.0.1:${server.port}`,
    apiKey,
    requests: log.requests,
    script: (...s) => void steps.push(...s),
    closedEarly: log.closedEarly,
    close: server.close,
  };
}
