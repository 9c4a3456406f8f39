import type { LogRecordReceivedData, MetricReceivedData, RawLogRecord, RawResource, RawScope, RawSpan, SpanReceivedData } from '@temps/domain';
import type { ItemContext, Shared } from './item-context';
import type { CompactSpanItem, SpanIdentity } from './decode-trace-request-compact';
import type { DecodeResult, MetricRejection } from './limits';
import type { DecodedMetric } from './metric-shapes';
import { validateSpan } from './validate-span';

/**
 * Item-level outcome shared by both encodings, so the same data gives the same item or reason.
 * Order: the item's ids, then (spans) validateSpan, then the item's limits, then the resource's
 * or scope's limits.
 */
function limitsReason(ctx: ItemContext, shared: string | null): string | null {
  return ctx.reason ?? shared;
}

/** The item's truncated paths with its resource's and scope's added, or undefined when nothing was cut. */
export function truncatedPaths(ctx: ItemContext, resource: Shared<unknown>, scope: Shared<unknown>): string[] | undefined {
  if (!ctx.truncated && !resource.truncated && !scope.truncated) return undefined;
  ctx.addTruncated(resource.truncated);
  ctx.addTruncated(scope.truncated);
  return ctx.truncated;
}

export function finishSpan(
  span: RawSpan,
  ctx: ItemContext,
  resource: Shared<RawResource>,
  scope: Shared<RawScope>,
  shared: string | null,
  result: DecodeResult<SpanReceivedData>,
): void {
  const reason = ctx.idReason ?? validateSpan(span) ?? limitsReason(ctx, shared);
  if (reason !== null) {
    result.rejected.push({ reason });
    return;
  }
  const truncated = truncatedPaths(ctx, resource, scope);
  if (truncated) span.truncatedAttributes = truncated;
  result.items.push({ span, resource: resource.value, scope: scope.value });
}

export function finishLogRecord(
  logRecord: RawLogRecord,
  ctx: ItemContext,
  resource: Shared<RawResource>,
  scope: Shared<RawScope>,
  shared: string | null,
  result: DecodeResult<LogRecordReceivedData>,
): void {
  const reason = ctx.idReason ?? limitsReason(ctx, shared);
  if (reason !== null) {
    result.rejected.push({ reason });
    return;
  }
  const truncated = truncatedPaths(ctx, resource, scope);
  if (truncated) logRecord.truncatedAttributes = truncated;
  result.items.push({ logRecord, resource: resource.value, scope: scope.value });
}

export function finishMetric(
  metric: DecodedMetric,
  ctx: ItemContext,
  resource: Shared<RawResource>,
  scope: Shared<RawScope>,
  shared: string | null,
  result: DecodeResult<MetricReceivedData, MetricRejection>,
): void {
  const reason = limitsReason(ctx, shared);
  if (reason !== null) {
    result.rejected.push({ reason, count: metric.dataPoints.length });
    return;
  }
  const truncated = truncatedPaths(ctx, resource, scope);
  if (truncated) metric.truncatedAttributes = truncated;
  result.items.push({ metric, resource: resource.value, scope: scope.value });
}

/**
 * Ends one span of a compact decoder as finishSpan would (the ids and times, then the item's limits, then the
 * resource's or scope's): its stored JSON pushed whole, or its reason rejected. Both compact decoders end here.
 */
export function finishCompactSpan(result: DecodeResult<CompactSpanItem>, ctx: ItemContext, identity: SpanIdentity, json: string, shared: string | null, resource: Shared<unknown>, scope: Shared<unknown>, tail: string): void {
  const reason = ctx.idReason ?? validateSpan(identity as RawSpan) ?? ctx.reason ?? shared;
  if (reason !== null) {
    result.rejected.push({ reason });
    return;
  }
  const truncated = truncatedPaths(ctx, resource, scope);
  result.items.push({ span: identity, json: `{"span":${json}${truncated ? `,"truncatedAttributes":${JSON.stringify(truncated)}` : ''}}${tail}` });
}
