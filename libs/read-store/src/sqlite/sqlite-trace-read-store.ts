import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { spanSearchText, TRACE_PROJECTION, type CounterRow, type ResponseClaim, type SessionSummary, type SpanDocument, type TraceStateRequest, type TraceStoredState, type TraceSummary, type TraceWritePlan } from '@temps/domain';
import { sqliteErrorMessage } from '@temps/event-store/sqlite';
import { BulkLoadRows } from './bulk-load-rows';
import {
  buildNamespace,
  compareSpans,
  decodeCursor,
  decodeKeyCursor,
  encodeCursor,
  encodeKeyCursor,
  padIsoTime as pad,
  type Page,
  type BulkLoadReadModels,
  type BulkLoads,
  type PageQuery,
  type ProjectionBuild,
  type ProjectionCatalogEntry,
  QueryTimeoutError,
  type ProjectionLease,
  LeaseLostError,
  type TraceQuery,
  type WriteFence,
  type TraceReadStore,
} from '../trace-read-store';

export interface SqliteTraceReadStoreOptions {
  /**
   * The build this instance reads and writes (a projector's). Absent: the instance serves queries from
   * whichever build of the trace projection the catalog says is active, looked up on every query, so a
   * blue/green switch made by any thread or process is seen at once.
   */
  namespace?: string;
  /**
   * Tests: called before each step of a commit, inside its transaction (a throw there is a crash at that
   * step: the transaction rolls back). Steps: see COMMIT_STEPS.
   */
  failpoint?: (step: SqliteCommitStep) => void;
}

/** The steps of a commit, in order (failpoint names). */
export const SQLITE_COMMIT_STEPS = ['spans', 'traces', 'claims', 'counters', 'sessions', 'checkpoint'] as const;
export type SqliteCommitStep = (typeof SQLITE_COMMIT_STEPS)[number];

/** Version 1 wrote unprefixed tables; they serve as the namespace '' until a newer build replaces them. */
const LEGACY_NAMESPACE = '';
const LEGACY_CHECKPOINT = 'traces_v1';

/**
 * Version 1 kept the search columns (service, text) in a table of their own; later builds keep them in
 * the span's own row: one row and one unique index fewer per span, the projector's biggest write cost.
 */
const tableNames = (ns: string) => {
  const p = ns === LEGACY_NAMESPACE ? '' : `${ns}__`;
  const search = ns === LEGACY_NAMESPACE ? `"span_search"` : `"${p}spans"`;
  // spanText: the trigram index over spans.text (version 1 has none: its searches scan).
  const spanText = ns === LEGACY_NAMESPACE ? null : `${p}span_text`;
  return { spans: `"${p}spans"`, traces: `"${p}traces"`, search, spanText, counters: `"${p}counters"`, sessions: `"${p}sessions"`, responses: `"${p}responses"`, prefix: p };
};

/** Runs `work` in one write transaction (BEGIN IMMEDIATE: the write lock first, so it cannot fail half way on a busy file). */
function inTransaction(db: DatabaseSync, work: () => void): void {
  db.exec('BEGIN IMMEDIATE');
  try {
    work();
    db.exec('COMMIT');
  } catch (err) {
    // SQLite rolls back on its own after some errors (SQLITE_FULL, IOERR, NOMEM): a second ROLLBACK would
    // throw "cannot rollback - no transaction is active" and hide the real cause.
    if (db.isTransaction) db.exec('ROLLBACK');
    // Name the cause in plain words (disk full) for whoever reports it: the runner's lastError, projections status.
    if (err instanceof Error || (typeof err === 'object' && err !== null && 'message' in err)) (err as Error).message = sqliteErrorMessage(err);
    throw err;
  }
}

/** SQL: true while the running query is within its time budget, else the query fails (see withDeadline). */
const IN_BUDGET = 'temps_in_budget()';

/** Positions as zero-padded text: checkpoints and counter guards sort like the positions they are (any store's, ESDB's included). */
const sortablePosition = (position: bigint | string) => position.toString().padStart(20, '0');

interface SpanRow {
  s: SpanDocument;
  doc: string;
  service: string | null;
  text: string;
}

interface TraceRow {
  t: TraceSummary;
  values: [startKey: string, status: string, providers: string, models: string, doc: string, conversationId: string | null];
}

/** The tables and statements of one build (namespace) in the shared file. */
class Build {
  /** Outside bulk loads (the unique indexes they need are made at a load's end). */
  private readonly upsertSpan: StatementSync | null;
  /** Outside bulk loads, with the text index: a span's row and text, then an insert or an update by rowid. */
  private readonly selectSpanText: StatementSync | null;
  private readonly insertSpan: StatementSync | null;
  private readonly updateSpanRow: StatementSync | null;
  /** The text index's writes, prepared once it exists. */
  private textIndexWrites: { insert: StatementSync; remove: StatementSync } | null = null;
  private readonly upsertTrace: StatementSync | null;
  /** In a bulk load: spans and traces written by rowid (see BulkLoadRows). */
  readonly loading: BulkLoadRows | null;
  readonly selectTraceSpans: StatementSync;
  readonly selectTrace: StatementSync;
  /** Version 1 only: its search columns live in span_search. */
  private readonly upsertSearch: StatementSync | null;
  readonly selectFirstService: StatementSync;
  readonly selectNextService: StatementSync;
  readonly selectCounter: StatementSync;
  private readonly selectCounterRow: StatementSync;
  readonly upsertCounter: StatementSync;
  readonly selectCounters: StatementSync;
  readonly selectSessionTraces: StatementSync;
  readonly upsertSession: StatementSync;
  readonly deleteSession: StatementSync;
  readonly selectSession: StatementSync;
  private readonly selectClaims: StatementSync;
  private readonly insertClaim: StatementSync;
  private readonly deleteClaim: StatementSync;
  readonly t: ReturnType<typeof tableNames>;
  /** Version 1's tables: search columns in span_search. */
  private readonly legacy: boolean;

