import type { IncomingMessage, ServerResponse } from 'node:http';
import { listenMock, readBody, requestLog, type RecordedRequest } from './recorded-requests';

/**
 * A local stand-in for Google's Gemini API (v1beta): models/{m}:generateContent, :streamGenerateContent (SSE with
 * alt=sse, a JSON array without), :embedContent, :batchEmbedContents and GET models, shaped after
 * https://ai.google.dev/api/generate-content and .../embeddings. It refuses what the real API refuses (bad key,
 * unknown fields, roles, function responses that do not answer the previous turn's calls, a Gemini 3 function call
 * sent back without its thoughtSignature) with Google's error JSON, records every request (and whether the client
 * closed it early) and answers deterministically:
 * - functionCallingConfig ANY with allowedFunctionNames: those functions called with MOCK_GEMINI_TOOL_ARGS;
 * - tools offered (mode not NONE) and the last user turn has no functionResponse: one call per declared function;
 * - otherwise text: JSON (MOCK_GEMINI_TOOL_ARGS) when responseMimeType is application/json, MOCK_GEMINI_FINAL after
 *   function responses, else MOCK_GEMINI_GREETING, cut to maxOutputTokens words (finishReason MAX_TOKENS).
 * Usage reports cached and thought tokens. `script()` queues errors, hangs and mid-stream errors.
 */

export const MOCK_GEMINI_GREETING = 'Hello from a mock Gemini, what can I do for you?';
export const MOCK_GEMINI_FINAL = 'Paris is at 18°C with clear skies.';
export const MOCK_GEMINI_TOOL_ARGS = { location: 'Paris', unit: 'celsius' } as const;
export const MOCK_GEMINI_THOUGHT_SIGNATURE = 'bW9jay10aG91Z2h0LXNpZ25hdHVyZQ==';
/** Input usage of every answer; candidatesTokenCount is the answer's word count plus 5 per function call. */
export const MOCK_GEMINI_USAGE = { promptTokenCount: 1250, cachedContentTokenCount: 1024, thoughtsTokenCount: 64 } as const;
export const MOCK_GEMINI_MODELS = [
  { name: 'models/gemini-2.5-flash', supportedGenerationMethods: ['generateContent', 'countTokens', 'createCachedContent'] },
  { name: 'models/gemini-3-pro-preview', supportedGenerationMethods: ['generateContent', 'countTokens'] },
  { name: 'models/gemini-embedding-001', supportedGenerationMethods: ['embedContent', 'countTextTokens'] },
  { name: 'models/aqa', supportedGenerationMethods: ['generateAnswer'] },
];
export const MOCK_GEMINI_EMBEDDING_DIMENSIONS = 8;

export type RecordedGeminiRequest = RecordedRequest;

export type MockGeminiStep =
  | { error: { status: number; grpcStatus: string; message: string; retryDelay?: string } }
  /** Non-streaming: never answers. Streaming: sends one text chunk, then waits. */
  | { hang: true }
  /** Streaming: one text chunk, then an error object in the stream. */
  | { streamError: { code: number; grpcStatus: string; message: string } }
  /** Streaming: one text chunk, then the connection ends (no finishReason). */
  | { cutShort: true };

