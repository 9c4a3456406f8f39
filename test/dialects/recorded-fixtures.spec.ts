import type { ChatMessage, SpanDocument } from '@temps/domain';
import { projectOtlpRequests, spansInOrder } from '../support/project-otlp-requests';
import { readRecordedFixtures, type RecordedScenario } from '../support/recorded-fixtures';
import { RECORD_SCENARIOS, secretsIn } from '../support/record-scenarios';

/**
 * Payloads recorded from real clients (test/fixtures/recorded/, see its README), decoded by the
 * ingest codecs and folded by the trace projection exactly as the server does, must normalize to
 * what the client meant: kind, operation, provider, models, tokens, finish reasons, tool calls,
 * messages (semconv parts when captured, none when not), session, mapping report, trace totals.
 * Runs everywhere: no client and no Python needed (recorded-fixtures.live.spec.ts re-records).
 */

const fixtures = readRecordedFixtures();
const key = (f: { client: string; scenario: string }) => `${f.client}/${f.scenario}`;

// ---- what the mock servers answered (test/support/mock-llm-server.ts, test/fixtures/js/ai-sdk-weather.mjs) ----

const MODEL = { requestModel: 'gpt-4o-mini', responseModel: 'gpt-4o-mini-2024-07-18' };
const OPENAI_CHAT = { kind: 'generation', spanKind: 'client', operation: 'chat', provider: 'openai', ...MODEL };
/** The weather chat's two model calls, as the OpenAI-compatible mock answered them. */
const FIRST = { ...OPENAI_CHAT, inputTokens: 82, outputTokens: 17, finishReasons: ['tool_call'], responseId: 'chatcmpl-mock-toolCall' };
const SECOND = { ...OPENAI_CHAT, inputTokens: 131, outputTokens: 14, finishReasons: ['stop'], responseId: 'chatcmpl-mock-final' };
const SYSTEM = 'You are a weather assistant.';
const QUESTION = "What's the weather in Paris?";
const ANSWER = 'It is 18°C and sunny in Paris.';
const GREETING = 'Hi there! How can I help you today?';
const WEATHER = { temperature: 18, unit: 'celsius', condition: 'sunny' };
const TOOL_CALL = { type: 'tool_call', id: 'call_weather_paris', name: 'get_weather', arguments: { location: 'Paris' } };
const TOOL_DEFINITION = {
  type: 'function',
  name: 'get_weather',
  description: 'Current weather for a city',
  parameters: { type: 'object', properties: { location: { type: 'string' } }, required: ['location'] },
};

const text = (role: string, content: string) => ({ role, parts: [{ type: 'text', content }] });

/**
 * The weather conversation in semconv parts: the first call's input and output, the second's.
 * Clients differ only in where the system prompt goes, what the tool returned, whether output
 * messages carry a finish_reason, and the AI SDK's reasoning part.
 */
function weatherConversation(o: { systemAsMessage: boolean; toolResponse: unknown; finishOnMessages: boolean; reasoning?: string }) {
  const finish = (reason: string) => (o.finishOnMessages ? { finish_reason: reason } : {});
  const prompt = o.systemAsMessage ? [text('system', SYSTEM), text('user', QUESTION)] : [text('user', QUESTION)];
  return {
    firstInput: prompt,
    firstOutput: [{ role: 'assistant', parts: [TOOL_CALL], ...finish('tool_call') }],
    secondInput: [...prompt, { role: 'assistant', parts: [TOOL_CALL] }, { role: 'tool', parts: [{ type: 'tool_call_response', id: 'call_weather_paris', response: o.toolResponse }] }],
    secondOutput: [{ role: 'assistant', parts: [...(o.reasoning ? [{ type: 'reasoning', content: o.reasoning }] : []), { type: 'text', content: ANSWER }], ...finish('stop') }],
  };
}

interface Expected {
  /** Leaf model calls (kind generation), in start order. */
  calls: Record<string, unknown>[];
  /** Messages of the calls when content was captured, per call: [input, output]. */
  messages?: [unknown, unknown][];
  tools?: Record<string, unknown>[];
  /** Spans that repeat their children's usage. */
  aggregates?: Record<string, unknown>[];
  traces: { inputTokens: number; outputTokens: number }[];
  sessionId?: string;
  logRecords?: number;
  /** The client puts the system instructions on the span even with content capture off (as sent, listed here). */
  systemInstructionsWithoutCapture?: unknown;
}

