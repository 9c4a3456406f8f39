import { util } from 'protobufjs/minimal';
import type { AnyValue } from '@temps/domain';
import {
  DEFAULT_DECODE_LIMITS,
  decodeLogsRequest,
  decodeLogsRequestJson,
  decodeMetricsRequest,
  decodeMetricsRequestJson,
  decodeTraceRequest,
  decodeTraceRequestJson,
  OtlpDecodeError,
  type DecodeLimits,
} from './index';
import { opentelemetry } from './generated/otlp';
import { truncateUtf8 } from './item-context';

const { ExportTraceServiceRequest } = opentelemetry.proto.collector.trace.v1;
const { ExportLogsServiceRequest } = opentelemetry.proto.collector.logs.v1;
const { ExportMetricsServiceRequest } = opentelemetry.proto.collector.metrics.v1;
const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN_ID = '00f067aa0ba902b7';
const json = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
const stringOf = (v: AnyValue | undefined) => (v as { stringValue?: string } | undefined)?.stringValue;

interface MessageType {
  fromObject(o: Record<string, unknown>): unknown;
  encode(m: never): { finish(): Uint8Array };
}

/** The request in protobuf through the generated code: ids given as hex, deep nesting allowed. */
function protobuf(type: MessageType, request: unknown): Uint8Array {
  const withBytes = JSON.parse(JSON.stringify(request), (key, value) =>
    ['traceId', 'spanId', 'parentSpanId'].includes(key) && typeof value === 'string' ? Buffer.from(value, 'hex').toString('base64') : value,
  );
  const previous = util.recursionLimit;
  util.recursionLimit = 1_000_000;
  try {
    return type.encode(type.fromObject(withBytes) as never).finish();
  } finally {
    util.recursionLimit = previous;
  }
}

const span = (over: Record<string, unknown> = {}) => ({ traceId: TRACE_ID, spanId: SPAN_ID, name: 'span', startTimeUnixNano: '1', endTimeUnixNano: '2', ...over });
const traces = (spans: unknown[], resource: unknown = { attributes: [] }, scope: unknown = { name: 'scope' }) => ({ resourceSpans: [{ resource, scopeSpans: [{ scope, spans }] }] });

/** Decodes the trace request in both encodings, checks they agree exactly, returns the result. */
function bothTraces(request: unknown, limits?: Partial<DecodeLimits>) {
  const fromPb = decodeTraceRequest(protobuf(ExportTraceServiceRequest, request), limits);
  const fromJson = decodeTraceRequestJson(json(request), limits);
  expect(fromJson).toStrictEqual(fromPb);
  expect(JSON.stringify(fromJson)).toBe(JSON.stringify(fromPb));
  return fromPb;
}

function bothLogs(request: unknown, limits?: Partial<DecodeLimits>) {
  const fromPb = decodeLogsRequest(protobuf(ExportLogsServiceRequest, request), limits);
  const fromJson = decodeLogsRequestJson(json(request), limits);
  expect(fromJson).toStrictEqual(fromPb);
  expect(JSON.stringify(fromJson)).toBe(JSON.stringify(fromPb));
  return fromPb;
}

function bothMetrics(request: unknown, limits?: Partial<DecodeLimits>) {
  const fromPb = decodeMetricsRequest(protobuf(ExportMetricsServiceRequest, request), limits);
  const fromJson = decodeMetricsRequestJson(json(request), limits);
  expect(fromJson).toStrictEqual(fromPb);
  expect(JSON.stringify(fromJson)).toBe(JSON.stringify(fromPb));
  return fromPb;
}

const attrs = (n: number) => Array.from({ length: n }, (_, i) => ({ key: `k${i}`, value: { intValue: String(i) } }));

function nestedKvlist(levels: number): Record<string, unknown> {
  let value: Record<string, unknown> = { stringValue: 'leaf' };
  for (let i = 1; i < levels; i++) value = { kvlistValue: { values: [{ key: `l${i}`, value }] } };
  return value;
}

function nestedArray(levels: number): Record<string, unknown> {
  let value: Record<string, unknown> = { intValue: '1' };
  for (let i = 1; i < levels; i++) value = { arrayValue: { values: [value] } };
  return value;
}

