import type { AnyValue, KeyValue } from '../any-value';
import type { IngestMetadata, RawSpanEvent, SpanReceivedData } from '../events';
import { messagesFromEventRecords, normalizeFinishReason } from '../messages';
import { normalizeSpan } from '../normalize-span';
import type { SpanDocument } from '../span-document';
import { countedUsageSpans, summarizeTrace } from '../trace-summary';
import { DEFAULT_DIALECT_MAPPERS, logRecordToContentEvent, normalizeProvider, providerFromServerAddress, unflatten, type DialectMapper } from './index';

const meta: IngestMetadata = { projectId: '1', receivedAt: '2026-11-27T00:00:00.000Z', requestId: 'r', encoding: 'protobuf', schemaVersion: 1 };
const TRACE = '0af7651916cd43dd8448eb211c80319c';

function anyValue(v: unknown): AnyValue {
  if (Array.isArray(v)) return { arrayValue: { values: v.map(anyValue) } };
  if (typeof v === 'number') return Number.isInteger(v) ? { intValue: String(v) } : { doubleValue: v };
  if (typeof v === 'boolean') return { boolValue: v };
  if (v && typeof v === 'object') return { kvlistValue: { values: kv(v as Record<string, unknown>) } };
  return { stringValue: String(v) };
}
const kv = (o: Record<string, unknown>): KeyValue[] => Object.entries(o).map(([key, v]) => ({ key, value: anyValue(v) }));

interface SpanInput {
  name: string;
  attrs: Record<string, unknown>;
  events?: { name: string; attrs: Record<string, unknown> }[];
  spanId?: string;
  parent?: string;
  scope?: string;
  kind?: number;
}

function raw(s: SpanInput): SpanReceivedData {
  const events: RawSpanEvent[] = (s.events ?? []).map((e) => ({ timeUnixNano: '1780000000000000000', name: e.name, attributes: kv(e.attrs) }));
  return {
    span: {
      traceId: TRACE,
      spanId: s.spanId ?? 'b000000000000001',
      parentSpanId: s.parent,
      name: s.name,
      kind: s.kind ?? 3,
      startTimeUnixNano: '1780000000000000000',
      endTimeUnixNano: '1780000000500000000',
      attributes: kv(s.attrs),
      events,
      links: [],
      status: { code: 0 },
    },
    resource: { attributes: kv({ 'service.name': 'weather-bot' }) },
    scope: { name: s.scope ?? 'test', attributes: [] },
  };
}
const norm = (s: SpanInput, options?: Parameters<typeof normalizeSpan>[3]): SpanDocument => normalizeSpan(raw(s), meta, 1n, options);

const WEATHER_TOOL = { type: 'function', name: 'get_weather', description: 'Current weather for a city', parameters: { type: 'object', properties: { location: { type: 'string' } }, required: ['location'] } };
const USER_Q = "What's the weather in Paris?";
const toolCallPart = { type: 'tool_call', id: 'call_1', name: 'get_weather', arguments: { location: 'Paris' } };

