import { EventTypes, type IngestMetadata, type SpanReceivedData } from './events';
import { normalizeSpan } from './normalize-span';
import type { SpanDocument } from './span-document';
import { summarizeTrace, type TraceSummary } from './trace-summary';

export interface ProjectableEvent {
  type: string;
  position: bigint;
  data: unknown;
  metadata: unknown;
}

export const traceKey = (projectId: string, traceId: string) => `${projectId}/${traceId}`;

/** The trace projection: its name and version (a new version rebuilds beside the old one). */
export const TRACE_PROJECTION = { name: 'traces', version: 1 } as const;

export function handlesTraceEvent(type: string): boolean {
  return type === EventTypes.SpanReceived;
}

/** Which traces a batch touches: the projector loads those traces' current spans before folding. */
export function tracesTouchedBy(events: readonly ProjectableEvent[]): { projectId: string; traceId: string }[] {
  const out = new Map<string, { projectId: string; traceId: string }>();
  for (const e of events) {
    if (!handlesTraceEvent(e.type)) continue;
    const projectId = (e.metadata as IngestMetadata).projectId;
    const traceId = (e.data as SpanReceivedData).span.traceId;
    out.set(traceKey(projectId, traceId), { projectId, traceId });
  }
  return [...out.values()];
}

/**
 * Folds a batch into span documents and trace summaries. A span seen again keeps the version from
 * the newest event (highest position), so applying a batch twice, or batches in any order, ends
 * in the same documents.
 */
export function foldTraceBatch(
  existing: readonly SpanDocument[],
  events: readonly ProjectableEvent[],
): { spans: SpanDocument[]; traces: TraceSummary[] } {
  const spansByTrace = new Map<string, Map<string, SpanDocument>>();
  const add = (doc: SpanDocument) => {
    const key = traceKey(doc.projectId, doc.traceId);
    let spans = spansByTrace.get(key);
    if (!spans) spansByTrace.set(key, (spans = new Map()));
    const current = spans.get(doc.spanId);
    if (!current || BigInt(current.position) < BigInt(doc.position)) spans.set(doc.spanId, doc);
    return current !== spans.get(doc.spanId);
  };
  for (const doc of existing) add(doc);

  const changedSpans: SpanDocument[] = [];
  const changedTraces = new Set<string>();
  for (const e of events) {
    if (!handlesTraceEvent(e.type)) continue;
    const doc = normalizeSpan(e.data as SpanReceivedData, e.metadata as IngestMetadata, e.position);
    if (add(doc)) {
      changedSpans.push(doc);
      changedTraces.add(traceKey(doc.projectId, doc.traceId));
    }
  }
  const traces = [...changedTraces].map((key) => summarizeTrace([...spansByTrace.get(key)!.values()]));
  // A span changed twice in one batch: keep only its final document.
  const finalSpans = new Map(changedSpans.map((s) => [`${traceKey(s.projectId, s.traceId)}/${s.spanId}`, s]));
  return { spans: [...finalSpans.values()].filter((s) => spansByTrace.get(traceKey(s.projectId, s.traceId))!.get(s.spanId) === s), traces };
}
