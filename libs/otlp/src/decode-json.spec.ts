import { util } from 'protobufjs/minimal';
import { decodeLogsRequestJson, decodeMetricsRequestJson, decodeTraceRequest, decodeTraceRequestJson, OtlpDecodeError } from './index';
import { opentelemetry } from './generated/otlp';
import { quoteBigIntegers } from './json-common';

const { ExportTraceServiceRequest } = opentelemetry.proto.collector.trace.v1;
const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN_ID = '00f067aa0ba902b7';
const PARENT_ID = 'b7ad6b7169203331';
const enc = (s: string) => new TextEncoder().encode(s);
const json = (v: unknown) => enc(JSON.stringify(v));
const b64 = (hex: string) => Buffer.from(hex, 'hex').toString('base64');

/** The same request in protobuf, through the generated code (ids given as hex, converted to bytes). */
function protobufOf(request: unknown): Uint8Array {
  const withBytes = JSON.parse(JSON.stringify(request), (key, value) =>
    ['traceId', 'spanId', 'parentSpanId'].includes(key) && typeof value === 'string' ? b64(value) : value,
  );
  return ExportTraceServiceRequest.encode(ExportTraceServiceRequest.fromObject(withBytes)).finish();
}

function thrown(f: () => unknown): Error {
  try {
    f();
  } catch (err) {
    return err as Error;
  }
  throw new Error('did not throw');
}

/** One span request in the given key style (the value types stay what they are). */
function oneSpan(span: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return {
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'svc' } }] },
        scopeSpans: [{ scope: { name: 'scope', version: '1.0' }, spans: [{ traceId: TRACE_ID, spanId: SPAN_ID, name: 'span', startTimeUnixNano: '1', endTimeUnixNano: '2', ...span }] }],
        ...extra,
      },
    ],
  };
}