  constructor(
    private readonly db: DatabaseSync,
    readonly namespace: string,
    /** Bulk loading (see SqliteTraceReadStore.bulkLoads): no indexes, no sessions, no counter guard. */
    readonly bulk = false,
    /** The build's writer (a projector's view): makes the text index of a build written before it existed. */
    writer = false,
  ) {
    const t = (this.t = tableNames(namespace));
    const legacy = (this.legacy = namespace === LEGACY_NAMESPACE);
    if (bulk && legacy) throw new Error('version 1 tables are never bulk-loaded');
    const fresh = !legacy && !db.prepare("SELECT 1 AS x FROM sqlite_master WHERE type = 'table' AND name = ?").get(`${t.prefix}spans`);
    db.exec(`
      -- Documents are large: rowid tables with unique indexes (WITHOUT ROWID suits small rows only).
      CREATE TABLE IF NOT EXISTS ${t.spans} (
        project_id TEXT NOT NULL, trace_id TEXT NOT NULL, span_id TEXT NOT NULL,
        doc TEXT NOT NULL${legacy ? '' : ', service TEXT, text TEXT NOT NULL'});
      ${bulk ? '' : `CREATE UNIQUE INDEX IF NOT EXISTS ${this.index('spans_by_id')} ON ${t.spans} (project_id, trace_id, span_id);`}
      CREATE TABLE IF NOT EXISTS ${t.traces} (
        project_id TEXT NOT NULL, trace_id TEXT NOT NULL, start_key TEXT NOT NULL, status TEXT NOT NULL,
        providers TEXT NOT NULL, models TEXT NOT NULL, doc TEXT NOT NULL, conversation_id TEXT);
      ${bulk ? '' : `CREATE UNIQUE INDEX IF NOT EXISTS ${this.index('traces_by_id')} ON ${t.traces} (project_id, trace_id);`}
      -- Search columns (service name, lower-cased text for q=), written with the span: see tableNames.
      ${
        legacy
          ? `CREATE TABLE IF NOT EXISTS ${t.search} (project_id TEXT NOT NULL, trace_id TEXT NOT NULL, span_id TEXT NOT NULL, service TEXT, text TEXT NOT NULL);
             CREATE UNIQUE INDEX IF NOT EXISTS span_search_by_id ON ${t.search} (project_id, trace_id, span_id);`
          : ''
      }
      -- Additive read models (usage per project x hour x provider x model, mapping coverage): small rows by sortable id.
      CREATE TABLE IF NOT EXISTS ${t.counters} (id TEXT PRIMARY KEY, dims TEXT NOT NULL, vals TEXT NOT NULL, pos TEXT NOT NULL) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS ${t.sessions} (
        project_id TEXT NOT NULL, session_id TEXT NOT NULL, last_key TEXT NOT NULL, doc TEXT NOT NULL,
        PRIMARY KEY (project_id, session_id));
      -- Spans' claims on API responses, with the usage each adds when counted (see resolveResponseUsage).
      -- One row per (response, claimant) outside bulk loads; a bulk load appends (NULL rows: withdrawn), see settleBulkClaims.
      CREATE TABLE IF NOT EXISTS ${t.responses} (response TEXT NOT NULL, claimant TEXT NOT NULL, rows TEXT);
    `);
    // Version 1's traces table predates conversation_id.
    const columns = db.prepare(`PRAGMA table_info(${t.traces})`).all() as { name: string }[];
    if (!columns.some((c) => c.name === 'conversation_id')) db.exec(`ALTER TABLE ${t.traces} ADD COLUMN conversation_id TEXT`);
    if (!bulk) this.createSecondaryIndexes();

    this.loading = bulk ? new BulkLoadRows(db, t) : null;
    // Upserts update rows in place; INSERT OR REPLACE would delete and re-insert, touching every index twice.
    const upsertSpan = legacy
      ? `INSERT INTO ${t.spans} (project_id, trace_id, span_id, doc) VALUES (?, ?, ?, ?) ON CONFLICT (project_id, trace_id, span_id) DO UPDATE SET doc = excluded.doc`
      : `INSERT INTO ${t.spans} (project_id, trace_id, span_id, doc, service, text) VALUES (?, ?, ?, ?, ?, ?) ` +
        'ON CONFLICT (project_id, trace_id, span_id) DO UPDATE SET doc = excluded.doc, service = excluded.service, text = excluded.text';
    const upsertTrace =
      `INSERT INTO ${t.traces} (project_id, trace_id, start_key, status, providers, models, doc, conversation_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ` +
      'ON CONFLICT (project_id, trace_id) DO UPDATE SET start_key = excluded.start_key, status = excluded.status, providers = excluded.providers, models = excluded.models, doc = excluded.doc, conversation_id = excluded.conversation_id';
    this.upsertSpan = bulk ? null : db.prepare(upsertSpan);
    const indexed = !bulk && !legacy;
    this.selectSpanText = indexed ? db.prepare(`SELECT rowid, text FROM ${t.spans} WHERE project_id = ? AND trace_id = ? AND span_id = ?`) : null;
    this.insertSpan = indexed ? db.prepare(`INSERT INTO ${t.spans} (project_id, trace_id, span_id, doc, service, text) VALUES (?, ?, ?, ?, ?, ?)`) : null;
    this.updateSpanRow = indexed ? db.prepare(`UPDATE ${t.spans} SET doc = ?, service = ?, text = ? WHERE rowid = ?`) : null;
    this.upsertTrace = bulk ? null : db.prepare(upsertTrace);
    this.selectTraceSpans = db.prepare(`SELECT doc FROM ${t.spans} WHERE project_id = ? AND trace_id = ?`);
    this.selectTrace = db.prepare(`SELECT doc FROM ${t.traces} WHERE project_id = ? AND trace_id = ?`);
    this.upsertSearch = legacy ? db.prepare(`INSERT OR REPLACE INTO ${t.search} (project_id, trace_id, span_id, service, text) VALUES (?, ?, ?, ?, ?)`) : null;
    // Distinct services by skipping through the index, one seek per service (a DISTINCT scans every span of the project).
    this.selectFirstService = db.prepare(`SELECT service FROM ${t.search} WHERE project_id = ? AND service IS NOT NULL ORDER BY service LIMIT 1`);
    this.selectNextService = db.prepare(`SELECT service FROM ${t.search} WHERE project_id = ? AND service > ? ORDER BY service LIMIT 1`);
    this.selectCounter = db.prepare(`SELECT vals, pos FROM ${t.counters} WHERE id = ?`);
    this.selectCounterRow = db.prepare(`SELECT dims, vals FROM ${t.counters} WHERE id = ?`);
    this.upsertCounter = db.prepare(`INSERT INTO ${t.counters} (id, dims, vals, pos) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET vals = excluded.vals, pos = excluded.pos`);
    this.selectCounters = db.prepare(`SELECT id, dims, vals FROM ${t.counters} WHERE id >= ? AND id < ? ORDER BY id`);
    this.selectClaims = db.prepare(`SELECT claimant, rows FROM ${t.responses} WHERE response = ?`);
    this.insertClaim = db.prepare(`INSERT INTO ${t.responses} (response, claimant, rows) VALUES (?, ?, ?)`);
    this.deleteClaim = db.prepare(`DELETE FROM ${t.responses} WHERE response = ? AND claimant = ?`);
    this.selectSessionTraces = db.prepare(`SELECT doc FROM ${t.traces} WHERE project_id = ? AND conversation_id = ?`);
    this.upsertSession = db.prepare(
      `INSERT INTO ${t.sessions} (project_id, session_id, last_key, doc) VALUES (?, ?, ?, ?) ON CONFLICT (project_id, session_id) DO UPDATE SET last_key = excluded.last_key, doc = excluded.doc`,
    );
    this.deleteSession = db.prepare(`DELETE FROM ${t.sessions} WHERE project_id = ? AND session_id = ?`);
    this.selectSession = db.prepare(`SELECT doc FROM ${t.sessions} WHERE project_id = ? AND session_id = ?`);
    if (legacy) this.backfillSearch();
    // A new build gets its text index with its tables (a bulk-loaded one at the load's end); an older
    // build gets it from its writer, once (see ensureTextIndex); until then its searches scan.
    else if (!bulk && (fresh || writer) && !this.hasTextIndex()) {
      if (db.isTransaction) this.ensureTextIndex();
      else inTransaction(db, () => this.ensureTextIndex());
    }
  }

