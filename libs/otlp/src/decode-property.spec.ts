import fc from 'fast-check';
import { util } from 'protobufjs/minimal';
import { context, SpanKind, trace } from '@opentelemetry/api';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { TracerProvider, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { compactSpanDataJson, type AnyValue, type KeyValue, type RawResource, type RawScope, type RawSpan, type RawSpanEvent, type RawSpanLink, type SpanReceivedData } from '@temps/domain';
import {
  decodeLogsRequest,
  decodeLogsRequestJson,
  decodeMetricsRequest,
  decodeMetricsRequestJson,
  decodeTraceRequest,
  decodeTraceRequestCompact,
  decodeTraceRequestJson,
  OtlpDecodeError,
  validateSpan,
  type DecodeLimits,
  type DecodeResult,
} from './index';
import { opentelemetry } from './generated/otlp';
import { readTraceRequestCompact } from './read-trace-request-compact';
import { readRecordedFixtures } from '../../../test/support/recorded-fixtures';

const { ExportTraceServiceRequest } = opentelemetry.proto.collector.trace.v1;
type Long = NonNullable<opentelemetry.proto.trace.v1.Span.$Properties['startTimeUnixNano']>;
const enc = (s: string) => new TextEncoder().encode(s);

// ---------------------------------------------------------------------------------------------
// (a) No input crashes a decoder with anything but OtlpDecodeError.
// ---------------------------------------------------------------------------------------------

const DECODERS = [
  ['decodeTraceRequest', decodeTraceRequest],
  ['decodeLogsRequest', decodeLogsRequest],
  ['decodeMetricsRequest', decodeMetricsRequest],
  ['decodeTraceRequestJson', decodeTraceRequestJson],
  ['decodeLogsRequestJson', decodeLogsRequestJson],
  ['decodeMetricsRequestJson', decodeMetricsRequestJson],
] as const;

/** The decoder returns a well-formed result (serializable, valid spans) or throws OtlpDecodeError. */
function decodesOrRefuses(decode: (b: Uint8Array) => DecodeResult<unknown>, body: Uint8Array): void {
  let result: DecodeResult<unknown>;
  try {
    result = decode(body);
  } catch (err) {
    if (!(err instanceof OtlpDecodeError)) throw err;
    expect(err.message).toMatch(/^could not decode Export\w+ServiceRequest (protobuf|JSON): /);
    return;
  }
  expect(Array.isArray(result.items)).toBe(true);
  for (const r of result.rejected) expect(typeof r.reason).toBe('string');
  expect(() => JSON.stringify(result)).not.toThrow();
  if (decode === decodeTraceRequest || decode === decodeTraceRequestJson) {
    for (const item of result.items as SpanReceivedData[]) expect(validateSpan(item.span)).toBeNull();
  }
}

/** A real request body to mutate. */
function sdkSpans(): ReadableSpan[] {
  const spans: ReadableSpan[] = [];
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'fuzz' }),
    spanProcessors: [{ onStart() {}, onEnd: (s: ReadableSpan) => spans.push(s), forceFlush: async () => {}, shutdown: async () => {} }],
  });
  const tracer = provider.getTracer('fuzz-scope', '1.0.0');
  const root = tracer.startSpan('root', { kind: SpanKind.SERVER });
  const child = tracer.startSpan('chat', { kind: SpanKind.CLIENT, links: [{ context: root.spanContext(), attributes: { why: 'x' } }] }, trace.setSpan(context.active(), root));
  child.setAttributes({ s: 'text ✓', i: 42, d: 0.5, b: true, arr: ['a', 'b'], kv: { n: { m: 1 } } as never, bytes: new Uint8Array([1, 2, 3]) as never });
  child.addEvent('evt', { k: 'v' });
  child.end();
  root.end();
  return spans;
}

/** Applies byte-level mutations: overwrite, delete, insert, truncate. */
const mutation = fc.oneof(
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), n: fc.integer({ min: 1, max: 8 }) }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
);
type Mutation = typeof mutation extends fc.Arbitrary<infer M> ? M : never;

function mutate(body: Uint8Array, mutations: Mutation[]): Uint8Array {
  let b = Array.from(body);
  for (const m of mutations) {
    if (!b.length) break;
    const at = m.at % b.length;
    if (m.kind === 'set') b[at] = m.byte;
    else if (m.kind === 'delete') b.splice(at, m.n);
    else if (m.kind === 'insert') b.splice(at, 0, ...m.bytes);
    else b = b.slice(0, at);
  }
  return Uint8Array.from(b);
}