describe('decodeTraceRequestJson: OTLP/JSON rules', () => {
  const camel = {
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'svc' } }], droppedAttributesCount: 1 },
        schemaUrl: 'https://opentelemetry.io/schemas/1.36.0',
        scopeSpans: [
          {
            scope: { name: 'scope', version: '1.0', attributes: [{ key: 'a', value: { boolValue: true } }], droppedAttributesCount: 2 },
            schemaUrl: 'https://opentelemetry.io/schemas/1.37.0',
            spans: [
              {
                traceId: TRACE_ID,
                spanId: SPAN_ID,
                parentSpanId: PARENT_ID,
                traceState: 'rojo=1',
                name: 'chat gpt-4o',
                kind: 3,
                startTimeUnixNano: '1780000000123456789',
                endTimeUnixNano: '1780000001123456789',
                attributes: [
                  { key: 's', value: { stringValue: 'x' } },
                  { key: 'i', value: { intValue: '-9223372036854775808' } },
                  { key: 'd', value: { doubleValue: 0.5 } },
                  { key: 'b', value: { boolValue: false } },
                  { key: 'by', value: { bytesValue: 'AAEC+v8=' } },
                  { key: 'arr', value: { arrayValue: { values: [{ intValue: '1' }, {}] } } },
                  { key: 'kv', value: { kvlistValue: { values: [{ key: 'n', value: { stringValue: 'v' } }] } } },
                  { key: 'empty', value: {} },
                ],
                droppedAttributesCount: 3,
                events: [{ timeUnixNano: '1780000000500000000', name: 'ev', attributes: [{ key: 'k', value: { intValue: '7' } }], droppedAttributesCount: 4 }],
                droppedEventsCount: 5,
                links: [{ traceId: TRACE_ID, spanId: PARENT_ID, traceState: 't=1', attributes: [], droppedAttributesCount: 6, flags: 0x301 }],
                droppedLinksCount: 7,
                status: { code: 2, message: 'boom' },
                flags: 0x101,
              },
            ],
          },
        ],
      },
    ],
  };
  const snake = {
    resource_spans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { string_value: 'svc' } }], dropped_attributes_count: 1 },
        schema_url: 'https://opentelemetry.io/schemas/1.36.0',
        scope_spans: [
          {
            scope: { name: 'scope', version: '1.0', attributes: [{ key: 'a', value: { bool_value: true } }], dropped_attributes_count: 2 },
            schema_url: 'https://opentelemetry.io/schemas/1.37.0',
            spans: [
              {
                trace_id: TRACE_ID.toUpperCase(),
                span_id: SPAN_ID.toUpperCase(),
                parent_span_id: 'B7ad6B7169203331',
                trace_state: 'rojo=1',
                name: 'chat gpt-4o',
                kind: 'SPAN_KIND_CLIENT',
                start_time_unix_nano: 1780000000123456789,
                end_time_unix_nano: '1780000001123456789',
                attributes: [
                  { key: 's', value: { string_value: 'x' } },
                  { key: 'i', value: { int_value: '-9223372036854775808' } },
                  { key: 'd', value: { double_value: '0.5' } },
                  { key: 'b', value: { bool_value: false } },
                  { key: 'by', value: { bytes_value: 'AAEC-v8' } }, // URL-safe, unpadded
                  { key: 'arr', value: { array_value: { values: [{ int_value: 1 }, {}] } } },
                  { key: 'kv', value: { kvlist_value: { values: [{ key: 'n', value: { string_value: 'v' } }] } } },
                  { key: 'empty', value: {} },
                ],
                dropped_attributes_count: 3,
                events: [{ time_unix_nano: 1780000000500000000, name: 'ev', attributes: [{ key: 'k', value: { int_value: 7 } }], dropped_attributes_count: 4 }],
                dropped_events_count: 5,
                links: [{ trace_id: TRACE_ID, span_id: PARENT_ID.toUpperCase(), trace_state: 't=1', attributes: [], dropped_attributes_count: 6, flags: 0x301 }],
                dropped_links_count: 7,
                status: { code: 'STATUS_CODE_ERROR', message: 'boom' },
                flags: 0x101,
              },
            ],
          },
        ],
      },
    ],
  };
  // Written by hand so that the big integers are number literals in the text, beyond 2^53.
  const snakeText = JSON.stringify(snake)
    .replace('"start_time_unix_nano":1780000000123456800', '"start_time_unix_nano":1780000000123456789')
    .replace('"time_unix_nano":1780000000500000000', '"time_unix_nano":1780000000500000000');

  it('gives the protobuf decoder result, key for key, for camelCase and for snake_case', () => {
    expect(snakeText).toContain('"start_time_unix_nano":1780000000123456789');
    const expected = decodeTraceRequest(protobufOf(camel));
    expect(expected.items).toHaveLength(1);
    expect(expected.rejected).toEqual([]);
    for (const body of [json(camel), enc(snakeText)]) {
      const result = decodeTraceRequestJson(body);
      expect(result).toStrictEqual(expected);
      expect(JSON.stringify(result)).toBe(JSON.stringify(expected));
    }
    const span = expected.items[0]!.span;
    expect(span.startTimeUnixNano).toBe('1780000000123456789');
    expect(span.traceId).toBe(TRACE_ID);
    expect(span.parentSpanId).toBe(PARENT_ID);
    expect(span.kind).toBe(3);
    expect(span.status).toStrictEqual({ code: 2, message: 'boom' });
    expect(span.attributes[4]).toStrictEqual({ key: 'by', value: { bytesValue: 'AAEC+v8=' } });
  });

  it('keeps 64-bit integers written as number literals exact, and leaves strings alone', () => {
    const text = `{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"${TRACE_ID}","spanId":"${SPAN_ID}",
      "startTimeUnixNano": 9007199254740993, "endTimeUnixNano":18446744073709551615,
      "attributes":[
        {"key":"max","value":{"intValue":9223372036854775807}},
        {"key":"min","value":{"intValue": -9223372036854775808}},
        {"key":"neg","value":{"intValue":-9007199254740993}},
        {"key":"dbl","value":{"doubleValue":12345678901234567890}},
        {"key":"exp","value":{"doubleValue":1.2345678901234567e300}},
        {"key":"str","value":{"stringValue":"t: 12345678901234567890, \\"q\\": 98765432109876543210 \\\\"}},
        {"key":"s2","value":{"stringValue":"\\\\"}},
        {"key":"after","value":{"intValue":[1234567890123456789][0]}}
      ]}]}]}]}`.replace('[1234567890123456789][0]', '1234567890123456789');
    const result = decodeTraceRequestJson(enc(text));
    expect(result.rejected).toEqual([]);
    const span = result.items[0]!.span;
    expect(span.startTimeUnixNano).toBe('9007199254740993');
    expect(span.endTimeUnixNano).toBe('18446744073709551615');
    expect(span.attributes).toStrictEqual([
      { key: 'max', value: { intValue: '9223372036854775807' } },
      { key: 'min', value: { intValue: '-9223372036854775808' } },
      { key: 'neg', value: { intValue: '-9007199254740993' } },
      { key: 'dbl', value: { doubleValue: 12345678901234567890 } },
      { key: 'exp', value: { doubleValue: 1.2345678901234567e300 } },
      { key: 'str', value: { stringValue: 't: 12345678901234567890, "q": 98765432109876543210 \\' } },
      { key: 's2', value: { stringValue: '\\' } },
      { key: 'after', value: { intValue: '1234567890123456789' } },
    ]);
  });

  it('accepts non-canonical int64 strings and normalizes them; rejects what is not an integer', () => {
    const attrs = (intValue: unknown) => oneSpan({ attributes: [{ key: 'k', value: { intValue } }] });
    expect(decodeTraceRequestJson(json(attrs('0042'))).items[0]!.span.attributes[0]!.value).toStrictEqual({ intValue: '42' });
    expect(decodeTraceRequestJson(json(attrs('-0'))).items[0]!.span.attributes[0]!.value).toStrictEqual({ intValue: '0' });
    expect(decodeTraceRequestJson(json(attrs(-0))).items[0]!.span.attributes[0]!.value).toStrictEqual({ intValue: '0' });
    for (const bad of ['1.5', '9223372036854775808', 'abc', '', 1.5, true, {}]) {
      const err = thrown(() => decodeTraceRequestJson(json(attrs(bad))));
      expect(err).toBeInstanceOf(OtlpDecodeError);
      expect(err.message).toMatch(/^could not decode ExportTraceServiceRequest JSON: resourceSpans\[0\]\.scopeSpans\[0\]\.spans\[0\]\.attributes\[0\]\.value\.intValue: expected a 64-bit integer/);
    }
    const negativeTime = thrown(() => decodeTraceRequestJson(json(oneSpan({ startTimeUnixNano: '-1' }))));
    expect(negativeTime.message).toContain('spans[0].startTimeUnixNano: expected an unsigned 64-bit integer');
    const tooBig = thrown(() => decodeTraceRequestJson(json(oneSpan({ endTimeUnixNano: '18446744073709551616' }))));
    expect(tooBig.message).toContain('spans[0].endTimeUnixNano: expected an unsigned 64-bit integer');
  });

  it('accepts enum names as the Collector does, and names an unknown one', () => {
    const kinds = ['SPAN_KIND_UNSPECIFIED', 'SPAN_KIND_INTERNAL', 'SPAN_KIND_SERVER', 'SPAN_KIND_CLIENT', 'SPAN_KIND_PRODUCER', 'SPAN_KIND_CONSUMER'];
    kinds.forEach((kind, i) => expect(decodeTraceRequestJson(json(oneSpan({ kind }))).items[0]!.span.kind).toBe(i));
    expect(decodeTraceRequestJson(json(oneSpan({ kind: 7 }))).items[0]!.span.kind).toBe(7); // open enum: kept
    expect(decodeTraceRequestJson(json(oneSpan({ status: { code: 'STATUS_CODE_OK' } }))).items[0]!.span.status).toStrictEqual({ code: 1 });
    const err = thrown(() => decodeTraceRequestJson(json(oneSpan({ kind: 'CLIENT' }))));
    expect(err).toBeInstanceOf(OtlpDecodeError);
    expect(err.message).toBe('could not decode ExportTraceServiceRequest JSON: resourceSpans[0].scopeSpans[0].spans[0].kind: unknown enum name "CLIENT"');
  });

  it('lowercases hex ids and rejects (not throws) spans whose ids are not hex of the right length', () => {
    const ok = decodeTraceRequestJson(json(oneSpan({ traceId: TRACE_ID.toUpperCase(), spanId: '00F067AA0BA902B7' })));
    expect(ok.items[0]!.span.traceId).toBe(TRACE_ID);
    expect(ok.items[0]!.span.spanId).toBe(SPAN_ID);
    const cases: [Record<string, unknown>, string][] = [
      [{ traceId: 'S/kvNXezTaajzpKdDg5HNg==' }, 'invalid trace id: not hex'], // base64, as protobuf's generic JSON mapping would write it
      [{ traceId: 'zz' + TRACE_ID.slice(2) }, 'invalid trace id: not hex'],
      [{ traceId: TRACE_ID.slice(0, 16) }, 'invalid trace id: must be 16 bytes, got 8'],
      [{ traceId: TRACE_ID + '0' }, 'invalid trace id: must be 16 bytes, got 33 hex digits'],
      [{ traceId: '' }, 'invalid trace id: must be 16 bytes, got 0'],
      [{ traceId: 42 }, 'invalid trace id: not a string'],
      [{ spanId: '0000000000000000' }, 'invalid span id: all zero'],
      [{ spanId: SPAN_ID.slice(2) }, 'invalid span id: must be 8 bytes, got 7'],
      [{ parentSpanId: 'not-hex' }, 'invalid parent span id: not hex'],
      [{ parentSpanId: ['x'] }, 'invalid parent span id: not a string'],
      [{ links: [{ traceId: TRACE_ID, spanId: 'abc' }] }, 'invalid link span id: must be 8 bytes, got 3 hex digits'],
    ];
    const request = { resourceSpans: [{ scopeSpans: [{ spans: cases.map(([over]) => ({ ...oneSpan(over).resourceSpans[0]!.scopeSpans[0]!.spans[0] })) }] }] };
    const result = decodeTraceRequestJson(json(request));
    expect(result.items).toEqual([]);
    expect(result.rejected).toEqual(cases.map(([, reason]) => ({ reason })));
  });

  it('ignores unknown fields at every level, and treats null as the default', () => {
    const request = oneSpan(
      { futureField: { nested: [1, 2, 3] }, attributes: [{ key: 'k', value: { stringValue: 'v', somethingNew: 1 }, extra: true }], status: null, kind: null, events: null },
      { futureEnvelopeField: 'x', schemaUrl: null },
    );
    (request as Record<string, unknown>).topLevelExtension = { a: 1 };
    const result = decodeTraceRequestJson(json(request));
    expect(result.rejected).toEqual([]);
    const span = result.items[0]!.span;
    expect(span.attributes).toStrictEqual([{ key: 'k', value: { stringValue: 'v' } }]);
    expect(span.status).toStrictEqual({ code: 0 });
    expect(span.kind).toBe(0);
    expect(span.events).toEqual([]);
  });

  it('returns zero items for {}, an empty body, empty lists and a logs or metrics payload', () => {
    const none = { items: [], rejected: [] };
    expect(decodeTraceRequestJson(enc('{}'))).toEqual(none);
    expect(decodeTraceRequestJson(new Uint8Array(0))).toEqual(none);
    expect(decodeTraceRequestJson(enc(' { "resourceSpans": [] } '))).toEqual(none);
    expect(decodeTraceRequestJson(enc('{"resourceSpans":[{"scopeSpans":[{"spans":[]}]}]}'))).toEqual(none);
    const logs = { resourceLogs: [{ scopeLogs: [{ logRecords: [{ timeUnixNano: '1', body: { stringValue: 'hi' }, traceId: TRACE_ID, spanId: SPAN_ID }] }] }] };
    expect(decodeTraceRequestJson(json(logs))).toEqual(none);
    expect(decodeLogsRequestJson(json(logs)).items).toHaveLength(1);
    expect(decodeMetricsRequestJson(json(logs))).toEqual(none);
    expect(decodeLogsRequestJson(json(oneSpan({})))).toEqual(none);
  });

  it('throws OtlpDecodeError saying what is wrong for undecodable JSON and wrong shapes', () => {
    const cases: [Uint8Array, string][] = [
      [enc('{"resourceSpans": ['), 'could not decode ExportTraceServiceRequest JSON: '],
      [enc('not json'), 'could not decode ExportTraceServiceRequest JSON: '],
      [Uint8Array.from([0x7b, 0x22, 0xc3, 0x28, 0x22, 0x3a, 0x31, 0x7d]), 'could not decode ExportTraceServiceRequest JSON: the body is not valid UTF-8'],
      [enc('[]'), 'could not decode ExportTraceServiceRequest JSON: expected an object at the top level, got an array'],
      [enc('null'), 'could not decode ExportTraceServiceRequest JSON: expected an object at the top level, got null'],
      [enc('"resourceSpans"'), 'could not decode ExportTraceServiceRequest JSON: expected an object at the top level, got a string ("resourceSpans")'],
      [enc('{"resourceSpans":{}}'), 'could not decode ExportTraceServiceRequest JSON: resourceSpans: expected an array, got an object'],
      [enc('{"resourceSpans":[{"scopeSpans":[{"spans":[{"name":5}]}]}]}'), 'could not decode ExportTraceServiceRequest JSON: resourceSpans[0].scopeSpans[0].spans[0].name: expected a string, got a number (5)'],
      [
        json(oneSpan({ events: [{}, { attributes: [{ key: 'k', value: { arrayValue: { values: [{ boolValue: 'yes' }] } } }] }] })),
        'could not decode ExportTraceServiceRequest JSON: resourceSpans[0].scopeSpans[0].spans[0].events[1].attributes[0].value.arrayValue.values[0].boolValue: expected true or false, got a string ("yes")',
      ],
      [json(oneSpan({ attributes: [null] })), 'could not decode ExportTraceServiceRequest JSON: resourceSpans[0].scopeSpans[0].spans[0].attributes[0]: expected a KeyValue object, got null'],
      [json(oneSpan({ attributes: [{ key: 'k', value: 'v' }] })), 'resourceSpans[0].scopeSpans[0].spans[0].attributes[0].value: expected an AnyValue object, got a string ("v")'],
      [json(oneSpan({ attributes: [{ key: 'k', value: { bytesValue: 'not base64!' } }] })), 'attributes[0].value.bytesValue: expected base64'],
      [json(oneSpan({ flags: -1 })), 'spans[0].flags: expected an unsigned 32-bit integer, got a number (-1)'],
      [json({ resourceSpans: [{ resource: { attributes: 'x' }, scopeSpans: [{ spans: [{}] }] }] }), 'resourceSpans[0].resource.attributes: expected an array, got a string ("x")'],
      [json({ resourceSpans: [{ scopeSpans: [{ scope: { name: 1 }, spans: [{}] }] }] }), 'resourceSpans[0].scopeSpans[0].scope.name: expected a string'],
      [json(oneSpan({ status: { code: 'nope' } })), 'spans[0].status.code: unknown enum name "nope"'],
    ];
    for (const [body, message] of cases) {
      const err = thrown(() => decodeTraceRequestJson(body));
      expect(err).toBeInstanceOf(OtlpDecodeError);
      expect(err.message).toContain(message);
      expect(err.message.length).toBeLessThan(400);
    }
  });

  it('decodes deep but allowed nesting beyond protobufjs default recursion limit, in both encodings', () => {
    // 32 levels (the default maxAnyValueDepth) of kvlist: ~100 protobuf messages deep.
    let value: Record<string, unknown> = { stringValue: 'leaf' };
    for (let i = 1; i < 32; i++) value = { kvlistValue: { values: [{ key: `l${i}`, value }] } };
    const request = oneSpan({ attributes: [{ key: 'deep', value }] });
    const previous = util.recursionLimit;
    util.recursionLimit = 10_000; // for fromObject/encode in the test helper only
    let bytes: Uint8Array;
    try {
      bytes = protobufOf(request);
    } finally {
      util.recursionLimit = previous;
    }
    const fromPb = decodeTraceRequest(bytes);
    expect(fromPb.rejected).toEqual([]);
    expect(fromPb.items).toHaveLength(1);
    expect(decodeTraceRequestJson(json(request))).toStrictEqual(fromPb);
  });
});

