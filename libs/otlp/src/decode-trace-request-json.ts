import type { RawSpan, RawSpanEvent, RawSpanLink, SpanReceivedData } from '@temps/domain';
import { opentelemetry } from './generated/otlp';
import type { ItemContext } from './item-context';
import { decodeJsonRequest } from './decode-json-request';
import type { DecodeLimits, DecodeResult, Rejection } from './limits';
import { finishSpan } from './finish-item';
import {
  enumNames,
  jArray,
  jEnum,
  jId,
  jKeyValues,
  jObject,
  jString,
  jU32,
  jU64,
  pick,
  within,
  type JsonObject,
} from './json-common';

const SPAN_KIND = enumNames(opentelemetry.proto.trace.v1.Span.SpanKind as unknown as Record<string, number>);
const STATUS_CODE = enumNames(opentelemetry.proto.trace.v1.Status.StatusCode as unknown as Record<string, number>);
const NAME = 'ExportTraceServiceRequest';

/** An id field: hex normalized; a non-string rejects the span (`invalid trace id: not a string`). */
function idOf(o: JsonObject, camel: string, snake: string, what: string, ctx: ItemContext): string {
  const id = jId(pick(o, camel, snake));
  if (id !== null) return id;
  ctx.rejectId(`invalid ${what}: not a string`);
  return '';
}

function eventOf(v: unknown, i: number, ctx: ItemContext): RawSpanEvent {
  const e = jObject(v, '') ?? {};
  const timeUnixNano = jU64(pick(e, 'timeUnixNano', 'time_unix_nano'), 'timeUnixNano');
  const name = jString(e.name, 'name');
  ctx.at('event ', `events[${i}].attributes.`);
  const out: RawSpanEvent = { timeUnixNano, name, attributes: jKeyValues(e.attributes, 'attributes', ctx) };
  const dropped = jU32(pick(e, 'droppedAttributesCount', 'dropped_attributes_count'), 'droppedAttributesCount');
  if (dropped) out.droppedAttributesCount = dropped;
  return out;
}

function linkOf(v: unknown, i: number, ctx: ItemContext): RawSpanLink {
  const l = jObject(v, '') ?? {};
  const traceId = idOf(l, 'traceId', 'trace_id', 'link trace id', ctx);
  const spanId = idOf(l, 'spanId', 'span_id', 'link span id', ctx);
  ctx.at('link ', `links[${i}].attributes.`);
  const out: RawSpanLink = { traceId, spanId, attributes: jKeyValues(l.attributes, 'attributes', ctx) };
  const traceState = jString(pick(l, 'traceState', 'trace_state'), 'traceState');
  if (traceState) out.traceState = traceState;
  const dropped = jU32(pick(l, 'droppedAttributesCount', 'dropped_attributes_count'), 'droppedAttributesCount');
  if (dropped) out.droppedAttributesCount = dropped;
  const flags = jU32(l.flags, 'flags');
  if (flags) out.flags = flags;
  return out;
}

/** The same RawSpan, key for key and in the same key order, as the protobuf decoder's spanOf. */
function spanOf(s: JsonObject, ctx: ItemContext): RawSpan {
  const traceId = idOf(s, 'traceId', 'trace_id', 'trace id', ctx);
  const spanId = idOf(s, 'spanId', 'span_id', 'span id', ctx);
  const name = jString(s.name, 'name');
  const kind = s.kind == null ? 0 : jEnum(s.kind, 'kind', SPAN_KIND);
  const startTimeUnixNano = jU64(pick(s, 'startTimeUnixNano', 'start_time_unix_nano'), 'startTimeUnixNano');
  const endTimeUnixNano = jU64(pick(s, 'endTimeUnixNano', 'end_time_unix_nano'), 'endTimeUnixNano');
  ctx.at('', '');
  const attributes = jKeyValues(s.attributes, 'attributes', ctx);
  const srcEvents = jArray(s.events, 'events');
  const events: RawSpanEvent[] = new Array(srcEvents.length);
  for (let i = 0; i < srcEvents.length; i++) {
    try {
      events[i] = eventOf(srcEvents[i], i, ctx);
    } catch (err) {
      within(err, `events[${i}]`);
    }
  }
  const srcLinks = jArray(s.links, 'links');
  const links: RawSpanLink[] = new Array(srcLinks.length);
  for (let i = 0; i < srcLinks.length; i++) {
    try {
      links[i] = linkOf(srcLinks[i], i, ctx);
    } catch (err) {
      within(err, `links[${i}]`);
    }
  }

  let status: RawSpan['status'];
  try {
    const st = jObject(s.status, '');
    status = { code: st && st.code != null ? jEnum(st.code, 'code', STATUS_CODE) : 0 };
    const message = st ? jString(st.message, 'message') : '';
    if (message) status.message = message;
  } catch (err) {
    within(err, 'status');
  }

  const out: RawSpan = { traceId, spanId, name, kind, startTimeUnixNano, endTimeUnixNano, attributes, events, links, status };
  const parentSpanId = idOf(s, 'parentSpanId', 'parent_span_id', 'parent span id', ctx);
  if (parentSpanId) out.parentSpanId = parentSpanId;
  const traceState = jString(pick(s, 'traceState', 'trace_state'), 'traceState');
  if (traceState) out.traceState = traceState;
  const droppedAttributes = jU32(pick(s, 'droppedAttributesCount', 'dropped_attributes_count'), 'droppedAttributesCount');
  if (droppedAttributes) out.droppedAttributesCount = droppedAttributes;
  const droppedEvents = jU32(pick(s, 'droppedEventsCount', 'dropped_events_count'), 'droppedEventsCount');
  if (droppedEvents) out.droppedEventsCount = droppedEvents;
  const droppedLinks = jU32(pick(s, 'droppedLinksCount', 'dropped_links_count'), 'droppedLinksCount');
  if (droppedLinks) out.droppedLinksCount = droppedLinks;
  const flags = jU32(s.flags, 'flags');
  if (flags) out.flags = flags;
  return out;
}

/**
 * Decodes an OTLP/JSON ExportTraceServiceRequest into exactly what decodeTraceRequest gives for the
 * same data in protobuf (same items, same rejections, same key order). See json-common for the
 * JSON rules: lowerCamelCase or snake_case keys, unknown keys ignored, 64-bit integers as strings
 * or numbers (exact beyond 2^53), enums as integers or names, ids as hex of any case (anything
 * else rejects that span with a reason).
 *
 * Throws OtlpDecodeError for a body that is not UTF-8 JSON, a top level that is not an object, or
 * a value of the wrong type (the message names its path). `{}` and an empty body yield no items.
 */
export function decodeTraceRequestJson(body: Uint8Array, limits?: Partial<DecodeLimits>): DecodeResult<SpanReceivedData> {
  return decodeJsonRequest<RawSpan, SpanReceivedData, Rejection>(body, limits, {
    name: NAME,
    resources: ['resourceSpans', 'resource_spans'],
    scopes: ['scopeSpans', 'scope_spans'],
    items: ['spans', 'spans'],
    itemOf: spanOf,
    finish: finishSpan,
  });
}
