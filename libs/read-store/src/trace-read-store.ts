import type { SpanDocument, TraceStatus, TraceSummary } from '@temps/domain';

export interface TraceQuery {
  provider?: string;
  model?: string;
  status?: TraceStatus;
  /** ISO 8601 bounds on the trace start time; `from` inclusive, `to` exclusive. */
  from?: string;
  to?: string;
  /** Traces with at least one span from this service (resource `service.name`). */
  service?: string;
  /**
   * Free text, case-insensitive substring over the root span name, span names (and agent/tool names)
   * and message text (system instructions, input and output messages).
   */
  q?: string;
  limit: number;
  cursor?: string;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** One projector commit: documents and the checkpoint, written together or not at all. */
export interface TraceCommit {
  projection: string;
  position: bigint;
  spans: SpanDocument[];
  traces: TraceSummary[];
}

export class InvalidCursorError extends Error {
  constructor() {
    super('invalid cursor: pass back the nextCursor of a previous page unchanged');
    this.name = 'InvalidCursorError';
  }
}

/** The trace read model port; one conformance suite (test/conformance) runs against every adapter. */
export interface TraceReadStore {
  checkpoint(projection: string): Promise<bigint | null>;
  /** Every stored span of the given traces (the fold needs them to recompute summaries). */
  loadSpans(traces: { projectId: string; traceId: string }[]): Promise<SpanDocument[]>;
  commit(write: TraceCommit): Promise<void>;
  listTraces(projectId: string, query: TraceQuery): Promise<Page<TraceSummary>>;
  /** The distinct service names seen in a project (for the service filter), sorted. */
  listServiceNames(projectId: string): Promise<string[]>;
  getTrace(projectId: string, traceId: string): Promise<{ trace: TraceSummary; spans: SpanDocument[] } | null>;
  close(): Promise<void>;
}

/** Longest text kept per span for free-text search (the start of long messages is what people search). */
export const SEARCH_TEXT_LIMIT = 8_000;

function collectText(value: unknown, out: string[], depth = 0): void {
  if (depth > 6 || value === null || value === undefined) return;
  if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) for (const v of value) collectText(v, out, depth + 1);
  else if (typeof value === 'object') {
    const o = value as Record<string, unknown>;
    for (const key of ['content', 'text', 'name', 'arguments', 'response', 'parts']) if (key in o) collectText(o[key], out, depth + 1);
  }
}

/**
 * The searchable text of one span, lower-cased: its name, agent and tool names, system instructions
 * and message text. Adapters store it at commit time and match `q` as a substring.
 */
export function spanSearchText(span: SpanDocument): string {
  const out: string[] = [span.name];
  if (span.agentName) out.push(span.agentName);
  if (span.toolName) out.push(span.toolName);
  collectText(span.systemInstructions, out);
  collectText(span.inputMessages, out);
  collectText(span.outputMessages, out);
  return out.join('\n').toLowerCase().slice(0, SEARCH_TEXT_LIMIT);
}

/** Order of spans in a trace: start time, then arrival. */
export function compareSpans(a: SpanDocument, b: SpanDocument): number {
  // SDKs stamp starts in whole milliseconds, so siblings often tie: arrival order breaks the tie.
  const sa = a.startTimeUnixNano.padStart(20, '0');
  const sb = b.startTimeUnixNano.padStart(20, '0');
  if (sa !== sb) return sa < sb ? -1 : 1;
  const pa = BigInt(a.position);
  const pb = BigInt(b.position);
  return pa < pb ? -1 : pa > pb ? 1 : 0;
}

/** An ISO time as the zero-padded nanosecond key traces sort and filter on (TraceSummary.startKey). */
export function padIsoTime(iso: string): string {
  return (BigInt(new Date(iso).getTime()) * 1_000_000n).toString().padStart(20, '0');
}

export function encodeCursor(summary: Pick<TraceSummary, 'startKey' | 'traceId'>): string {
  return Buffer.from(`${summary.startKey}|${summary.traceId}`).toString('base64url');
}

export function decodeCursor(cursor: string): { startKey: string; traceId: string } {
  const [startKey, traceId, extra] = Buffer.from(cursor, 'base64url').toString().split('|');
  if (!startKey || !traceId || extra !== undefined || !/^\d{20}$/.test(startKey)) throw new InvalidCursorError();
  return { startKey, traceId };
}

/** Nest injection token for the TraceReadStore port. */
export const TRACE_READ_STORE = Symbol('TraceReadStore');
