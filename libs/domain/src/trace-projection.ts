import { EventTypes, type IngestMetadata, type StoredLogRecordData as LogRecordReceivedData, type StoredSpanData as SpanReceivedData } from './events';
import type { ContentEventRecord } from './messages';
import { logRecordToContentEvent, normalizeSpan, type DialectMapper } from './normalize-span';
import { withCost, type PriceTable } from './pricing';
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
export const TRACE_PROJECTION = { name: 'traces', version: 3 } as const;

export function handlesTraceEvent(type: string): boolean {
  return type === EventTypes.SpanReceived;
}

/** The trace a span, or a log record with trace context, belongs to; null for anything else. */
export function traceOf(e: ProjectableEvent): { projectId: string; traceId: string } | null {
  const projectId = (e.metadata as IngestMetadata | undefined)?.projectId;
  if (!projectId) return null;
  if (e.type === EventTypes.SpanReceived) return { projectId, traceId: (e.data as SpanReceivedData).span.traceId };
  if (e.type === EventTypes.LogRecordReceived) {
    const traceId = (e.data as LogRecordReceivedData).logRecord.traceId;
    return traceId ? { projectId, traceId } : null;
  }
  return null;
}

/** Which traces a batch touches: the projector loads those traces' current spans before folding. */
export function tracesTouchedBy(events: readonly ProjectableEvent[]): { projectId: string; traceId: string }[] {
  const out = new Map<string, { projectId: string; traceId: string }>();
  for (const e of events) {
    const t = traceOf(e);
    if (t) out.set(traceKey(t.projectId, t.traceId), t);
  }
  return [...out.values()];
}

/**
 * Traces of a batch that must be rebuilt from their whole stream rather than folded: those with a
 * log record in the batch (content arriving after its span), and those with a generation span that
 * carries no messages (its content may have arrived earlier, as log records).
 */
export function tracesNeedingContentJoin(events: readonly ProjectableEvent[]): Set<string> {
  const keys = new Set<string>();
  for (const e of events) {
    const t = traceOf(e);
    if (!t) continue;
    if (e.type === EventTypes.LogRecordReceived) keys.add(traceKey(t.projectId, t.traceId));
    else if (mayHaveContentLogs(e.data as SpanReceivedData)) keys.add(traceKey(t.projectId, t.traceId));
  }
  return keys;
}

const CONTENT_KEYS = ['gen_ai.input.messages', 'gen_ai.output.messages', 'gen_ai.prompt.0.content', 'gen_ai.prompt.0.role', 'llm.input_messages.0.message.role', 'ai.prompt.messages', 'ai.prompt'];
const LLM_OPERATIONS = new Set(['chat', 'text_completion', 'generate_content']);

/** A chat span without content in its attributes or events: the OpenAI v2 instrumentations send content as log records. */
function mayHaveContentLogs(data: SpanReceivedData): boolean {
  const attrs = data.span.attributes;
  if (data.span.events.length > 0) return false;
  if (!Array.isArray(attrs)) {
    const op = attrs['gen_ai.operation.name'];
    return typeof op === 'string' && LLM_OPERATIONS.has(op) && !CONTENT_KEYS.some((k) => k in attrs);
  }
  const op = attrs.find((kv) => kv.key === 'gen_ai.operation.name');
  if (!op || !('stringValue' in op.value) || !LLM_OPERATIONS.has(op.value.stringValue)) return false;
  return !attrs.some((kv) => CONTENT_KEYS.includes(kv.key));
}

export interface TraceProjectionOptions {
  /** Dated model prices: each span gets the cost at the price effective at its start (absent: no cost fields). */
  prices?: PriceTable;
  /** Registered team dialect mappers, run before the built-in ones (see NormalizeOptions.extraMappers). */
  extraMappers?: readonly DialectMapper[];
}

/**
 * Builds span documents and summaries from the COMPLETE events of some traces (their streams): each
 * span is normalized with the log records joined to it by span id, whichever arrived first. A span
 * sent again keeps its newest version. Traces with log records but no span yet give nothing.
 */
export function rebuildTraces(events: readonly ProjectableEvent[], options: TraceProjectionOptions = {}): { spans: SpanDocument[]; traces: TraceSummary[] } {
  const latestSpan = new Map<string, ProjectableEvent>();
  const records = new Map<string, { position: bigint; record: ContentEventRecord }[]>();
  for (const e of events) {
    const t = traceOf(e);
    if (!t) continue;
    if (e.type === EventTypes.SpanReceived) {
      const key = `${traceKey(t.projectId, t.traceId)}/${(e.data as SpanReceivedData).span.spanId}`;
      const current = latestSpan.get(key);
      if (!current || current.position < e.position) latestSpan.set(key, e);
    } else {
      const log = (e.data as LogRecordReceivedData).logRecord;
      if (!log.spanId) continue;
      const key = `${traceKey(t.projectId, t.traceId)}/${log.spanId}`;
      let list = records.get(key);
      if (!list) records.set(key, (list = []));
      if (!list.some((r) => r.position === e.position)) list.push({ position: e.position, record: logRecordToContentEvent(log) });
    }
  }
  const byTrace = new Map<string, SpanDocument[]>();
  for (const [key, e] of latestSpan) {
    // Log records in the order they were received (the order their instrumentation emitted them).
    const logRecords = (records.get(key) ?? []).sort((a, b) => (a.position < b.position ? -1 : 1)).map((r) => r.record);
    const doc = withCost(normalizeSpan(e.data as SpanReceivedData, e.metadata as IngestMetadata, e.position, { logRecords, extraMappers: options.extraMappers }), options.prices);
    const tk = traceKey(doc.projectId, doc.traceId);
    const docs = byTrace.get(tk);
    if (docs) docs.push(doc);
    else byTrace.set(tk, [doc]);
  }
  return { spans: [...byTrace.values()].flat(), traces: [...byTrace.values()].map((docs) => summarizeTrace(docs)) };
}

/**
 * Folds a batch into span documents and trace summaries. A span seen again keeps the version from
 * the newest event (highest position), so applying a batch twice, or batches in any order, ends
 * in the same documents.
 */
export function foldTraceBatch(
  existing: readonly SpanDocument[],
  events: readonly ProjectableEvent[],
  options: TraceProjectionOptions = {},
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
    const doc = withCost(normalizeSpan(e.data as SpanReceivedData, e.metadata as IngestMetadata, e.position, { extraMappers: options.extraMappers }), options.prices);
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