export interface MockGeminiServer {
  /** The API root (Google SDK convention): requests go to {url}/v1beta/models/{model}:generateContent. */
  url: string;
  apiKey: string;
  requests: RecordedGeminiRequest[];
  script(...steps: MockGeminiStep[]): void;
  closedEarly(request: RecordedGeminiRequest, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

function sendJson(res: ServerResponse, status: number, body: unknown) {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function sendError(res: ServerResponse, status: number, grpcStatus: string, message: string, details?: unknown[]) {
  sendJson(res, status, { error: { code: status, message, status: grpcStatus, ...(details ? { details } : {}) } });
}

const TOP_LEVEL = ['contents', 'systemInstruction', 'tools', 'toolConfig', 'generationConfig', 'safetySettings', 'cachedContent'];
const GENERATION_CONFIG = [
  'temperature', 'topP', 'topK', 'maxOutputTokens', 'stopSequences', 'candidateCount', 'seed', 'responseMimeType', 'responseSchema',
  'responseJsonSchema', 'presencePenalty', 'frequencyPenalty', 'thinkingConfig', 'responseLogprobs', 'logprobs', 'responseModalities',
];
const PART_KINDS = ['text', 'inlineData', 'fileData', 'functionCall', 'functionResponse', 'executableCode', 'codeExecutionResult'];

const unknownField = (name: string, where: string) => `Invalid JSON payload received. Unknown name "${name}" at '${where}': Cannot find field.`;

/** What the real API refuses, with its wording where known; undefined when the request is acceptable. */
function invalid(body: any, model: string): string | undefined {
  for (const k of Object.keys(body ?? {})) if (!TOP_LEVEL.includes(k)) return unknownField(k, '');
  for (const k of Object.keys(body.generationConfig ?? {})) if (!GENERATION_CONFIG.includes(k)) return unknownField(k, 'generation_config');
  if (body.generationConfig?.responseSchema && body.generationConfig?.responseJsonSchema) return 'responseSchema and responseJsonSchema are mutually exclusive';
  if (!Array.isArray(body.contents) || body.contents.length === 0) return '* GenerateContentRequest.contents: contents is not specified';
  for (const p of body.systemInstruction?.parts ?? []) if (typeof p.text !== 'string') return 'systemInstruction parts must be text';
  for (const [i, t] of (body.tools ?? []).entries()) {
    for (const [j, f] of (t.functionDeclarations ?? []).entries()) {
      if (!/^[a-zA-Z_][a-zA-Z0-9_.:-]{0,63}$/.test(f.name ?? '')) return `* GenerateContentRequest.tools[${i}].function_declarations[${j}].name: Invalid function name.`;
      if (f.parameters && f.parametersJsonSchema) return `* GenerateContentRequest.tools[${i}].function_declarations[${j}]: parameters and parameters_json_schema are mutually exclusive`;
    }
  }
  for (const [i, c] of (body.contents as any[]).entries()) {
    if (c.role !== 'user' && c.role !== 'model') return `Please use a valid role: user, model.`;
    if (!Array.isArray(c.parts) || c.parts.length === 0) return `* GenerateContentRequest.contents[${i}].parts: contents.parts must not be empty.`;
    for (const [j, p] of (c.parts as any[]).entries()) {
      const kinds = Object.keys(p).filter((k) => PART_KINDS.includes(k));
      for (const k of Object.keys(p)) if (!PART_KINDS.includes(k) && k !== 'thought' && k !== 'thoughtSignature') return unknownField(k, `contents[${i}].parts[${j}]`);
      if (kinds.length !== 1) return `* GenerateContentRequest.contents[${i}].parts[${j}].data: required oneof field 'data' must have one initialized field`;
      if (p.inlineData && (!p.inlineData.mimeType || !p.inlineData.data)) return `contents[${i}].parts[${j}].inline_data: mime_type and data are required`;
      if (p.functionCall && c.role !== 'model') return `contents[${i}].parts[${j}]: function calls come from the model`;
      if (p.functionResponse && (typeof p.functionResponse.name !== 'string' || typeof p.functionResponse.response !== 'object' || Array.isArray(p.functionResponse.response))) {
        return `* GenerateContentRequest.contents[${i}].parts[${j}].function_response: name and an object response are required`;
      }
    }
    const responses = c.parts.filter((p: any) => p.functionResponse);
    if (responses.length) {
      const prev = body.contents[i - 1];
      const calls = prev?.role === 'model' ? prev.parts.filter((p: any) => p.functionCall) : [];
      if (calls.length !== responses.length) {
        return 'Please ensure that the number of function response parts is equal to the number of function call parts of the function call turn.';
      }
      const names = calls.map((p: any) => p.functionCall.name).sort();
      if (JSON.stringify(names) !== JSON.stringify(responses.map((p: any) => p.functionResponse.name).sort())) return `contents[${i}]: function response names do not match the calls`;
      if (model.startsWith('gemini-3') && !calls[0].thoughtSignature) {
        return `Function call is missing a thought_signature in functionCall parts. This is required for tools to work correctly. Additional data, function call \`default_api:${calls[0].functionCall.name}\`, position 1.`;
      }
    }
  }
  return undefined;
}

interface Answer {
  parts: any[];
  finishReason: string;
  words: number;
}

function answer(body: any, model: string): Answer {
  const declared: string[] = (body.tools ?? []).flatMap((t: any) => (t.functionDeclarations ?? []).map((f: any) => f.name));
  const config = body.toolConfig?.functionCallingConfig ?? {};
  const last = body.contents.at(-1);
  const answered = last.role === 'user' && last.parts.some((p: any) => p.functionResponse);
  const call = (name: string, i: number) => ({
    functionCall: { name, args: { ...MOCK_GEMINI_TOOL_ARGS } },
    // Gemini 3 signs the first function call of a turn.
    ...(i === 0 && model.startsWith('gemini-3') ? { thoughtSignature: MOCK_GEMINI_THOUGHT_SIGNATURE } : {}),
  });
  if (declared.length && config.mode !== 'NONE' && (!answered || config.mode === 'ANY')) {
    const names: string[] = config.mode === 'ANY' && config.allowedFunctionNames?.length ? config.allowedFunctionNames : declared;
    return { parts: names.map(call), finishReason: 'STOP', words: 5 * names.length };
  }
  const json = body.generationConfig?.responseMimeType === 'application/json';
  const words = (json ? JSON.stringify(MOCK_GEMINI_TOOL_ARGS) : answered ? MOCK_GEMINI_FINAL : MOCK_GEMINI_GREETING).split(/(?<= )/);
  const max = body.generationConfig?.maxOutputTokens ?? Infinity;
  const cut = words.length > max;
  return { parts: [{ text: words.slice(0, max).join('') }], finishReason: cut ? 'MAX_TOKENS' : 'STOP', words: Math.min(words.length, max) };
}

function usage(candidates: number) {
  const { promptTokenCount, cachedContentTokenCount, thoughtsTokenCount } = MOCK_GEMINI_USAGE;
  return {
    promptTokenCount,
    candidatesTokenCount: candidates,
    totalTokenCount: promptTokenCount + candidates + thoughtsTokenCount,
    cachedContentTokenCount,
    thoughtsTokenCount,
    promptTokensDetails: [{ modality: 'TEXT', tokenCount: promptTokenCount }],
    cacheTokensDetails: [{ modality: 'TEXT', tokenCount: cachedContentTokenCount }],
  };
}

/** A deterministic vector for a text, so tests can tell inputs apart. */
export function mockGeminiEmbedding(text: string, dims = MOCK_GEMINI_EMBEDDING_DIMENSIONS): number[] {
  return Array.from({ length: dims }, (_, i) => Math.round(Math.sin(text.length + i * (text.charCodeAt(i % Math.max(text.length, 1)) || 1)) * 1e4) / 1e4);
}

export async function startMockGeminiServer(apiKey = 'gemini-mock-key'): Promise<MockGeminiServer> {
  const log = requestLog();
  const steps: MockGeminiStep[] = [];
  let responses = 0;

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const text = await readBody(req);
    const url = new URL(req.url ?? '/', 'http://mock');
    const record = log.record(req, res, url, undefined);
    try {
      record.body = text ? JSON.parse(text) : undefined;
    } catch {
      return sendError(res, 400, 'INVALID_ARGUMENT', 'Invalid JSON payload received.');
    }
    const key = req.headers['x-goog-api-key'] ?? url.searchParams.get('key');
    if (key !== apiKey) {
      return sendError(res, 400, 'INVALID_ARGUMENT', 'API key not valid. Please pass a valid API key.', [
        { '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'API_KEY_INVALID', domain: 'googleapis.com' },
      ]);
    }
    if (req.method === 'GET' && url.pathname === '/v1beta/models') {
      const size = Number(url.searchParams.get('pageSize') ?? 50);
      const start = Number(url.searchParams.get('pageToken') ?? 0);
      const page = MOCK_GEMINI_MODELS.slice(start, start + size);
      return sendJson(res, 200, { models: page, ...(start + size < MOCK_GEMINI_MODELS.length ? { nextPageToken: String(start + size) } : {}) });
    }
    const m = /^\/v1beta\/models\/([^/:]+):(generateContent|streamGenerateContent|embedContent|batchEmbedContents)$/.exec(url.pathname);
    if (req.method !== 'POST' || !m) return sendError(res, 404, 'NOT_FOUND', `Method not found: ${url.pathname}`);
    const model = decodeURIComponent(m[1]!);
    const method = m[2]!;
    const body = record.body;

    const step = steps.shift();
    if (step && 'error' in step) {
      const { status, grpcStatus, message, retryDelay } = step.error;
      return sendError(res, status, grpcStatus, message, retryDelay ? [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay }] : undefined);
    }

    if (method === 'embedContent' || method === 'batchEmbedContents') {
      const items: any[] = method === 'embedContent' ? [body] : (body?.requests ?? []);
      if (items.length === 0) return sendError(res, 400, 'INVALID_ARGUMENT', '* BatchEmbedContentsRequest.requests: requests is empty');
      for (const [i, it] of items.entries()) {
        if (method === 'batchEmbedContents' && it.model !== `models/${model}`) {
          return sendError(res, 400, 'INVALID_ARGUMENT', `* BatchEmbedContentsRequest.requests[${i}].model: the model in the request must match the model in the URL`);
        }
        if (typeof it.content?.parts?.[0]?.text !== 'string') return sendError(res, 400, 'INVALID_ARGUMENT', `requests[${i}].content: text is required`);
      }
      const vectors = items.map((it) => ({ values: mockGeminiEmbedding(it.content.parts.map((p: any) => p.text).join(''), it.outputDimensionality) }));
      return sendJson(res, 200, method === 'embedContent' ? { embedding: vectors[0] } : { embeddings: vectors });
    }

    const problem = invalid(body, model);
    if (problem) return sendError(res, 400, 'INVALID_ARGUMENT', problem);
    const responseId = `mock-resp-${String(++responses).padStart(4, '0')}`;
    const a = answer(body, model);
    const hang = step !== undefined && 'hang' in step;
    const full = { candidates: [{ content: { role: 'model', parts: a.parts }, finishReason: a.finishReason, index: 0 }], usageMetadata: usage(a.words), modelVersion: model, responseId };
    if (method === 'generateContent') {
      if (hang) return;
      return sendJson(res, 200, full);
    }

    // Streaming: text in several chunks (each with the usage so far), function calls whole, finishReason and full usage last.
    const chunks: any[] = [];
    const piece = (parts: any[], finishReason?: string, words = 0) =>
      chunks.push({
        candidates: [{ content: { role: 'model', parts }, ...(finishReason ? { finishReason } : {}), index: 0 }],
        usageMetadata: finishReason ? usage(a.words) : { promptTokenCount: MOCK_GEMINI_USAGE.promptTokenCount, candidatesTokenCount: words, totalTokenCount: MOCK_GEMINI_USAGE.promptTokenCount + words },
        modelVersion: model,
        responseId,
      });
    if (hang || (step && ('streamError' in step || 'cutShort' in step))) piece([{ text: 'Hello' }], undefined, 1);
    else if (a.parts[0].text !== undefined) {
      const words = (a.parts[0].text as string).split(/(?<= )/);
      const per = Math.ceil(words.length / 3);
      for (let i = 0; i < words.length; i += per) piece([{ text: words.slice(i, i + per).join('') }], i + per >= words.length ? a.finishReason : undefined, Math.min(i + per, words.length));
    } else {
      piece(a.parts, a.finishReason);
    }
    if (url.searchParams.get('alt') !== 'sse') return sendJson(res, 200, chunks); // without alt=sse: one JSON array
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    for (const c of chunks) res.write(`data: ${JSON.stringify(c)}\r\n\r\n`);
    if (step && 'streamError' in step) {
      const e = step.streamError;
      res.end(`data: ${JSON.stringify({ error: { code: e.code, message: e.message, status: e.grpcStatus } })}\r\n\r\n`);
      return;
    }
    if (!hang) res.end();
  };

  const server = await listenMock(handle, (res, err) => sendError(res, 500, 'INTERNAL', String(err)));
  return {
    url: `http://127.0.0.1:${server.port}`,
    apiKey,
    requests: log.requests,
    script: (...s) => void steps.push(...s),
    closedEarly: log.closedEarly,
    close: server.close,
  };
}
