import type { KeyValue } from './any-value';
import { compactAttributes, compactValue, isOtlpValue, toOtlpAttributes, toOtlpValue, type Attributes } from './attribute-map';
import type { LogRecordReceivedData, RawResource, RawScope, RawSpan, SpanReceivedData, StoredLogRecordData, StoredSpanData } from './events';

type Convert<A extends Attributes> = (a: Attributes) => A;

const withAttributes = <T extends { attributes: Attributes }, A extends Attributes>(x: T, to: Convert<A>) => ({ ...x, attributes: to(x.attributes) });

function convertSpan<A extends Attributes>(d: StoredSpanData, to: Convert<A>): SpanReceivedData<A> {
  const span: RawSpan<A> = { ...withAttributes(d.span, to), events: d.span.events.map((e) => withAttributes(e, to)), links: d.span.links.map((l) => withAttributes(l, to)) };
  return { ...d, span, resource: withAttributes(d.resource, to) as RawResource<A>, scope: withAttributes(d.scope, to) as RawScope<A> };
}

/** A received span as stored in events of schema version 2: every attribute list as a map where it can be (see CompactValue). */
export function compactSpanData(d: StoredSpanData): StoredSpanData {
  return convertSpan(d, compactAttributes);
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
