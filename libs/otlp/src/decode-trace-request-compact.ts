import type { RawSpan } from '@temps/domain';
import { opentelemetry } from './generated/otlp';
import { compactAttributesJson } from './compact-attributes-json';
import { unsignedToString } from './int64';
import { ItemContext, sharedReason, type Shared } from './item-context';
import { resolveLimits, type DecodeLimits, type DecodeResult } from './limits';
import { decodeMessage, hex } from './protobuf-common';
import { finishCompactSpan } from './finish-item';
import { readTraceRequestCompact } from './read-trace-request-compact';

const { ExportTraceServiceRequest } = opentelemetry.proto.collector.trace.v1;
type PbSpan = opentelemetry.proto.trace.v1.Span.$Properties;
type PbResource = opentelemetry.proto.resource.v1.Resource.$Properties;
type PbScope = opentelemetry.proto.common.v1.InstrumentationScope.$Properties;

/** What validation and the time checks read of a span: its ids and times (links: their ids only). */
export type SpanIdentity = Pick<RawSpan, 'traceId' | 'spanId' | 'parentSpanId' | 'startTimeUnixNano' | 'endTimeUnixNano'> & {
  links: { traceId: string; spanId: string }[];
};

/** One accepted span: its identity, and the JSON of its SpanReceived event data in the stored (schema version 2) form. */
export interface CompactSpanItem {
  span: SpanIdentity;
  json: string;
}

const quote = (s: string) => JSON.stringify(s);

function resourceJson(r: PbResource | null | undefined, schemaUrl: string | null | undefined, ctx: ItemContext): Shared<string> {
  ctx.reset();
  ctx.at('resource ', 'resource.attributes.');
  let json = `{"attributes":${compactAttributesJson(r?.attributes, ctx)}`;
  if (r?.droppedAttributesCount) json += `,"droppedAttributesCount":${r.droppedAttributesCount}`;
  if (schemaUrl) json += `,"schemaUrl":${quote(schemaUrl)}`;
  return { value: json + '}', reason: ctx.reason, truncated: ctx.truncated };
}

function scopeJson(s: PbScope | null | undefined, schemaUrl: string | null | undefined, ctx: ItemContext): Shared<string> {
  ctx.reset();
  ctx.at('scope ', 'scope.attributes.');
  let json = `{"name":${quote(s?.name ?? '')},"attributes":${compactAttributesJson(s?.attributes, ctx)}`;
  if (s?.version) json += `,"version":${quote(s.version)}`;
  if (s?.droppedAttributesCount) json += `,"droppedAttributesCount":${s.droppedAttributesCount}`;
  if (schemaUrl) json += `,"schemaUrl":${quote(schemaUrl)}`;
  return { value: json + '}', reason: ctx.reason, truncated: ctx.truncated };
}

