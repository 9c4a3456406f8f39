import { DatabaseSync, type StatementSync } from 'node:sqlite';
import type { SpanDocument, TraceSummary } from '@temps/domain';
import { compareSpans, decodeCursor, encodeCursor, padIsoTime as pad, spanSearchText, type Page, type TraceCommit, type TraceQuery, type TraceReadStore } from '../trace-read-store';


/** Embedded read model: one SQLite file, documents as JSON, checkpoint in the same transaction. */
export class SqliteTraceReadStore implements TraceReadStore {
  private readonly upsertSpan: StatementSync;
  private readonly upsertTrace: StatementSync;
  private readonly upsertCheckpoint: StatementSync;
  private readonly selectCheckpoint: StatementSync;
  private readonly selectTraceSpans: StatementSync;
  private readonly selectTrace: StatementSync;
  private readonly upsertSearch: StatementSync;
  private readonly selectServices: StatementSync;

  private constructor(private readonly db: DatabaseSync) {
    db.exec(`
      PRAGMA journal_mode = WAL;
      PRAGMA synchronous = NORMAL;
      PRAGMA busy_timeout = 5000;
      -- Read models are rebuildable: a bigger cache and rarer WAL checkpoints buy projector speed.
      PRAGMA cache_size = -65536;
      PRAGMA wal_autocheckpoint = 4000;
      -- Documents are large: rowid tables with unique indexes (WITHOUT ROWID suits small rows only).
      CREATE TABLE IF NOT EXISTS spans (
        project_id TEXT NOT NULL, trace_id TEXT NOT NULL, span_id TEXT NOT NULL,
        doc TEXT NOT NULL);
      CREATE UNIQUE INDEX IF NOT EXISTS spans_by_id ON spans (project_id, trace_id, span_id);
      CREATE TABLE IF NOT EXISTS traces (
        project_id TEXT NOT NULL, trace_id TEXT NOT NULL, start_key TEXT NOT NULL, status TEXT NOT NULL,
        providers TEXT NOT NULL, models TEXT NOT NULL, doc TEXT NOT NULL);
      CREATE UNIQUE INDEX IF NOT EXISTS traces_by_id ON traces (project_id, trace_id);
      CREATE INDEX IF NOT EXISTS traces_by_start ON traces (project_id, start_key DESC, trace_id DESC);
      -- Per-span search columns, written with the span: service name and lower-cased text for q=.
      CREATE TABLE IF NOT EXISTS span_search (
        project_id TEXT NOT NULL, trace_id TEXT NOT NULL, span_id TEXT NOT NULL,
        service TEXT, text TEXT NOT NULL);
      CREATE UNIQUE INDEX IF NOT EXISTS span_search_by_id ON span_search (project_id, trace_id, span_id);
      CREATE INDEX IF NOT EXISTS span_search_by_service ON span_search (project_id, service, trace_id);
      CREATE TABLE IF NOT EXISTS checkpoints (name TEXT PRIMARY KEY, position TEXT NOT NULL);
    `);
    // Upserts update rows in place; INSERT OR REPLACE would delete and re-insert, touching every index twice.
    this.upsertSpan = db.prepare(
      'INSERT INTO spans (project_id, trace_id, span_id, doc) VALUES (?, ?, ?, ?) ON CONFLICT (project_id, trace_id, span_id) DO UPDATE SET doc = excluded.doc',
    );
    this.upsertTrace = db.prepare(
      'INSERT INTO traces (project_id, trace_id, start_key, status, providers, models, doc) VALUES (?, ?, ?, ?, ?, ?, ?) ' +
        'ON CONFLICT (project_id, trace_id) DO UPDATE SET start_key = excluded.start_key, status = excluded.status, providers = excluded.providers, models = excluded.models, doc = excluded.doc',
    );
    this.upsertCheckpoint = db.prepare('INSERT OR REPLACE INTO checkpoints (name, position) VALUES (?, ?)');
    this.selectCheckpoint = db.prepare('SELECT position FROM checkpoints WHERE name = ?');
    this.selectTraceSpans = db.prepare('SELECT doc FROM spans WHERE project_id = ? AND trace_id = ?');
    this.selectTrace = db.prepare('SELECT doc FROM traces WHERE project_id = ? AND trace_id = ?');
    this.upsertSearch = db.prepare('INSERT OR REPLACE INTO span_search (project_id, trace_id, span_id, service, text) VALUES (?, ?, ?, ?, ?)');
    this.selectServices = db.prepare('SELECT DISTINCT service FROM span_search WHERE project_id = ? AND service IS NOT NULL ORDER BY service LIMIT 500');
    this.backfillSearch();
  }