  private textIndexSeen = false;

  /** Whether this build's text index exists (asked again until it does: another connection may make it). */
  hasTextIndex(): boolean {
    if (this.textIndexSeen || !this.t.spanText) return this.textIndexSeen;
    return (this.textIndexSeen = !!this.db.prepare("SELECT 1 AS x FROM sqlite_master WHERE type = 'table' AND name = ?").get(this.t.spanText));
  }

  /**
   * The trigram index over the spans' search text (FTS5, external content: the text is stored once, in
   * spans), written with each span in the commit's transaction (see writeSpan: a trigger costs 3-4x the
   * same insert made directly); a trigger only for rows deleted by others (retention). Made here from the rows already stored: a
   * bulk load's end, or once for a build written before the index existed (a migration in place: one
   * pass over one column, not a rebuild from the event log; a crash rolls it back and the next open redoes it).
   * detail=none: no positions (a third of the size and build time); LIKE / GLOB still use the trigrams to
   * find candidates and FTS5 checks each candidate's text against the whole pattern.
   */
  ensureTextIndex(): void {
    const { spans, spanText } = this.t;
    if (!spanText || this.hasTextIndex()) return;
    const fts = `"${spanText}"`;
    const trigger = (name: string) => this.index(`span_text_${name}`);
    this.db.exec(`
      CREATE VIRTUAL TABLE IF NOT EXISTS ${fts} USING fts5(text, content=${spans}, content_rowid=rowid, tokenize='trigram', detail=none);
      CREATE TRIGGER IF NOT EXISTS ${trigger('delete')} AFTER DELETE ON ${spans} BEGIN
        INSERT INTO ${fts} (${fts}, rowid, text) VALUES ('delete', old.rowid, old.text); END;
      INSERT INTO ${fts} (${fts}) VALUES ('rebuild');
    `);
    this.textIndexSeen = true;
  }

  /** Retention: a trace's spans (with their search columns) and summary, by the unique indexes' prefixes. */
  removeTrace(projectId: string, traceId: string): void {
    this.deleteTraceSpans ??= this.db.prepare(`DELETE FROM ${this.t.spans} WHERE project_id = ? AND trace_id = ?`);
    this.deleteTraceRow ??= this.db.prepare(`DELETE FROM ${this.t.traces} WHERE project_id = ? AND trace_id = ?`);
    this.deleteTraceSpans.run(projectId, traceId);
    this.deleteTraceRow.run(projectId, traceId);
    if (this.legacy) this.db.prepare(`DELETE FROM ${this.t.search} WHERE project_id = ? AND trace_id = ?`).run(projectId, traceId);
  }

  private deleteTraceSpans: StatementSync | undefined;
  private deleteTraceRow: StatementSync | undefined;

  private index(name: string): string {
    return `"${this.t.prefix}${name}"`;
  }

  /** The indexes only queries use (the writes need the unique ones): a bulk load makes them once, at its end. */
  createSecondaryIndexes(): void {
    const { t } = this;
    this.db.exec(`
      CREATE INDEX IF NOT EXISTS ${this.index('responses_by_claim')} ON ${t.responses} (response, claimant);
      CREATE INDEX IF NOT EXISTS ${this.index('traces_by_start')} ON ${t.traces} (project_id, start_key DESC, trace_id DESC);
      CREATE INDEX IF NOT EXISTS ${this.index(this.legacy ? 'span_search_by_service' : 'spans_by_service')} ON ${t.search} (project_id, service, trace_id);
      CREATE INDEX IF NOT EXISTS ${this.index('sessions_by_last')} ON ${t.sessions} (project_id, last_key DESC, session_id DESC);
      CREATE INDEX IF NOT EXISTS ${this.index('traces_by_conversation')} ON ${t.traces} (project_id, conversation_id, start_key, trace_id) WHERE conversation_id IS NOT NULL;
    `);
  }

