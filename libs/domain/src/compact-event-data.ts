import type { KeyValue } from './any-value';
import { compactAttributes, compactValue, isOtlpValue, toOtlpAttributes, toOtlpValue, type Attributes } from './attribute-map';
import type { LogRecordReceivedData, RawResource, RawScope, RawSpan, SpanReceivedData, StoredLogRecordData, StoredSpanData } from './events';

type Convert<A extends Attributes> = (a: Attributes) => A;

const holder = <T extends { attributes: Attributes }, A extends Attributes>(x: T, to: Convert<A>) => ({ ...x, attributes: to(x.attributes) });

function convertSpan<A extends Attributes>(d: StoredSpanData, to: Convert<A>): SpanReceivedData<A> {
  const span: RawSpan<A> = { ...holder(d.span, to), events: d.span.events.map((e) => holder(e, to)), links: d.span.links.map((l) => holder(l, to)) };
  return { ...d, span, resource: holder(d.resource, to) as RawResource<A>, scope: holder(d.scope, to) as RawScope<A> };
}

/** A received span as stored in events of schema version 2: every attribute list as a map where it can be (see CompactValue). */
export function compactSpanData(d: StoredSpanData): StoredSpanData {
  return convertSpan(d, compactAttributes);
}

/** A span event's data (either version) in OTLP/JSON form, exactly as it was received. */
export function otlpSpanData(d: StoredSpanData): SpanReceivedData {
  return convertSpan<KeyValue[]>(d, toOtlpAttributes);
}

/** A received log record as stored in events of schema version 2: attribute maps and a compact body. */
export function compactLogRecordData(d: StoredLogRecordData): StoredLogRecordData {
  const { body, ...record } = d.logRecord;
  const logRecord = { ...holder(record, compactAttributes), ...(body !== undefined ? { body: compactValue(body) } : {}) };
  return { ...d, logRecord, resource: holder(d.resource, compactAttributes), scope: holder(d.scope, compactAttributes) };
}

/** A log record event's data (either version) in OTLP/JSON form, exactly as it was received. */
export function otlpLogRecordData(d: StoredLogRecordData): LogRecordReceivedData {
  const { body, ...record } = d.logRecord;
  const logRecord = { ...holder(record, toOtlpAttributes), ...(body !== undefined ? { body: isOtlpValue(body) ? body : toOtlpValue(body) } : {}) };
  return { ...d, logRecord, resource: holder(d.resource, toOtlpAttributes), scope: holder(d.scope, toOtlpAttributes) };
}
