import type { SpanDocument, TraceStatus } from './span-document';
import { nanosDiffMs, nanosToIso } from './normalize-span';

/** One row of the AI Activity list. */
export interface TraceSummary {
  projectId: string;
  traceId: string;
  rootSpanName: string;
  serviceName: string | null;
  startTime: string;
  endTime: string;
  /** Zero-padded nanoseconds: sorts as text, keeps full precision. */
  startKey: string;
  durationMs: number;
  status: TraceStatus;
  spanCount: number;
  errorCount: number;
  providers: string[];
  models: string[];
  inputTokens: number;
  outputTokens: number;
  /** USD, summed over the spans counted for usage; null when none of them has a price (absent: not priced). */
  cost?: number | null;
  /** Some spans counted for usage have no price: cost is a lower bound. */
  costPartial?: boolean;
  agentNames: string[];
  conversationId: string | null;
  /** End users seen on the trace's spans (user.id, langfuse.user.id, ...). */
  userIds?: string[];
  /** A parent is known only from its children: the run is still going (or its root was lost). */
  inProgress: boolean;
  /** Some span is a call the AI Gateway made and traced itself (absent: none). */
  gateway?: boolean;
  updatedPosition: string;
}

/** The marker attribute on the spans the AI Gateway makes of the calls it proxies. */
export const GATEWAY_SPAN_MARKER = 'temps.gateway';

/** A span the AI Gateway made of a call it proxied. */
export const isGatewaySpan = (s: Pick<SpanDocument, 'attributes'>): boolean => s.attributes?.[GATEWAY_SPAN_MARKER] === true;

const pad = (nanos: string) => nanos.padStart(20, '0');

/**
 * Usage counted once: a span's tokens count only when no descendant carries usage, because agent
 * and workflow spans (and SDK wrapper spans) repeat the sum of their children.
 */
export function countedUsageSpans(spans: readonly SpanDocument[]): SpanDocument[] {
  const hasUsage = (s: SpanDocument) => s.inputTokens !== null || s.outputTokens !== null;
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  const coveredByDescendant = new Set<string>();
  for (const s of spans) {
    if (!hasUsage(s)) continue;
    // Walk up from each span with usage; every ancestor repeats (part of) it.
    const seen = new Set<string>([s.spanId]);
    let parent = s.parentSpanId ? byId.get(s.parentSpanId) : undefined;
    while (parent && !seen.has(parent.spanId)) {
      coveredByDescendant.add(parent.spanId);
      seen.add(parent.spanId);
      parent = parent.parentSpanId ? byId.get(parent.parentSpanId) : undefined;
    }
  }
  return spans.filter((s) => hasUsage(s) && !coveredByDescendant.has(s.spanId));
}

/** The trace's summary is a pure function of its span set: order-insensitive and idempotent by construction. */
export function summarizeTrace(spans: readonly SpanDocument[]): TraceSummary {
  if (spans.length === 0) throw new Error('summarizeTrace needs at least one span');
  const ids = new Set(spans.map((s) => s.spanId));
  const byStart = [...spans].sort((x, y) =>
    pad(x.startTimeUnixNano) < pad(y.startTimeUnixNano) ? -1 : pad(x.startTimeUnixNano) > pad(y.startTimeUnixNano) ? 1 : x.spanId < y.spanId ? -1 : 1,
  );
  const roots = byStart.filter((s) => !s.parentSpanId);
  const dangling = byStart.filter((s) => s.parentSpanId && !ids.has(s.parentSpanId));
  const root = roots[0] ?? dangling[0] ?? byStart[0]!;

  let start = byStart[0]!.startTimeUnixNano;
  let end = byStart[0]!.endTimeUnixNano;
  let updated = 0n;
  for (const s of spans) {
    if (BigInt(s.endTimeUnixNano || '0') > BigInt(end || '0')) end = s.endTimeUnixNano;
    if (BigInt(s.position) > updated) updated = BigInt(s.position);
  }
  const errorCount = spans.filter((s) => s.status === 'error').length;
  const status: TraceStatus = errorCount > 0 ? 'error' : root.status !== 'unset' ? root.status : spans.some((s) => s.status === 'ok') ? 'ok' : 'unset';

  const distinct = (values: (string | null)[]) => [...new Set(values.filter((v): v is string => !!v))].sort();
  let inputTokens = 0;
  let outputTokens = 0;
  let cost: number | null = null;
  let priced = false;
  let unpriced = false;
  for (const s of countedUsageSpans(spans)) {
    inputTokens += s.inputTokens ?? 0;
    outputTokens += s.outputTokens ?? 0;
    if (s.cost === undefined) continue;
    if (s.cost) {
      priced = true;
      cost = (cost ?? 0) + s.cost.total;
    } else unpriced = true;
  }
  return {
    projectId: root.projectId,
    traceId: root.traceId,
    rootSpanName: root.name,
    serviceName: root.serviceName ?? byStart.find((s) => s.serviceName)?.serviceName ?? null,
    startTime: nanosToIso(start),
    endTime: nanosToIso(end),
    startKey: pad(start),
    durationMs: nanosDiffMs(start, end),
    status,
    spanCount: spans.length,
    errorCount,
    providers: distinct(spans.map((s) => s.provider)),
    models: distinct(spans.map((s) => s.responseModel ?? s.requestModel)),
    inputTokens,
    outputTokens,
    ...(priced || unpriced ? { cost, costPartial: priced && unpriced } : {}),
    agentNames: distinct(spans.map((s) => s.agentName)),
    conversationId: byStart.find((s) => s.conversationId)?.conversationId ?? null,
    userIds: distinct(spans.map((s) => s.userId ?? null)),
    inProgress: roots.length === 0 || dangling.length > 0,
    ...(spans.some(isGatewaySpan) ? { gateway: true } : {}),
    updatedPosition: updated.toString(),
  };
}