  /**
   * The end of a bulk load: settles each response's appended claims (readModels.settleBulkClaims: keeps
   * each claim's last version, drops withdrawn ones, takes out of usage what the load counted twice).
   * One pass over the index (no rows read); only responses with more than one row have theirs read.
   * A single row is a live claim: a withdrawal follows its own claim, made in the same load.
   */
  settleBulkClaims(pos: string, readModels: BulkLoadReadModels): void {
    const obsolete: number[] = [];
    const correction: CounterRow[] = [];
    const rowsOf = this.db.prepare(`SELECT rows FROM ${this.t.responses} WHERE rowid = ?`);
    const settle = (claims: { rowid: number; claimant: string }[]) => {
      if (claims.length < 2) return;
      const read = claims.map((c) => {
        const { rows } = rowsOf.get(c.rowid) as { rows: string | null };
        return { claimant: c.claimant, rows: rows === null ? null : (JSON.parse(rows) as CounterRow[]) };
      });
      const settled = readModels.settleBulkClaims(read);
      for (const i of settled.obsolete) obsolete.push(claims[i]!.rowid);
      correction.push(...settled.correction);
    };
    let response: string | null = null;
    let claims: { rowid: number; claimant: string }[] = [];
    const scan = this.db.prepare(`SELECT rowid, response, claimant FROM ${this.t.responses} ORDER BY response, claimant, rowid`);
    for (const r of scan.iterate() as Iterable<{ rowid: number; response: string; claimant: string }>) {
      if (r.response !== response) {
        settle(claims);
        response = r.response;
        claims = [];
      }
      claims.push(r);
    }
    settle(claims);
    const remove = this.db.prepare(`DELETE FROM ${this.t.responses} WHERE rowid = ?`);
    for (const rowid of obsolete) remove.run(rowid);
    for (const row of correction) this.addCounter(row.id, row.dims, row.values, pos);
  }

  /** Every session from the traces (the end of a bulk load). */
  computeAllSessions(summarize: BulkLoadReadModels['summarizeSession']): void {
    const rows = this.db.prepare(`SELECT project_id, conversation_id FROM ${this.t.traces} WHERE conversation_id IS NOT NULL GROUP BY project_id, conversation_id`).all() as {
      project_id: string;
      conversation_id: string;
    }[];
    for (const r of rows) this.writeSession(summarize(this.sessionTraces(r.project_id, r.conversation_id)));
  }

  /** A version 1 store written before span_search existed: index its spans once. */
  private backfillSearch() {
    const has = this.db.prepare(`SELECT 1 AS x FROM ${this.t.search} LIMIT 1`).get();
    const any = this.db.prepare(`SELECT 1 AS x FROM ${this.t.spans} LIMIT 1`).get();
    if (has || !any) return;
    inTransaction(this.db, () => {
      for (const row of this.db.prepare(`SELECT doc FROM ${this.t.spans}`).iterate() as Iterable<{ doc: string }>) this.indexSpan(JSON.parse(row.doc));
    });
  }

  private indexSpan(s: SpanDocument) {
    this.upsertSearch!.run(s.projectId, s.traceId, s.spanId, s.serviceName ?? null, spanSearchText(s));
  }

  /** A span's row, made before the transaction: serialized outside the write lock, another connection writes meanwhile. */
  spanRow(s: SpanDocument): SpanRow {
    return { s, doc: JSON.stringify(s), service: s.serviceName ?? null, text: this.legacy ? '' : spanSearchText(s) };
  }

  writeSpan({ s, doc, service, text }: SpanRow) {
    if (this.legacy) {
      this.upsertSpan!.run(s.projectId, s.traceId, s.spanId, doc);
      return this.indexSpan(s);
    }
    if (this.loading) this.loading.writeSpan(s.projectId, s.traceId, s.spanId, doc, service, text);
    else if (this.hasTextIndex()) this.writeIndexedSpan(s, doc, service, text);
    else this.upsertSpan!.run(s.projectId, s.traceId, s.spanId, doc, service, text);
  }

  /** A span and its text index entry: a re-sent span whose text is unchanged leaves the index alone. */
  private writeIndexedSpan(s: SpanDocument, doc: string, service: string | null, text: string): void {
    const fts = (this.textIndexWrites ??= {
      insert: this.db.prepare(`INSERT INTO "${this.t.spanText}" (rowid, text) VALUES (?, ?)`),
      remove: this.db.prepare(`INSERT INTO "${this.t.spanText}" ("${this.t.spanText}", rowid, text) VALUES ('delete', ?, ?)`),
    });
    const old = this.selectSpanText!.get(s.projectId, s.traceId, s.spanId) as { rowid: number; text: string } | undefined;
    if (!old) {
      fts.insert.run(this.insertSpan!.run(s.projectId, s.traceId, s.spanId, doc, service, text).lastInsertRowid, text);
      return;
    }
    this.updateSpanRow!.run(doc, service, text, old.rowid);
    if (old.text !== text) {
      fts.remove.run(old.rowid, old.text);
      fts.insert.run(old.rowid, text);
    }
  }

  traceRow(t: TraceSummary): TraceRow {
    return { t, values: [t.startKey, t.status, JSON.stringify(t.providers), JSON.stringify(t.models), JSON.stringify(t), t.conversationId] };
  }

  writeTrace({ t, values }: TraceRow) {
    if (this.loading) this.loading.writeTrace(t.projectId, t.traceId, ...values);
    else this.upsertTrace!.run(t.projectId, t.traceId, ...values);
  }

  /** The stored span documents of a trace (JSON). */
  spanDocs(projectId: string, traceId: string): string[] {
    if (this.loading) return this.loading.spanDocs(projectId, traceId);
    return (this.selectTraceSpans.all(projectId, traceId) as { doc: string }[]).map((r) => r.doc);
  }

  /** The stored values of a counter row, or null. */
  counterRow(id: string): CounterRow | null {
    const row = this.selectCounterRow.get(id) as { dims: string; vals: string } | undefined;
    return row ? { id, dims: JSON.parse(row.dims), values: JSON.parse(row.vals) } : null;
  }

  /** A row's values after a batch (a row whose counters all went back to zero stays, unlisted). */
  setCounter(id: string, dims: Record<string, string | null>, values: Record<string, number>, pos: string): void {
    this.upsertCounter.run(id, JSON.stringify(dims), JSON.stringify(values), pos);
  }

  /** Bulk loads: adds increments inside the commit's transaction (partitions share rows, so no value read before it is current). */
  addCounter(id: string, dims: Record<string, string | null>, delta: Record<string, number>, pos: string): void {
    const current = this.selectCounter.get(id) as { vals: string; pos: string } | undefined;
    const vals: Record<string, number> = current ? JSON.parse(current.vals) : {};
    for (const [k, v] of Object.entries(delta)) {
      const n = (vals[k] ?? 0) + v;
      if (n === 0) delete vals[k];
      else vals[k] = n;
    }
    this.upsertCounter.run(id, JSON.stringify(dims), JSON.stringify(vals), current && current.pos > pos ? current.pos : pos);
  }

  claimsOf(response: string): ResponseClaim[] {
    return (this.selectClaims.all(response) as { claimant: string; rows: string }[]).map((r) => ({ response, claimant: r.claimant, rows: JSON.parse(r.rows) as CounterRow[] }));
  }