  /** A store written before span_search existed: index its spans once. */
  private backfillSearch() {
    const has = this.db.prepare('SELECT 1 AS x FROM span_search LIMIT 1').get();
    const any = this.db.prepare('SELECT 1 AS x FROM spans LIMIT 1').get();
    if (has || !any) return;
    this.db.exec('BEGIN IMMEDIATE');
    try {
      for (const row of this.db.prepare('SELECT doc FROM spans').iterate() as Iterable<{ doc: string }>) this.indexSpan(JSON.parse(row.doc));
      this.db.exec('COMMIT');
    } catch (err) {
      this.db.exec('ROLLBACK');
      throw err;
    }
  }

  private indexSpan(s: SpanDocument) {
    this.upsertSearch.run(s.projectId, s.traceId, s.spanId, s.serviceName ?? null, spanSearchText(s));
  }

  static open(path: string): SqliteTraceReadStore {
    return new SqliteTraceReadStore(new DatabaseSync(path));
  }

  async checkpoint(projection: string): Promise<bigint | null> {
    const row = this.selectCheckpoint.get(projection) as { position: string } | undefined;
    return row ? BigInt(row.position) : null;
  }

  async loadSpans(traces: { projectId: string; traceId: string }[]): Promise<SpanDocument[]> {
    const out: SpanDocument[] = [];
    for (const t of traces) {
      for (const row of this.selectTraceSpans.all(t.projectId, t.traceId) as { doc: string }[]) out.push(JSON.parse(row.doc));
    }
    return out;
  }

  async commit(write: TraceCommit): Promise<void> {
    this.db.exec('BEGIN IMMEDIATE');
    try {
      for (const s of write.spans) {
        this.upsertSpan.run(s.projectId, s.traceId, s.spanId, JSON.stringify(s));
        this.indexSpan(s);
      }
      for (const t of write.traces) {
        this.upsertTrace.run(t.projectId, t.traceId, t.startKey, t.status, JSON.stringify(t.providers), JSON.stringify(t.models), JSON.stringify(t));
      }
      this.upsertCheckpoint.run(write.projection, write.position.toString());
      this.db.exec('COMMIT');
    } catch (err) {
      this.db.exec('ROLLBACK');
      throw err;
    }
  }

  async listTraces(projectId: string, q: TraceQuery): Promise<Page<TraceSummary>> {
    const where = ['project_id = ?'];
    const args: (string | number)[] = [projectId];
    if (q.status) (where.push('status = ?'), args.push(q.status));
    if (q.provider) (where.push('EXISTS (SELECT 1 FROM json_each(providers) WHERE value = ?)'), args.push(q.provider));
    if (q.model) (where.push('EXISTS (SELECT 1 FROM json_each(models) WHERE value = ?)'), args.push(q.model));
    if (q.from) (where.push('start_key >= ?'), args.push(pad(q.from)));
    if (q.to) (where.push('start_key < ?'), args.push(pad(q.to)));
    if (q.service) {
      where.push('EXISTS (SELECT 1 FROM span_search s WHERE s.project_id = traces.project_id AND s.service = ? AND s.trace_id = traces.trace_id)');
      args.push(q.service);
    }
    if (q.q) {
      const like = `%${q.q.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      where.push(
        "EXISTS (SELECT 1 FROM span_search s WHERE s.project_id = traces.project_id AND s.trace_id = traces.trace_id AND s.text LIKE ? ESCAPE '\\')",
      );
      args.push(like);
    }
    if (q.cursor) {
      const c = decodeCursor(q.cursor);
      where.push('(start_key < ? OR (start_key = ? AND trace_id < ?))');
      args.push(c.startKey, c.startKey, c.traceId);
    }
    const rows = this.db
      .prepare(`SELECT doc FROM traces WHERE ${where.join(' AND ')} ORDER BY start_key DESC, trace_id DESC LIMIT ?`)
      .all(...args, q.limit + 1) as { doc: string }[];
    const items = rows.slice(0, q.limit).map((r) => JSON.parse(r.doc) as TraceSummary);
    return { items, nextCursor: rows.length > q.limit ? encodeCursor(items[items.length - 1]!) : null };
  }

  async listServiceNames(projectId: string): Promise<string[]> {
    return (this.selectServices.all(projectId) as { service: string }[]).map((r) => r.service);
  }

  async getTrace(projectId: string, traceId: string): Promise<{ trace: TraceSummary; spans: SpanDocument[] } | null> {
    const row = this.selectTrace.get(projectId, traceId) as { doc: string } | undefined;
    if (!row) return null;
    const spans = (this.selectTraceSpans.all(projectId, traceId) as { doc: string }[]).map((r) => JSON.parse(r.doc) as SpanDocument);
    spans.sort(compareSpans);
    return { trace: JSON.parse(row.doc), spans };
  }

  async close(): Promise<void> {
    if (this.db.isOpen) this.db.close();
  }
}