/** JSON-ish values whose keys are OTLP field names, so that the walk gets deep before failing. */
const OTLP_KEYS = [
  'resourceSpans', 'resource_spans', 'resourceLogs', 'resourceMetrics', 'scopeSpans', 'scope_logs', 'scopeLogs', 'scopeMetrics', 'spans', 'logRecords',
  'metrics', 'resource', 'scope', 'attributes', 'key', 'value', 'stringValue', 'intValue', 'int_value', 'doubleValue', 'boolValue', 'bytesValue',
  'arrayValue', 'kvlistValue', 'values', 'traceId', 'spanId', 'parentSpanId', 'name', 'kind', 'startTimeUnixNano', 'endTimeUnixNano', 'timeUnixNano',
  'events', 'links', 'status', 'code', 'message', 'flags', 'droppedAttributesCount', 'body', 'severityNumber', 'gauge', 'sum', 'histogram',
  'exponentialHistogram', 'summary', 'dataPoints', 'asInt', 'asDouble', 'exemplars', 'bucketCounts', 'explicitBounds', 'positive', 'offset',
  'quantileValues', 'count', 'schemaUrl', 'version', 'aggregationTemporality', 'isMonotonic',
];
const leaf = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.constantFrom('4bf92f3577b34da6a3ce929d0e0e4736', '00F067AA0BA902B7', 'SPAN_KIND_CLIENT', 'NaN', '-Infinity', '18446744073709551616', 'AAEC+v8='),
  fc.integer(),
  fc.double(),
  fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }).map((b) => ({ $raw: b.toString() })),
  fc.boolean(),
  fc.constant(null),
);
const otlpish: fc.Arbitrary<unknown> = fc.letrec<{ node: unknown }>((tie) => ({
  node: fc.oneof(
    { maxDepth: 7, depthIdentifier: 'otlpish' },
    leaf,
    fc.array(tie('node'), { maxLength: 4 }),
    fc.dictionary(fc.constantFrom(...OTLP_KEYS), tie('node'), { maxKeys: 5 }),
  ),
})).node;

/** JSON text, with { $raw } leaves written as bare number literals (beyond 2^53 too). */
function toJsonText(v: unknown): string {
  if (v && typeof v === 'object' && '$raw' in v) return String((v as { $raw: string }).$raw);
  if (Array.isArray(v)) return `[${v.map(toJsonText).join(',')}]`;
  if (v && typeof v === 'object') return `{${Object.entries(v).map(([k, x]) => `${JSON.stringify(k)}:${toJsonText(x)}`).join(',')}}`;
  return JSON.stringify(v) ?? 'null';
}

describe('property: decoders never crash with anything but OtlpDecodeError', () => {
  const spans = sdkSpans();
  const realPb = ProtobufTraceSerializer.serializeRequest(spans)!;
  const realJson = new TextDecoder().decode(JsonTraceSerializer.serializeRequest(spans)!);

  it.each(DECODERS)('%s: arbitrary bytes', (_name, decode) => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => decodesOrRefuses(decode, bytes)), { numRuns: 500 });
  });

  it.each(DECODERS)('%s: mutations of a real trace request (protobuf and JSON)', (_name, decode) => {
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 4 }), (mutations) => {
        decodesOrRefuses(decode, mutate(realPb, mutations));
        decodesOrRefuses(decode, mutate(enc(realJson), mutations));
      }),
      { numRuns: 300 },
    );
  });

  it.each(DECODERS.filter(([n]) => n.endsWith('Json')))('%s: arbitrary JSON values and OTLP-shaped JSON', (_name, decode) => {
    fc.assert(fc.property(fc.jsonValue(), (v) => decodesOrRefuses(decode, enc(JSON.stringify(v)))), { numRuns: 300 });
    fc.assert(
      fc.property(otlpish, (v) => {
        decodesOrRefuses(decode, enc(toJsonText(v)));
        decodesOrRefuses(decode, enc(toJsonText({ resourceSpans: [v], resourceLogs: [v], resourceMetrics: [v] })));
      }),
      { numRuns: 600 },
    );
    fc.assert(fc.property(fc.string({ maxLength: 200 }), (s) => decodesOrRefuses(decode, enc(s))), { numRuns: 300 });
  });
});

// ---------------------------------------------------------------------------------------------
// (b) Valid spans: protobuf (generated code) and hand-written OTLP/JSON decode to the same RawSpan.
// ---------------------------------------------------------------------------------------------

type Val =
  | { t: 'string'; v: string }
  | { t: 'bool'; v: boolean }
  | { t: 'int'; v: bigint }
  | { t: 'double'; v: number }
  | { t: 'bytes'; v: Uint8Array }
  | { t: 'array'; v: Val[] }
  | { t: 'kvlist'; v: [string, Val][] }
  | { t: 'empty' };
type Attr = [string, Val];

const text = fc.string({ unit: 'binary', maxLength: 12 });
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const u64 = fc.bigInt({ min: 0n, max: 2n ** 64n - 1n });
const nonZero = (bytes: number) => fc.uint8Array({ minLength: bytes, maxLength: bytes }).filter((b) => b.some((x) => x !== 0));
const anyId = (bytes: number) => fc.uint8Array({ minLength: bytes, maxLength: bytes });

const val: fc.Arbitrary<Val> = fc.letrec<{ val: Val }>((tie) => ({
  val: fc.oneof(
    { maxDepth: 3, depthIdentifier: 'val' },
    text.map((v) => ({ t: 'string' as const, v })),
    fc.boolean().map((v) => ({ t: 'bool' as const, v })),
    fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map((v) => ({ t: 'int' as const, v })),
    fc.double().map((v) => ({ t: 'double' as const, v })),
    // NaN and the infinities (rare in fc.double()): they must come out as OTLP/JSON strings from both encodings.
    fc.constantFrom(NaN, Infinity, -Infinity).map((v) => ({ t: 'double' as const, v })),
    fc.uint8Array({ maxLength: 10 }).map((v) => ({ t: 'bytes' as const, v })),
    fc.constant({ t: 'empty' as const }),
    fc.array(tie('val'), { maxLength: 3 }).map((v) => ({ t: 'array' as const, v })),
    fc.array(fc.tuple(text, tie('val')), { maxLength: 3 }).map((v) => ({ t: 'kvlist' as const, v })),
  ),
})).val;
const attrs = fc.array(fc.tuple(text, val), { maxLength: 4 });

