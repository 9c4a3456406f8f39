import fc from 'fast-check';
import {
  compactLogRecordData,
  compactSpanData,
  EventTypes,
  GENAI_CONTENT_EVENT_NAMES,
  otlpLogRecordData,
  otlpSpanData,
  normalizeSpan,
  rebuildTraces,
  type AnyValue,
  type IngestMetadata,
  type KeyValue,
  type ProjectableEvent,
  type RawLogRecord,
  type SpanDocument,
  type SpanReceivedData,
} from '@temps/domain';

/**
 * A property test of libs/domain's normalizer (here because libs/domain imports nothing, not even
 * fast-check). Normalization runs on whatever any client sent, inside the projector: it must never throw, and
 * no built-in dialect may fail on a span (a failing mapper is caught and reported in
 * mapping.errors, so "did not throw" alone would prove nothing). Attribute keys come from every
 * dialect's vocabulary (so the mappers really run) plus random ones; values are arbitrary AnyValues,
 * including JSON text, which the mappers parse.
 */

// Names of Object.prototype members: a lookup table indexed with client data must not find them.
const PROTOTYPE_NAMES = ['constructor', 'toString', 'valueOf', '__proto__', 'hasOwnProperty'];

const KNOWN_KEYS = [
  // semconv
  'gen_ai.operation.name', 'gen_ai.provider.name', 'gen_ai.system', 'gen_ai.request.model', 'gen_ai.response.model',
  'gen_ai.request.temperature', 'gen_ai.request.max_tokens', 'gen_ai.request.top_p', 'gen_ai.request.stop_sequences',
  'gen_ai.response.finish_reasons', 'gen_ai.response.id', 'gen_ai.usage.input_tokens', 'gen_ai.usage.output_tokens',
  'gen_ai.usage.prompt_tokens', 'gen_ai.usage.completion_tokens', 'gen_ai.usage.cache_read.input_tokens',
  'gen_ai.usage.cache_creation.input_tokens', 'gen_ai.usage.cache_write.input_tokens', 'gen_ai.usage.reasoning.output_tokens',
  'gen_ai.input.messages', 'gen_ai.output.messages', 'gen_ai.system_instructions', 'gen_ai.tool.definitions',
  'gen_ai.tool.name', 'gen_ai.tool.call.id', 'gen_ai.tool.call.arguments', 'gen_ai.tool.call.result', 'gen_ai.agent.name',
  'gen_ai.conversation.id', 'error.type', 'server.address', 'anthropic.message.stop_reason',
  // pydantic-ai
  'gen_ai.aggregated_usage.input_tokens', 'gen_ai.aggregated_usage.output_tokens', 'gen_ai.aggregated_usage.details.cache_read_tokens',
  // OpenLLMetry (the legacy indexed form, with a leaf and a prefix colliding) and traceloop.*
  'llm.request.type', 'gen_ai.prompt.0.role', 'gen_ai.prompt.0.content', 'gen_ai.prompt.0', 'gen_ai.prompt.1.tool_calls.0.name',
  'gen_ai.prompt.1.tool_calls.0.arguments', 'gen_ai.prompt.1.tool_call_id', 'gen_ai.prompt.name', 'gen_ai.completion.0.content',
  'gen_ai.completion.0.finish_reason', 'gen_ai.completion.0.tool_calls.0.id', 'llm.request.functions.0.name',
  'llm.request.functions.0.parameters', 'gen_ai.usage.total_tokens', 'gen_ai.usage.cache_read_input_tokens',
  'traceloop.span.kind', 'traceloop.entity.name', 'traceloop.entity.input', 'traceloop.entity.output',
  'traceloop.association.properties.session_id', 'llm.response.finish_reason',
  // OpenInference
  'openinference.span.kind', 'llm.model_name', 'llm.provider', 'llm.system', 'llm.invocation_parameters', 'llm.finish_reason',
  'llm.input_messages.0.message.role', 'llm.input_messages.0.message.content', 'llm.input_messages.0.message.contents.0.message_content.type',
  'llm.input_messages.0.message.contents.0.message_content.image.image.url', 'llm.output_messages.0.message.tool_calls.0.tool_call.function.arguments',
  'llm.tools.0.tool.json_schema', 'llm.token_count.prompt', 'llm.token_count.completion', 'input.value', 'output.value',
  'tool.name', 'session.id', 'user.id', 'agent.name',
  // Vercel AI SDK
  'ai.operationId', 'ai.model.id', 'ai.model.provider', 'ai.prompt', 'ai.prompt.messages', 'ai.prompt.tools', 'ai.response.text',
  'ai.response.toolCalls', 'ai.response.finishReason', 'ai.response.providerMetadata', 'ai.usage.inputTokens', 'ai.usage.promptTokens',
  'ai.usage.outputTokens', 'ai.usage.inputTokenDetails.noCacheTokens', 'ai.usage.cachedInputTokens', 'ai.toolCall.args', 'ai.toolCall.result',
  'ai.telemetry.metadata.sessionId', 'ai.settings.stopSequences',
  // Logfire, Langfuse
  'request_data', 'response_data', 'events', 'langfuse.observation.type', 'langfuse.observation.input', 'langfuse.observation.output',
  'langfuse.observation.usage_details', 'langfuse.observation.model.name', 'langfuse.session.id',
];