  /** Replaces (or with rows null, deletes) a response's claim. */
  writeClaim(response: string, claimant: string, rows: CounterRow[] | null): void {
    this.deleteClaim.run(response, claimant);
    if (rows) this.insertClaim.run(response, claimant, JSON.stringify(rows));
  }

  /** Bulk loads: appends a claim change (rows null: withdrawn); the load's end settles them. */
  appendClaim(response: string, claimant: string, rows: CounterRow[] | null): void {
    this.insertClaim.run(response, claimant, rows ? JSON.stringify(rows) : null);
  }

  sessionTraces(projectId: string, sessionId: string): TraceSummary[] {
    return (this.selectSessionTraces.all(projectId, sessionId) as { doc: string }[]).map((r) => JSON.parse(r.doc) as TraceSummary);
  }

  writeSession(session: SessionSummary): void {
    this.upsertSession.run(session.projectId, session.sessionId, session.lastKey, JSON.stringify(session));
  }

  drop() {
    if (this.t.spanText) this.db.exec(`DROP TABLE IF EXISTS "${this.t.spanText}"`);
    this.textIndexSeen = false;
    this.textIndexWrites = null;
    for (const table of [this.t.spans, this.t.traces, this.t.search, this.t.counters, this.t.sessions, this.t.responses]) this.db.exec(`DROP TABLE IF EXISTS ${table}`);
  }
}

/**
 * Embedded read model: one SQLite file; each build of the projection has its own tables (prefixed by
 * its namespace), documents as JSON, checkpoint in the same transaction as the documents. The catalog
 * (which build serves) lives in the same file.
 */
export class SqliteTraceReadStore implements TraceReadStore {
  private readonly builds = new Map<string, Build>();
  private readonly upsertCheckpoint: StatementSync;
  private readonly selectCheckpoint: StatementSync;
  private readonly selectCatalog: StatementSync;
  private readonly selectBulkTarget: StatementSync;
  /** The running query's time budget (see withDeadline): its end (epoch ms) and length. */
  private budget: { deadline: number; ms: number } | null = null;
  private readonly selectLease: StatementSync;

  private constructor(
    private readonly db: DatabaseSync,
    private readonly fixedNamespace: string | undefined,
    /** False for a view made by forNamespace: closing it leaves the connection to its owner. */
    private readonly ownsDb = true,
    private readonly failpoint?: (step: SqliteCommitStep) => void,
    /** The lease this connection's writes are fenced by: shared with its views (forNamespace). */
    private readonly fence: { current: WriteFence | null } = { current: null },
  ) {
    db.exec(`
      -- First: two processes opening a new file at once wait for each other's journal_mode switch instead of failing.
      PRAGMA busy_timeout = 5000;
      -- A new file only (ignored once the file has pages): span documents are ~2-3 KB, and at the default
      -- 4 KB page one fits per page (a third of the file wasted) and a commit writes more, smaller pages.
      PRAGMA page_size = 16384;
      PRAGMA journal_mode = WAL;
      PRAGMA synchronous = NORMAL;
      -- Read models are rebuildable: a bigger cache and rarer WAL checkpoints buy projector speed.
      PRAGMA cache_size = -65536;
      PRAGMA wal_autocheckpoint = 4000;
      CREATE TABLE IF NOT EXISTS checkpoints (name TEXT PRIMARY KEY, position TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS projection_catalog (
        name TEXT PRIMARY KEY, active_ns TEXT, active_version INTEGER, active_variant TEXT,
        building_ns TEXT, building_version INTEGER, building_variant TEXT, building_started_at TEXT, rebuild_requested_at TEXT);
      -- Builds being bulk-loaded (see bulkLoads) and the position each loads up to.
      CREATE TABLE IF NOT EXISTS bulk_loads (namespace TEXT PRIMARY KEY, target TEXT NOT NULL, partitions INTEGER NOT NULL);
      -- Who may write each projection (see ProjectionLeases): one row per projection name.
      CREATE TABLE IF NOT EXISTS projection_leases (name TEXT PRIMARY KEY, holder TEXT NOT NULL, epoch INTEGER NOT NULL, expires_at INTEGER NOT NULL);
    `);
    this.selectLease = db.prepare('SELECT name, holder, epoch, expires_at FROM projection_leases WHERE name = ?');
    this.selectBulkTarget = db.prepare('SELECT target, partitions FROM bulk_loads WHERE namespace = ?');
    this.upsertCheckpoint = db.prepare('INSERT OR REPLACE INTO checkpoints (name, position) VALUES (?, ?)');
    this.selectCheckpoint = db.prepare('SELECT position FROM checkpoints WHERE name = ?');
    this.selectCatalog = db.prepare('SELECT * FROM projection_catalog WHERE name = ?');
    // Evaluated per candidate row of the scans a query may do: the way to stop a statement from the
    // thread running it (node:sqlite has no sqlite3_interrupt).
    if (ownsDb)
      db.function('temps_in_budget', { deterministic: false, directOnly: true }, () => {
        if (this.budget && Date.now() > this.budget.deadline) throw new QueryTimeoutError(this.budget.ms);
        return 1;
      });
    if (fixedNamespace !== undefined) this.build(fixedNamespace);
  }

  static open(path: string, options: SqliteTraceReadStoreOptions = {}): SqliteTraceReadStore {
    return new SqliteTraceReadStore(new DatabaseSync(path), options.namespace, true, options.failpoint);
  }

  /** The same file, working on one build (a projector's): shares this connection, which stays this instance's to close. */
  async forNamespace(namespace: string): Promise<SqliteTraceReadStore> {
    return new SqliteTraceReadStore(this.db, namespace, false, this.failpoint, this.fence);
  }

  // ---- leases -------------------------------------------------------------------------------

  private readLease(name: string): ProjectionLease | null {
    const row = this.selectLease.get(name) as { name: string; holder: string; epoch: number; expires_at: number } | undefined;
    return row ? { name: row.name, holder: row.holder, epoch: Number(row.epoch), expiresAt: Number(row.expires_at) } : null;
  }