const eventModel = fc.record({ time: u64, name: text, attrs, dropped: u32 });
const linkModel = fc.record({ traceId: fc.oneof(anyId(16), fc.constant(new Uint8Array(0))), spanId: fc.oneof(anyId(8), fc.constant(new Uint8Array(0))), traceState: text, attrs, dropped: u32, flags: u32 });
const spanModel = fc.record({
  traceId: nonZero(16),
  spanId: nonZero(8),
  parentSpanId: fc.option(anyId(8), { nil: undefined }),
  traceState: text,
  name: text,
  kind: fc.integer({ min: 0, max: 7 }),
  times: fc.tuple(u64, u64).map(([a, b]) => (a <= b ? [a, b] : [b, a])),
  attrs,
  dropped: fc.tuple(u32, u32, u32),
  events: fc.array(eventModel, { maxLength: 3 }),
  links: fc.array(linkModel, { maxLength: 2 }),
  status: fc.record({ code: fc.integer({ min: 0, max: 3 }), message: text }),
  flags: u32,
});
const scopeModel = fc.record({ name: text, version: text, attrs, dropped: u32, schemaUrl: text, spans: fc.array(spanModel, { maxLength: 3 }) });
const resourceModel = fc.record({ attrs, dropped: u32, schemaUrl: text, scopes: fc.array(scopeModel, { maxLength: 2 }) });
const requestModel = fc.array(resourceModel, { maxLength: 2 });
type SpanModel = typeof spanModel extends fc.Arbitrary<infer M> ? M : never;
type RequestModel = typeof requestModel extends fc.Arbitrary<infer M> ? M : never;

const hexOf = (b: Uint8Array) => Buffer.from(b).toString('hex');
const base64Of = (b: Uint8Array) => Buffer.from(b).toString('base64');

// --- the expected decoder output, straight from the model (the documented rules) ---

function expectedValue(v: Val): AnyValue {
  switch (v.t) {
    case 'string':
      return { stringValue: v.v };
    case 'bool':
      return { boolValue: v.v };
    case 'int':
      return { intValue: v.v.toString() };
    case 'double':
      // NaN and the infinities as OTLP/JSON spells them: a number would become null in the stored JSON.
      return { doubleValue: Number.isFinite(v.v) ? v.v : (String(v.v) as 'NaN' | 'Infinity' | '-Infinity') };
    case 'bytes':
      return { bytesValue: base64Of(v.v) };
    case 'array':
      return { arrayValue: { values: v.v.map(expectedValue) } };
    case 'kvlist':
      return { kvlistValue: { values: v.v.map(([key, x]) => ({ key, value: expectedValue(x) })) } };
    case 'empty':
      return {};
  }
}
const expectedAttrs = (a: Attr[]): KeyValue[] => a.map(([key, v]) => ({ key, value: expectedValue(v) }));

function expectedSpan(s: SpanModel): RawSpan {
  const events = s.events.map((e): RawSpanEvent => {
    const out: RawSpanEvent = { timeUnixNano: e.time.toString(), name: e.name, attributes: expectedAttrs(e.attrs) };
    if (e.dropped) out.droppedAttributesCount = e.dropped;
    return out;
  });
  const links = s.links.map((l): RawSpanLink => {
    const out: RawSpanLink = { traceId: hexOf(l.traceId), spanId: hexOf(l.spanId), attributes: expectedAttrs(l.attrs) };
    if (l.traceState) out.traceState = l.traceState;
    if (l.dropped) out.droppedAttributesCount = l.dropped;
    if (l.flags) out.flags = l.flags;
    return out;
  });
  const status: RawSpan['status'] = { code: s.status.code };
  if (s.status.message) status.message = s.status.message;
  const out: RawSpan = {
    traceId: hexOf(s.traceId),
    spanId: hexOf(s.spanId),
    name: s.name,
    kind: s.kind,
    startTimeUnixNano: s.times[0]!.toString(),
    endTimeUnixNano: s.times[1]!.toString(),
    attributes: expectedAttrs(s.attrs),
    events,
    links,
    status,
  };
  if (s.parentSpanId) out.parentSpanId = hexOf(s.parentSpanId);
  if (s.traceState) out.traceState = s.traceState;
  if (s.dropped[0]) out.droppedAttributesCount = s.dropped[0];
  if (s.dropped[1]) out.droppedEventsCount = s.dropped[1];
  if (s.dropped[2]) out.droppedLinksCount = s.dropped[2];
  if (s.flags) out.flags = s.flags;
  return out;
}

function expected(model: RequestModel): DecodeResult<SpanReceivedData> {
  const items: SpanReceivedData[] = [];
  for (const r of model) {
    if (!r.scopes.length) continue;
    const resource: RawResource = { attributes: expectedAttrs(r.attrs) };
    if (r.dropped) resource.droppedAttributesCount = r.dropped;
    if (r.schemaUrl) resource.schemaUrl = r.schemaUrl;
    for (const sc of r.scopes) {
      if (!sc.spans.length) continue;
      const scope: RawScope = { name: sc.name, attributes: expectedAttrs(sc.attrs) };
      if (sc.version) scope.version = sc.version;
      if (sc.dropped) scope.droppedAttributesCount = sc.dropped;
      if (sc.schemaUrl) scope.schemaUrl = sc.schemaUrl;
      for (const s of sc.spans) items.push({ span: expectedSpan(s), resource, scope });
    }
  }
  return { items, rejected: [] };
}