describe('DecodeLimits', () => {
  it('has the documented defaults', () => {
    expect(DEFAULT_DECODE_LIMITS).toStrictEqual({ maxAttributesPerItem: 1024, maxAttributeValueBytes: 65536, maxAnyValueDepth: 32 });
    expect(Object.isFrozen(DEFAULT_DECODE_LIMITS)).toBe(true);
  });

  it('rejects a span with 10k attributes with a reason, and keeps the others of the request', () => {
    const result = bothTraces(traces([span({ name: 'ok' }), span({ name: 'huge', attributes: attrs(10_000) }), span({ name: 'limit', attributes: attrs(1024) })]));
    expect(result.items.map((d) => d.span.name)).toEqual(['ok', 'limit']);
    expect(result.rejected).toEqual([{ reason: 'too many attributes: 10000 > 1024' }]);
  });

  it("reports a span's broken ids before its limits, and its own limits before the resource's", () => {
    const result = bothTraces(
      traces(
        [span({ traceId: '', attributes: attrs(2000) }), span({ attributes: attrs(2000) }), span({ startTimeUnixNano: '3', endTimeUnixNano: '2', attributes: attrs(2000) })],
        { attributes: attrs(1500) },
      ),
    );
    expect(result.rejected).toEqual([
      { reason: 'invalid trace id: must be 16 bytes, got 0' },
      { reason: 'too many attributes: 2000 > 1024' },
      { reason: 'invalid time: end before start' },
    ]);
  });

  it('counts each attribute list of an item: events, links, resource, scope', () => {
    const limits = { maxAttributesPerItem: 2 };
    const link = (n: number) => ({ traceId: TRACE_ID, spanId: SPAN_ID, attributes: attrs(n) });
    const result = bothTraces(
      traces([
        span({ attributes: attrs(2), events: [{ name: 'e', attributes: attrs(2) }], links: [link(2)] }),
        span({ events: [{ name: 'e', attributes: attrs(1) }, { name: 'e2', attributes: attrs(3) }] }),
        span({ links: [link(3)] }),
      ]),
      limits,
    );
    expect(result.items).toHaveLength(1);
    expect(result.rejected).toEqual([{ reason: 'too many event attributes: 3 > 2' }, { reason: 'too many link attributes: 3 > 2' }]);
    expect(bothTraces(traces([span(), span()], { attributes: attrs(3) }), limits).rejected).toEqual([
      { reason: 'too many resource attributes: 3 > 2' },
      { reason: 'too many resource attributes: 3 > 2' },
    ]);
    expect(bothTraces(traces([span()], { attributes: [] }, { name: 's', attributes: attrs(5) }), limits).rejected).toEqual([{ reason: 'too many scope attributes: 5 > 2' }]);
  });

  it('rejects a span with a 100-deep kvlist, in both encodings (not the whole request)', () => {
    const result = bothTraces(traces([span({ name: 'deep', attributes: [{ key: 'k', value: nestedKvlist(100) }] }), span({ name: 'ok' })]));
    expect(result.items.map((d) => d.span.name)).toEqual(['ok']);
    expect(result.rejected).toEqual([{ reason: 'attribute value nested too deep: more than 32 levels' }]);
  });

  it('allows exactly maxAnyValueDepth levels, arrays and kvlists alike', () => {
    for (const nested of [nestedKvlist, nestedArray]) {
      expect(bothTraces(traces([span({ attributes: [{ key: 'k', value: nested(32) }] })])).items).toHaveLength(1);
      expect(bothTraces(traces([span({ attributes: [{ key: 'k', value: nested(33) }] })])).rejected).toEqual([
        { reason: 'attribute value nested too deep: more than 32 levels' },
      ]);
      expect(bothTraces(traces([span({ attributes: [{ key: 'k', value: nested(3) }] })]), { maxAnyValueDepth: 2 }).rejected).toHaveLength(1);
    }
    const eventDeep = bothTraces(traces([span({ events: [{ name: 'e', attributes: [{ key: 'k', value: nestedArray(40) }] }] })]));
    expect(eventDeep.rejected).toEqual([{ reason: 'event attribute value nested too deep: more than 32 levels' }]);
  });

  it('fails pathologically deep nesting: JSON rejects the span, protobuf the request (beyond its recursion bound)', () => {
    // 1200 kvlist levels = 3600 nested protobuf messages, beyond the decoder's 3000. Built by hand:
    // JSON.stringify and the generated encoder recurse too deep for this themselves.
    const levels = 1200;
    const open = '{"kvlistValue":{"values":[{"key":"l","value":';
    const text = `{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"${TRACE_ID}","spanId":"${SPAN_ID}","startTimeUnixNano":"1","endTimeUnixNano":"2","attributes":[{"key":"k","value":${open.repeat(levels)}{}${'}]}}'.repeat(levels)}}]}]}]}]}`;
    expect(decodeTraceRequestJson(new TextEncoder().encode(text)).rejected).toEqual([{ reason: 'attribute value nested too deep: more than 32 levels' }]);

    const varint = (n: number) => {
      const out: number[] = [];
      for (; n > 0x7f; n >>>= 7) out.push((n & 0x7f) | 0x80);
      out.push(n);
      return out;
    };
    const field = (no: number, bytes: number[]) => [(no << 3) | 2, ...varint(bytes.length), ...bytes];
    let anyValue: number[] = [];
    for (let i = 0; i < levels; i++) anyValue = field(6, field(1, [...field(1, [0x6c]), ...field(2, anyValue)]));
    const spanBytes = [...field(1, [...Buffer.from(TRACE_ID, 'hex')]), ...field(2, [...Buffer.from(SPAN_ID, 'hex')]), ...field(9, [...field(1, [0x6b]), ...field(2, anyValue)])];
    const pb = Uint8Array.from(field(1, field(2, field(2, spanBytes))));
    expect(() => decodeTraceRequest(pb)).toThrow(OtlpDecodeError);
    expect(() => decodeTraceRequest(pb)).toThrow(/^could not decode ExportTraceServiceRequest protobuf: max depth exceeded$/);

    // 300 levels (~900 messages) still decode, and only the span is rejected.
    let shallower: number[] = [];
    for (let i = 0; i < 300; i++) shallower = field(6, field(1, [...field(1, [0x6c]), ...field(2, shallower)]));
    const ok = [...field(1, [...Buffer.from(TRACE_ID, 'hex')]), ...field(2, [...Buffer.from(SPAN_ID, 'hex')]), ...field(9, [...field(1, [0x6b]), ...field(2, shallower)])];
    expect(decodeTraceRequest(Uint8Array.from(field(1, field(2, field(2, ok))))).rejected).toEqual([{ reason: 'attribute value nested too deep: more than 32 levels' }]);

    // JSON.parse itself copes with far deeper input; the walk stops at the limit.
    const deepText = `{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"${TRACE_ID}","spanId":"${SPAN_ID}","startTimeUnixNano":"1","endTimeUnixNano":"2","attributes":[{"key":"k","value":` + '{"arrayValue":{"values":['.repeat(100_000) + ']}}'.repeat(100_000) + '}]}]}]}]}';
    const deep = decodeTraceRequestJson(new TextEncoder().encode(deepText));
    expect(deep.rejected).toEqual([{ reason: 'attribute value nested too deep: more than 32 levels' }]);
  });

  it('truncates a 1 MiB string attribute to 64 KiB and marks it, never rejects', () => {
    const big = 'x'.repeat(1024 * 1024);
    const result = bothTraces(traces([span({ attributes: [{ key: 'gen_ai.input.messages', value: { stringValue: big } }, { key: 'small', value: { stringValue: 'kept' } }] })]));
    expect(result.rejected).toEqual([]);
    const s = result.items[0]!.span;
    expect(stringOf(s.attributes[0]!.value)).toBe('x'.repeat(65536));
    expect(s.attributes[1]!.value).toStrictEqual({ stringValue: 'kept' });
    expect(s.truncatedAttributes).toEqual(['gen_ai.input.messages']);
  });

  it('cuts on a character boundary (multi-byte and surrogate pairs)', () => {
    const euro = '€'.repeat(30_000); // 3 bytes each: 65535 bytes fit, the next character does not
    const emoji = 'a' + '😀'.repeat(20_000); // 4 bytes each (a surrogate pair)
    const result = bothTraces(traces([span({ attributes: [{ key: 'euro', value: { stringValue: euro } }, { key: 'emoji', value: { stringValue: emoji } }] })]));
    const [e, m] = result.items[0]!.span.attributes;
    expect(stringOf(e!.value)).toBe('€'.repeat(21_845));
    expect(stringOf(m!.value)).toBe('a' + '😀'.repeat(16_383));
    expect(Buffer.byteLength(stringOf(m!.value)!)).toBe(65533);
    expect(result.items[0]!.span.truncatedAttributes).toEqual(['euro', 'emoji']);
    // At the limit exactly: untouched.
    const exact = bothTraces(traces([span({ attributes: [{ key: 'k', value: { stringValue: 'é'.repeat(32_768) } }] })]));
    expect(exact.items[0]!.span.truncatedAttributes).toBeUndefined();
    expect('truncatedAttributes' in exact.items[0]!.span).toBe(false);
  });

  it('truncates inside arrays, kvlists and bytes, and names events, links, resource and scope values by path', () => {
    const long = 'y'.repeat(20);
    const limits = { maxAttributeValueBytes: 8 };
    const result = bothTraces(
      traces(
        [
          span({
            attributes: [
              { key: 'arr', value: { arrayValue: { values: [{ stringValue: 'short' }, { stringValue: long }] } } },
              { key: 'kv', value: { kvlistValue: { values: [{ key: 'inner', value: { stringValue: long } }] } } },
              { key: 'bytes', value: { bytesValue: Buffer.alloc(20, 7).toString('base64') } },
              { key: 'num', value: { intValue: '12345678901234567' } },
            ],
            events: [{ name: 'e0' }, { name: 'e1', attributes: [{ key: 'gen_ai.prompt', value: { stringValue: long } }] }],
            links: [{ traceId: TRACE_ID, spanId: SPAN_ID, attributes: [{ key: 'why', value: { stringValue: long } }] }],
          }),
          span({ spanId: 'b7ad6b7169203331' }),
        ],
        { attributes: [{ key: 'service.name', value: { stringValue: long } }] },
        { name: 'scope', attributes: [{ key: 'lib', value: { stringValue: long } }] },
      ),
      limits,
    );
    expect(result.rejected).toEqual([]);
    const [first, second] = result.items;
    const values = first!.span.attributes.map((a) => a.value);
    expect(values[0]).toStrictEqual({ arrayValue: { values: [{ stringValue: 'short' }, { stringValue: 'yyyyyyyy' }] } });
    expect(values[1]).toStrictEqual({ kvlistValue: { values: [{ key: 'inner', value: { stringValue: 'yyyyyyyy' } }] } });
    expect(values[2]).toStrictEqual({ bytesValue: Buffer.alloc(8, 7).toString('base64') });
    expect(values[3]).toStrictEqual({ intValue: '12345678901234567' }); // numbers are never cut
    expect(first!.span.events[1]!.attributes[0]!.value).toStrictEqual({ stringValue: 'yyyyyyyy' });
    expect(first!.span.truncatedAttributes).toEqual([
      'arr',
      'kv',
      'bytes',
      'events[1].attributes.gen_ai.prompt',
      'links[0].attributes.why',
      'resource.attributes.service.name',
      'scope.attributes.lib',
    ]);
    // The shared resource and scope are cut once; every span under them says so.
    expect(second!.span.truncatedAttributes).toEqual(['resource.attributes.service.name', 'scope.attributes.lib']);
    expect(second!.resource).toBe(first!.resource);
    expect(first!.resource.attributes[0]!.value).toStrictEqual({ stringValue: 'yyyyyyyy' });
  });

  it('takes partial limits over the defaults and refuses unusable ones', () => {
    const request = traces([span({ attributes: attrs(3) })]);
    expect(bothTraces(request, { maxAttributesPerItem: 3 }).items).toHaveLength(1);
    expect(bothTraces(request, {}).items).toHaveLength(1);
    for (const bad of [{ maxAttributesPerItem: -1 }, { maxAttributeValueBytes: 1.5 }, { maxAnyValueDepth: 0 }, { maxAnyValueDepth: Number.NaN }]) {
      expect(() => decodeTraceRequest(new Uint8Array(0), bad)).toThrow(RangeError);
      expect(() => decodeTraceRequestJson(new Uint8Array(0), bad)).toThrow(RangeError);
    }
  });

  it('limits log records: attributes, body depth, body truncation', () => {
    const record = (over: Record<string, unknown>) => ({ timeUnixNano: '5', observedTimeUnixNano: '6', severityNumber: 9, ...over });
    const logs = (records: unknown[]) => ({ resourceLogs: [{ resource: {}, scopeLogs: [{ scope: { name: 's' }, logRecords: records }] }] });
    const result = bothLogs(
      logs([
        record({ attributes: attrs(10_000) }),
        record({ body: nestedKvlist(100) }),
        record({ body: { stringValue: 'z'.repeat(100_000) }, attributes: [{ key: 'big', value: { stringValue: 'w'.repeat(70_000) } }] }),
        record({ body: nestedKvlist(32) }),
      ]),
    );
    expect(result.rejected).toEqual([{ reason: 'too many attributes: 10000 > 1024' }, { reason: 'body nested too deep: more than 32 levels' }]);
    expect(result.items).toHaveLength(2);
    const cut = result.items[0]!.logRecord;
    expect(cut.body).toStrictEqual({ stringValue: 'z'.repeat(65536) });
    expect(cut.truncatedAttributes).toEqual(['big', 'body']);
    expect(result.items[1]!.logRecord.truncatedAttributes).toBeUndefined();
  });

  it('limits metrics per data point and exemplar; a rejected metric counts its data points', () => {
    const point = (over: Record<string, unknown> = {}) => ({ timeUnixNano: '10', asInt: '1', ...over });
    const metrics = (list: unknown[]) => ({ resourceMetrics: [{ resource: {}, scopeMetrics: [{ scope: { name: 's' }, metrics: list }] }] });
    const result = bothMetrics(
      metrics([
        { name: 'ok', gauge: { dataPoints: [point({ attributes: attrs(2) })] } },
        { name: 'wide', sum: { dataPoints: [point(), point(), point({ attributes: attrs(5000) })], aggregationTemporality: 2, isMonotonic: true } },
        { name: 'deep-exemplar', gauge: { dataPoints: [point({ exemplars: [{ timeUnixNano: '9', asDouble: 1, filteredAttributes: [{ key: 'k', value: nestedArray(50) }] }] })] } },
        {
          name: 'cut',
          gauge: { dataPoints: [point({ attributes: [{ key: 'a', value: { stringValue: 'v'.repeat(70_000) } }], exemplars: [{ timeUnixNano: '9', asInt: '3', filteredAttributes: [{ key: 'q', value: { stringValue: 'q'.repeat(70_000) } }] }] })] },
          metadata: [{ key: 'm', value: { stringValue: 'm'.repeat(70_000) } }],
        },
      ]),
    );
    expect(result.rejected).toEqual([
      { reason: 'too many data point attributes: 5000 > 1024', count: 3 },
      { reason: 'exemplar attribute value nested too deep: more than 32 levels', count: 1 },
    ]);
    expect(result.items.map((d) => d.metric.name)).toEqual(['ok', 'cut']);
    expect((result.items[1]!.metric as { truncatedAttributes?: string[] }).truncatedAttributes).toEqual([
      'dataPoints[0].attributes.a',
      'dataPoints[0].exemplars[0].filteredAttributes.q',
      'metadata.m',
    ]);
  });
});