const OTEL_JS_WEATHER: Expected = { calls: [FIRST, SECOND], traces: [{ inputTokens: 213, outputTokens: 31 }], logRecords: 8 };
const eventConversation = weatherConversation({ systemAsMessage: true, toolResponse: WEATHER, finishOnMessages: true });
const pairs = (c: ReturnType<typeof weatherConversation>): [unknown, unknown][] => [
  [c.firstInput, c.firstOutput],
  [c.secondInput, c.secondOutput],
];

const AI_CALLS = [
  { ...OPENAI_CHAT, inputTokens: 82, outputTokens: 17, cacheReadInputTokens: 64, finishReasons: ['tool_call'], responseId: 'chatcmpl-mock-1' },
  { ...OPENAI_CHAT, inputTokens: 131, outputTokens: 26, cacheReadInputTokens: 64, finishReasons: ['stop'], responseId: 'chatcmpl-mock-2' },
];
/** Legacy ai.* spans are all INTERNAL. */
const AI_LEGACY_CALLS = AI_CALLS.map((c) => ({ ...c, spanKind: 'internal' }));
const AI_TOOL = { kind: 'tool', operation: 'execute_tool', toolName: 'get_weather', toolCallId: 'call_weather_paris' };
const AI_TOOL_RESULT = { location: 'Paris', ...WEATHER };
const AI_REASONING = 'The tool says 18°C and sunny.';

const ANTHROPIC_CALL = {
  kind: 'generation',
  operation: 'chat',
  provider: 'anthropic',
  requestModel: 'claude-sonnet-4-20250514',
  responseModel: 'claude-sonnet-4-20250514',
  // Anthropic's input_tokens (9) exclude the cache: both instrumentations send the semconv total.
  inputTokens: 15,
  outputTokens: 12,
  cacheReadInputTokens: 4,
  cacheCreationInputTokens: 2,
  finishReasons: ['stop'],
  responseId: 'msg_mock_greeting',
};
/**
 * anthropic>=2 traces its own calls (scope com.anthropic.sdk.python) besides the seed's OpenLLMetry
 * instrumentation, each in a trace of its own: one API call appears as two traces. Each trace counts
 * its call once; project usage counts the response once (response-traced-twice.spec.ts).
 */
const ANTHROPIC: Expected = { calls: [ANTHROPIC_CALL, ANTHROPIC_CALL], traces: [{ inputTokens: 15, outputTokens: 12 }, { inputTokens: 15, outputTokens: 12 }] };

const OI_CALLS = [
  { ...FIRST, spanKind: 'internal', cacheReadInputTokens: 64 },
  { ...SECOND, spanKind: 'internal', cacheReadInputTokens: 64 },
];
const TRACELOOP_PY_CALLS = [
  { ...FIRST, cacheReadInputTokens: 64 },
  { ...SECOND, cacheReadInputTokens: 64 },
];

const SEED_OPENAI_CALL = { ...OPENAI_CHAT, requestModel: 'gpt-4o', inputTokens: 9, outputTokens: 10, finishReasons: ['stop'], responseId: 'chatcmpl-mock-greeting' };

/** Responses API: the call id links the function_call to its output; the output comes back as a user message. */
const RESPONSES_CALLS = [
  { ...FIRST, responseId: 'resp_mock_toolCall', sessionId: 'conv_weather_42' },
  { ...SECOND, responseId: 'resp_mock_final', sessionId: 'conv_weather_42' },
];
const RESPONSES: Expected = {
  calls: RESPONSES_CALLS,
  traces: [{ inputTokens: 213, outputTokens: 31 }],
  sessionId: 'conv_weather_42',
  logRecords: 4,
  // @opentelemetry/instrumentation-openai 0.22 sets gen_ai.system_instructions whatever captureMessageContent says.
  systemInstructionsWithoutCapture: [{ type: 'text', content: SYSTEM }],
};