// --- protobuf, through the generated code ---

const LongClass = util.Long as unknown as { fromString(s: string, unsigned: boolean): Long };
const long = (v: bigint, unsigned: boolean): Long => LongClass.fromString(v.toString(), unsigned);

function pbValue(v: Val): opentelemetry.proto.common.v1.AnyValue.$Properties {
  switch (v.t) {
    case 'string':
      return { stringValue: v.v };
    case 'bool':
      return { boolValue: v.v };
    case 'int':
      return { intValue: long(v.v, false) };
    case 'double':
      return { doubleValue: v.v };
    case 'bytes':
      return { bytesValue: v.v };
    case 'array':
      return { arrayValue: { values: v.v.map(pbValue) } };
    case 'kvlist':
      return { kvlistValue: { values: v.v.map(([key, x]) => ({ key, value: pbValue(x) })) } };
    case 'empty':
      return {};
  }
}
const pbAttrs = (a: Attr[]) => a.map(([key, v]) => ({ key, value: pbValue(v) }));

function toProtobuf(model: RequestModel): Uint8Array {
  return ExportTraceServiceRequest.encode({
    resourceSpans: model.map((r) => ({
      resource: { attributes: pbAttrs(r.attrs), droppedAttributesCount: r.dropped },
      schemaUrl: r.schemaUrl,
      scopeSpans: r.scopes.map((sc) => ({
        scope: { name: sc.name, version: sc.version, attributes: pbAttrs(sc.attrs), droppedAttributesCount: sc.dropped },
        schemaUrl: sc.schemaUrl,
        spans: sc.spans.map((s) => ({
          traceId: s.traceId,
          spanId: s.spanId,
          ...(s.parentSpanId ? { parentSpanId: s.parentSpanId } : {}),
          traceState: s.traceState,
          name: s.name,
          kind: s.kind,
          startTimeUnixNano: long(s.times[0]!, true),
          endTimeUnixNano: long(s.times[1]!, true),
          attributes: pbAttrs(s.attrs),
          droppedAttributesCount: s.dropped[0],
          events: s.events.map((e) => ({ timeUnixNano: long(e.time, true), name: e.name, attributes: pbAttrs(e.attrs), droppedAttributesCount: e.dropped })),
          droppedEventsCount: s.dropped[1],
          links: s.links.map((l) => ({ traceId: l.traceId, spanId: l.spanId, traceState: l.traceState, attributes: pbAttrs(l.attrs), droppedAttributesCount: l.dropped, flags: l.flags })),
          droppedLinksCount: s.dropped[2],
          status: { code: s.status.code, message: s.status.message },
          flags: s.flags,
        })),
      })),
    })),
  }).finish();
}

// --- OTLP/JSON by hand: random key style, int64 as string or number literal, hex case, enum names ---

/** Draws the writer's choices from a fixed list of random booleans (so fast-check can shrink them). */
class Choices {
  private i = 0;
  constructor(private readonly bits: boolean[]) {}
  next(): boolean {
    return this.bits[this.i++ % this.bits.length]!;
  }
  pick<T>(a: T, b: T): T {
    return this.next() ? a : b;
  }
}

const SPAN_KIND_NAMES = ['SPAN_KIND_UNSPECIFIED', 'SPAN_KIND_INTERNAL', 'SPAN_KIND_SERVER', 'SPAN_KIND_CLIENT', 'SPAN_KIND_PRODUCER', 'SPAN_KIND_CONSUMER'];
const STATUS_NAMES = ['STATUS_CODE_UNSET', 'STATUS_CODE_OK', 'STATUS_CODE_ERROR'];
const snake = (k: string) => k.replace(/[A-Z]/g, (c) => '_' + c.toLowerCase());