  async acquireLease(name: string, holder: string, ttlMs: number, options: { now?: number; replacing?: { holder: string; epoch: number } } = {}): Promise<ProjectionLease | null> {
    const now = options.now ?? Date.now();
    let taken: ProjectionLease | null = null;
    inTransaction(this.db, () => {
      const lease = this.readLease(name);
      const replaced = options.replacing && lease && lease.holder === options.replacing.holder && lease.epoch === options.replacing.epoch;
      if (lease && lease.holder !== holder && lease.expiresAt > now && !replaced) return;
      const epoch = !lease ? 1 : lease.holder === holder ? lease.epoch : lease.epoch + 1;
      this.db.prepare('INSERT OR REPLACE INTO projection_leases (name, holder, epoch, expires_at) VALUES (?, ?, ?, ?)').run(name, holder, epoch, now + ttlMs);
      taken = { name, holder, epoch, expiresAt: now + ttlMs };
    });
    return taken;
  }

  async renewLease(name: string, holder: string, epoch: number, ttlMs: number, now = Date.now()): Promise<boolean> {
    let changed = false;
    inTransaction(this.db, () => {
      changed = Number(this.db.prepare('UPDATE projection_leases SET expires_at = ? WHERE name = ? AND holder = ? AND epoch = ?').run(now + ttlMs, name, holder, epoch).changes) === 1;
    });
    return changed;
  }

  async releaseLease(name: string, holder: string, epoch: number): Promise<void> {
    inTransaction(this.db, () => void this.db.prepare('UPDATE projection_leases SET expires_at = 0 WHERE name = ? AND holder = ? AND epoch = ?').run(name, holder, epoch));
  }

  async currentLease(name: string): Promise<ProjectionLease | null> {
    return this.readLease(name);
  }

  fenceWrites(fence: WriteFence | null): void {
    this.fence.current = fence;
  }

  /** Inside a write transaction: the fenced lease must still be at its epoch (a paused holder that lost it writes nothing). */
  private checkFence(): void {
    const fence = this.fence.current;
    if (!fence) return;
    const lease = this.readLease(fence.name);
    if (!lease || lease.epoch !== fence.epoch) throw new LeaseLostError(fence, lease);
  }

  private build(namespace: string): Build {
    let b = this.builds.get(namespace);
    if (!b) this.builds.set(namespace, (b = new Build(this.db, namespace, this.selectBulkTarget.get(namespace) !== undefined, this.fixedNamespace === namespace)));
    return b;
  }

  /** The checkpoints of a bulk load's partitions: `<build>#...`. */
  private deletePartitionCheckpoints(namespace: string): void {
    this.db.prepare("DELETE FROM checkpoints WHERE name >= ? AND name < ?").run(`${namespace}#`, `${namespace}$`);
  }

  /**
   * Bulk loads (a fresh build from the first event): partitions of the log written at once by several
   * connections, each under its own checkpoint (`<build>#p<i>of<n>`). Meanwhile the build has no indexes
   * (each connection writes its partition's spans and traces by rowid, see BulkLoadRows) and no sessions,
   * and its counters skip the position guard (partitions commit positions out of order; a transaction
   * applies a batch once anyway). Creating the indexes once at the end (a sort) costs a fraction of
   * keeping them up to date row by row.
   */
  readonly bulkLoads: BulkLoads = {
    plan: async (namespace) => {
      const row = this.selectBulkTarget.get(namespace) as { target: string; partitions: number } | undefined;
      return row ? { target: BigInt(row.target), partitions: row.partitions } : null;
    },
    begin: async (namespace, { target, partitions }) => {
      if (!Number.isSafeInteger(partitions) || partitions < 1) throw new RangeError(`partitions must be a positive integer, got ${partitions}`);
      if (this.selectCheckpoint.get(namespace)) throw new Error(`build ${namespace} has a checkpoint already: a bulk load starts from an empty build`);
      inTransaction(this.db, () => {
        this.checkFence();
        this.build(namespace).drop();
        this.builds.delete(namespace);
        this.deletePartitionCheckpoints(namespace);
        this.db.prepare('INSERT OR REPLACE INTO bulk_loads (namespace, target, partitions) VALUES (?, ?, ?)').run(namespace, target.toString(), partitions);
        this.build(namespace);
      });
    },
    finish: async (namespace, readModels) => {
      const row = this.selectBulkTarget.get(namespace) as { target: string } | undefined;
      if (!row) throw new Error(`build ${namespace} is not being bulk-loaded`);
      this.builds.delete(namespace);
      inTransaction(this.db, () => {
        this.checkFence();
        this.db.prepare('DELETE FROM bulk_loads WHERE namespace = ?').run(namespace);
        const b = this.build(namespace); // not bulk any more: makes the secondary indexes
        b.ensureTextIndex();
        b.settleBulkClaims(sortablePosition(row.target), readModels);
        b.computeAllSessions(readModels.summarizeSession);
        this.deletePartitionCheckpoints(namespace);
        this.upsertCheckpoint.run(namespace, sortablePosition(row.target));
      });
    },
  };

  /** The build this instance works on: its own, or the one serving now. */
  private current(): Build {
    if (this.fixedNamespace !== undefined) return this.build(this.fixedNamespace);
    const entry = this.readCatalog(TRACE_PROJECTION.name);
    return this.build(entry.active?.namespace ?? buildNamespace(TRACE_PROJECTION.name, TRACE_PROJECTION.version));
  }

  // ---- catalog ------------------------------------------------------------------------------

  private readCatalog(name: string): ProjectionCatalogEntry {
    const row = this.selectCatalog.get(name) as
      | {
          active_ns: string | null;
          active_version: number | null;
          active_variant: string | null;
          building_ns: string | null;
          building_version: number | null;
          building_variant: string | null;
          building_started_at: string | null;
          rebuild_requested_at: string | null;
        }
      | undefined;
    if (!row) {
      // A read model written by version 1 (no catalog yet): its unprefixed tables are the active build.
      const legacy = name === TRACE_PROJECTION.name && this.db.prepare("SELECT 1 AS x FROM sqlite_master WHERE type = 'table' AND name = 'traces'").get();
      return { name, active: legacy ? { namespace: LEGACY_NAMESPACE, version: 1 } : null, building: null, rebuildRequestedAt: null };
    }
    return {
      name,
      active: row.active_ns !== null ? { namespace: row.active_ns, version: row.active_version!, ...(row.active_variant ? { variant: row.active_variant } : {}) } : null,
      building:
        row.building_ns !== null
          ? { namespace: row.building_ns, version: row.building_version!, ...(row.building_variant ? { variant: row.building_variant } : {}), startedAt: row.building_started_at! }
          : null,
      rebuildRequestedAt: row.rebuild_requested_at,
    };
  }

