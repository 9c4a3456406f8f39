import type { SpanDocument, TraceStatus, TraceSummary } from '@temps/domain';

export interface TraceQuery {
  provider?: string;
  model?: string;
  status?: TraceStatus;
  /** ISO 8601 bounds on the trace start time; `from` inclusive, `to` exclusive. */
  from?: string;
  to?: string;
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
  getTrace(projectId: string, traceId: string): Promise<{ trace: TraceSummary; spans: SpanDocument[] } | null>;
  close(): Promise<void>;
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