function jsonWriter(c: Choices) {
  const key = (k: string) => JSON.stringify(c.pick(k, snake(k)));
  const obj = (fields: [string, string | undefined][]) => `{${fields.filter(([, v]) => v !== undefined).map(([k, v]) => `${key(k)}:${v}`).join(',')}}`;
  const str = (s: string) => JSON.stringify(s);
  /** A 64-bit integer: a decimal string or a bare number literal (exact in the text, even beyond 2^53). */
  const int64 = (v: bigint) => c.pick(`"${v}"`, ` ${v}`);
  const u32n = (n: number) => c.pick(String(n), `"${n}"`);
  const double = (n: number) => {
    if (Number.isNaN(n)) return '"NaN"';
    if (n === Infinity) return '"Infinity"';
    if (n === -Infinity) return '"-Infinity"';
    const lit = Object.is(n, -0) ? '-0' : String(n);
    return c.pick(lit, `"${lit}"`);
  };
  const hex = (b: Uint8Array) => {
    const h = hexOf(b);
    return str(c.pick(h, c.pick(h.toUpperCase(), h.replace(/[a-f]/g, (x, i: number) => (i % 2 ? x.toUpperCase() : x)))));
  };
  const bytes = (b: Uint8Array) => {
    const std = base64Of(b);
    const url = std.replace(/\+/g, '-').replace(/\//g, '_');
    return str(c.pick(std, c.pick(url, std.replace(/=+$/, ''))));
  };
  const value = (v: Val): string => {
    switch (v.t) {
      case 'string':
        return obj([['stringValue', str(v.v)]]);
      case 'bool':
        return obj([['boolValue', String(v.v)]]);
      case 'int':
        return obj([['intValue', int64(v.v)]]);
      case 'double':
        return obj([['doubleValue', double(v.v)]]);
      case 'bytes':
        return obj([['bytesValue', bytes(v.v)]]);
      case 'array':
        return obj([['arrayValue', obj([['values', `[${v.v.map(value).join(',')}]`]])]]);
      case 'kvlist':
        return obj([['kvlistValue', obj([['values', `[${v.v.map(([k, x]) => obj([['key', str(k)], ['value', value(x)]])).join(',')}]`]])]]);
      case 'empty':
        return c.pick('{}', obj([['unknownFutureField', '1']]));
    }
  };
  const attributes = (a: Attr[]) => `[${a.map(([k, v]) => obj([['key', str(k)], ['value', value(v)]])).join(',')}]`;
  /** Optional fields at their default may be written or left out. */
  const opt = (v: string, isDefault: boolean) => (isDefault && c.next() ? undefined : v);
  const enumOf = (n: number, names: string[]) => (n < names.length && c.next() ? str(names[n]!) : String(n));

  const span = (s: SpanModel) =>
    obj([
      ['traceId', hex(s.traceId)],
      ['spanId', hex(s.spanId)],
      ['parentSpanId', s.parentSpanId ? hex(s.parentSpanId) : opt('""', true)],
      ['traceState', opt(str(s.traceState), !s.traceState)],
      ['name', opt(str(s.name), !s.name)],
      ['kind', opt(enumOf(s.kind, SPAN_KIND_NAMES), s.kind === 0)],
      ['startTimeUnixNano', int64(s.times[0]!)],
      ['endTimeUnixNano', int64(s.times[1]!)],
      ['attributes', opt(attributes(s.attrs), !s.attrs.length)],
      ['droppedAttributesCount', opt(u32n(s.dropped[0]), !s.dropped[0])],
      [
        'events',
        opt(
          `[${s.events.map((e) => obj([['timeUnixNano', int64(e.time)], ['name', str(e.name)], ['attributes', attributes(e.attrs)], ['droppedAttributesCount', opt(u32n(e.dropped), !e.dropped)]])).join(',')}]`,
          !s.events.length,
        ),
      ],
      ['droppedEventsCount', opt(u32n(s.dropped[1]), !s.dropped[1])],
      [
        'links',
        `[${s.links
          .map((l) =>
            obj([
              ['traceId', hex(l.traceId)],
              ['spanId', hex(l.spanId)],
              ['traceState', opt(str(l.traceState), !l.traceState)],
              ['attributes', attributes(l.attrs)],
              ['droppedAttributesCount', opt(u32n(l.dropped), !l.dropped)],
              ['flags', opt(u32n(l.flags), !l.flags)],
            ]),
          )
          .join(',')}]`,
      ],
      ['droppedLinksCount', opt(u32n(s.dropped[2]), !s.dropped[2])],
      ['status', obj([['code', opt(enumOf(s.status.code, STATUS_NAMES), s.status.code === 0)], ['message', opt(str(s.status.message), !s.status.message)]])],
      ['flags', opt(u32n(s.flags), !s.flags)],
    ]);

  return (model: RequestModel) =>
    obj([
      [
        'resourceSpans',
        `[${model
          .map((r) =>
            obj([
              ['resource', obj([['attributes', attributes(r.attrs)], ['droppedAttributesCount', opt(u32n(r.dropped), !r.dropped)]])],
              ['schemaUrl', opt(str(r.schemaUrl), !r.schemaUrl)],
              [
                'scopeSpans',
                `[${r.scopes
                  .map((sc) =>
                    obj([
                      ['scope', obj([['name', str(sc.name)], ['version', opt(str(sc.version), !sc.version)], ['attributes', attributes(sc.attrs)], ['droppedAttributesCount', opt(u32n(sc.dropped), !sc.dropped)]])],
                      ['schemaUrl', opt(str(sc.schemaUrl), !sc.schemaUrl)],
                      ['spans', `[${sc.spans.map(span).join(',')}]`],
                    ]),
                  )
                  .join(',')}]`,
              ],
            ]),
          )
          .join(',')}]`,
      ],
    ]);
}

describe('property: protobuf and OTLP/JSON of the same valid spans decode to identical RawSpans', () => {
  it('matches the model, key for key, in both encodings', () => {
    fc.assert(
      fc.property(requestModel, fc.array(fc.boolean(), { minLength: 1, maxLength: 97 }), (model, bits) => {
        const want = expected(model);
        const fromPb = decodeTraceRequest(toProtobuf(model));
        const jsonText = jsonWriter(new Choices(bits))(model);
        const fromJson = decodeTraceRequestJson(enc(jsonText));
        expect(fromPb).toStrictEqual(want);
        expect(fromJson).toStrictEqual(want);
        expect(JSON.stringify(fromJson)).toBe(JSON.stringify(fromPb));
      }),
      { numRuns: 250 },
    );
  });

  it('the JSON writer really exercises the variants (sanity)', () => {
    const text = jsonWriter(new Choices([true, false, false, true, true, false, true]))(
      fc.sample(requestModel.filter((m) => m.some((r) => r.scopes.some((s) => s.spans.length > 0))), { numRuns: 1, seed: 42 })[0]!,
    );
    expect(text).toMatch(/resource_spans|resourceSpans/);
    // Over many samples, all the variants appear.
    const all = fc
      .sample(fc.tuple(requestModel, fc.array(fc.boolean(), { minLength: 1, maxLength: 97 })), { numRuns: 200, seed: 7 })
      .map(([m, b]) => jsonWriter(new Choices(b))(m))
      .join('\n');
    for (const pattern of [/"start_time_unix_nano"/, /"startTimeUnixNano"/, /"startTimeUnixNano": \d{17,}/, /"SPAN_KIND_/, /"trace_id":"[0-9A-F]{32}"/, /"doubleValue":"/]) {
      expect(all).toMatch(pattern);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// (c) decodeTraceRequestCompact (ingest's protobuf path) is decodeTraceRequest + compactSpanDataJson.
// ---------------------------------------------------------------------------------------------

type DecodeOutcome = { threw: string } | { items: { traceId: string; spanId: string; startTimeUnixNano: string; endTimeUnixNano: string; json: string }[]; rejected: { reason: string }[] };

/** What ingest stores and answers for a body, by the plain decoder and compactSpanDataJson. */
function viaPlain(body: Uint8Array, limits?: Partial<DecodeLimits>): DecodeOutcome {
  try {
    const r = decodeTraceRequest(body, limits);
    const items = r.items.map((it) => ({ traceId: it.span.traceId, spanId: it.span.spanId, startTimeUnixNano: it.span.startTimeUnixNano, endTimeUnixNano: it.span.endTimeUnixNano, json: compactSpanDataJson(it).json }));
    return { items, rejected: r.rejected };
  } catch (err) {
    return { threw: `${(err as Error).constructor.name}: ${(err as Error).message}` };
  }
}

function viaCompact(body: Uint8Array, limits?: Partial<DecodeLimits>): DecodeOutcome {
  try {
    const r = decodeTraceRequestCompact(body, limits);
    const items = r.items.map((it) => ({ traceId: it.span.traceId, spanId: it.span.spanId, startTimeUnixNano: it.span.startTimeUnixNano, endTimeUnixNano: it.span.endTimeUnixNano, json: it.json }));
    return { items, rejected: r.rejected };
  } catch (err) {
    return { threw: `${(err as Error).constructor.name}: ${(err as Error).message}` };
  }
}

/** Keys that make a list stay an OTLP list (index-like, `__proto__`, duplicates) beside ordinary ones. */
const edgeKey = fc.constantFrom('a', 'b', 'a', '0', '7', '01', '4294967294', '4294967295', '__proto__', 'constructor', 'gen_ai.system', '', 'long'.repeat(40));
const edgeVal: fc.Arbitrary<Val> = fc.letrec<{ val: Val }>((tie) => ({
  val: fc.oneof(
    { maxDepth: 4, depthIdentifier: 'edge' },
    fc.string({ maxLength: 40 }).map((v) => ({ t: 'string' as const, v })),
    fc.constantFrom(0, -0, 1, 0.5, -2.5e-300, 1e21, 2 ** 53, NaN, Infinity, -Infinity).map((v) => ({ t: 'double' as const, v })),
    fc.constantFrom(0n, -1n, 2n ** 53n - 1n, 2n ** 53n, -(2n ** 63n), 2n ** 63n - 1n).map((v) => ({ t: 'int' as const, v })),
    fc.uint8Array({ maxLength: 40 }).map((v) => ({ t: 'bytes' as const, v })),
    fc.constant({ t: 'empty' as const }),
    fc.boolean().map((v) => ({ t: 'bool' as const, v })),
    fc.array(tie('val'), { maxLength: 3 }).map((v) => ({ t: 'array' as const, v })),
    fc.array(fc.tuple(edgeKey, tie('val')), { maxLength: 4 }).map((v) => ({ t: 'kvlist' as const, v })),
  ),
})).val;
const edgeAttrs = fc.array(fc.tuple(edgeKey, edgeVal), { maxLength: 6 });
/** The request model with edge keys and values in every attribute list (spans, events, links, resource, scope). */
const edgeRequest = fc.tuple(requestModel, fc.array(edgeAttrs, { minLength: 8, maxLength: 8 })).map(([model, lists]) => {
  let i = 0;
  const next = () => lists[i++ % lists.length]!;
  return model.map((r) => ({
    ...r,
    attrs: next(),
    scopes: r.scopes.map((sc) => ({
      ...sc,
      attrs: next(),
      spans: sc.spans.map((sp) => ({ ...sp, attrs: next(), events: sp.events.map((e) => ({ ...e, attrs: next() })), links: sp.links.map((l) => ({ ...l, attrs: next() })) })),
    })),
  }));
});
const someLimits = fc.option(
  fc.record({ maxAttributesPerItem: fc.integer({ min: 0, max: 5 }), maxAttributeValueBytes: fc.integer({ min: 0, max: 20 }), maxAnyValueDepth: fc.integer({ min: 1, max: 4 }) }, { requiredKeys: [] }),
  { nil: undefined },
);

describe('property: decodeTraceRequestCompact gives exactly the stored JSON of decodeTraceRequest + compactSpanDataJson', () => {
  it('for model requests, with and without tight limits (truncation, depth, counts)', () => {
    fc.assert(
      fc.property(requestModel, someLimits, (model, limits) => {
        const body = toProtobuf(model);
        expect(viaCompact(body, limits)).toStrictEqual(viaPlain(body, limits));
      }),
      { numRuns: 300 },
    );
  });

  it('for lists a map cannot hold (duplicate and index-like keys, __proto__) and edge values, nested', () => {
    fc.assert(
      fc.property(edgeRequest, someLimits, (model, limits) => {
        const body = toProtobuf(model);
        expect(viaCompact(body, limits)).toStrictEqual(viaPlain(body, limits));
      }),
      { numRuns: 300 },
    );
    // sanity: the generator does produce lists that stay OTLP lists, and maps
    const jsons = fc.sample(edgeRequest, { numRuns: 100, seed: 3 }).flatMap((m) => {
      const r = viaCompact(toProtobuf(m));
      return 'items' in r ? r.items.map((i) => i.json) : [];
    });
    expect(jsons.some((j) => j.includes('"attributes":[{"key":'))).toBe(true);
    expect(jsons.some((j) => /"attributes":\{"/.test(j))).toBe(true);
    expect(jsons.some((j) => j.includes('{"kvlist":'))).toBe(true);
  });

  it('for many distinct keys across requests (the key cache fills and is cleared) and a late duplicate', () => {
    const span = (n: number, keys: string[]) => ({ ...fc.sample(spanModel, { numRuns: 1, seed: n })[0]!, times: [1n, 2n] as [bigint, bigint], attrs: keys.map((k): Attr => [k, { t: 'string', v: k }]) });
    for (let r = 0; r < 6; r++) {
      const keys = Array.from({ length: 1000 }, (_, i) => `r${r}.k${i}`);
      const model: RequestModel = [{ attrs: [], dropped: 0, schemaUrl: '', scopes: [{ name: 's', version: '', attrs: [], dropped: 0, schemaUrl: '', spans: [span(r, keys), span(r + 10, [...keys, keys[0]!])] }] }];
      const body = toProtobuf(model);
      const got = viaCompact(body);
      expect(got).toStrictEqual(viaPlain(body));
      const jsons = 'items' in got ? got.items.map((i) => i.json) : [];
      expect(jsons).toHaveLength(2);
      expect(jsons[0]).toContain(`"attributes":{"r${r}.k0":"r${r}.k0",`);
      expect(jsons[1]).toContain(`"attributes":[{"key":"r${r}.k0","value":{"stringValue":"r${r}.k0"}},`);
    }
  });

  it('for mutated and arbitrary bytes: the same items, reasons, or the same error', () => {
    const realPb = ProtobufTraceSerializer.serializeRequest(sdkSpans())!;
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 4 }), (mutations) => {
        const body = mutate(realPb, mutations);
        expect(viaCompact(body)).toStrictEqual(viaPlain(body));
      }),
      { numRuns: 400 },
    );
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (body) => expect(viaCompact(body)).toStrictEqual(viaPlain(body))), { numRuns: 400 });
  });
});

// ---------------------------------------------------------------------------------------------
// (d) The hand-written reader (read-trace-request-compact) behind decodeTraceRequestCompact: it must
// really handle ordinary bodies (not hand them all to protobufjs), in any field order, past unknown
// fields and fields of the wrong wire type; the reference stays protobufjs (viaPlain).
// ---------------------------------------------------------------------------------------------

/** Which fields hold messages, per OTLP trace message (written from the .proto files, for the rewriter). */
const SUB: Record<string, Record<number, string>> = {
  req: { 1: 'rs' },
  rs: { 1: 'res', 2: 'ss' },
  res: { 1: 'kv' },
  ss: { 1: 'scope', 2: 'span' },
  scope: { 3: 'kv' },
  span: { 9: 'kv', 11: 'event', 13: 'link', 15: 'status' },
  event: { 3: 'kv' },
  link: { 4: 'kv' },
  status: {},
  kv: { 2: 'av' },
  av: { 5: 'arr', 6: 'kvl' },
  arr: { 1: 'av' },
  kvl: { 1: 'kv' },
};

type WireField = { field: number; wire: number; payload: number[] };

function varintBytes(v: number): number[] {
  const out: number[] = [];
  while (v > 127) {
    out.push((v & 127) | 128);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return out;
}

/** The fields of a well-formed message (a test input encoded by protobufjs). */
function wireFields(b: Uint8Array): WireField[] {
  const fields: WireField[] = [];
  let p = 0;
  const varint = () => {
    let v = 0;
    let scale = 1;
    for (;;) {
      const x = b[p++]!;
      v += (x & 127) * scale;
      scale *= 128;
      if (x < 128) return v;
    }
  };
  while (p < b.length) {
    const t = varint();
    const wire = t & 7;
    const start = p;
    if (wire === 0) varint();
    else if (wire === 1) p += 8;
    else if (wire === 5) p += 4;
    else {
      const n = varint();
      fields.push({ field: Math.floor(t / 8), wire, payload: Array.from(b.subarray(p, p + n)) });
      p += n;
      continue;
    }
    fields.push({ field: Math.floor(t / 8), wire, payload: Array.from(b.subarray(start, p)) });
  }
  return fields;
}

/** A tiny deterministic generator, so fast-check's seed decides the rewrite. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4294967296;
  };
}

/** Unknown fields, and field 1 with wire types no OTLP trace message gives it (protobufjs skips both). */
const ODD_FIELDS: WireField[] = [
  { field: 50, wire: 0, payload: [0x96, 0x01] },
  { field: 51, wire: 1, payload: [1, 2, 3, 4, 5, 6, 7, 8] },
  { field: 52, wire: 2, payload: [0x0a, 0x01, 0x78] },
  { field: 53, wire: 5, payload: [9, 9, 9, 9] },
  { field: 1, wire: 0, payload: [0xff, 0xff, 0x03] },
  { field: 1, wire: 5, payload: [0, 0, 0, 0] },
  { field: 2000, wire: 2, payload: [] },
];

/** The message re-encoded with its fields shuffled (repeated ones too) and odd fields inserted. */
function rewrite(type: string, b: Uint8Array, random: () => number): Uint8Array {
  const fields = wireFields(b).map((f) => {
    const sub = SUB[type]![f.field];
    return sub && f.wire === 2 ? { ...f, payload: Array.from(rewrite(sub, Uint8Array.from(f.payload), random)) } : f;
  });
  for (let i = fields.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [fields[i], fields[j]] = [fields[j]!, fields[i]!];
  }
  if (random() < 0.5) fields.splice(Math.floor(random() * (fields.length + 1)), 0, ODD_FIELDS[Math.floor(random() * ODD_FIELDS.length)]!);
  const out: number[] = [];
  for (const f of fields) {
    out.push(...varintBytes(f.field * 8 + f.wire));
    if (f.wire === 2) out.push(...varintBytes(f.payload.length));
    out.push(...f.payload);
  }
  return Uint8Array.from(out);
}

function viaHandReader(body: Uint8Array, limits?: Partial<DecodeLimits>): DecodeOutcome | null {
  const r = readTraceRequestCompact(body, limits);
  if (!r) return null;
  return { items: r.items.map((it) => ({ traceId: it.span.traceId, spanId: it.span.spanId, startTimeUnixNano: it.span.startTimeUnixNano, endTimeUnixNano: it.span.endTimeUnixNano, json: it.json })), rejected: r.rejected };
}

describe('property: the hand-written protobuf reader handles ordinary bodies itself, with the reference output', () => {
  it('model and edge requests, with and without tight limits: read by hand, equal to protobufjs + compactSpanDataJson', () => {
    fc.assert(
      fc.property(fc.oneof(requestModel, edgeRequest), someLimits, (model, limits) => {
        const body = toProtobuf(model);
        expect(viaHandReader(body, limits)).toStrictEqual(viaPlain(body, limits));
      }),
      { numRuns: 400 },
    );
  });

  it('fields in any order, unknown fields and known fields of another wire type: read by hand, same output', () => {
    fc.assert(
      fc.property(fc.oneof(requestModel, edgeRequest), someLimits, fc.integer(), (model, limits, seed) => {
        const body = rewrite('req', toProtobuf(model), rng(seed));
        expect(viaHandReader(body, limits)).toStrictEqual(viaPlain(body, limits));
      }),
      { numRuns: 400 },
    );
  });

  it('the real SDK body is read by hand; mutated bodies it takes give the reference output, and it takes some', () => {
    const realPb = ProtobufTraceSerializer.serializeRequest(sdkSpans())!;
    expect(viaHandReader(realPb)).toStrictEqual(viaPlain(realPb));
    let handled = 0;
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 4 }), (mutations) => {
        const body = mutate(realPb, mutations);
        const got = viaHandReader(body);
        if (got === null) return;
        handled++;
        expect(got).toStrictEqual(viaPlain(body));
      }),
      { numRuns: 600 },
    );
    expect(handled).toBeGreaterThan(10); // most mutations break the body for protobufjs too
  });

  it('every recorded real-client protobuf trace request is read by hand, with the reference output', () => {
    const bodies = readRecordedFixtures().flatMap((f) => f.requests.filter((r) => r.signal === 'traces' && r.encoding === 'protobuf').map((r) => new Uint8Array(r.body)));
    expect(bodies.length).toBeGreaterThan(10);
    for (const body of bodies) expect(viaHandReader(body)).toStrictEqual(viaPlain(body));
  });

  it('invalid UTF-8 in short and long text (names, keys, values): handed to protobufjs, which refuses the body', () => {
    for (const length of [3, 47, 48, 49, 300]) {
      const marker = 'Q'.repeat(length);
      const span = { ...fc.sample(spanModel, { numRuns: 1, seed: length })[0]!, name: marker, attrs: [[marker, { t: 'string', v: marker }]] as Attr[] };
      const model: RequestModel = [{ attrs: [], dropped: 0, schemaUrl: '', scopes: [{ name: 's', version: '', attrs: [], dropped: 0, schemaUrl: '', spans: [span] }] }];
      const clean = toProtobuf(model);
      const text = Buffer.from(clean).toString('latin1');
      let occurrences = 0;
      for (let at = text.indexOf(marker); at >= 0; at = text.indexOf(marker, at + 1)) {
        const body = Uint8Array.from(clean);
        body[at + length - 1] = 0xff; // one bad byte at the end of this occurrence
        occurrences++;
        expect(readTraceRequestCompact(body)).toBeNull();
        const got = viaCompact(body);
        expect(got).toStrictEqual(viaPlain(body));
        expect(got).toMatchObject({ threw: expect.stringContaining('could not decode ExportTraceServiceRequest protobuf') });
      }
      expect(occurrences).toBe(3); // the span name, the attribute key and its value
    }
  });
});
