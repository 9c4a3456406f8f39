import { compactSpanData, normalizeSpan, summarizeTrace } from '@temps/domain';
import { gatewaySpan, parseTraceparent, type GatewayCall } from './gateway-span';

const call = (over: Partial<GatewayCall> = {}): GatewayCall => ({
  operation: 'chat',
  providerName: 'anthropic',
  requestModel: 'claude-haiku-4-5',
  clientModel: 'anthropic/claude-haiku-4-5',
  request: {
    model: 'anthropic/claude-haiku-4-5',
    temperature: 0.5,
    max_tokens: 100,
    messages: [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: [{ type: 'text', text: 'What is this?' }, { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } }] },
    ],
    tools: [{ type: 'function', function: { name: 'f' } }],
  },
  stream: true,
  traceId: 'a'.repeat(32),
  spanId: 'b'.repeat(16),
  parentSpanId: 'c'.repeat(16),
  startNs: 1_780_000_000_000_000_000n,
  endNs: 1_780_000_000_250_000_000n,
  firstTokenNs: 1_780_000_000_100_000_000n,
  baseUrl: 'https://api.anthropic.com',
  keyId: 'key-1',
  response: {
    id: 'msg_1',
    model: 'claude-haiku-4-5-20251001',
    finishReasons: ['tool_calls'],
    usage: { prompt_tokens: 30, completion_tokens: 9, total_tokens: 39, prompt_tokens_details: { cached_tokens: 10, cache_creation_tokens: 4 } },
    outputs: [{ role: 'assistant', content: null, tool_calls: [{ id: 't1', type: 'function', function: { name: 'f', arguments: '{"a":1}' } }] }],
  },
  captureContent: true,
  ...over,
});

/** The span through the same path as any OTLP span: stored (compact), read back, normalized. */
const normalized = (c: GatewayCall) => {
  const data = compactSpanData(gatewaySpan(c));
  const meta = { projectId: '1', receivedAt: new Date().toISOString(), requestId: 'r', encoding: 'json', schemaVersion: 2 } as const;
  return normalizeSpan(data, meta, 1n);
};

describe('gatewaySpan: a proxied call as the GenAI span an instrumentation would send', () => {
  it('carries semconv attributes the projections read without a special case', () => {
    const doc = normalized(call()) as any;
    expect(doc).toMatchObject({
      operation: 'chat',
      provider: 'anthropic',
      requestModel: 'claude-haiku-4-5',
      responseModel: 'claude-haiku-4-5-20251001',
      responseId: 'msg_1',
      inputTokens: 30,
      outputTokens: 9,
      cacheReadInputTokens: 10,
      cacheCreationInputTokens: 4,
      finishReasons: ['tool_call'], // as the semconv mapper reads OpenAI's tool_calls
      temperature: 0.5,
      maxTokens: 100,
      parentSpanId: 'c'.repeat(16),
      serviceName: 'temps-ai-gateway',
    });
    expect(doc.attributes).toMatchObject({ 'temps.gateway': true, 'server.address': 'api.anthropic.com', 'server.port': 443, 'temps.gateway.time_to_first_token_ms': 100, 'temps.gateway.client_model': 'anthropic/claude-haiku-4-5' });
    expect(doc.inputMessages.map((m: any) => m.role)).toEqual(['system', 'user']);
    expect(doc.outputMessages[0].role).toBe('assistant');
    expect(JSON.stringify(doc.inputMessages)).not.toContain('AAAA'); // inline images stay out of the span
    expect(summarizeTrace([doc]).gateway).toBe(true);
  });

  it('leaves prompts and answers out when content capture is off, and marks errors', () => {
    const data = gatewaySpan(call({ captureContent: false, response: undefined, error: { status: 429, type: 'rate_limit_error', message: 'slow down' } }));
    const keys = data.span.attributes.map((a) => a.key);
    expect(keys).not.toContain('gen_ai.input.messages');
    expect(keys).not.toContain('gen_ai.output.messages');
    expect(keys).not.toContain('gen_ai.tool.definitions');
    expect(data.span.status).toEqual({ code: 2, message: 'slow down' });
    expect(keys).toContain('error.type');
  });

  it('reads W3C traceparent headers, refusing malformed and all-zero ids', () => {
    expect(parseTraceparent(`00-${'1'.repeat(32)}-${'2'.repeat(16)}-01`)).toEqual({ traceId: '1'.repeat(32), spanId: '2'.repeat(16) });
    expect(parseTraceparent(`00-${'0'.repeat(32)}-${'2'.repeat(16)}-01`)).toBeNull();
    expect(parseTraceparent('garbage')).toBeNull();
    expect(parseTraceparent(undefined)).toBeNull();
  });
});
