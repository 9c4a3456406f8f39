import type { KeyValue } from './any-value';
import { compactAttributes, compactValue, isOtlpValue, toOtlpAttributes, toOtlpValue, type Attributes } from './attribute-map';
import type { LogRecordReceivedData, RawResource, RawScope, RawSpan, SpanReceivedData, StoredLogRecordData, StoredSpanData } from './events';

type Convert<A extends Attributes> = (a: Attributes) => A;

const withAttributes = <T extends { attributes: Attributes }, A extends Attributes>(x: T, to: Convert<A>) => ({ ...x, attributes: to(x.attributes) });

function convertSpanOnly<A extends Attributes>(s: StoredSpanData['span'], to: Convert<A>): RawSpan<A> {
  return { ...withAttributes(s, to), events: s.events.map((e) => withAttributes(e, to)), links: s.links.map((l) => withAttributes(l, to)) };
}

function convertSpan<A extends Attributes>(d: StoredSpanData, to: Convert<A>): SpanReceivedData<A> {
  return { ...d, span: convertSpanOnly(d.span, to), resource: withAttributes(d.resource, to) as RawResource<A>, scope: withAttributes(d.scope, to) as RawScope<A> };
}

/** A received span as stored in events of schema version 2: every attribute list as a map where it can be (see CompactValue). */
export function compactSpanData(d: StoredSpanData): StoredSpanData {
  return convertSpan(d, compactAttributes);
}

/** A resource or scope in compact form and its JSON, made once per object: the decoders share one among a request's items. */
const compactShared = new WeakMap<object, { value: { attributes: Attributes }; json: string }>();

function compactOnce<T extends { attributes: Attributes }>(x: T): { value: T; json: string } {
  let c = compactShared.get(x);
  if (c === undefined) {
    const value = withAttributes(x, compactAttributes);
    c = { value, json: JSON.stringify(value) };
    compactShared.set(x, c);
  }
  return c as { value: T; json: string };
}

/**
 * compactSpanData(d) and exactly JSON.stringify of it, for ingest (the JSON is stored and hashed for the
 * event id). Received data must not change afterwards (decoded requests are read-only): the resource
 * and the scope, shared by a request's spans, are compacted and serialized once, not once per span.
 */
export function compactSpanDataJson(d: StoredSpanData): { data: StoredSpanData; json: string } {
  const keys = Object.keys(d);
  if (keys.length !== 3 || keys[0] !== 'span' || keys[1] !== 'resource' || keys[2] !== 'scope') {
    const data = compactSpanData(d); // a shape this shortcut does not know: the plain way
    return { data, json: JSON.stringify(data) };
  }
  // The decoders build { span, resource, scope } in this order, so this is JSON.stringify's output.
  const span = convertSpanOnly(d.span, compactAttributes);
  const resource = compactOnce(d.resource);
  const scope = compactOnce(d.scope);
  return {
    data: { span, resource: resource.value, scope: scope.value },
    json: `{"span":${JSON.stringify(span)},"resource":${resource.json},"scope":${scope.json}}`,
  };
}

/** A SpanReceived event's data (either version) in OTLP/JSON form, exactly as it was received. */
export function otlpSpanData(d: StoredSpanData): SpanReceivedData {
  return convertSpan<KeyValue[]>(d, toOtlpAttributes);
}

/** A received log record as stored in events of schema version 2: attribute maps and a compact body. */
export function compactLogRecordData(d: StoredLogRecordData): StoredLogRecordData {
  const { body, ...record } = d.logRecord;
  // A body of a kind compactValue cannot stand for stays OTLP/JSON (readers tell the two forms apart).
  const logRecord = { ...withAttributes(record, compactAttributes), ...(body !== undefined ? { body: compactValue(body) ?? body } : {}) };
  return { ...d, logRecord, resource: withAttributes(d.resource, compactAttributes), scope: withAttributes(d.scope, compactAttributes) };
}

/** A LogRecordReceived event's data (either version) in OTLP/JSON form, exactly as it was received. */
export function otlpLogRecordData(d: StoredLogRecordData): LogRecordReceivedData {
  const { body, ...record } = d.logRecord;
  const logRecord = { ...withAttributes(record, toOtlpAttributes), ...(body !== undefined ? { body: isOtlpValue(body) ? body : toOtlpValue(body) } : {}) };
  return { ...d, logRecord, resource: withAttributes(d.resource, toOtlpAttributes), scope: withAttributes(d.scope, toOtlpAttributes) };
}