  async catalogEntry(name: string): Promise<ProjectionCatalogEntry> {
    return this.readCatalog(name);
  }

  private writeCatalog(entry: ProjectionCatalogEntry) {
    this.db
      .prepare(
        'INSERT OR REPLACE INTO projection_catalog (name, active_ns, active_version, active_variant, building_ns, building_version, building_variant, building_started_at, rebuild_requested_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
      )
      .run(
        entry.name,
        entry.active?.namespace ?? null,
        entry.active?.version ?? null,
        entry.active?.variant ?? null,
        entry.building?.namespace ?? null,
        entry.building?.version ?? null,
        entry.building?.variant ?? null,
        entry.building?.startedAt ?? null,
        entry.rebuildRequestedAt,
      );
  }

  private updateCatalog(name: string, change: (entry: ProjectionCatalogEntry) => ProjectionCatalogEntry) {
    inTransaction(this.db, () => {
      this.checkFence();
      this.writeCatalog(change(this.readCatalog(name)));
    });
  }

  async beginBuild(name: string, build: ProjectionBuild): Promise<void> {
    this.updateCatalog(name, (e) => ({ ...e, building: { ...build, startedAt: new Date().toISOString() }, rebuildRequestedAt: null }));
  }

  async activate(name: string, build: ProjectionBuild): Promise<void> {
    this.updateCatalog(name, (e) => ({ ...e, active: build, building: e.building?.namespace === build.namespace ? null : e.building }));
  }

  async requestRebuild(name: string): Promise<void> {
    this.updateCatalog(name, (e) => ({ ...e, rebuildRequestedAt: new Date().toISOString() }));
  }

  async dropNamespace(namespace: string): Promise<void> {
    try {
      inTransaction(this.db, () => {
        this.checkFence();
        this.build(namespace).drop();
        this.db.prepare('DELETE FROM checkpoints WHERE name = ?').run(namespace === LEGACY_NAMESPACE ? LEGACY_CHECKPOINT : namespace);
        this.deletePartitionCheckpoints(namespace);
        this.db.prepare('DELETE FROM bulk_loads WHERE namespace = ?').run(namespace);
      });
    } finally {
      this.builds.delete(namespace);
    }
  }

  // ---- projection side ------------------------------------------------------------------------

  async checkpoint(projection: string): Promise<bigint | null> {
    const row = this.selectCheckpoint.get(projection) as { position: string } | undefined;
    return row ? BigInt(row.position) : null;
  }

  /** Commits are transactions here: a batch is never half-written. */
  async pendingBatchEnd(): Promise<bigint | null> {
    return null;
  }

  /** Outside the write lock: this build has one writer (its runner), or is bulk-loaded (then only spans and ranges are read, see TraceStoredState). */
  async load(request: TraceStateRequest): Promise<TraceStoredState> {
    const b = this.current();
    const state: TraceStoredState = { mode: b.bulk ? 'bulk' : 'incremental', traceSearch: false, spans: [], counters: [], claims: [], sessionTraces: [] };
    for (const t of request.traces ?? []) for (const doc of b.spanDocs(t.projectId, t.traceId)) state.spans.push(JSON.parse(doc));
    for (const range of request.counterRanges ?? []) state.counters.push(...this.rowsInRange(b, range));
    if (b.bulk) return state;
    for (const id of new Set(request.counterIds ?? [])) {
      const row = b.counterRow(id);
      if (row) state.counters.push(row);
    }
    for (const response of new Set(request.responses ?? [])) state.claims.push(...b.claimsOf(response));
    const sessions = new Map((request.sessions ?? []).map((s) => [JSON.stringify([s.projectId, s.sessionId]), s]));
    for (const s of sessions.values()) state.sessionTraces.push(...b.sessionTraces(s.projectId, s.sessionId));
    return state;
  }

  async commit(plan: TraceWritePlan): Promise<void> {
    const b = this.current();
    const pos = sortablePosition(plan.position);
    const spans = plan.spans.map((s) => b.spanRow(s));
    const traces = plan.traces.map((t) => b.traceRow(t));
    try {
      inTransaction(this.db, () => {
        this.checkFence();
        this.writePlan(b, plan, spans, traces, pos);
      });
    } catch (err) {
      b.loading?.forget();
      throw err;
    }
  }

  private writePlan(b: Build, plan: TraceWritePlan, spans: SpanRow[], traces: TraceRow[], pos: string): void {
    const step = this.failpoint ?? (() => undefined);
    step('spans');
    for (const s of spans) b.writeSpan(s);
    step('traces');
    for (const t of traces) b.writeTrace(t);
    for (const t of plan.removed ?? []) b.removeTrace(t.projectId, t.traceId);
    step('claims');
    for (const c of plan.claims.remove) b.writeClaim(c.response, c.claimant, null);
    for (const c of plan.claims.put) b.writeClaim(c.response, c.claimant, c.rows);
    for (const c of plan.claimLog) b.appendClaim(c.response, c.claimant, c.rows);
    step('counters');
    for (const c of plan.counters) {
      if (c.values) b.setCounter(c.id, c.dims, c.values, pos);
      else b.addCounter(c.id, c.dims, c.delta, pos);
    }
    step('sessions');
    for (const s of plan.sessions.remove) b.deleteSession.run(s.projectId, s.sessionId);
    for (const s of plan.sessions.put) b.writeSession(s);
    step('checkpoint');
    this.upsertCheckpoint.run(plan.projection, pos);
  }

  // ---- queries ------------------------------------------------------------------------------

  /**
   * Runs queries with a time budget: a search still scanning at `deadline` (epoch ms) fails with
   * QueryTimeoutError (`budgetMs` names the budget in its message). One at a time per connection.
   */
  async withDeadline<T>(deadline: number, budgetMs: number, query: () => Promise<T>): Promise<T> {
    if (Date.now() > deadline) throw new QueryTimeoutError(budgetMs);
    this.budget = { deadline, ms: budgetMs };
    try {
      return await query();
    } finally {
      this.budget = null;
    }
  }