/** The span's JSON up to (not including) its closing brace, and its identity; the same fields, in the same order, as decode-trace-request's spanOf. */
function spanJson(s: PbSpan, ctx: ItemContext): { identity: SpanIdentity; json: string } {
  const traceId = hex(s.traceId);
  const spanId = hex(s.spanId);
  const startTimeUnixNano = unsignedToString(s.startTimeUnixNano);
  const endTimeUnixNano = unsignedToString(s.endTimeUnixNano);
  ctx.at('', '');
  let json = `{"traceId":"${traceId}","spanId":"${spanId}","name":${quote(s.name ?? '')},"kind":${s.kind ?? 0},"startTimeUnixNano":"${startTimeUnixNano}","endTimeUnixNano":"${endTimeUnixNano}","attributes":${compactAttributesJson(s.attributes, ctx)},"events":[`;
  const events = s.events;
  const nEvents = events ? events.length : 0;
  for (let i = 0; i < nEvents; i++) {
    const e = events![i]!;
    ctx.at('event ', `events[${i}].attributes.`);
    json += `${i ? ',' : ''}{"timeUnixNano":"${unsignedToString(e.timeUnixNano)}","name":${quote(e.name ?? '')},"attributes":${compactAttributesJson(e.attributes, ctx)}`;
    json += e.droppedAttributesCount ? `,"droppedAttributesCount":${e.droppedAttributesCount}}` : '}';
  }
  json += '],"links":[';
  const srcLinks = s.links;
  const nLinks = srcLinks ? srcLinks.length : 0;
  const links: SpanIdentity['links'] = new Array(nLinks);
  for (let i = 0; i < nLinks; i++) {
    const l = srcLinks![i]!;
    const link = (links[i] = { traceId: hex(l.traceId), spanId: hex(l.spanId) });
    ctx.at('link ', `links[${i}].attributes.`);
    json += `${i ? ',' : ''}{"traceId":"${link.traceId}","spanId":"${link.spanId}","attributes":${compactAttributesJson(l.attributes, ctx)}`;
    if (l.traceState) json += `,"traceState":${quote(l.traceState)}`;
    if (l.droppedAttributesCount) json += `,"droppedAttributesCount":${l.droppedAttributesCount}`;
    json += l.flags ? `,"flags":${l.flags}}` : '}';
  }
  json += `],"status":{"code":${s.status?.code ?? 0}`;
  json += s.status?.message ? `,"message":${quote(s.status.message)}}` : '}';
  const identity: SpanIdentity = { traceId, spanId, startTimeUnixNano, endTimeUnixNano, links };
  // proto3: an empty parent id means "root span".
  if (s.parentSpanId && s.parentSpanId.length) {
    identity.parentSpanId = hex(s.parentSpanId);
    json += `,"parentSpanId":"${identity.parentSpanId}"`;
  }
  if (s.traceState) json += `,"traceState":${quote(s.traceState)}`;
  if (s.droppedAttributesCount) json += `,"droppedAttributesCount":${s.droppedAttributesCount}`;
  if (s.droppedEventsCount) json += `,"droppedEventsCount":${s.droppedEventsCount}`;
  if (s.droppedLinksCount) json += `,"droppedLinksCount":${s.droppedLinksCount}`;
  if (s.flags) json += `,"flags":${s.flags}`;
  return { identity, json };
}

/**
 * decodeTraceRequest for ingest: the same spans accepted and rejected, with the same reasons, in the
 * same order, and the same errors thrown; but each accepted span comes as the JSON its SpanReceived
 * event stores, exactly compactSpanDataJson(item).json of decodeTraceRequest's item, written in one
 * pass over the decoded message (no OTLP/JSON objects in between). See compact-attributes-json.
 */
export function decodeTraceRequestCompact(body: Uint8Array, limits?: Partial<DecodeLimits>): DecodeResult<CompactSpanItem> {
  return readTraceRequestCompact(body, limits) ?? decodeTraceRequestCompactViaProtobufjs(body, limits);
}

/** The same, through protobufjs' decoded messages: the reference, and the path for what the hand-written reader leaves (see read-trace-request-compact). */
export function decodeTraceRequestCompactViaProtobufjs(body: Uint8Array, limits?: Partial<DecodeLimits>): DecodeResult<CompactSpanItem> {
  const request = decodeMessage(ExportTraceServiceRequest, 'ExportTraceServiceRequest', body);
  const ctx = new ItemContext(resolveLimits(limits));
  const result: DecodeResult<CompactSpanItem> = { items: [], rejected: [] };
  const resourceSpans = request.resourceSpans ?? [];
  for (let r = 0; r < resourceSpans.length; r++) {
    const rs = resourceSpans[r]!;
    const scopeSpans = rs.scopeSpans;
    if (!scopeSpans || !scopeSpans.length) continue;
    const resource = resourceJson(rs.resource, rs.schemaUrl, ctx);
    for (let s = 0; s < scopeSpans.length; s++) {
      const ss = scopeSpans[s]!;
      const spans = ss.spans;
      if (!spans || !spans.length) continue;
      const scope = scopeJson(ss.scope, ss.schemaUrl, ctx);
      const shared = sharedReason(resource, scope);
      const tail = `,"resource":${resource.value},"scope":${scope.value}}`;
      for (let i = 0; i < spans.length; i++) {
        ctx.reset();
        const { identity, json } = spanJson(spans[i]!, ctx);
        finishCompactSpan(result, ctx, identity, json, shared, resource, scope, tail);
      }
    }
  }
  return result;
}