const EXPECTED: Record<string, Expected> = {
  'otel-instrumentation-openai-js/responses-tool-call-content': {
    ...RESPONSES,
    calls: RESPONSES_CALLS.map((c) => ({ ...c, systemInstructions: [{ type: 'text', content: SYSTEM }] })),
    messages: [
      [[text('system', SYSTEM), text('user', QUESTION)], [{ role: 'assistant', parts: [TOOL_CALL], finish_reason: 'tool_call' }]],
      [
        [text('system', SYSTEM), { role: 'user', parts: [{ type: 'tool_call_response', id: 'call_weather_paris', response: WEATHER }] }],
        [{ ...text('assistant', ANSWER), finish_reason: 'stop' }],
      ],
    ],
  },
  'otel-instrumentation-openai-js/responses-tool-call-no-content': RESPONSES,
  'otel-instrumentation-openai-js/chat-tool-call-content': { ...OTEL_JS_WEATHER, messages: pairs(eventConversation) },
  'otel-instrumentation-openai-js/chat-tool-call-no-content': OTEL_JS_WEATHER,
  'otel-instrumentation-openai-js/chat-tool-call-stream-content': { ...OTEL_JS_WEATHER, messages: pairs(eventConversation) },
  'traceloop-instrumentation-openai-js/chat-tool-call-content': {
    calls: [
      { ...FIRST, toolDefinitions: [TOOL_DEFINITION] },
      { ...SECOND, toolDefinitions: [TOOL_DEFINITION] },
    ],
    messages: pairs(weatherConversation({ systemAsMessage: true, toolResponse: WEATHER, finishOnMessages: true })),
    traces: [{ inputTokens: 213, outputTokens: 31 }],
    logRecords: 0,
  },
  'traceloop-instrumentation-openai-js/chat-tool-call-no-content': { calls: [FIRST, SECOND], traces: [{ inputTokens: 213, outputTokens: 31 }], logRecords: 0 },
  'ai-sdk-otel/tool-loop-content': {
    calls: AI_CALLS.map((c) => ({ ...c, systemInstructions: [{ type: 'text', content: SYSTEM }], toolDefinitions: [TOOL_DEFINITION] })),
    messages: pairs(weatherConversation({ systemAsMessage: false, toolResponse: AI_TOOL_RESULT, finishOnMessages: true, reasoning: AI_REASONING })),
    tools: [{ ...AI_TOOL, toolCallArguments: { location: 'Paris' }, toolCallResult: AI_TOOL_RESULT }],
    aggregates: [{ name: 'invoke_agent gpt-4o-mini', kind: 'agent', operation: 'invoke_agent', agentName: 'weather-agent', inputTokens: 213, outputTokens: 43, cacheReadInputTokens: 128 }],
    traces: [{ inputTokens: 213, outputTokens: 43 }],
  },
  'ai-sdk-otel/tool-loop-no-content': {
    calls: AI_CALLS,
    tools: [{ ...AI_TOOL, toolCallArguments: null, toolCallResult: null }],
    aggregates: [{ name: 'invoke_agent gpt-4o-mini', kind: 'agent', agentName: 'weather-agent', inputTokens: 213, outputTokens: 43 }],
    traces: [{ inputTokens: 213, outputTokens: 43 }],
  },
  'ai-sdk-legacy/tool-loop-content': {
    calls: [
      { ...AI_LEGACY_CALLS[0], reasoningOutputTokens: 0, toolDefinitions: [TOOL_DEFINITION] },
      { ...AI_LEGACY_CALLS[1], reasoningOutputTokens: 12, toolDefinitions: [TOOL_DEFINITION] },
    ],
    messages: pairs(weatherConversation({ systemAsMessage: true, toolResponse: AI_TOOL_RESULT, finishOnMessages: true, reasoning: AI_REASONING })),
    tools: [{ ...AI_TOOL, toolCallArguments: { location: 'Paris' }, toolCallResult: AI_TOOL_RESULT }],
    aggregates: [{ name: 'ai.generateText', kind: 'chain', provider: 'openai', inputTokens: 213, outputTokens: 43, cacheReadInputTokens: 128, reasoningOutputTokens: 12 }],
    traces: [{ inputTokens: 213, outputTokens: 43 }],
  },
  'ai-sdk-legacy/tool-loop-no-content': {
    calls: [
      { ...AI_LEGACY_CALLS[0], reasoningOutputTokens: 0 },
      { ...AI_LEGACY_CALLS[1], reasoningOutputTokens: 12 },
    ],
    tools: [{ ...AI_TOOL, toolCallArguments: null, toolCallResult: null }],
    aggregates: [{ name: 'ai.generateText', kind: 'chain', inputTokens: 213, outputTokens: 43 }],
    traces: [{ inputTokens: 213, outputTokens: 43 }],
  },
  // opentelemetry-instrumentation-openai-v2 2.4b0 takes only NO_CONTENT/SPAN_ONLY/EVENT_ONLY/SPAN_AND_EVENT:
  // the seed's `OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true` falls back to NO_CONTENT.
  'otel-instrumentation-openai-v2-py/seed-capture-true': { calls: [SEED_OPENAI_CALL], traces: [{ inputTokens: 9, outputTokens: 10 }], logRecords: 0 },
  'otel-instrumentation-openai-v2-py/seed-capture-false': { calls: [SEED_OPENAI_CALL], traces: [{ inputTokens: 9, outputTokens: 10 }], logRecords: 0 },
  'otel-instrumentation-openai-v2-py/seed-span-only': {
    calls: [SEED_OPENAI_CALL],
    messages: [[[text('user', 'Hello!')], [{ ...text('assistant', GREETING), finish_reason: 'stop' }]]],
    traces: [{ inputTokens: 9, outputTokens: 10 }],
    logRecords: 0,
  },
  'otel-instrumentation-openai-v2-py/chat-tool-call-event-only': {
    calls: [FIRST, SECOND],
    messages: pairs(eventConversation),
    traces: [{ inputTokens: 213, outputTokens: 31 }],
    logRecords: 2,
  },
  'otel-instrumentation-anthropic-py/seed-capture-true': { ...ANTHROPIC, messages: [[[text('user', 'Hello!')], [{ ...text('assistant', GREETING), finish_reason: 'stop' }]]] },
  // opentelemetry-instrumentation-anthropic reads only TRACELOOP_TRACE_CONTENT (default true): the
  // seed's `OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=false` does not stop content capture.
  'otel-instrumentation-anthropic-py/seed-capture-false': { ...ANTHROPIC, messages: [[[text('user', 'Hello!')], [{ ...text('assistant', GREETING), finish_reason: 'stop' }]]] },
  'otel-instrumentation-anthropic-py/seed-trace-content-false': ANTHROPIC,
  'openinference-instrumentation-openai-py/chat-tool-call-content': {
    calls: OI_CALLS.map((c) => ({ ...c, responseId: null, toolDefinitions: [TOOL_DEFINITION] })),
    messages: pairs(weatherConversation({ systemAsMessage: true, toolResponse: WEATHER, finishOnMessages: false })),
    traces: [
      { inputTokens: 82, outputTokens: 17 },
      { inputTokens: 131, outputTokens: 14 },
    ],
    sessionId: 'session-weather-42',
  },
  'openinference-instrumentation-openai-py/chat-tool-call-no-content': {
    calls: OI_CALLS.map((c) => ({ ...c, responseId: null })),
    traces: [
      { inputTokens: 82, outputTokens: 17 },
      { inputTokens: 131, outputTokens: 14 },
    ],
    sessionId: 'session-weather-42',
  },
  'traceloop-sdk-py/workflow-chat-tool-call-content': {
    calls: TRACELOOP_PY_CALLS.map((c) => ({ ...c, toolDefinitions: [TOOL_DEFINITION] })),
    messages: pairs(weatherConversation({ systemAsMessage: true, toolResponse: WEATHER, finishOnMessages: true })),
    traces: [{ inputTokens: 213, outputTokens: 31 }],
    sessionId: 'session-weather-42',
  },
  'traceloop-sdk-py/workflow-chat-tool-call-no-content': { calls: TRACELOOP_PY_CALLS, traces: [{ inputTokens: 213, outputTokens: 31 }], sessionId: 'session-weather-42' },
};