  async listTraces(projectId: string, q: TraceQuery): Promise<Page<TraceSummary>> {
    const b = this.current();
    const { t } = b;
    const where = ['project_id = ?'];
    const args: (string | number)[] = [projectId];
    if (q.status) (where.push('status = ?'), args.push(q.status));
    if (q.provider) (where.push('EXISTS (SELECT 1 FROM json_each(providers) WHERE value = ?)'), args.push(q.provider));
    if (q.model) (where.push('EXISTS (SELECT 1 FROM json_each(models) WHERE value = ?)'), args.push(q.model));
    if (q.from) (where.push('start_key >= ?'), args.push(pad(q.from)));
    if (q.to) (where.push('start_key < ?'), args.push(pad(q.to)));
    if (q.service) {
      where.push(`EXISTS (SELECT 1 FROM ${t.search} s WHERE s.project_id = tr.project_id AND s.service = ? AND s.trace_id = tr.trace_id)`);
      args.push(q.service);
    }
    if (q.q) {
      const text = q.q.toLowerCase();
      if ([...text].length >= 3 && b.hasTextIndex()) {
        // The trigram index finds the spans whose text holds `q` (GLOB on lower-cased text and pattern: the
        // same match as a case-insensitive LIKE; LIKE with ESCAPE is never handed to the index), then their traces.
        const glob = `*${text.replace(/[*?[]/g, (c) => `[${c}]`)}*`;
        where.push(
          `tr.trace_id IN (SELECT s.trace_id FROM ${t.spans} s WHERE s.project_id = ? AND s.rowid IN (SELECT rowid FROM "${t.spanText}" WHERE text GLOB ? AND ${IN_BUDGET}))`,
        );
        args.push(projectId, glob);
      } else {
        // Below 3 characters (no trigram to look up), or a build without the index: each trace's spans are
        // scanned, newest trace first, until a page is found (short strings match often, so that is soon).
        const like = `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
        where.push(`EXISTS (SELECT 1 FROM ${t.search} s WHERE s.project_id = tr.project_id AND s.trace_id = tr.trace_id AND ${IN_BUDGET} AND s.text LIKE ? ESCAPE '\\')`);
        args.push(like);
      }
    }
    if (q.cursor) {
      const c = decodeCursor(q.cursor);
      where.push('(start_key < ? OR (start_key = ? AND trace_id < ?))');
      args.push(c.startKey, c.startKey, c.traceId);
    }
    const rows = this.db
      .prepare(`SELECT doc FROM ${t.traces} tr WHERE ${where.join(' AND ')} AND ${IN_BUDGET} ORDER BY start_key DESC, trace_id DESC LIMIT ?`)
      .all(...args, q.limit + 1) as { doc: string }[];
    const items = rows.slice(0, q.limit).map((r) => JSON.parse(r.doc) as TraceSummary);
    return { items, nextCursor: rows.length > q.limit ? encodeCursor(items[items.length - 1]!) : null };
  }

  async listServiceNames(projectId: string): Promise<string[]> {
    const b = this.current();
    const out: string[] = [];
    let row = b.selectFirstService.get(projectId) as { service: string } | undefined;
    while (row && out.length < 500) {
      out.push(row.service);
      row = b.selectNextService.get(projectId, row.service) as { service: string } | undefined;
    }
    return out;
  }

  async getTrace(projectId: string, traceId: string): Promise<{ trace: TraceSummary; spans: SpanDocument[] } | null> {
    const b = this.current();
    const row = b.selectTrace.get(projectId, traceId) as { doc: string } | undefined;
    if (!row) return null;
    const spans = (b.selectTraceSpans.all(projectId, traceId) as { doc: string }[]).map((r) => JSON.parse(r.doc) as SpanDocument);
    spans.sort(compareSpans);
    return { trace: JSON.parse(row.doc), spans };
  }

  async counterRows(range: { from: string; to: string }): Promise<CounterRow[]> {
    return this.rowsInRange(this.current(), range);
  }

  private rowsInRange(b: Build, range: { from: string; to: string }): CounterRow[] {
    // A row whose counters all went back to zero stays, unlisted.
    return (b.selectCounters.all(range.from, range.to) as { id: string; dims: string; vals: string }[])
      .filter((r) => r.vals !== '{}')
      .map((r) => ({ id: r.id, dims: JSON.parse(r.dims), values: JSON.parse(r.vals) }));
  }

  async listSessions(projectId: string, q: PageQuery): Promise<Page<SessionSummary>> {
    const { t } = this.current();
    return this.keysetPage<SessionSummary>({ table: t.sessions, where: 'project_id = ?', args: [projectId], key: 'last_key', id: 'session_id', descending: true }, q, (s) => [s.lastKey, s.sessionId]);
  }

  async getSession(projectId: string, sessionId: string): Promise<SessionSummary | null> {
    const row = this.current().selectSession.get(projectId, sessionId) as { doc: string } | undefined;
    return row ? (JSON.parse(row.doc) as SessionSummary) : null;
  }

  async listSessionTraces(projectId: string, sessionId: string, q: PageQuery): Promise<Page<TraceSummary>> {
    const { t } = this.current();
    const where = { table: t.traces, where: 'project_id = ? AND conversation_id = ?', args: [projectId, sessionId], key: 'start_key', id: 'trace_id', descending: false };
    return this.keysetPage<TraceSummary>(where, q, (tr) => [tr.startKey, tr.traceId]);
  }

  /** One page of documents ordered by (key, id), after the cursor's (key, id). */
  private keysetPage<T>(
    p: { table: string; where: string; args: string[]; key: string; id: string; descending: boolean },
    q: PageQuery,
    keyOf: (doc: T) => [string, string],
  ): Page<T> {
    const args = [...p.args];
    const [cmp, dir] = p.descending ? ['<', 'DESC'] : ['>', 'ASC'];
    let after = '';
    if (q.cursor) {
      const c = decodeKeyCursor(q.cursor);
      after = ` AND (${p.key} ${cmp} ? OR (${p.key} = ? AND ${p.id} ${cmp} ?))`;
      args.push(c.key, c.key, c.id);
    }
    const rows = this.db
      .prepare(`SELECT doc FROM ${p.table} WHERE ${p.where}${after} ORDER BY ${p.key} ${dir}, ${p.id} ${dir} LIMIT ?`)
      .all(...args, q.limit + 1) as { doc: string }[];
    const items = rows.slice(0, q.limit).map((r) => JSON.parse(r.doc) as T);
    const last = items[items.length - 1];
    return { items, nextCursor: rows.length > q.limit && last ? encodeKeyCursor(...keyOf(last)) : null };
  }

  async close(): Promise<void> {
    if (this.ownsDb && this.db.isOpen) this.db.close();
  }
}
