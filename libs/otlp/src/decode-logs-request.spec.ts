import { ROOT_CONTEXT, SeverityNumber, trace, TraceFlags, type HrTime } from '@opentelemetry/api';
import { JsonLogsSerializer, ProtobufLogsSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { LoggerProvider, type LogRecordProcessor, type ReadableLogRecord } from '@opentelemetry/sdk-logs';
import type { LogRecordReceivedData } from '@temps/domain';
import { decodeLogsRequest, decodeLogsRequestJson, decodeTraceRequest, decodeTraceRequestJson, OtlpDecodeError } from './index';
import { opentelemetry } from './generated/otlp';

type Emitted = Parameters<LogRecordProcessor['onEmit']>[0];

/** Collects emitted records synchronously: no exporter, no timers. */
class CollectingLogProcessor implements LogRecordProcessor {
  readonly records: ReadableLogRecord[] = [];
  onEmit(record: Emitted): void {
    this.records.push(record as unknown as ReadableLogRecord);
  }
  forceFlush(): Promise<void> {
    return Promise.resolve();
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN_ID = '00f067aa0ba902b7';
const T0: HrTime = [1_780_000_000, 123_456_789];
const T1: HrTime = [1_780_000_000, 987_654_321];

/** GenAI content events as the OTel GenAI instrumentations emit them, plus a plain log. */
function recordLogs() {
  const processor = new CollectingLogProcessor();
  const provider = new LoggerProvider({
    resource: resourceFromAttributes({ 'service.name': 'my-ai-app', 'process.pid': 4242 }, { schemaUrl: 'https://opentelemetry.io/schemas/1.36.0' }),
    processors: [processor],
  });
  const logger = provider.getLogger('opentelemetry.instrumentation.openai_v2', '2.1b0', { schemaUrl: 'https://opentelemetry.io/schemas/1.37.0' });
  const inSpan = trace.setSpanContext(ROOT_CONTEXT, { traceId: TRACE_ID, spanId: SPAN_ID, traceFlags: TraceFlags.SAMPLED, isRemote: false });

  logger.emit({
    eventName: 'gen_ai.user.message',
    timestamp: T0,
    observedTimestamp: T1,
    severityNumber: SeverityNumber.INFO,
    severityText: 'INFO',
    body: { content: 'What is the weather in Paris?', role: 'user', parts: [{ type: 'text', n: 1 }] },
    attributes: { 'gen_ai.system': 'openai', 'gen_ai.usage.input_tokens': 12, ratio: 0.25, streamed: true, tags: ['a', 'b'] },
    context: inSpan,
  });
  logger.emit({
    eventName: 'gen_ai.choice',
    timestamp: T1,
    observedTimestamp: T1,
    severityNumber: SeverityNumber.WARN2,
    body: 'a plain string body ✓',
    attributes: { 'event.name': 'legacy.name', raw: new Uint8Array([1, 2, 3]) },
    context: inSpan,
  });
  // No trace context, no body, no event name, no severity.
  logger.emit({ timestamp: T0, observedTimestamp: T1, attributes: { 'app.step': 'startup' }, context: ROOT_CONTEXT });
  return processor.records;
}

const records = recordLogs();
type Records = Parameters<typeof ProtobufLogsSerializer.serializeRequest>[0];
const pbBody = ProtobufLogsSerializer.serializeRequest(records as unknown as Records)!;
const jsonBody = JsonLogsSerializer.serializeRequest(records as unknown as Records)!;

describe('decodeLogsRequest / decodeLogsRequestJson on real SDK log records', () => {
  const result = decodeLogsRequest(pbBody);
  const items = result.items;

  it('returns one LogRecordReceivedData per record, in order, and rejects none', () => {
    expect(result.rejected).toEqual([]);
    expect(items).toHaveLength(3);
  });

  it('decodes the protobuf and the JSON serializations of the same records to exactly the same result', () => {
    const fromJson = decodeLogsRequestJson(jsonBody);
    expect(fromJson).toStrictEqual(result);
    expect(JSON.stringify(fromJson)).toBe(JSON.stringify(result));
  });

  it('decodes a GenAI content event with its trace context, exact times, body and attributes', () => {
    const expected: LogRecordReceivedData['logRecord'] = {
      timeUnixNano: '1780000000123456789',
      observedTimeUnixNano: '1780000000987654321',
      severityNumber: 9,
      attributes: [
        { key: 'gen_ai.system', value: { stringValue: 'openai' } },
        { key: 'gen_ai.usage.input_tokens', value: { intValue: '12' } },
        { key: 'ratio', value: { doubleValue: 0.25 } },
        { key: 'streamed', value: { boolValue: true } },
        { key: 'tags', value: { arrayValue: { values: [{ stringValue: 'a' }, { stringValue: 'b' }] } } },
      ],
      severityText: 'INFO',
      eventName: 'gen_ai.user.message',
      body: {
        kvlistValue: {
          values: [
            { key: 'content', value: { stringValue: 'What is the weather in Paris?' } },
            { key: 'role', value: { stringValue: 'user' } },
            { key: 'parts', value: { arrayValue: { values: [{ kvlistValue: { values: [{ key: 'type', value: { stringValue: 'text' } }, { key: 'n', value: { intValue: '1' } }] } }] } } },
          ],
        },
      },
      flags: 1,
      traceId: TRACE_ID,
      spanId: SPAN_ID,
    };
    expect(items[0]!.logRecord).toStrictEqual(expected);
  });

  it('keeps raw: event name from field 12 only, the event.name attribute stays an attribute', () => {
    const choice = items[1]!.logRecord;
    expect(choice.eventName).toBe('gen_ai.choice');
    expect(choice.severityNumber).toBe(14);
    expect(choice.body).toStrictEqual({ stringValue: 'a plain string body ✓' });
    expect(choice.attributes).toStrictEqual([
      { key: 'event.name', value: { stringValue: 'legacy.name' } },
      { key: 'raw', value: { bytesValue: 'AQID' } },
    ]);
  });

  it('omits what a record does not carry: trace context, body, event name, severity text, flags', () => {
    expect(items[2]!.logRecord).toStrictEqual({
      timeUnixNano: '1780000000123456789',
      observedTimeUnixNano: '1780000000987654321',
      severityNumber: 0,
      attributes: [{ key: 'app.step', value: { stringValue: 'startup' } }],
    });
  });

  it('attaches resource and scope (with schema URLs), shared by the records under them', () => {
    expect(items[0]!.resource).toStrictEqual({
      attributes: [
        { key: 'service.name', value: { stringValue: 'my-ai-app' } },
        { key: 'process.pid', value: { intValue: '4242' } },
      ],
      schemaUrl: 'https://opentelemetry.io/schemas/1.36.0',
    });
    expect(items[0]!.scope).toStrictEqual({ name: 'opentelemetry.instrumentation.openai_v2', version: '2.1b0', attributes: [], schemaUrl: 'https://opentelemetry.io/schemas/1.37.0' });
    expect(items[1]!.resource).toBe(items[0]!.resource);
  });

  it('checks trace/span ids: hex of the right length or absent; all zero counts as absent', () => {
    const { ExportLogsServiceRequest } = opentelemetry.proto.collector.logs.v1;
    const cases: [string, string, string | null][] = [
      [TRACE_ID, SPAN_ID, null],
      ['', '', null],
      ['00'.repeat(16), '00'.repeat(8), null],
      [TRACE_ID.slice(0, 30), SPAN_ID, 'invalid trace id: must be 16 bytes, got 15'],
      [TRACE_ID, SPAN_ID + 'aa', 'invalid span id: must be 8 bytes, got 9'],
    ];
    const request = (ids: [string, string][], hexToBytes: boolean) => ({
      resourceLogs: [
        {
          scopeLogs: [
            {
              logRecords: ids.map(([t, s]) => ({
                timeUnixNano: '1',
                ...(t ? { traceId: hexToBytes ? Buffer.from(t, 'hex') : t.toUpperCase() } : {}),
                ...(s ? { spanId: hexToBytes ? Buffer.from(s, 'hex') : s } : {}),
              })),
            },
          ],
        },
      ],
    });
    const ids = cases.map(([t, s]) => [t, s] as [string, string]);
    const pb = ExportLogsServiceRequest.encode(ExportLogsServiceRequest.fromObject(request(ids, true))).finish();
    const fromPb = decodeLogsRequest(pb);
    const fromJson = decodeLogsRequestJson(new TextEncoder().encode(JSON.stringify(request(ids, false))));
    expect(fromJson).toStrictEqual(fromPb);
    expect(fromPb.rejected).toEqual(cases.filter(([, , r]) => r).map(([, , reason]) => ({ reason })));
    expect(fromPb.items.map((d) => [d.logRecord.traceId, d.logRecord.spanId])).toEqual([
      [TRACE_ID, SPAN_ID],
      [undefined, undefined],
      [undefined, undefined],
    ]);
    const notHex = decodeLogsRequestJson(new TextEncoder().encode(JSON.stringify({ resourceLogs: [{ scopeLogs: [{ logRecords: [{ traceId: 'S/kvNXezTaajzpKdDg5HNg==' }, { spanId: 7 }] }] }] })));
    expect(notHex.rejected).toEqual([{ reason: 'invalid trace id: not hex' }, { reason: 'invalid span id: not a string' }]);
  });

  it('accepts snake_case keys and severity names in JSON', () => {
    const body = JSON.stringify({
      resource_logs: [
        {
          scope_logs: [
            {
              log_records: [
                { time_unix_nano: 1780000000123456789, observed_time_unix_nano: '2', severity_number: 'SEVERITY_NUMBER_ERROR', severity_text: 'E', event_name: 'x', trace_id: TRACE_ID, span_id: SPAN_ID, dropped_attributes_count: 3 },
              ],
            },
          ],
        },
      ],
    }).replace('1780000000123456800', '1780000000123456789');
    const [d] = decodeLogsRequestJson(new TextEncoder().encode(body)).items;
    expect(d!.logRecord).toStrictEqual({
      timeUnixNano: '1780000000123456789',
      observedTimeUnixNano: '2',
      severityNumber: 17,
      attributes: [],
      severityText: 'E',
      eventName: 'x',
      droppedAttributesCount: 3,
      traceId: TRACE_ID,
      spanId: SPAN_ID,
    });
  });

  it('throws OtlpDecodeError naming the message on undecodable bodies', () => {
    expect(() => decodeLogsRequest(Buffer.from('not protobuf at all'))).toThrow(/^could not decode ExportLogsServiceRequest protobuf: /);
    expect(() => decodeLogsRequestJson(Buffer.from('{'))).toThrow(OtlpDecodeError);
    expect(() => decodeLogsRequestJson(Buffer.from('{'))).toThrow(/^could not decode ExportLogsServiceRequest JSON: /);
    expect(() => decodeLogsRequestJson(Buffer.from('{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"severityNumber":"LOUD"}]}]}]}'))).toThrow(
      'could not decode ExportLogsServiceRequest JSON: resourceLogs[0].scopeLogs[0].logRecords[0].severityNumber: unknown enum name "LOUD"',
    );
  });
});

describe('a logs payload posted as traces', () => {
  /** Whatever the trace decoders make of it: an OtlpDecodeError, or no accepted span. */
  function acceptedSpans(decode: () => { items: unknown[]; rejected: { reason: string }[] }): number {
    try {
      const result = decode();
      for (const r of result.rejected) expect(r.reason).toMatch(/^invalid /);
      return result.items.length;
    } catch (err) {
      expect(err).toBeInstanceOf(OtlpDecodeError);
      return 0;
    }
  }

  it('is never accepted, in either encoding, with or without trace context', () => {
    // Without trace context too: the SDK records from above plus records with ids.
    const plain = recordLogs().filter((r) => !r.spanContext);
    const bodies = [records, plain, recordLogs()].map((r) => ({
      pb: ProtobufLogsSerializer.serializeRequest(r as unknown as Records)!,
      json: JsonLogsSerializer.serializeRequest(r as unknown as Records)!,
    }));
    for (const { pb, json } of bodies) {
      expect(acceptedSpans(() => decodeTraceRequest(pb))).toBe(0);
      expect(acceptedSpans(() => decodeTraceRequestJson(json))).toBe(0);
      // Sanity: they are real logs requests.
      expect(decodeLogsRequest(pb).items.length).toBeGreaterThan(0);
    }
    // The id-less protobuf decodes into spans that are rejected for their missing ids.
    const noIds = decodeTraceRequest(bodies[1]!.pb);
    expect(noIds.items).toEqual([]);
    expect(noIds.rejected).toEqual([{ reason: 'invalid trace id: must be 16 bytes, got 0' }]);
    // The JSON one has no resourceSpans at all.
    expect(decodeTraceRequestJson(bodies[0]!.json)).toEqual({ items: [], rejected: [] });
  });
});
