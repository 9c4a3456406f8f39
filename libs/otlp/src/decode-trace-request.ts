import type { RawSpan, RawSpanEvent, RawSpanLink, SpanReceivedData } from '@temps/domain';
import { opentelemetry } from './generated/otlp';
import { unsignedToString } from './int64';
import { ItemContext, sharedReason } from './item-context';
import { resolveLimits, type DecodeLimits, type DecodeResult } from './limits';
import { decodeMessage, hex, keyValues, resourceOf, scopeOf } from './protobuf-common';
import { finishSpan } from './finish-item';

const { ExportTraceServiceRequest } = opentelemetry.proto.collector.trace.v1;
type PbSpan = opentelemetry.proto.trace.v1.Span.$Properties;
type PbEvent = opentelemetry.proto.trace.v1.Span.Event.$Properties;
type PbLink = opentelemetry.proto.trace.v1.Span.Link.$Properties;

function eventOf(e: PbEvent, i: number, ctx: ItemContext): RawSpanEvent {
  ctx.at('event ', `events[${i}].attributes.`);
  const out: RawSpanEvent = { timeUnixNano: unsignedToString(e.timeUnixNano), name: e.name ?? '', attributes: keyValues(e.attributes, ctx) };
  if (e.droppedAttributesCount) out.droppedAttributesCount = e.droppedAttributesCount;
  return out;
}

function linkOf(l: PbLink, i: number, ctx: ItemContext): RawSpanLink {
  const traceId = hex(l.traceId);
  const spanId = hex(l.spanId);
  ctx.at('link ', `links[${i}].attributes.`);
  const out: RawSpanLink = { traceId, spanId, attributes: keyValues(l.attributes, ctx) };
  if (l.traceState) out.traceState = l.traceState;
  if (l.droppedAttributesCount) out.droppedAttributesCount = l.droppedAttributesCount;
  if (l.flags) out.flags = l.flags;
  return out;
}

function spanOf(s: PbSpan, ctx: ItemContext): RawSpan {
  const traceId = hex(s.traceId);
  const spanId = hex(s.spanId);
  const name = s.name ?? '';
  const kind = s.kind ?? 0;
  const startTimeUnixNano = unsignedToString(s.startTimeUnixNano);
  const endTimeUnixNano = unsignedToString(s.endTimeUnixNano);
  ctx.at('', '');
  const attributes = keyValues(s.attributes, ctx);
  const srcEvents = s.events;
  const nEvents = srcEvents ? srcEvents.length : 0;
  const events: RawSpanEvent[] = new Array(nEvents);
  for (let i = 0; i < nEvents; i++) events[i] = eventOf(srcEvents![i]!, i, ctx);
  const srcLinks = s.links;
  const nLinks = srcLinks ? srcLinks.length : 0;
  const links: RawSpanLink[] = new Array(nLinks);
  for (let i = 0; i < nLinks; i++) links[i] = linkOf(srcLinks![i]!, i, ctx);

  const status: RawSpan['status'] = { code: s.status?.code ?? 0 };
  if (s.status?.message) status.message = s.status.message;

  const out: RawSpan = { traceId, spanId, name, kind, startTimeUnixNano, endTimeUnixNano, attributes, events, links, status };
  // proto3: an empty parent id means "root span".
  if (s.parentSpanId && s.parentSpanId.length) out.parentSpanId = hex(s.parentSpanId);
  if (s.traceState) out.traceState = s.traceState;
  if (s.droppedAttributesCount) out.droppedAttributesCount = s.droppedAttributesCount;
  if (s.droppedEventsCount) out.droppedEventsCount = s.droppedEventsCount;
  if (s.droppedLinksCount) out.droppedLinksCount = s.droppedLinksCount;
  if (s.flags) out.flags = s.flags;
  return out;
}

/**
 * Decodes an OTLP ExportTraceServiceRequest (protobuf) into one SpanReceivedData per span, in
 * request order, and the spans it rejects with their reasons (see validateSpan and DecodeLimits).
 * Ids become lowercase hex (an empty parent id becomes undefined), 64-bit values exact decimal
 * strings, attributes OTLP/JSON-shaped AnyValues (bytes as base64). Optional fields are omitted
 * when zero or empty, as proto3 cannot tell them apart from "not sent"; `truncatedAttributes` is
 * present only when a value was cut.
 *
 * Spans of one ResourceSpans share one `resource` object, and spans of one ScopeSpans one `scope`
 * object: treat the result as read-only.
 *
 * Throws OtlpDecodeError when the bytes are not a well-formed message (truncated, wrong framing,
 * invalid UTF-8...). An empty body is a valid empty request and yields no items.
 */
export function decodeTraceRequest(body: Uint8Array, limits?: Partial<DecodeLimits>): DecodeResult<SpanReceivedData> {
  const request = decodeMessage(ExportTraceServiceRequest, 'ExportTraceServiceRequest', body);
  const ctx = new ItemContext(resolveLimits(limits));
  const result: DecodeResult<SpanReceivedData> = { items: [], rejected: [] };
  const resourceSpans = request.resourceSpans ?? [];
  for (let r = 0; r < resourceSpans.length; r++) {
    const rs = resourceSpans[r]!;
    const scopeSpans = rs.scopeSpans;
    if (!scopeSpans || !scopeSpans.length) continue;
    const resource = resourceOf(rs.resource, rs.schemaUrl, ctx);
    for (let s = 0; s < scopeSpans.length; s++) {
      const ss = scopeSpans[s]!;
      const spans = ss.spans;
      if (!spans || !spans.length) continue;
      const scope = scopeOf(ss.scope, ss.schemaUrl, ctx);
      const shared = sharedReason(resource, scope);
      for (let i = 0; i < spans.length; i++) {
        ctx.reset();
        const span = spanOf(spans[i]!, ctx);
        finishSpan(span, ctx, resource, scope, shared, result);
      }
    }
  }
  return result;
}