// JSON text in the shapes the mappers parse, with holes where they expect objects.
const trickyJson = fc.constantFrom(
  '[null]', '[1]', '["x"]', '[[]]', 'null', '{}', '{"messages":[null]}', '{"prompt":[null],"system":1}', '[{"role":null,"parts":[null]}]',
  '[{"parts":"x"}]', '[{"content":[null]}]', '[{"tool_calls":[null]}]', '[{"tool_calls":[{"function":null}]}]', '{"function":null}',
  '[{"type":"tool_call","arguments":null}]', '[{"function":"x"}]', '[{"type":"tool-result","output":null}]', '{"anthropic":null}',
);
const jsonText = fc.oneof(fc.json({ maxDepth: 3 }), trickyJson);
const scalar: fc.Arbitrary<AnyValue> = fc.oneof(
  fc.string().map((stringValue) => ({ stringValue })),
  jsonText.map((stringValue) => ({ stringValue })),
  fc.constantFrom('chat', 'invoke_agent', 'execute_tool', 'LLM', 'TOOL', 'AGENT', 'workflow', 'ai.generateText.doGenerate', 'anthropic', 'openai.chat', '__REDACTED__', '', ...PROTOTYPE_NAMES).map((stringValue) => ({ stringValue })),
  fc.boolean().map((boolValue) => ({ boolValue })),
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map((n) => ({ intValue: n.toString() })),
  // Doubles as the decoders give them: NaN and the infinities as their OTLP/JSON strings, often enough to be
  // in most runs. (-0 is left out: JSON has no negative zero, for OTLP/JSON either.)
  fc.oneof(fc.double().filter((d) => !Object.is(d, -0)), fc.constantFrom(NaN, Infinity, -Infinity)).map((d) => ({ doubleValue: Number.isFinite(d) ? d : (String(d) as 'NaN') })),
  fc.uint8Array({ maxLength: 8 }).map((b) => ({ bytesValue: Buffer.from(b).toString('base64') })),
);
const { value: anyValue } = fc.letrec<{ value: AnyValue }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    scalar,
    fc.array(tie('value'), { maxLength: 4 }).map((values) => ({ arrayValue: { values } })),
    fc.array(fc.record({ key: fc.oneof(fc.string(), fc.constantFrom('role', 'content', 'parts', 'type', 'tool_calls', 'function', 'arguments', 'message', 'index')), value: tie('value') }), { maxLength: 4 }).map((values) => ({ kvlistValue: { values } })),
  ),
}));
const attributes: fc.Arbitrary<KeyValue[]> = fc.array(fc.record({ key: fc.oneof(fc.constantFrom(...KNOWN_KEYS), fc.string()), value: anyValue }), { maxLength: 25 });
const eventName = fc.oneof(fc.constantFrom(...GENAI_CONTENT_EVENT_NAMES, ...PROTOTYPE_NAMES), fc.string());

const TRACE = '0af7651916cd43dd8448eb211c80319c';
const SPAN = 'b000000000000001';
const meta: IngestMetadata = { projectId: '1', receivedAt: '2026-11-27T00:00:00.000Z', requestId: 'r', encoding: 'protobuf', schemaVersion: 1 };

const spanData = fc.record({ name: fc.string(), kind: fc.integer({ min: 0, max: 7 }), attributes, events: fc.array(fc.record({ name: eventName, attributes }), { maxLength: 3 }), status: fc.integer({ min: 0, max: 3 }), resource: attributes }).map(
  (s): SpanReceivedData => ({
    span: {
      traceId: TRACE,
      spanId: SPAN,
      name: s.name,
      kind: s.kind,
      startTimeUnixNano: '1780000000000000000',
      endTimeUnixNano: '1780000000500000000',
      attributes: s.attributes,
      events: s.events.map((e) => ({ timeUnixNano: '1780000000000000000', name: e.name, attributes: e.attributes })),
      links: [],
      status: { code: s.status },
    },
    resource: { attributes: s.resource },
    scope: { name: 'property', attributes: [] },
  }),
);
const logRecord = fc.record({ eventName: fc.option(eventName, { nil: undefined }), attributes, body: fc.option(anyValue, { nil: undefined }) }).map(
  (r): RawLogRecord => ({ timeUnixNano: '0', observedTimeUnixNano: '0', severityNumber: 9, ...r, traceId: TRACE, spanId: SPAN }),
);