/** Every piece of captured content a span can carry: message text, tool arguments and results, generic payloads. */
function contentOf(s: SpanDocument): unknown[] {
  const parts = [...(s.inputMessages ?? []), ...(s.outputMessages ?? [])].flatMap((m: ChatMessage) => m.parts as Record<string, unknown>[]);
  return [
    ...parts.flatMap((p) => [p.content, p.arguments, p.response, p.text].filter((v) => v !== undefined && v !== null)),
    ...(s.systemInstructions ? [s.systemInstructions] : []),
    ...[s.toolCallArguments, s.toolCallResult, s.input, s.output].filter((v) => v !== undefined && v !== null),
  ];
}

it('every recording scenario has a stored fixture, and every fixture a scenario', () => {
  expect(fixtures.map(key).sort()).toEqual(RECORD_SCENARIOS.map(key).sort());
  expect(Object.keys(EXPECTED).sort()).toEqual(RECORD_SCENARIOS.map(key).sort());
});

describe.each(fixtures.map((f) => [key(f), f] as const))('%s', (name, fixture: RecordedScenario) => {
  const projected = projectOtlpRequests(fixture.requests);
  const spans = spansInOrder(projected.spans);
  const calls = spans.filter((s) => s.kind === 'generation');
  const expected = EXPECTED[name]!;
  const capture = fixture.manifest.captureContent;
  // openai-v2 ignores `true` (see EXPECTED); every other "on" value captures.
  const contentExpected = expected.messages !== undefined;

  it('is recorded from a real client, without credentials, and decodes without rejections', () => {
    expect(fixture.manifest).toMatchObject({ recordedAt: expect.any(String), runtime: expect.stringMatching(/^(node|python) /) });
    expect(Object.keys(fixture.manifest.packages).length).toBeGreaterThan(0);
    expect(secretsIn(fixture.requests)).toEqual([]);
    expect(projected.rejected).toEqual([]);
    expect(spans.length).toBeGreaterThan(0);
    if (expected.logRecords !== undefined) expect(projected.events.filter((e) => e.type === 'LogRecordReceived')).toHaveLength(expected.logRecords);
  });

  it('normalizes each model call: kind, operation, provider, models, tokens, finish reasons', () => {
    expect(calls).toHaveLength(expected.calls.length);
    expected.calls.forEach((call, i) => expect(calls[i]).toMatchObject(call));
  });

  it(contentExpected ? 'has the conversation in semconv parts' : `has no message content (capture ${String(capture)})`, () => {
    if (contentExpected) {
      const withMessages = calls.filter((c) => c.inputMessages || c.outputMessages);
      expect(withMessages.map((c) => [c.inputMessages, c.outputMessages])).toEqual(expected.messages);
    } else {
      const leaked = expected.systemInstructionsWithoutCapture;
      if (leaked) for (const c of calls) expect(c.systemInstructions).toEqual(leaked);
      for (const s of spans) expect({ span: s.name, content: contentOf(leaked ? { ...s, systemInstructions: null } : s) }).toEqual({ span: s.name, content: [] });
    }
  });

  it('normalizes tool calls and aggregate spans', () => {
    const tools = spans.filter((s) => s.kind === 'tool');
    expect(tools).toHaveLength(expected.tools?.length ?? 0);
    expected.tools?.forEach((t, i) => expect(tools[i]).toMatchObject(t));
    const aggregates = spans.filter((s) => s.aggregateUsage);
    expect(aggregates).toHaveLength(expected.aggregates?.length ?? 0);
    expected.aggregates?.forEach((a, i) => expect(aggregates[i]).toMatchObject(a));
  });

  it('reports how each span was read: the dialects, and no key left unmapped', () => {
    for (const s of spans) {
      const genAi = Object.keys(s.attributes).some((k) => /^(gen_ai|llm|ai|traceloop|openinference)\./.test(k));
      if (genAi) expect({ span: s.name, dialects: s.mapping?.dialects }).toEqual({ span: s.name, dialects: expect.arrayContaining([expect.any(String)]) });
      expect({ span: s.name, unmappedKeys: s.mapping?.unmappedKeys }).toEqual({ span: s.name, unmappedKeys: [] });
    }
  });

  it('carries the session id when the client sent one', () => {
    for (const c of calls) expect(c.sessionId ?? null).toBe(expected.sessionId ?? null);
    for (const t of projected.traces) expect(t.conversationId).toBe(expected.sessionId ?? null);
  });

  it('counts each model call once in the trace totals', () => {
    const totals = [...projected.traces].sort((a, b) => a.startKey.localeCompare(b.startKey) || a.rootSpanName.localeCompare(b.rootSpanName));
    expect(totals.map((t) => ({ inputTokens: t.inputTokens, outputTokens: t.outputTokens }))).toEqual(expected.traces);
    // Independently of the summary's own rule: the totals are the sums over the leaf model calls.
    for (const t of projected.traces) {
      const leaves = calls.filter((c) => c.traceId === t.traceId);
      expect(t.inputTokens).toBe(leaves.reduce((n, c) => n + (c.inputTokens ?? 0), 0));
      expect(t.outputTokens).toBe(leaves.reduce((n, c) => n + (c.outputTokens ?? 0), 0));
    }
  });
});