describe('truncateUtf8', () => {
  it('returns null when the string fits and the longest whole-character prefix otherwise', () => {
    expect(truncateUtf8('abc', 3)).toBeNull();
    expect(truncateUtf8('abcd', 3)).toBe('abc');
    expect(truncateUtf8('aé', 2)).toBe('a');
    expect(truncateUtf8('aé', 3)).toBeNull();
    expect(truncateUtf8('😀😀', 7)).toBe('😀');
    expect(truncateUtf8('😀', 3)).toBe('');
    expect(truncateUtf8('x', 0)).toBe('');
    expect(truncateUtf8('', 0)).toBeNull();
    // Random strings: the result is a prefix, fits, and one more character would not.
    const alphabet = ['a', 'é', '€', '😀', '日', '\u0000'];
    let seed = 7;
    for (let i = 0; i < 2000; i++) {
      let s = '';
      const len = (seed = (seed * 1103515245 + 12345) % 2147483648) % 40;
      for (let j = 0; j < len; j++) s += alphabet[(seed = (seed * 1103515245 + 12345) % 2147483648) % alphabet.length];
      const max = seed % 60;
      const cut = truncateUtf8(s, max);
      if (cut === null) {
        expect(Buffer.byteLength(s)).toBeLessThanOrEqual(max);
        continue;
      }
      expect(s.startsWith(cut)).toBe(true);
      expect(Buffer.byteLength(cut)).toBeLessThanOrEqual(max);
      const next = String.fromCodePoint(s.codePointAt(cut.length)!);
      expect(Buffer.byteLength(cut + next)).toBeGreaterThan(max);
    }
  });
});