const CATEGORIES = ['generation', 'embedding', 'agent', 'tool', 'chain', 'retriever', 'workflow', 'span'];
const numberOrNull = (n: unknown) => n === null || (typeof n === 'number' && Number.isFinite(n));
const countOrNull = (n: unknown) => n === null || (typeof n === 'number' && Number.isFinite(n) && n >= 0);

/** The document's shape holds whatever came in: the API and the read stores rely on it. */
function expectWellFormed(doc: SpanDocument): void {
  expect(doc.mapping?.errors).toBeUndefined();
  expect(CATEGORIES).toContain(doc.kind);
  for (const n of [doc.inputTokens, doc.outputTokens, doc.cacheReadInputTokens, doc.cacheCreationInputTokens, doc.reasoningOutputTokens]) expect(countOrNull(n)).toBe(true);
  for (const n of [doc.temperature, doc.maxTokens]) expect(numberOrNull(n)).toBe(true);
  expect(doc.finishReasons.every((r) => typeof r === 'string')).toBe(true);
  for (const messages of [doc.inputMessages, doc.outputMessages]) {
    if (messages === null) continue;
    for (const m of messages) {
      expect(typeof m.role).toBe('string');
      expect(m.parts.every((p) => typeof p.type === 'string')).toBe(true);
    }
  }
  expect(() => JSON.stringify(doc)).not.toThrow();
}

describe('normalizeSpan on arbitrary attribute values', () => {
  it('never throws, no built-in dialect fails, and the document is well formed', () => {
    fc.assert(
      fc.property(spanData, fc.array(logRecord, { maxLength: 3 }), (data, logs) => {
        const doc = normalizeSpan(data, meta, 1n, { logRecords: logs.map((l) => ({ name: l.eventName, attributes: Object.fromEntries(l.attributes.map((kv) => [kv.key, kv.value])), body: l.body })) });
        expectWellFormed(doc);
      }),
      { numRuns: Number(process.env.PROPERTY_RUNS ?? 600) },
    );
  });

  it('the trace fold joins arbitrary log records to arbitrary spans without throwing', () => {
    fc.assert(
      fc.property(spanData, fc.array(logRecord, { maxLength: 4 }), (data, logs) => {
        const events: ProjectableEvent[] = [
          ...logs.map((logRecord, i) => ({ type: EventTypes.LogRecordReceived, position: BigInt(i + 1), data: { logRecord, resource: { attributes: [] }, scope: { name: 'x', attributes: [] } }, metadata: meta })),
          { type: EventTypes.SpanReceived, position: BigInt(logs.length + 1), data, metadata: meta },
        ];
        const { spans, traces } = rebuildTraces(events);
        expect(spans).toHaveLength(1);
        expectWellFormed(spans[0]!);
        expect(traces[0]!.inputTokens).toBeGreaterThanOrEqual(0);
      }),
      { numRuns: Number(process.env.PROPERTY_RUNS ?? 300) },
    );
  });
});

describe('events of schema version 2 (attribute maps) against version 1 (OTLP/JSON)', () => {
  /** What a replay reads: the stored JSON, parsed. */
  const stored = <T>(x: T): T => JSON.parse(JSON.stringify(x)) as T;

  it('are lossless: the stored compact form gives back the OTLP/JSON span and log record exactly', () => {
    fc.assert(
      fc.property(spanData, logRecord, (span, record) => {
        // NaN and the infinities arrive as OTLP/JSON strings, which JSON keeps: one stored as null fails here.
        expect(otlpSpanData(stored(compactSpanData(span)))).toStrictEqual(stored(span));
        const log = { logRecord: record, resource: { attributes: record.attributes }, scope: { name: 'x', attributes: [] } };
        expect(otlpLogRecordData(stored(compactLogRecordData(log)))).toStrictEqual(stored(log));
      }),
      { numRuns: Number(process.env.PROPERTY_RUNS ?? 300) },
    );
  });

  it('project to the same spans and traces as the same data in version 1', () => {
    fc.assert(
      fc.property(spanData, fc.array(logRecord, { maxLength: 3 }), (span, logs) => {
        const events = (compact: boolean): ProjectableEvent[] => [
          ...logs.map((logRecord, i) => {
            const data = { logRecord, resource: { attributes: [] }, scope: { name: 'x', attributes: [] } };
            return { type: EventTypes.LogRecordReceived, position: BigInt(i + 1), data: stored(compact ? compactLogRecordData(data) : data), metadata: meta };
          }),
          { type: EventTypes.SpanReceived, position: BigInt(logs.length + 1), data: stored(compact ? compactSpanData(span) : span), metadata: meta },
        ];
        expect(rebuildTraces(events(true))).toEqual(rebuildTraces(events(false)));
      }),
      { numRuns: Number(process.env.PROPERTY_RUNS ?? 300) },
    );
  });
});