describe('OTel GenAI semconv (span attributes)', () => {
  // opentelemetry-instrumentation-openai-v2, experimental mode, SPAN_ONLY content.
  const chat = norm({
    name: 'chat gpt-4o-mini',
    attrs: {
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt-4o-mini',
      'gen_ai.request.temperature': 0.2,
      'gen_ai.request.max_tokens': 256,
      'gen_ai.request.top_p': 0.9,
      'gen_ai.request.seed': 42,
      'gen_ai.response.model': 'gpt-4o-mini-2024-07-18',
      'gen_ai.response.id': 'chatcmpl-1',
      'gen_ai.response.finish_reasons': ['tool_calls'],
      'gen_ai.usage.input_tokens': 120,
      'gen_ai.usage.output_tokens': 30,
      'gen_ai.usage.cache_read.input_tokens': 100,
      'gen_ai.usage.cache_creation.input_tokens': 0,
      'gen_ai.usage.reasoning.output_tokens': 8,
      'gen_ai.conversation.id': 'conv-7',
      'gen_ai.system_instructions': JSON.stringify([{ type: 'text', content: 'You are a weather bot.' }]),
      'gen_ai.input.messages': JSON.stringify([{ role: 'user', parts: [{ type: 'text', content: USER_Q }] }]),
      'gen_ai.output.messages': JSON.stringify([
        { role: 'assistant', parts: [{ type: 'tool_call', id: 'call_1', name: 'get_weather', arguments: { location: 'Paris' } }], finish_reason: 'tool_calls' },
      ]),
      'gen_ai.tool.definitions': JSON.stringify([WEATHER_TOOL]),
      'server.address': 'api.openai.com',
      'server.port': 443,
    },
  });

  it('maps the chat span', () => {
    expect(chat).toMatchObject({
      kind: 'generation',
      operation: 'chat',
      provider: 'openai',
      requestModel: 'gpt-4o-mini',
      responseModel: 'gpt-4o-mini-2024-07-18',
      responseId: 'chatcmpl-1',
      temperature: 0.2,
      maxTokens: 256,
      parameters: { top_p: 0.9, seed: 42 },
      finishReasons: ['tool_call'],
      inputTokens: 120,
      outputTokens: 30,
      cacheReadInputTokens: 100,
      cacheCreationInputTokens: 0,
      reasoningOutputTokens: 8,
      sessionId: 'conv-7',
      conversationId: 'conv-7',
      systemInstructions: [{ type: 'text', content: 'You are a weather bot.' }],
      toolDefinitions: [WEATHER_TOOL],
      aggregateUsage: false,
      mapping: { dialects: ['otel-genai'], unmappedKeys: [] },
    });
    expect(chat.inputMessages).toEqual([{ role: 'user', parts: [{ type: 'text', content: USER_Q }] }]);
    expect(chat.outputMessages).toEqual([{ role: 'assistant', parts: [toolCallPart], finish_reason: 'tool_call' }]);
  });

  it('maps execute_tool and invoke_agent (aggregate when it carries usage)', () => {
    const tool = norm({
      name: 'execute_tool get_weather',
      kind: 1,
      attrs: { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'get_weather', 'gen_ai.tool.call.id': 'call_1', 'gen_ai.tool.call.arguments': '{"location":"Paris"}', 'gen_ai.tool.call.result': '{"temp_c":18}', 'gen_ai.tool.type': 'function' },
    });
    expect(tool).toMatchObject({ kind: 'tool', toolName: 'get_weather', toolCallId: 'call_1', toolCallArguments: { location: 'Paris' }, toolCallResult: { temp_c: 18 }, aggregateUsage: false });
    const agent = norm({ name: 'invoke_agent weather', kind: 1, attrs: { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': 'weather', 'gen_ai.usage.input_tokens': 300, 'gen_ai.usage.output_tokens': 50 } });
    expect(agent).toMatchObject({ kind: 'agent', agentName: 'weather', aggregateUsage: true });
    const agentNoUsage = norm({ name: 'invoke_agent weather', kind: 1, attrs: { 'gen_ai.operation.name': 'invoke_agent' } });
    expect(agentNoUsage.aggregateUsage).toBe(false);
  });

  it('reads deprecated aliases and the raw-string system instructions of the JS Responses API', () => {
    const doc = norm({
      name: 'responses gpt-4o',
      attrs: { 'gen_ai.system': 'openai', 'gen_ai.operation.name': 'chat', 'gen_ai.usage.prompt_tokens': 11, 'gen_ai.usage.completion_tokens': 7, 'gen_ai.system_instructions': 'Be brief.' },
    });
    expect(doc).toMatchObject({ provider: 'openai', inputTokens: 11, outputTokens: 7, systemInstructions: [{ type: 'text', content: 'Be brief.' }] });
  });

  it('reports gen_ai.*, llm.*, ai.* keys nobody understood', () => {
    const doc = norm({ name: 'chat x', attrs: { 'gen_ai.operation.name': 'chat', 'gen_ai.brand_new.thing': 1, 'llm.mystery': 'x', 'ai.unknown': true, 'http.method': 'POST' } });
    expect(doc.mapping).toEqual({ dialects: ['otel-genai'], unmappedKeys: ['ai.unknown', 'gen_ai.brand_new.thing', 'llm.mystery'] });
  });
});

describe('deprecated per-message events and operation.details', () => {
  // opentelemetry-instrumentation-openai-v2 legacy mode, content as span events (same shape as log records).
  const legacyChat = (events: SpanInput['events']) =>
    norm({
      name: 'chat gpt-4o-mini',
      attrs: { 'gen_ai.operation.name': 'chat', 'gen_ai.system': 'openai', 'gen_ai.request.model': 'gpt-4o-mini', 'gen_ai.response.finish_reasons': ['tool_calls'], 'gen_ai.usage.input_tokens': 57, 'gen_ai.usage.output_tokens': 15 },
      events,
    });

  it('turns system/user/choice events (tool_calls under message) into messages', () => {
    const doc = legacyChat([
      { name: 'gen_ai.system.message', attrs: { 'gen_ai.system': 'openai', content: 'You are a weather bot.' } },
      { name: 'gen_ai.user.message', attrs: { 'gen_ai.system': 'openai', content: USER_Q } },
      {
        name: 'gen_ai.choice',
        attrs: { 'gen_ai.system': 'openai', index: 0, finish_reason: 'tool_calls', message: { role: 'assistant', tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"location":"Paris"}' } }] } },
      },
    ]);
    expect(doc.inputMessages).toEqual([
      { role: 'system', parts: [{ type: 'text', content: 'You are a weather bot.' }] },
      { role: 'user', parts: [{ type: 'text', content: USER_Q }] },
    ]);
    expect(doc.outputMessages).toEqual([{ role: 'assistant', parts: [toolCallPart], finish_reason: 'tool_call' }]);
    expect(doc.mapping!.dialects).toEqual(['otel-genai', 'otel-genai-events']);
  });

  it('second turn: assistant tool_calls, tool message, choice with top-level tool_calls order by index', () => {
    const m = messagesFromEventRecords([
      { name: 'gen_ai.user.message', attributes: {}, body: { content: USER_Q } },
      { name: 'gen_ai.assistant.message', attributes: {}, body: { tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: { location: 'Paris' } } }] } },
      { name: 'gen_ai.tool.message', attributes: {}, body: { content: '{"temp_c":18}', id: 'call_1' } },
      { name: 'gen_ai.choice', attributes: {}, body: { index: 1, finish_reason: 'stop', message: { content: 'Alt.' } } },
      // OpenLLMetry style: tool_calls at the top level; name from the `event.name` attribute (JS log records).
      { attributes: { 'event.name': 'gen_ai.choice' }, body: { index: 0, finish_reason: 'stop', message: { content: 'It is 18°C in Paris.' } } },
    ]);
    expect(m.inputMessages).toEqual([
      { role: 'user', parts: [{ type: 'text', content: USER_Q }] },
      { role: 'assistant', parts: [toolCallPart] },
      { role: 'tool', parts: [{ type: 'tool_call_response', id: 'call_1', response: { temp_c: 18 } }] },
    ]);
    expect(m.outputMessages!.map((x) => x.parts[0])).toEqual([
      { type: 'text', content: 'It is 18°C in Paris.' },
      { type: 'text', content: 'Alt.' },
    ]);
    const top = messagesFromEventRecords([{ name: 'gen_ai.choice', attributes: {}, body: { index: 0, finish_reason: 'tool_calls', message: { role: 'assistant' }, tool_calls: [{ id: 'call_1', function: { name: 'get_weather', arguments: '{"location":"Paris"}' } }] } }]);
    expect(top.outputMessages).toEqual([{ role: 'assistant', parts: [toolCallPart], finish_reason: 'tool_call' }]);
  });

  it('reads gen_ai.client.inference.operation.details with structured content, also as joined log records', () => {
    const details = {
      name: 'gen_ai.client.inference.operation.details',
      attributes: {
        'gen_ai.system_instructions': [{ type: 'text', content: 'You are a weather bot.' }],
        'gen_ai.input.messages': [{ role: 'user', parts: [{ type: 'text', content: USER_Q }] }],
        'gen_ai.output.messages': [{ role: 'assistant', parts: [toolCallPart], finish_reason: 'tool_calls' }],
        'gen_ai.tool.definitions': [WEATHER_TOOL],
      },
    };
    const doc = legacyChat([{ name: details.name, attrs: details.attributes }]);
    expect(doc).toMatchObject({ systemInstructions: [{ type: 'text', content: 'You are a weather bot.' }], toolDefinitions: [WEATHER_TOOL] });
    expect(doc.inputMessages).toEqual([{ role: 'user', parts: [{ type: 'text', content: USER_Q }] }]);
    expect(doc.outputMessages).toEqual([{ role: 'assistant', parts: [toolCallPart], finish_reason: 'tool_call' }]);
    const viaLog = legacyChat([]);
    expect(viaLog.inputMessages).toBeNull();
    const joined = normalizeSpan(raw({ name: 'chat', attrs: { 'gen_ai.operation.name': 'chat' } }), meta, 1n, { logRecords: [details] });
    expect(joined.outputMessages![0]!.parts).toEqual([toolCallPart]);
  });

  it('log records (eventName field or event.name attribute, AnyValue body) join as content events', () => {
    const records = [
      // opentelemetry-instrumentation-openai-v2 (Python): LogRecord.event_name.
      { timeUnixNano: '1', observedTimeUnixNano: '1', severityNumber: 9, eventName: 'gen_ai.user.message', body: anyValue({ content: USER_Q }), attributes: kv({ 'gen_ai.system': 'openai' }) },
      // @opentelemetry/instrumentation-openai (JS): the `event.name` attribute.
      {
        timeUnixNano: '2',
        observedTimeUnixNano: '2',
        severityNumber: 9,
        body: anyValue({ index: 0, finish_reason: 'tool_calls', message: { role: 'assistant', tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"location":"Paris"}' } }] } }),
        attributes: kv({ 'event.name': 'gen_ai.choice', 'gen_ai.system': 'openai' }),
      },
    ].map(logRecordToContentEvent);
    const doc = normalizeSpan(raw({ name: 'chat gpt-4o-mini', attrs: { 'gen_ai.operation.name': 'chat', 'gen_ai.system': 'openai' } }), meta, 1n, { logRecords: records });
    expect(doc.inputMessages).toEqual([{ role: 'user', parts: [{ type: 'text', content: USER_Q }] }]);
    expect(doc.outputMessages).toEqual([{ role: 'assistant', parts: [toolCallPart], finish_reason: 'tool_call' }]);
    expect(doc.mapping!.dialects).toEqual(['otel-genai', 'otel-genai-events']);
  });

  it('span events with a JSON gen_ai.event.content (Azure SDKs) and the older gen_ai.content.prompt/completion', () => {
    const azure = legacyChat([
      { name: 'gen_ai.user.message', attrs: { 'gen_ai.system': 'az.ai.inference', 'gen_ai.event.content': JSON.stringify({ role: 'user', content: USER_Q }) } },
      { name: 'gen_ai.choice', attrs: { 'gen_ai.event.content': JSON.stringify({ index: 0, finish_reason: 'stop', message: { content: 'Sunny.' } }) } },
    ]);
    expect(azure.inputMessages).toEqual([{ role: 'user', parts: [{ type: 'text', content: USER_Q }] }]);
    expect(azure.outputMessages).toEqual([{ role: 'assistant', parts: [{ type: 'text', content: 'Sunny.' }], finish_reason: 'stop' }]);
    const old = legacyChat([
      { name: 'gen_ai.content.prompt', attrs: { 'gen_ai.prompt': JSON.stringify([{ role: 'user', content: USER_Q }]) } },
      { name: 'gen_ai.content.completion', attrs: { 'gen_ai.completion': JSON.stringify([{ role: 'assistant', content: 'Sunny.' }]) } },
    ]);
    expect(old.inputMessages).toEqual([{ role: 'user', parts: [{ type: 'text', content: USER_Q }] }]);
    expect(old.outputMessages).toEqual([{ role: 'assistant', parts: [{ type: 'text', content: 'Sunny.' }] }]);
  });

  it('span attributes win over the same content in events (kept once)', () => {
    const doc = norm({
      name: 'chat',
      attrs: { 'gen_ai.operation.name': 'chat', 'gen_ai.input.messages': JSON.stringify([{ role: 'user', parts: [{ type: 'text', content: 'from span' }] }]) },
      events: [{ name: 'gen_ai.user.message', attrs: { content: 'from event' } }],
    });
    expect(doc.inputMessages).toEqual([{ role: 'user', parts: [{ type: 'text', content: 'from span' }] }]);
  });
});

describe('OpenLLMetry / Traceloop', () => {
  it('current form (Anthropic): semconv keys plus its extra usage keys, input already includes cache', () => {
    const doc = norm({
      name: 'anthropic.chat',
      attrs: {
        'gen_ai.provider.name': 'anthropic',
        'gen_ai.operation.name': 'chat',
        'gen_ai.request.model': 'claude-sonnet-4-5',
        'gen_ai.response.model': 'claude-sonnet-4-5-20250929',
        'gen_ai.usage.input_tokens': 1210, // 10 + 1000 cache read + 200 cache creation
        'gen_ai.usage.output_tokens': 40,
        'gen_ai.usage.cache_read.input_tokens': 1000,
        'gen_ai.usage.cache_creation_input_tokens': 200,
        'gen_ai.usage.reasoning_tokens': 12,
        'gen_ai.usage.total_tokens': 1250,
        'gen_ai.is_streaming': false,
        'gen_ai.input.messages': JSON.stringify([{ role: 'user', parts: [{ type: 'text', content: USER_Q }] }]),
        'gen_ai.output.messages': JSON.stringify([{ role: 'assistant', parts: [toolCallPart], finish_reason: 'tool_call' }]),
        'gen_ai.tool.definitions': JSON.stringify([WEATHER_TOOL]),
      },
    });
    expect(doc).toMatchObject({
      provider: 'anthropic',
      inputTokens: 1210,
      outputTokens: 40,
      cacheReadInputTokens: 1000,
      cacheCreationInputTokens: 200,
      reasoningOutputTokens: 12,
      mapping: { dialects: ['otel-genai', 'openllmetry'], unmappedKeys: [] },
    });
  });

  it('legacy indexed form (OpenAI): prompts, completions with tool calls, functions, usage', () => {
    const doc = norm({
      name: 'openai.chat',
      attrs: {
        'llm.request.type': 'chat',
        'gen_ai.system': 'openai',
        'gen_ai.request.model': 'gpt-4o-mini',
        'gen_ai.response.model': 'gpt-4o-mini-2024-07-18',
        'gen_ai.prompt.name': 'weather-prompt', // semconv key sharing the prefix: not a message
        'gen_ai.prompt.0.role': 'system',
        'gen_ai.prompt.0.content': 'You are a weather bot.',
        'gen_ai.prompt.1.role': 'user',
        'gen_ai.prompt.1.content': USER_Q,
        'gen_ai.prompt.2.role': 'assistant',
        'gen_ai.prompt.2.tool_calls.0.id': 'call_0',
        'gen_ai.prompt.2.tool_calls.0.name': 'get_weather',
        'gen_ai.prompt.2.tool_calls.0.arguments': '{"location":"Lyon"}',
        'gen_ai.prompt.3.role': 'tool',
        'gen_ai.prompt.3.content': '{"temp_c":15}',
        'gen_ai.prompt.3.tool_call_id': 'call_0',
        'gen_ai.completion.0.finish_reason': 'tool_calls',
        'gen_ai.completion.0.role': 'assistant',
        'gen_ai.completion.0.tool_calls.0.id': 'call_1',
        'gen_ai.completion.0.tool_calls.0.name': 'get_weather',
        'gen_ai.completion.0.tool_calls.0.arguments': '{"location":"Paris"}',
        'llm.request.functions.0.name': 'get_weather',
        'llm.request.functions.0.description': 'Current weather for a city',
        'llm.request.functions.0.parameters': JSON.stringify(WEATHER_TOOL.parameters),
        'gen_ai.usage.prompt_tokens': 82,
        'gen_ai.usage.completion_tokens': 18,
        'gen_ai.usage.cache_read_input_tokens': 64,
        'llm.usage.total_tokens': 100,
        'llm.is_streaming': false,
      },
    });
    expect(doc).toMatchObject({
      kind: 'generation',
      operation: 'chat',
      provider: 'openai',
      inputTokens: 82,
      outputTokens: 18,
      cacheReadInputTokens: 64,
      finishReasons: ['tool_call'],
      toolDefinitions: [WEATHER_TOOL],
      mapping: { dialects: ['otel-genai', 'openllmetry'], unmappedKeys: [] },
    });
    expect(doc.inputMessages).toEqual([
      { role: 'system', parts: [{ type: 'text', content: 'You are a weather bot.' }] },
      { role: 'user', parts: [{ type: 'text', content: USER_Q }] },
      { role: 'assistant', parts: [{ type: 'tool_call', id: 'call_0', name: 'get_weather', arguments: { location: 'Lyon' } }] },
      { role: 'tool', parts: [{ type: 'tool_call_response', id: 'call_0', response: { temp_c: 15 } }] },
    ]);
    expect(doc.outputMessages).toEqual([{ role: 'assistant', parts: [toolCallPart], finish_reason: 'tool_call' }]);
  });

  it('legacy Anthropic: "Anthropic" system, content blocks as JSON', () => {
    const doc = norm({
      name: 'anthropic.chat',
      attrs: {
        'llm.request.type': 'chat',
        'gen_ai.system': 'Anthropic',
        'gen_ai.prompt.0.role': 'user',
        'gen_ai.prompt.0.content': JSON.stringify([{ type: 'text', text: USER_Q }]),
        'gen_ai.completion.0.role': 'assistant',
        'gen_ai.completion.0.finish_reason': 'tool_use',
        'gen_ai.completion.0.content': JSON.stringify([{ type: 'tool_use', id: 'call_1', name: 'get_weather', input: { location: 'Paris' } }]),
        'gen_ai.usage.prompt_tokens': 1210,
        'gen_ai.usage.completion_tokens': 40,
        'gen_ai.usage.cache_creation_input_tokens': 200,
      },
    });
    expect(doc).toMatchObject({ provider: 'anthropic', inputTokens: 1210, cacheCreationInputTokens: 200, finishReasons: ['tool_call'] });
    expect(doc.inputMessages).toEqual([{ role: 'user', parts: [{ type: 'text', content: USER_Q }] }]);
    expect(doc.outputMessages![0]!.parts).toEqual([toolCallPart]);
  });

  it('decorators: workflow (aggregate), task (chain), tool with entity input/output', () => {
    const wf = norm({ name: 'weather_flow.workflow', kind: 1, attrs: { 'traceloop.span.kind': 'workflow', 'traceloop.entity.name': 'weather_flow', 'traceloop.workflow.name': 'weather_flow', 'traceloop.association.properties.session_id': 's-1', 'traceloop.association.properties.user_id': 'u-1', 'gen_ai.usage.input_tokens': 300, 'gen_ai.usage.output_tokens': 50, 'traceloop.entity.input': '{"args":["Paris"],"kwargs":{}}' } });
    expect(wf).toMatchObject({ kind: 'workflow', aggregateUsage: true, sessionId: 's-1', userId: 'u-1', input: { args: ['Paris'], kwargs: {} } });
    const task = norm({ name: 'plan.task', kind: 1, attrs: { 'traceloop.span.kind': 'task', 'traceloop.entity.name': 'plan' } });
    expect(task).toMatchObject({ kind: 'chain', aggregateUsage: false });
    const tool = norm({ name: 'get_weather.tool', kind: 1, attrs: { 'traceloop.span.kind': 'tool', 'traceloop.entity.name': 'get_weather', 'traceloop.entity.input': '{"args":[],"kwargs":{"location":"Paris"}}', 'traceloop.entity.output': '{"temp_c":18}' } });
    expect(tool).toMatchObject({ kind: 'tool', toolName: 'get_weather', toolCallArguments: { args: [], kwargs: { location: 'Paris' } }, toolCallResult: { temp_c: 18 } });
  });
});

describe('OpenInference', () => {
  const llm = norm({
    name: 'ChatCompletion',
    kind: 1,
    attrs: {
      'openinference.span.kind': 'LLM',
      'llm.provider': 'openai',
      'llm.system': 'openai',
      'llm.model_name': 'gpt-4o-mini-2024-07-18',
      'llm.invocation_parameters': '{"model":"gpt-4o-mini","temperature":0.2,"max_tokens":256,"tool_choice":"auto"}',
      'llm.input_messages.0.message.role': 'system',
      'llm.input_messages.0.message.content': 'You are a weather bot.',
      'llm.input_messages.1.message.role': 'user',
      'llm.input_messages.1.message.contents.0.message_content.type': 'text',
      'llm.input_messages.1.message.contents.0.message_content.text': USER_Q,
      'llm.output_messages.0.message.role': 'assistant',
      'llm.output_messages.0.message.tool_calls.0.tool_call.id': 'call_1',
      'llm.output_messages.0.message.tool_calls.0.tool_call.function.name': 'get_weather',
      'llm.output_messages.0.message.tool_calls.0.tool_call.function.arguments': '{"location":"Paris"}',
      'llm.tools.0.tool.json_schema': JSON.stringify(WEATHER_TOOL),
      'llm.token_count.prompt': 120,
      'llm.token_count.completion': 30,
      'llm.token_count.total': 150,
      'llm.token_count.prompt_details.cache_read': 100,
      'llm.token_count.prompt_details.cache_write': 5,
      'llm.token_count.completion_details.reasoning': 8,
      'input.value': '{"messages":[]}',
      'input.mime_type': 'application/json',
      'output.value': '{"choices":[]}',
      'session.id': 'sess-9',
      'user.id': 'user-3',
    },
  });

  it('maps the LLM span', () => {
    expect(llm).toMatchObject({
      kind: 'generation',
      provider: 'openai',
      // The recorded openinference-instrumentation-openai: llm.model_name is the model that answered.
      requestModel: 'gpt-4o-mini',
      responseModel: 'gpt-4o-mini-2024-07-18',
      temperature: 0.2,
      maxTokens: 256,
      parameters: { tool_choice: 'auto' },
      inputTokens: 120,
      outputTokens: 30,
      cacheReadInputTokens: 100,
      cacheCreationInputTokens: 5,
      reasoningOutputTokens: 8,
      toolDefinitions: [WEATHER_TOOL],
      sessionId: 'sess-9',
      userId: 'user-3',
      aggregateUsage: false,
      mapping: { dialects: ['openinference'], unmappedKeys: [] },
    });
    expect(llm.inputMessages).toEqual([
      { role: 'system', parts: [{ type: 'text', content: 'You are a weather bot.' }] },
      { role: 'user', parts: [{ type: 'text', content: USER_Q }] },
    ]);
    expect(llm.outputMessages).toEqual([{ role: 'assistant', parts: [toolCallPart] }]);
  });

  it('maps TOOL, CHAIN and AGENT spans; AGENT/CHAIN with token counts are aggregates', () => {
    const tool = norm({ name: 'get_weather', kind: 1, attrs: { 'openinference.span.kind': 'TOOL', 'tool.name': 'get_weather', 'tool.description': 'Current weather', 'tool.parameters': JSON.stringify(WEATHER_TOOL.parameters), 'input.value': '{"location":"Paris"}', 'output.value': '{"temp_c":18}' } });
    expect(tool).toMatchObject({ kind: 'tool', toolName: 'get_weather', toolCallArguments: { location: 'Paris' }, toolCallResult: { temp_c: 18 } });
    const chain = norm({ name: 'RunnableSequence', kind: 1, attrs: { 'openinference.span.kind': 'CHAIN', 'input.value': 'Paris?', 'llm.token_count.prompt': 120, 'llm.token_count.completion': 30 } });
    expect(chain).toMatchObject({ kind: 'chain', aggregateUsage: true, input: 'Paris?' });
    const agent = norm({ name: 'agent', kind: 1, attrs: { 'openinference.span.kind': 'AGENT', 'agent.name': 'weather', 'llm.token_count.prompt': 120 } });
    expect(agent).toMatchObject({ kind: 'agent', agentName: 'weather', aggregateUsage: true });
  });
});

describe('Vercel AI SDK', () => {
  const ROOT = 'd000000000000001';
  const root = norm({
    name: 'ai.generateText',
    spanId: ROOT,
    kind: 1,
    attrs: {
      'operation.name': 'ai.generateText weather',
      'ai.operationId': 'ai.generateText',
      'ai.model.id': 'gpt-4o-mini',
      'ai.model.provider': 'openai.chat',
      'ai.telemetry.functionId': 'weather',
      'ai.telemetry.metadata.sessionId': 'chat-42',
      'ai.telemetry.metadata.userId': 'user-7',
      'ai.prompt': JSON.stringify({ system: 'You are a weather bot.', prompt: USER_Q }),
      'ai.response.text': 'It is 18°C in Paris.',
      'ai.response.finishReason': 'stop',
      'ai.usage.promptTokens': 200,
      'ai.usage.completionTokens': 45,
      'ai.settings.maxRetries': 2,
    },
  });
  const step1 = norm({
    name: 'ai.generateText.doGenerate',
    spanId: 'd000000000000002',
    parent: ROOT,
    attrs: {
      'ai.operationId': 'ai.generateText.doGenerate',
      'ai.model.id': 'gpt-4o-mini',
      'ai.model.provider': 'openai.chat',
      'ai.prompt.messages': JSON.stringify([
        { role: 'system', content: 'You are a weather bot.' },
        { role: 'user', content: [{ type: 'text', text: USER_Q }] },
      ]),
      'ai.prompt.tools': [JSON.stringify(WEATHER_TOOL)],
      'ai.prompt.toolChoice': '{"type":"auto"}',
      'ai.response.toolCalls': JSON.stringify([{ toolCallType: 'function', toolCallId: 'call_1', toolName: 'get_weather', args: '{"location":"Paris"}' }]),
      'ai.response.finishReason': 'tool-calls',
      'ai.response.id': 'chatcmpl-1',
      'ai.response.model': 'gpt-4o-mini-2024-07-18',
      'ai.usage.inputTokens': 120,
      'ai.usage.outputTokens': 20,
      'ai.usage.cachedInputTokens': 100,
      'ai.settings.temperature': 0.2,
      'gen_ai.system': 'openai.chat',
      'gen_ai.request.model': 'gpt-4o-mini',
      'gen_ai.response.model': 'gpt-4o-mini-2024-07-18',
      'gen_ai.response.finish_reasons': ['tool-calls'],
      'gen_ai.usage.input_tokens': 120,
      'gen_ai.usage.output_tokens': 20,
    },
  });
  const toolSpan = norm({
    name: 'ai.toolCall',
    spanId: 'd000000000000003',
    parent: ROOT,
    kind: 1,
    attrs: { 'ai.operationId': 'ai.toolCall', 'ai.toolCall.name': 'get_weather', 'ai.toolCall.id': 'call_1', 'ai.toolCall.args': '{"location":"Paris"}', 'ai.toolCall.result': '{"temp_c":18}' },
  });
  const step2 = norm({
    name: 'ai.generateText.doGenerate',
    spanId: 'd000000000000004',
    parent: ROOT,
    attrs: {
      'ai.operationId': 'ai.generateText.doGenerate',
      'ai.model.provider': 'openai.chat',
      'ai.model.id': 'gpt-4o-mini',
      'ai.prompt.messages': JSON.stringify([
        { role: 'user', content: [{ type: 'text', text: USER_Q }] },
        { role: 'assistant', content: [{ type: 'tool-call', toolCallId: 'call_1', toolName: 'get_weather', input: { location: 'Paris' } }] },
        { role: 'tool', content: [{ type: 'tool-result', toolCallId: 'call_1', toolName: 'get_weather', output: { type: 'json', value: { temp_c: 18 } } }] },
      ]),
      'ai.response.text': 'It is 18°C in Paris.',
      'ai.response.finishReason': 'stop',
      'ai.usage.inputTokens': 80,
      'ai.usage.outputTokens': 25,
      'ai.usage.inputTokenDetails.noCacheTokens': 30,
      'ai.usage.inputTokenDetails.cacheReadTokens': 40,
      'ai.usage.inputTokenDetails.cacheWriteTokens': 10,
      'ai.usage.reasoningTokens': 5,
    },
  });

  it('maps the ai.generateText root as an aggregate chain', () => {
    expect(root).toMatchObject({
      kind: 'chain',
      provider: 'openai',
      requestModel: 'gpt-4o-mini',
      inputTokens: 200,
      outputTokens: 45,
      aggregateUsage: true,
      sessionId: 'chat-42',
      userId: 'user-7',
      systemInstructions: [{ type: 'text', content: 'You are a weather bot.' }],
      finishReasons: ['stop'],
      mapping: { dialects: ['vercel-ai'], unmappedKeys: [] },
    });
    expect(root.inputMessages).toEqual([{ role: 'user', parts: [{ type: 'text', content: USER_Q }] }]);
  });

  it('maps doGenerate (raw gen_ai.system provider string, tool-calls finish reason, tools)', () => {
    expect(step1).toMatchObject({
      kind: 'generation',
      operation: 'chat',
      provider: 'openai',
      requestModel: 'gpt-4o-mini',
      responseModel: 'gpt-4o-mini-2024-07-18',
      responseId: 'chatcmpl-1',
      inputTokens: 120,
      cacheReadInputTokens: 100,
      temperature: 0.2,
      parameters: { tool_choice: { type: 'auto' } },
      finishReasons: ['tool_call'],
      toolDefinitions: [WEATHER_TOOL],
      aggregateUsage: false,
      mapping: { dialects: ['otel-genai', 'vercel-ai'], unmappedKeys: [] },
    });
    expect(step1.inputMessages).toEqual([
      { role: 'system', parts: [{ type: 'text', content: 'You are a weather bot.' }] },
      { role: 'user', parts: [{ type: 'text', content: USER_Q }] },
    ]);
    expect(step1.outputMessages).toEqual([{ role: 'assistant', parts: [toolCallPart], finish_reason: 'tool_call' }]);
  });

  it('maps tool-call / tool-result parts, v7 input token details (never subtracted) and ai.toolCall', () => {
    expect(step2.inputMessages).toEqual([
      { role: 'user', parts: [{ type: 'text', content: USER_Q }] },
      { role: 'assistant', parts: [toolCallPart] },
      { role: 'tool', parts: [{ type: 'tool_call_response', id: 'call_1', response: { temp_c: 18 } }] },
    ]);
    expect(step2).toMatchObject({ inputTokens: 80, cacheReadInputTokens: 40, cacheCreationInputTokens: 10, reasoningOutputTokens: 5 });
    expect(toolSpan).toMatchObject({ kind: 'tool', operation: 'execute_tool', toolName: 'get_weather', toolCallId: 'call_1', toolCallArguments: { location: 'Paris' }, toolCallResult: { temp_c: 18 } });
  });

  it('v4/v5 Anthropic: input_tokens exclude cache, so cache reads and writes are added (never subtracted)', () => {
    const doc = norm({
      name: 'ai.streamText.doStream',
      attrs: {
        'ai.operationId': 'ai.streamText.doStream',
        'ai.model.provider': 'anthropic.messages',
        'ai.model.id': 'claude-sonnet-4-5',
        'ai.usage.inputTokens': 10,
        'ai.usage.outputTokens': 40,
        'ai.usage.cachedInputTokens': 1000,
        'ai.response.providerMetadata': JSON.stringify({ anthropic: { cacheCreationInputTokens: 200 } }),
        'gen_ai.system': 'anthropic.messages',
        'gen_ai.usage.input_tokens': 10,
        'gen_ai.usage.output_tokens': 40,
      },
    });
    expect(doc).toMatchObject({ provider: 'anthropic', inputTokens: 1210, outputTokens: 40, cacheReadInputTokens: 1000, cacheCreationInputTokens: 200 });
    // OpenAI's prompt_tokens already include cached tokens: unchanged.
    expect(norm({ name: 'ai.generateText.doGenerate', attrs: { 'ai.operationId': 'ai.generateText.doGenerate', 'ai.model.provider': 'openai.chat', 'ai.usage.inputTokens': 120, 'ai.usage.cachedInputTokens': 100 } }).inputTokens).toBe(120);
  });

  it('counts the do* calls once, not the root that repeats them', () => {
    const spans = [root, step1, toolSpan, step2];
    expect(countedUsageSpans(spans).map((s) => s.spanId)).toEqual([step1.spanId, step2.spanId]);
    expect(summarizeTrace(spans)).toMatchObject({ inputTokens: 200, outputTokens: 45, providers: ['openai'] });
  });

  it('v7 @ai-sdk/otel form is plain semconv: invoke_agent root is an aggregate', () => {
    const agent = norm({ name: 'invoke_agent gpt-4o-mini', kind: 1, attrs: { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.provider.name': 'openai', 'gen_ai.request.model': 'gpt-4o-mini', 'gen_ai.usage.input_tokens': 200, 'gen_ai.usage.output_tokens': 45 } });
    expect(agent).toMatchObject({ kind: 'agent', provider: 'openai', aggregateUsage: true, mapping: { dialects: ['otel-genai'], unmappedKeys: [] } });
  });
});

describe('pydantic-ai', () => {
  it('agent span: gen_ai.aggregated_usage.* is usage of an aggregate', () => {
    const agent = norm({ name: 'invoke_agent weather_agent', kind: 1, scope: 'pydantic-ai', attrs: { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': 'weather_agent', 'gen_ai.aggregated_usage.input_tokens': 200, 'gen_ai.aggregated_usage.output_tokens': 45, 'gen_ai.aggregated_usage.details.cache_read_tokens': 100 } });
    expect(agent).toMatchObject({ kind: 'agent', agentName: 'weather_agent', inputTokens: 200, outputTokens: 45, cacheReadInputTokens: 100, aggregateUsage: true, mapping: { dialects: ['otel-genai', 'pydantic-ai'], unmappedKeys: [] } });
  });

  it('model span: RunUsage details under gen_ai.usage.details.*', () => {
    const chat = norm({ name: 'chat claude-sonnet-4-5', scope: 'pydantic-ai', attrs: { 'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'anthropic', 'gen_ai.usage.input_tokens': 1210, 'gen_ai.usage.output_tokens': 40, 'gen_ai.usage.details.cache_read_tokens': 1000, 'gen_ai.usage.details.cache_write_tokens': 200, 'gen_ai.usage.details.reasoning_tokens': 12 } });
    expect(chat).toMatchObject({ inputTokens: 1210, cacheReadInputTokens: 1000, cacheCreationInputTokens: 200, reasoningOutputTokens: 12, aggregateUsage: false, mapping: { dialects: ['otel-genai', 'pydantic-ai'], unmappedKeys: [] } });
  });

  it('instrumentation v1: messages in the JSON `events` attribute', () => {
    const chat = norm({
      name: 'chat gpt-4o-mini',
      scope: 'pydantic-ai',
      attrs: {
        'gen_ai.operation.name': 'chat',
        'gen_ai.system': 'openai',
        events: JSON.stringify([
          { 'event.name': 'gen_ai.user.message', role: 'user', content: USER_Q },
          { 'event.name': 'gen_ai.choice', index: 0, message: { role: 'assistant', tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"location":"Paris"}' } }] } },
        ]),
      },
    });
    expect(chat.inputMessages).toEqual([{ role: 'user', parts: [{ type: 'text', content: USER_Q }] }]);
    expect(chat.outputMessages![0]!.parts).toEqual([toolCallPart]);
  });
});

describe('Langfuse overrides', () => {
  it('langfuse.* wins over semconv; usage_details keep semconv meaning (cache added to input)', () => {
    const doc = norm({
      name: 'chat gpt-4o-mini',
      attrs: {
        'gen_ai.operation.name': 'chat',
        'gen_ai.request.model': 'gpt-4o-mini',
        'gen_ai.conversation.id': 'conv-semconv',
        'gen_ai.usage.input_tokens': 999,
        'langfuse.observation.type': 'generation',
        'langfuse.observation.model.name': 'gpt-4o-mini-override',
        'langfuse.observation.usage_details': '{"input":20,"input_cache_read":100,"output":30,"output_reasoning":8}',
        'langfuse.observation.model.parameters': '{"temperature":0.1,"max_tokens":64,"top_p":1}',
        'langfuse.observation.input': JSON.stringify([{ role: 'user', content: USER_Q }]),
        'langfuse.observation.output': '{"temp_c":18}',
        'langfuse.session.id': 'lf-session',
        'user.id': 'user-1',
        'langfuse.trace.tags': ['weather'],
      },
    });
    expect(doc).toMatchObject({
      kind: 'generation',
      requestModel: 'gpt-4o-mini-override',
      inputTokens: 120,
      outputTokens: 38,
      cacheReadInputTokens: 100,
      reasoningOutputTokens: 8,
      temperature: 0.1,
      maxTokens: 64,
      parameters: { top_p: 1 },
      sessionId: 'lf-session',
      userId: 'user-1',
      output: { temp_c: 18 },
      mapping: { dialects: ['langfuse', 'otel-genai'], unmappedKeys: [] },
    });
    expect(doc.inputMessages).toEqual([{ role: 'user', parts: [{ type: 'text', content: USER_Q }] }]);
  });
});

describe('provider and model precedence (section B and D)', () => {
  it.each([
    ['vertex_ai', 'gcp.vertex_ai'],
    ['gemini', 'gcp.gemini'],
    ['az.ai.inference', 'azure.ai.inference'],
    ['az.ai.openai', 'azure.ai.openai'],
    ['xai', 'x_ai'],
    ['Anthropic', 'anthropic'],
    ['openai.chat', 'openai'],
    ['anthropic.messages', 'anthropic'],
    ['google.vertex.chat', 'gcp.vertex_ai'],
    ['google.generative-ai', 'gcp.gemini'],
    ['amazon-bedrock', 'aws.bedrock'],
    ['azure-openai.chat', 'azure.ai.openai'],
    ['mistral.chat', 'mistral_ai'],
    ['aws.bedrock', 'aws.bedrock'],
    ['gcp.vertex_ai', 'gcp.vertex_ai'],
  ])('normalizes %s -> %s', (raw, expected) => expect(normalizeProvider(raw)).toBe(expected));

  it('infers the provider from server.address only as a last resort', () => {
    expect(providerFromServerAddress('api.anthropic.com')).toBe('anthropic');
    expect(providerFromServerAddress('my-res.openai.azure.com')).toBe('azure.ai.openai');
    expect(providerFromServerAddress('bedrock-runtime.us-east-1.amazonaws.com')).toBe('aws.bedrock');
    expect(providerFromServerAddress('localhost')).toBeNull();
    expect(norm({ name: 'chat', attrs: { 'gen_ai.operation.name': 'chat', 'server.address': 'api.mistral.ai' } }).provider).toBe('mistral_ai');
    expect(norm({ name: 'chat', attrs: { 'gen_ai.system': 'openai', 'server.address': 'api.mistral.ai' } }).provider).toBe('openai');
  });

  it('gen_ai.provider.name > gen_ai.system > llm.provider > llm.system > ai.model.provider', () => {
    const p = (attrs: Record<string, unknown>) => norm({ name: 's', attrs }).provider;
    const all = { 'gen_ai.provider.name': 'anthropic', 'gen_ai.system': 'xai', 'llm.provider': 'mistralai', 'llm.system': 'cohere', 'ai.model.provider': 'groq.chat' };
    expect(p(all)).toBe('anthropic');
    const { 'gen_ai.provider.name': _a, ...noName } = all;
    expect(p(noName)).toBe('x_ai');
    const { 'gen_ai.system': _b, ...noSystem } = noName;
    expect(p(noSystem)).toBe('mistral_ai');
    const { 'llm.provider': _c, ...noLlmProvider } = noSystem;
    expect(p(noLlmProvider)).toBe('cohere');
    const { 'llm.system': _d, ...onlyVercel } = noLlmProvider;
    expect(p(onlyVercel)).toBe('groq');
  });

  it('usage: semconv > deprecated > llm.token_count > ai.usage', () => {
    const u = (attrs: Record<string, unknown>) => norm({ name: 's', attrs }).inputTokens;
    expect(u({ 'gen_ai.usage.input_tokens': 1, 'gen_ai.usage.prompt_tokens': 2, 'llm.token_count.prompt': 3, 'ai.usage.inputTokens': 4 })).toBe(1);
    expect(u({ 'gen_ai.usage.prompt_tokens': 2, 'llm.token_count.prompt': 3, 'ai.usage.inputTokens': 4 })).toBe(2);
    expect(u({ 'llm.token_count.prompt': 3, 'ai.usage.inputTokens': 4 })).toBe(3);
    expect(u({ 'ai.usage.inputTokens': 4 })).toBe(4);
  });
});

describe('mapper structure', () => {
  it('rebuilds flattened keys into arrays and objects', () => {
    expect(unflatten({ 'p.1.role': 'user', 'p.0.role': 'system', 'p.0.tool_calls.0.name': 'f', 'q.0': 'x' }, 'p')).toEqual([{ role: 'system', tool_calls: [{ name: 'f' }] }, { role: 'user' }]);
  });

  it('accepts a team mapper in front of the defaults', () => {
    const acme: DialectMapper = {
      name: 'acme',
      detect: (a) => 'acme.model' in a,
      map: (a) => ({ requestModel: String(a['acme.model']), kind: 'generation', understoodKeys: ['acme.model'] }),
    };
    const doc = norm({ name: 'x', attrs: { 'acme.model': 'acme-1', 'gen_ai.request.model': 'other' } }, { mappers: [acme, ...DEFAULT_DIALECT_MAPPERS] });
    expect(doc).toMatchObject({ requestModel: 'acme-1', kind: 'generation', mapping: { dialects: ['acme', 'otel-genai'], unmappedKeys: [] } });
  });

  it('a plain span is a span, with nothing detected', () => {
    expect(norm({ name: 'GET /', attrs: { 'http.method': 'GET' } })).toMatchObject({ kind: 'span', provider: null, aggregateUsage: false, mapping: { dialects: [], unmappedKeys: [] } });
  });
});

describe('Logfire legacy', () => {
  it('reads request_data / response_data', () => {
    const doc = norm({
      name: 'Chat Completion with {request_data[model]!r}',
      attrs: {
        request_data: JSON.stringify({ model: 'gpt-4o-mini', temperature: 0.2, messages: [{ role: 'user', content: USER_Q }], tools: [WEATHER_TOOL] }),
        response_data: JSON.stringify({ message: { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"location":"Paris"}' } }] }, usage: { prompt_tokens: 57, completion_tokens: 15 } }),
      },
    });
    expect(doc).toMatchObject({ kind: 'generation', requestModel: 'gpt-4o-mini', temperature: 0.2, inputTokens: 57, outputTokens: 15, toolDefinitions: [WEATHER_TOOL], mapping: { dialects: ['logfire'], unmappedKeys: [] } });
    expect(doc.inputMessages).toEqual([{ role: 'user', parts: [{ type: 'text', content: USER_Q }] }]);
    expect(doc.outputMessages).toEqual([{ role: 'assistant', parts: [toolCallPart] }]);
  });
});

describe('normalization details', () => {
  it.each([
    ['tool_calls', 'tool_call'],
    ['tool-calls', 'tool_call'],
    ['tool_use', 'tool_call'],
    ['end_turn', 'stop'],
    ['MAX_TOKENS', 'length'],
    ['content-filter', 'content_filter'],
    ['stop', 'stop'],
    ['error', 'error'],
  ])('finish reason %s -> %s', (raw, expected) => expect(normalizeFinishReason(raw)).toBe(expected));

  it('a span with a model and usage but no kind is a generation', () => {
    expect(norm({ name: 'openai.chat', attrs: { 'gen_ai.request.model': 'gpt-4o', 'gen_ai.usage.input_tokens': 3 } }).kind).toBe('generation');
    expect(norm({ name: 'x', attrs: { 'gen_ai.request.model': 'gpt-4o' } }).kind).toBe('span');
  });

  it('Vercel v3 ai.result.* and ai.embed usage', () => {
    const v3 = norm({ name: 'ai.generateText.doGenerate', attrs: { 'ai.operationId': 'ai.generateText.doGenerate', 'ai.result.text': 'Hi', 'ai.finishReason': 'stop', 'ai.usage.promptTokens': 3, 'ai.usage.completionTokens': 1 } });
    expect(v3).toMatchObject({ kind: 'generation', finishReasons: ['stop'], outputMessages: [{ role: 'assistant', parts: [{ type: 'text', content: 'Hi' }], finish_reason: 'stop' }] });
    const embed = norm({ name: 'ai.embed.doEmbed', attrs: { 'ai.operationId': 'ai.embed.doEmbed', 'ai.model.id': 'text-embedding-3-small', 'ai.model.provider': 'openai.embedding', 'ai.values': ['"Paris"'], 'ai.usage.tokens': 2 } });
    expect(embed).toMatchObject({ kind: 'embedding', operation: 'embeddings', provider: 'openai', inputTokens: 2, mapping: { dialects: ['vercel-ai'], unmappedKeys: [] } });
  });
});

// Gaps found by the payloads recorded from real clients (test/fixtures/recorded/): each case is the
// recorded shape, cut down to what the rule needs.
describe('shapes seen in recorded client payloads', () => {
  const logRecord = (name: string, body: unknown) =>
    logRecordToContentEvent({ timeUnixNano: '0', observedTimeUnixNano: '0', severityNumber: 9, attributes: kv({ 'event.name': name }), body: anyValue(body), traceId: TRACE, spanId: 'b000000000000001' });

  it('content capture off (OTel JS): empty per-message events give no messages; tool call ids and names stay', () => {
    const m = messagesFromEventRecords([
      logRecord('gen_ai.system.message', {}),
      logRecord('gen_ai.user.message', {}),
      logRecord('gen_ai.choice', { index: 0, finish_reason: 'tool_calls', message: { tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather' } }] } }),
    ]);
    expect(m.inputMessages).toBeNull();
    expect(m.outputMessages).toEqual([{ role: 'assistant', parts: [{ type: 'tool_call', id: 'call_1', name: 'get_weather' }], finish_reason: 'tool_call' }]);
    const final = messagesFromEventRecords([logRecord('gen_ai.choice', { index: 0, finish_reason: 'stop', message: {} })]);
    expect(final.outputMessages).toBeNull();
  });

  it('a tool_call_response given as the JSON text the tool returned is parsed (traceloop, openai-v2)', () => {
    const doc = norm({
      name: 'chat gpt-4o-mini',
      attrs: {
        'gen_ai.operation.name': 'chat',
        'gen_ai.input.messages': JSON.stringify([{ role: 'tool', parts: [{ type: 'tool_call_response', id: 'call_1', response: '{"temp_c": 18}' }] }]),
        'gen_ai.output.messages': JSON.stringify([{ role: 'assistant', parts: [{ type: 'tool_call_response', id: 'call_2', result: 'plain text' }] }]),
      },
    });
    expect(doc.inputMessages).toEqual([{ role: 'tool', parts: [{ type: 'tool_call_response', id: 'call_1', response: { temp_c: 18 } }] }]);
    expect(doc.outputMessages![0]!.parts).toEqual([{ type: 'tool_call_response', id: 'call_2', response: 'plain text' }]);
  });

  it('tool definitions in the OpenAI request shape, Vercel inputSchema or Anthropic input_schema become the semconv shape', () => {
    const openaiShape = { type: 'function', function: { name: WEATHER_TOOL.name, description: WEATHER_TOOL.description, parameters: WEATHER_TOOL.parameters } };
    const vercelShape = { type: 'function', name: WEATHER_TOOL.name, inputSchema: WEATHER_TOOL.parameters, description: WEATHER_TOOL.description };
    const anthropicShape = { name: WEATHER_TOOL.name, description: WEATHER_TOOL.description, input_schema: WEATHER_TOOL.parameters };
    const doc = norm({ name: 'chat', attrs: { 'gen_ai.operation.name': 'chat', 'gen_ai.tool.definitions': JSON.stringify([openaiShape, vercelShape]) } });
    expect(doc.toolDefinitions).toEqual([WEATHER_TOOL, WEATHER_TOOL]);
    const oi = norm({ name: 'ChatCompletion', attrs: { 'openinference.span.kind': 'LLM', 'llm.tools.0.tool.json_schema': JSON.stringify(openaiShape) } });
    expect(oi.toolDefinitions).toEqual([WEATHER_TOOL]);
    const anthropic = norm({ name: 'chat', attrs: { 'gen_ai.operation.name': 'chat', 'gen_ai.tool.definitions': JSON.stringify([anthropicShape]) } });
    expect(anthropic.toolDefinitions).toEqual([{ name: WEATHER_TOOL.name, description: WEATHER_TOOL.description, parameters: WEATHER_TOOL.parameters }]);
  });

  it('OpenInference: llm.finish_reason, and llm.model_name as the response model when the request model is in the invocation parameters', () => {
    const doc = norm({ name: 'ChatCompletion', attrs: { 'openinference.span.kind': 'LLM', 'llm.model_name': 'gpt-4o-mini-2024-07-18', 'llm.invocation_parameters': '{"model": "gpt-4o-mini"}', 'llm.finish_reason': 'tool_calls' } });
    expect(doc).toMatchObject({ requestModel: 'gpt-4o-mini', responseModel: 'gpt-4o-mini-2024-07-18', finishReasons: ['tool_call'], mapping: { dialects: ['openinference'], unmappedKeys: [] } });
    // Without invocation parameters, llm.model_name is all there is.
    expect(norm({ name: 'x', attrs: { 'openinference.span.kind': 'LLM', 'llm.model_name': 'gpt-4o' } })).toMatchObject({ requestModel: 'gpt-4o', responseModel: null });
  });

  it("OpenInference's __REDACTED__ marker (inputs/outputs hidden) is no content", () => {
    const doc = norm({ name: 'ChatCompletion', attrs: { 'openinference.span.kind': 'LLM', 'input.value': '__REDACTED__', 'output.value': '__REDACTED__' } });
    expect(doc.input).toBeUndefined();
    expect(doc.output).toBeUndefined();
  });

  it("the Anthropic SDK's own spans: cache_write tokens and the stop reason under its vendor key", () => {
    const doc = norm({
      name: 'anthropic.messages.create',
      attrs: { 'gen_ai.provider.name': 'anthropic', 'gen_ai.operation.name': 'chat', 'gen_ai.usage.input_tokens': 15, 'gen_ai.usage.cache_read.input_tokens': 4, 'gen_ai.usage.cache_write.input_tokens': 2, 'anthropic.message.stop_reason': 'end_turn' },
    });
    expect(doc).toMatchObject({ inputTokens: 15, cacheReadInputTokens: 4, cacheCreationInputTokens: 2, finishReasons: ['stop'], mapping: { unmappedKeys: [] } });
    // gen_ai.response.finish_reasons, when sent, wins.
    expect(norm({ name: 'x', attrs: { 'gen_ai.operation.name': 'chat', 'gen_ai.response.finish_reasons': ['length'], 'anthropic.message.stop_reason': 'end_turn' } }).finishReasons).toEqual(['length']);
  });

  it('@ai-sdk/otel duration attributes are known, not reported unmapped', () => {
    const doc = norm({ name: 'execute_tool get_weather', attrs: { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'get_weather', 'gen_ai.execute_tool.duration': 0.0002, 'gen_ai.client.operation.duration': 0.003 } });
    expect(doc.mapping).toEqual({ dialects: ['otel-genai'], unmappedKeys: [] });
  });
});

// Found by test/dialects/normalize-span.property.spec.ts.
describe('client values that name Object.prototype members', () => {
  it.each(['constructor', 'toString', 'valueOf', '__proto__'])('%s is read as a plain value by every lookup', (value) => {
    expect(normalizeFinishReason(value)).toBe(value.toLowerCase());
    expect(normalizeProvider(value)).toBe(value.toLowerCase());
    const doc = norm({ name: 'x', attrs: { 'gen_ai.operation.name': value, 'openinference.span.kind': value, 'llm.request.type': value, 'traceloop.span.kind': value, 'langfuse.observation.type': value } });
    expect(doc).toMatchObject({ kind: 'span', operation: value });
    const events = messagesFromEventRecords([{ name: value, attributes: {}, body: { content: 'hi' } }]);
    expect(events).toEqual({ inputMessages: null, outputMessages: null, systemInstructions: null, toolDefinitions: null });
  });
});

it('a negative token count is dropped, not added to totals (found by the property test)', () => {
  const doc = norm({ name: 'chat', attrs: { 'gen_ai.operation.name': 'chat', 'gen_ai.usage.input_tokens': -5, 'gen_ai.usage.output_tokens': 3, 'gen_ai.usage.cache_read.input_tokens': -1 } });
  expect(doc).toMatchObject({ inputTokens: null, outputTokens: 3, cacheReadInputTokens: null });
});

it('Vercel ai.response.toolCalls with entries that are not objects: skipped, the mapper still reads the span (found by the property test)', () => {
  const doc = norm({ name: 'ai.generateText.doGenerate', attrs: { 'ai.operationId': 'ai.generateText.doGenerate', 'ai.response.text': 'Hi', 'ai.response.toolCalls': '[null, 3, {"toolCallId":"c1","toolName":"get_weather","input":{"location":"Paris"}}]' } });
  expect(doc.mapping).toEqual({ dialects: ['vercel-ai'], unmappedKeys: [] });
  expect(doc.outputMessages).toEqual([{ role: 'assistant', parts: [{ type: 'text', content: 'Hi' }, { type: 'tool_call', id: 'c1', name: 'get_weather', arguments: { location: 'Paris' } }] }]);
});

it('OTel JS Responses API parts: call_id is the tool call id; capture off leaves text parts without content, which are dropped', () => {
  const details = (attrs: Record<string, unknown>) => ({ name: 'gen_ai.client.inference.operation.details', attributes: attrs });
  const on = messagesFromEventRecords([
    details({ 'gen_ai.output.messages': [{ role: 'assistant', parts: [{ type: 'tool_call', id: 'fc_1', call_id: 'call_1', name: 'get_weather', arguments: { location: 'Paris' } }], finish_reason: 'tool_call' }] }),
    details({ 'gen_ai.input.messages': [{ role: 'user', parts: [{ type: 'tool_call_response', call_id: 'call_1', response: '{"temp_c":18}' }] }] }),
  ]);
  expect(on.outputMessages).toEqual([{ role: 'assistant', parts: [toolCallPart], finish_reason: 'tool_call' }]);
  expect(on.inputMessages).toEqual([{ role: 'user', parts: [{ type: 'tool_call_response', id: 'call_1', response: { temp_c: 18 } }] }]);
  const off = messagesFromEventRecords([
    details({ 'gen_ai.input.messages': [{ role: 'system', parts: [{ type: 'text' }] }, { role: 'user', parts: [{ type: 'text' }] }] }),
    details({ 'gen_ai.output.messages': [{ role: 'assistant', parts: [{ type: 'text' }], finish_reason: 'stop' }] }),
  ]);
  expect(off).toMatchObject({ inputMessages: null, outputMessages: null });
});
