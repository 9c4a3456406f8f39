import { context, SpanKind, SpanStatusCode, trace, TraceFlags, type HrTime } from '@opentelemetry/api';
import { TraceState } from '@opentelemetry/core';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { TracerProvider, type ReadableSpan, type SpanProcessor } from '@opentelemetry/sdk-trace';
import type { KeyValue, SpanReceivedData } from '@temps/domain';
import { decodeTraceRequest, decodeTraceRequestJson, OtlpDecodeError, validateSpan } from './index';
import { opentelemetry } from './generated/otlp';

/** Collects ended spans synchronously: no exporter, no timers. */
class CollectingProcessor implements SpanProcessor {
  readonly spans: ReadableSpan[] = [];
  onStart(): void {}
  onEnd(span: ReadableSpan): void {
    this.spans.push(span);
  }
  forceFlush(): Promise<void> {
    return Promise.resolve();
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

const nanos = (t: HrTime): string => (BigInt(t[0]) * 1_000_000_000n + BigInt(t[1])).toString();

function serialize(spans: ReadableSpan[]): Uint8Array {
  const body = ProtobufTraceSerializer.serializeRequest(spans);
  if (!body) throw new Error('serializer returned nothing');
  return body;
}

const REMOTE_TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const REMOTE_PARENT_ID = '00f067aa0ba902b7';
const LINKED_TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const LINKED_SPAN_ID = 'b7ad6b7169203331';

/** A small real workload: an agent root span with a chat child, plus a child of a remote parent. */
function recordSpans() {
  const processor = new CollectingProcessor();
  const provider = new TracerProvider({
    resource: resourceFromAttributes(
      { 'service.name': 'my-ai-app', 'service.version': '2.0.1', 'process.pid': 4242 },
      { schemaUrl: 'https://opentelemetry.io/schemas/1.36.0' },
    ),
    spanProcessors: [processor],
    spanLimits: { eventCountLimit: 3 },
  });
  const tracer = provider.getTracer('temps-test-scope', '1.4.2', { schemaUrl: 'https://opentelemetry.io/schemas/1.37.0' });

  // Times with nanosecond digits: their sum exceeds 2^53, so any float on the way would round them.
  const rootStart: HrTime = [1_780_000_000, 123_456_789];
  const chatStart: HrTime = [1_780_000_000, 223_456_701];
  const eventTime: HrTime = [1_780_000_000, 323_456_777];
  const chatEnd: HrTime = [1_780_000_001, 987_654_321];
  const rootEnd: HrTime = [1_780_000_002, 999_999_999];

  const root = tracer.startSpan('invoke_agent research-assistant', { kind: SpanKind.INTERNAL, startTime: rootStart });
  root.setAttribute('gen_ai.operation.name', 'invoke_agent');
  root.setStatus({ code: SpanStatusCode.OK });

  const chat = tracer.startSpan(
    'chat gpt-4o',
    {
      kind: SpanKind.CLIENT,
      startTime: chatStart,
      links: [
        {
          context: {
            traceId: LINKED_TRACE_ID,
            spanId: LINKED_SPAN_ID,
            traceFlags: TraceFlags.SAMPLED,
            isRemote: true,
            traceState: new TraceState('rojo=00f067aa0ba902b7'),
          },
          attributes: { 'link.reason': 'retry-of', 'link.attempt': 2 },
        },
      ],
    },
    trace.setSpan(context.active(), root),
  );
  chat.setAttributes({
    'gen_ai.operation.name': 'chat',
    'empty.string': '',
    'gen_ai.request.stream': true,
    'flag.off': false,
    'gen_ai.usage.input_tokens': 150,
    'negative.int': -42,
    'max.safe.int': Number.MAX_SAFE_INTEGER,
    'gen_ai.request.temperature': 0.7,
    'gen_ai.response.finish_reasons': ['stop', 'length'],
    'int.array': [1, 2, 3],
    'double.array': [0.5, -1.25],
    'bool.array': [true, false],
    'raw.bytes': new Uint8Array([0, 1, 2, 250, 255]),
    'kv.list': { model: 'gpt-4o', tokens: 3, nested: { ok: true } },
    'mixed.array': ['a', 1, null],
    'null.value': null,
    'unicode.text': 'héllo wörld ✓ 日本',
  });
  // 5 events, limit 3: the SDK drops the 2 oldest.
  for (let i = 1; i <= 4; i++) chat.addEvent(`tick ${i}`, { tick: i }, [eventTime[0], eventTime[1] + i]);
  chat.addEvent('gen_ai.content.prompt', { 'gen_ai.prompt': 'What is the weather in Paris?', index: 0 }, eventTime);
  chat.setStatus({ code: SpanStatusCode.ERROR, message: 'rate limited by upstream' });
  chat.end(chatEnd);
  root.end(rootEnd);

  // A span whose parent lives in another process (remote), carrying a trace state.
  const remoteParent = trace.setSpanContext(context.active(), {
    traceId: REMOTE_TRACE_ID,
    spanId: REMOTE_PARENT_ID,
    traceFlags: TraceFlags.SAMPLED,
    isRemote: true,
    traceState: new TraceState('congo=t61rcWkgMzE,rojo=00f067aa0ba902b7'),
  });
  const server = tracer.startSpan('POST /v1/chat', { kind: SpanKind.SERVER, startTime: rootStart }, remoteParent);
  server.end(rootEnd);

  return { spans: processor.spans, root, chat, server, times: { rootStart, chatStart, eventTime, chatEnd, rootEnd } };
}

describe('decodeTraceRequest', () => {
  const recorded = recordSpans();
  const body = serialize(recorded.spans);
  const result = decodeTraceRequest(body);
  const decoded = result.items;
  const byName = (name: string): SpanReceivedData => {
    const found = decoded.find((d) => d.span.name === name);
    if (!found) throw new Error(`no span ${name}`);
    return found;
  };

  it('returns one SpanReceivedData per span, in request order, and rejects none', () => {
    expect(decoded.map((d) => d.span.name)).toEqual(recorded.spans.map((s) => s.name));
    expect(decoded).toHaveLength(3);
    expect(result.rejected).toEqual([]);
    // Nothing was cut: no truncation marks.
    for (const d of decoded) expect('truncatedAttributes' in d.span).toBe(false);
  });

  it('decodes ids as the SDK lowercase hex, and an absent parent as undefined', () => {
    const root = byName('invoke_agent research-assistant');
    const chat = byName('chat gpt-4o');
    expect(root.span.traceId).toBe(recorded.root.spanContext().traceId);
    expect(root.span.spanId).toBe(recorded.root.spanContext().spanId);
    expect(root.span.parentSpanId).toBeUndefined();
    expect('parentSpanId' in root.span).toBe(false);
    expect(chat.span.traceId).toBe(recorded.root.spanContext().traceId);
    expect(chat.span.spanId).toBe(recorded.chat.spanContext().spanId);
    expect(chat.span.parentSpanId).toBe(recorded.root.spanContext().spanId);
    expect(chat.span.spanId).toMatch(/^[0-9a-f]{16}$/);
    expect(chat.span.traceId).toMatch(/^[0-9a-f]{32}$/);
  });

  it('keeps nanosecond times exact as decimal strings', () => {
    const { times } = recorded;
    const root = byName('invoke_agent research-assistant').span;
    const chat = byName('chat gpt-4o').span;
    expect(root.startTimeUnixNano).toBe('1780000000123456789');
    expect(root.endTimeUnixNano).toBe('1780000002999999999');
    expect(chat.startTimeUnixNano).toBe(nanos(times.chatStart));
    expect(chat.endTimeUnixNano).toBe('1780000001987654321');
    expect(chat.events[2]!.timeUnixNano).toBe('1780000000323456777');
    // The SDK's own view agrees.
    const sdkChat = recorded.spans.find((s) => s.name === 'chat gpt-4o')!;
    expect(chat.startTimeUnixNano).toBe(nanos(sdkChat.startTime));
    expect(chat.endTimeUnixNano).toBe(nanos(sdkChat.endTime));
  });

  it('decodes every attribute type into OTLP/JSON-shaped values', () => {
    const expected: KeyValue[] = [
      { key: 'gen_ai.operation.name', value: { stringValue: 'chat' } },
      { key: 'empty.string', value: { stringValue: '' } },
      { key: 'gen_ai.request.stream', value: { boolValue: true } },
      { key: 'flag.off', value: { boolValue: false } },
      { key: 'gen_ai.usage.input_tokens', value: { intValue: '150' } },
      { key: 'negative.int', value: { intValue: '-42' } },
      { key: 'max.safe.int', value: { intValue: '9007199254740991' } },
      { key: 'gen_ai.request.temperature', value: { doubleValue: 0.7 } },
      { key: 'gen_ai.response.finish_reasons', value: { arrayValue: { values: [{ stringValue: 'stop' }, { stringValue: 'length' }] } } },
      { key: 'int.array', value: { arrayValue: { values: [{ intValue: '1' }, { intValue: '2' }, { intValue: '3' }] } } },
      { key: 'double.array', value: { arrayValue: { values: [{ doubleValue: 0.5 }, { doubleValue: -1.25 }] } } },
      { key: 'bool.array', value: { arrayValue: { values: [{ boolValue: true }, { boolValue: false }] } } },
      { key: 'raw.bytes', value: { bytesValue: 'AAEC+v8=' } },
      {
        key: 'kv.list',
        value: {
          kvlistValue: {
            values: [
              { key: 'model', value: { stringValue: 'gpt-4o' } },
              { key: 'tokens', value: { intValue: '3' } },
              { key: 'nested', value: { kvlistValue: { values: [{ key: 'ok', value: { boolValue: true } }] } } },
            ],
          },
        },
      },
      { key: 'mixed.array', value: { arrayValue: { values: [{ stringValue: 'a' }, { intValue: '1' }, {}] } } },
      { key: 'null.value', value: {} },
      { key: 'unicode.text', value: { stringValue: 'héllo wörld ✓ 日本' } },
    ];
    expect(byName('chat gpt-4o').span.attributes).toStrictEqual(expected);
  });

  it('decodes kind, status, events, links, flags and dropped counts', () => {
    const chat = byName('chat gpt-4o').span;
    const root = byName('invoke_agent research-assistant').span;
    expect(chat.kind).toBe(3); // OTLP SPAN_KIND_CLIENT (the API enum says 2)
    expect(root.kind).toBe(1); // INTERNAL
    expect(byName('POST /v1/chat').span.kind).toBe(2); // SERVER
    expect(chat.status).toStrictEqual({ code: 2, message: 'rate limited by upstream' });
    expect(root.status).toStrictEqual({ code: 1 });
    // sampled (0x01) | "is-remote known" (0x100)
    expect(chat.flags).toBe(0x101);

    expect(chat.droppedEventsCount).toBe(2);
    expect(chat.events).toStrictEqual([
      { timeUnixNano: '1780000000323456780', name: 'tick 3', attributes: [{ key: 'tick', value: { intValue: '3' } }] },
      { timeUnixNano: '1780000000323456781', name: 'tick 4', attributes: [{ key: 'tick', value: { intValue: '4' } }] },
      {
        timeUnixNano: '1780000000323456777',
        name: 'gen_ai.content.prompt',
        attributes: [
          { key: 'gen_ai.prompt', value: { stringValue: 'What is the weather in Paris?' } },
          { key: 'index', value: { intValue: '0' } },
        ],
      },
    ]);
    const sdkChat = recorded.spans.find((s) => s.name === 'chat gpt-4o')!;
    expect(chat.events.map((e) => e.timeUnixNano)).toEqual(sdkChat.events.map((e) => nanos(e.time)));

    expect(chat.links).toStrictEqual([
      {
        traceId: LINKED_TRACE_ID,
        spanId: LINKED_SPAN_ID,
        traceState: 'rojo=00f067aa0ba902b7',
        attributes: [
          { key: 'link.reason', value: { stringValue: 'retry-of' } },
          { key: 'link.attempt', value: { intValue: '2' } },
        ],
        flags: 0x301, // sampled | is-remote known | is remote
      },
    ]);
    expect(chat.droppedLinksCount).toBeUndefined();
    expect(chat.droppedAttributesCount).toBeUndefined();
  });

  it('decodes a child of a remote parent with its trace state and remote flag', () => {
    const server = byName('POST /v1/chat').span;
    expect(server.traceId).toBe(REMOTE_TRACE_ID);
    expect(server.parentSpanId).toBe(REMOTE_PARENT_ID);
    expect(server.spanId).toBe(recorded.server.spanContext().spanId);
    expect(server.traceState).toBe('congo=t61rcWkgMzE,rojo=00f067aa0ba902b7');
    expect(server.flags).toBe(0x301);
    expect(server.events).toEqual([]);
    expect(server.links).toEqual([]);
    expect(server.status).toStrictEqual({ code: 0 });
  });

  it('attaches the resource (with the ResourceSpans schemaUrl) and the scope (with the ScopeSpans schemaUrl)', () => {
    for (const d of decoded) {
      expect(d.resource).toStrictEqual({
        attributes: [
          { key: 'service.name', value: { stringValue: 'my-ai-app' } },
          { key: 'service.version', value: { stringValue: '2.0.1' } },
          { key: 'process.pid', value: { intValue: '4242' } },
        ],
        schemaUrl: 'https://opentelemetry.io/schemas/1.36.0',
      });
      expect(d.scope).toStrictEqual({
        name: 'temps-test-scope',
        version: '1.4.2',
        attributes: [],
        schemaUrl: 'https://opentelemetry.io/schemas/1.37.0',
      });
    }
  });

  it('produces spans that validateSpan accepts and that survive a JSON round trip unchanged', () => {
    for (const d of decoded) expect(validateSpan(d.span)).toBeNull();
    expect(JSON.parse(JSON.stringify(decoded))).toStrictEqual(decoded);
  });

  it('decodes the OTLP/JSON of the same spans (the real JsonTraceSerializer) to exactly the same result', () => {
    const json = JsonTraceSerializer.serializeRequest(recorded.spans)!;
    const fromJson = decodeTraceRequestJson(json);
    expect(fromJson).toStrictEqual(result);
    // Same keys in the same order too: the stored event JSON (and so its content id) is identical.
    expect(JSON.stringify(fromJson)).toBe(JSON.stringify(result));
  });

  it('accepts a plain Uint8Array, a Buffer and a view into a larger buffer alike', () => {
    const padded = new Uint8Array(body.length + 16);
    padded.set(body, 8);
    const view = padded.subarray(8, 8 + body.length);
    expect(decodeTraceRequest(view)).toStrictEqual(result);
    expect(decodeTraceRequest(Buffer.from(body))).toStrictEqual(result);
    expect(decodeTraceRequest(new Uint8Array(body))).toStrictEqual(result);
  });

  it('decodes times at the top of the 64-bit range and large negative ints exactly', () => {
    const { Span } = opentelemetry.proto.trace.v1;
    const { ExportTraceServiceRequest } = opentelemetry.proto.collector.trace.v1;
    const L = (s: string, unsigned: boolean) => {
      const v = BigInt.asUintN(64, BigInt(s));
      return { low: Number(v & 0xffffffffn) | 0, high: Number(v >> 32n) | 0, unsigned } as unknown as InstanceType<typeof Span>['startTimeUnixNano'];
    };
    const bytes = ExportTraceServiceRequest.encode({
      resourceSpans: [
        {
          scopeSpans: [
            {
              spans: [
                {
                  traceId: Buffer.from(REMOTE_TRACE_ID, 'hex'),
                  spanId: Buffer.from(REMOTE_PARENT_ID, 'hex'),
                  name: 'edge',
                  startTimeUnixNano: L('9007199254740993', true), // 2^53 + 1: not a double
                  endTimeUnixNano: L('18446744073709551615', true), // 2^64 - 1
                  attributes: [
                    { key: 'min', value: { intValue: L('-9223372036854775808', false) } },
                    { key: 'max', value: { intValue: L('9223372036854775807', false) } },
                    { key: 'neg', value: { intValue: L('-9007199254740993', false) } },
                  ],
                },
              ],
            },
          ],
        },
      ],
    }).finish();
    const [d] = decodeTraceRequest(bytes).items;
    expect(d!.span.startTimeUnixNano).toBe('9007199254740993');
    expect(d!.span.endTimeUnixNano).toBe('18446744073709551615');
    expect(d!.span.attributes).toStrictEqual([
      { key: 'min', value: { intValue: '-9223372036854775808' } },
      { key: 'max', value: { intValue: '9223372036854775807' } },
      { key: 'neg', value: { intValue: '-9007199254740993' } },
    ]);
    // No resource, no scope on the wire: empty ones, and a missing status is UNSET.
    expect(d!.resource).toStrictEqual({ attributes: [] });
    expect(d!.scope).toStrictEqual({ name: '', attributes: [] });
    expect(d!.span.status).toStrictEqual({ code: 0 });
    expect(d!.span.kind).toBe(0);
  });

  it('returns no spans for an empty body (a valid empty request)', () => {
    expect(decodeTraceRequest(new Uint8Array(0))).toEqual({ items: [], rejected: [] });
    expect(decodeTraceRequest(Buffer.alloc(0))).toEqual({ items: [], rejected: [] });
  });

  it('throws OtlpDecodeError with a readable message on undecodable bytes', () => {
    const garbage = [
      Buffer.from('this is definitely not protobuf'),
      Buffer.from('{"resourceSpans":[]}'), // JSON sent with the protobuf content type
      body.subarray(0, Math.floor(body.length / 2)), // truncated request
      Uint8Array.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]), // length far beyond the body
      Uint8Array.from([0x0a, 0x08, 0x12, 0x06, 0x12, 0x04, 0x2a, 0x02, 0xc3, 0x28]), // a span name that is not UTF-8
    ];
    for (const bytes of garbage) {
      let error: unknown;
      try {
        decodeTraceRequest(bytes);
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(OtlpDecodeError);
      expect(error).toBeInstanceOf(Error);
      expect((error as Error).name).toBe('OtlpDecodeError');
      expect((error as Error).message).toMatch(/^could not decode ExportTraceServiceRequest protobuf: \S/);
    }
  });

  it('decodes a request spread over several resources and scopes', () => {
    const a = new CollectingProcessor();
    const b = new CollectingProcessor();
    const pa = new TracerProvider({ resource: resourceFromAttributes({ 'service.name': 'a' }), spanProcessors: [a] });
    const pb = new TracerProvider({ resource: resourceFromAttributes({ 'service.name': 'b' }), spanProcessors: [b] });
    pa.getTracer('s1').startSpan('a1').end();
    pa.getTracer('s2', '2').startSpan('a2').end();
    pa.getTracer('s1').startSpan('a3').end();
    pb.getTracer('s3').startSpan('b1').end();
    const out = decodeTraceRequest(serialize([...a.spans, ...b.spans])).items;
    const summary = out.map((d) => [d.span.name, d.resource.attributes[0]!.value, d.scope.name, d.scope.version]);
    expect(summary).toEqual([
      ['a1', { stringValue: 'a' }, 's1', undefined],
      ['a3', { stringValue: 'a' }, 's1', undefined],
      ['a2', { stringValue: 'a' }, 's2', '2'],
      ['b1', { stringValue: 'b' }, 's3', undefined],
    ]);
    for (const d of out) expect(validateSpan(d.span)).toBeNull();
  });
});
