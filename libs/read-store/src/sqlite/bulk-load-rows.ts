import type { DatabaseSync, StatementSync } from 'node:sqlite';

/** The rowids of one trace's rows: its summary (once written) and each span by id. */
interface TraceRows {
  trace: number | null;
  spans: Map<string, number>;
}

/**
 * A bulk load's span and trace rows, written by rowid. The unique indexes on (project, trace, span) and
 * (project, trace) are made at the load's end instead (a sort): trace ids are random, so inserting into
 * those indexes dirtied most of their pages on every commit (at 1M events, 40% of the bytes the load wrote
 * and a fifth of its time). Every trace belongs to one partition, loaded by one connection, so that
 * connection knows the rows it wrote; rows it did not write (a resumed load, or a transaction that rolled
 * back) are read from the tables once, when first needed.
 */
export class BulkLoadRows {
  private projects: Map<string, Map<string, TraceRows>> | null = null;
  private readonly insertSpan: StatementSync;
  private readonly updateSpan: StatementSync;
  private readonly insertTrace: StatementSync;
  private readonly updateTrace: StatementSync;
  private readonly selectSpan: StatementSync;

  constructor(
    private readonly db: DatabaseSync,
    private readonly tables: { spans: string; traces: string },
  ) {
    const { spans, traces } = tables;
    this.insertSpan = db.prepare(`INSERT INTO ${spans} (project_id, trace_id, span_id, doc, service, text) VALUES (?, ?, ?, ?, ?, ?)`);
    this.updateSpan = db.prepare(`UPDATE ${spans} SET doc = ?, service = ?, text = ? WHERE rowid = ?`);
    this.insertTrace = db.prepare(`INSERT INTO ${traces} (project_id, trace_id, start_key, status, providers, models, doc, conversation_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`);
    this.updateTrace = db.prepare(`UPDATE ${traces} SET start_key = ?, status = ?, providers = ?, models = ?, doc = ?, conversation_id = ? WHERE rowid = ?`);
    this.selectSpan = db.prepare(`SELECT doc FROM ${spans} WHERE rowid = ?`);
  }

  /** The stored span documents of a trace (JSON). */
  spanDocs(projectId: string, traceId: string): string[] {
    const rows = this.rowsOf(projectId, traceId, false);
    if (!rows) return [];
    return [...rows.spans.values()].map((rowid) => (this.selectSpan.get(rowid) as { doc: string }).doc);
  }

  writeSpan(projectId: string, traceId: string, spanId: string, doc: string, service: string | null, text: string): void {
    const rows = this.rowsOf(projectId, traceId, true)!;
    const rowid = rows.spans.get(spanId);
    if (rowid !== undefined) this.updateSpan.run(doc, service, text, rowid);
    else rows.spans.set(spanId, Number(this.insertSpan.run(projectId, traceId, spanId, doc, service, text).lastInsertRowid));
  }

  writeTrace(projectId: string, traceId: string, startKey: string, status: string, providers: string, models: string, doc: string, conversationId: string | null): void {
    const rows = this.rowsOf(projectId, traceId, true)!;
    if (rows.trace !== null) this.updateTrace.run(startKey, status, providers, models, doc, conversationId, rows.trace);
    else rows.trace = Number(this.insertTrace.run(projectId, traceId, startKey, status, providers, models, doc, conversationId).lastInsertRowid);
  }

  /** After a rollback: rows written in it may never have been committed, so the tables are read again when next needed. */
  forget(): void {
    this.projects = null;
  }

  private rowsOf(projectId: string, traceId: string, create: boolean): TraceRows | undefined {
    const projects = (this.projects ??= this.readRows());
    return create ? traceRows(projects, projectId, traceId) : projects.get(projectId)?.get(traceId);
  }

  /** Every row already in the tables (empty at the start of a load; a resumed load reads what it had written). */
  private readRows(): Map<string, Map<string, TraceRows>> {
    const projects = new Map<string, Map<string, TraceRows>>();
    type Row = { rowid: number; project_id: string; trace_id: string };
    for (const r of this.db.prepare(`SELECT rowid, project_id, trace_id FROM ${this.tables.traces}`).iterate() as Iterable<Row>) traceRows(projects, r.project_id, r.trace_id).trace = r.rowid;
    for (const r of this.db.prepare(`SELECT rowid, project_id, trace_id, span_id FROM ${this.tables.spans}`).iterate() as Iterable<Row & { span_id: string }>) {
      traceRows(projects, r.project_id, r.trace_id).spans.set(r.span_id, r.rowid);
    }
    return projects;
  }
}

/** The rows of a trace, made empty when first asked. */
function traceRows(projects: Map<string, Map<string, TraceRows>>, projectId: string, traceId: string): TraceRows {
  let traces = projects.get(projectId);
  if (!traces) projects.set(projectId, (traces = new Map()));
  let rows = traces.get(traceId);
  if (!rows) traces.set(traceId, (rows = { trace: null, spans: new Map() }));
  return rows;
}