describe('quoteBigIntegers', () => {
  it('quotes integer literals of 16+ digits outside strings only', () => {
    expect(quoteBigIntegers('{"a":1234567890123456,"b":[123456789012345678901,-1234567890123456789]}')).toBe(
      '{"a":"1234567890123456","b":["123456789012345678901","-1234567890123456789"]}',
    );
    // Short integers, fractions and exponents are left for JSON.parse.
    const untouched = '{"a":123456789012345,"b":1234567890123456.5,"c":1.2345678901234567,"d":12345678901234567e2,"e":1e1234567890123456}';
    expect(quoteBigIntegers(untouched)).toBe(untouched);
    // Inside strings, with escaped quotes and backslashes, nothing changes.
    const strings = String.raw`{"s":"x:1234567890123456789","t":"\"a\":1234567890123456789","u":"\\","v":12345678901234567890}`;
    expect(quoteBigIntegers(strings)).toBe(String.raw`{"s":"x:1234567890123456789","t":"\"a\":1234567890123456789","u":"\\","v":"12345678901234567890"}`);
    expect(JSON.parse(quoteBigIntegers(strings)).t).toBe('"a":1234567890123456789');
    // Whitespace around the number.
    expect(quoteBigIntegers('{"a" :\n 1234567890123456789 \n}')).toBe('{"a" :\n "1234567890123456789" \n}');
  });

  it('returns the same string when there is nothing to quote', () => {
    const text = '{"startTimeUnixNano":"1780000000123456789","n":5}';
    expect(quoteBigIntegers(text)).toBe(text);
  });

  it('is linear on long inputs (many strings, long escaped strings)', () => {
    const big = JSON.stringify({ a: Array.from({ length: 50_000 }, (_, i) => ({ s: `v${i}: "x" \\ 1234567890123456789`, n: 1 })), z: 1 }).replace('"z":1', '"z":12345678901234567890');
    const start = performance.now();
    const out = quoteBigIntegers(big);
    expect(performance.now() - start).toBeLessThan(2000);
    expect(JSON.parse(out).z).toBe('12345678901234567890');
    expect(JSON.parse(out).a[7].s).toBe('v7: "x" \\ 1234567890123456789');
  });
});
