import { MongoClient, type AnyBulkWriteOperation, type ClientSession, type Collection, type Db, type Document, type Filter, type IndexDescription } from 'mongodb';
import { counterDelta, resolveResponseUsage, summarizeSession, TRACE_PROJECTION, type CounterRow, type ResponseClaim, type SessionSummary, type SpanDocument, type TraceSummary } from '@temps/domain';
import {
  buildNamespace,
  compareSpans,
  decodeCursor,
  decodeKeyCursor,
  encodeCursor,
  encodeKeyCursor,
  padIsoTime as pad,
  spanSearchText,
  type Page,
  type PageQuery,
  type ProjectionBuild,
  type ProjectionCatalog,
  type ProjectionCatalogEntry,
  type TraceCommit,
  type TraceQuery,
  type TraceReadStore,
} from '../trace-read-store';

/** Literal text inside a regular expression (PCRE on MongoDB, RE2 on FerretDB: both accept these escapes). */
const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Documents are kept as JSON text in `doc` (they read back exactly: attribute keys with dots or `$`, -0, key order),
 * beside the plain fields the queries filter and sort on.
 */
interface SpanRow {
  _id: string;
  projectId: string;
  traceId: string;
  spanId: string;
  /** Resource `service.name`, for the service filter and the service list. */
  service: string | null;
  /** Lower-cased searchable text (spanSearchText) for `q`. */
  text: string;
  doc: string;
}

interface TraceRow {
  _id: string;
  projectId: string;
  traceId: string;
  startKey: string;
  status: string;
  providers: string[];
  models: string[];
  conversationId: string | null;
  doc: string;
}

interface CheckpointRow {
  _id: string;
  position?: string;
  /** Set before a non-transactional commit writes anything, removed with the checkpoint's move: a batch in flight. */
  pending?: string;
}

/** A counter row; `pos` is the zero-padded end of the last batch that added to it (the position guard). */
interface CounterDoc {
  _id: string;
  dims: Record<string, string | null>;
  vals: Record<string, number>;
  pos: string;
}

interface SessionRow {
  _id: string;
  projectId: string;
  sessionId: string;
  lastKey: string;
  doc: string;
}

/** A span's claim on an API response, with the usage it adds when counted (see resolveResponseUsage). */
interface ResponseRow {
  _id: string;
  response: string;
  claimant: string;
  rows: CounterRow[];
}

interface CatalogRow {
  _id: string;
  active: ProjectionBuild | null;
  building: (ProjectionBuild & { startedAt: string }) | null;
  rebuildRequestedAt: string | null;
}

interface BuildCollections {
  namespace: string;
  spans: Collection<SpanRow>;
  traces: Collection<TraceRow>;
  counters: Collection<CounterDoc>;
  sessions: Collection<SessionRow>;
  responses: Collection<ResponseRow>;
  ready: Promise<void>;
}

const padPosition = (p: bigint) => p.toString().padStart(20, '0');

export interface MongoTraceReadStoreOptions {
  /** Database name; default `temps`. */
  database?: string;
  /** Prepended to every collection name (tests isolate with it). */
  collectionPrefix?: string;
  /** The build this instance reads and writes (a projector's); absent: the active build of the catalog, looked up per query. */
  namespace?: string;
}

const claimId = (c: { response: string; claimant: string }) => JSON.stringify([c.response, c.claimant]);
const spanKey = (projectId: string, traceId: string, spanId: string) => JSON.stringify([projectId, traceId, spanId]);
const traceKey = (projectId: string, traceId: string) => JSON.stringify([projectId, traceId]);

/**
 * MongoDB read model. Each build of the projection has its own collections (`<namespace>__spans`,
 * `__traces`, `__counters`, `__sessions`); `checkpoints` and `projection_catalog` are shared.
 * A commit is one bulkWrite per collection. On a replica set (or mongos) it runs in a transaction
 * with the checkpoint. Elsewhere (a standalone server, FerretDB) the batch end is recorded first
 * (`pending`), counters are added under a position guard (a row takes a batch's increments once),
 * documents are idempotent replacements, and the checkpoint moves last: after a crash the runner
 * replays exactly the pending batch (pendingBatchEnd) and ends in the same state.
 */
export class MongoTraceReadStore implements TraceReadStore, ProjectionCatalog {
  private readonly builds = new Map<string, BuildCollections>();

  private constructor(
    private readonly client: MongoClient,
    private readonly db: Db,
    private readonly prefix: string,
    private readonly checkpoints: Collection<CheckpointRow>,
    private readonly catalog: Collection<CatalogRow>,
    private readonly fixedNamespace: string | undefined,
    /** Whether the server runs multi-document transactions (replica set member or mongos). */
    readonly transactional: boolean,
    /** False for a view made by forNamespace: closing it leaves the client to its owner. */
    private readonly ownsClient = true,
  ) {}

  /** The same database, working on one build (a projector's): shares this client, which stays this instance's to close. */
  async forNamespace(namespace: string): Promise<MongoTraceReadStore> {
    const view = new MongoTraceReadStore(this.client, this.db, this.prefix, this.checkpoints, this.catalog, namespace, this.transactional, false);
    await view.build(namespace).ready;
    return view;
  }

  static async open(url: string, options: MongoTraceReadStoreOptions = {}): Promise<MongoTraceReadStore> {
    const client = new MongoClient(url);
    try {
      await client.connect();
      const db = client.db(options.database ?? 'temps');
      const prefix = options.collectionPrefix ?? '';
      const hello = await db.admin().command({ hello: 1 });
      const transactional = (typeof hello.setName === 'string' || hello.msg === 'isdbgrid') && hello.logicalSessionTimeoutMinutes != null;
      const store = new MongoTraceReadStore(
        client,
        db,
        prefix,
        db.collection<CheckpointRow>(`${prefix}checkpoints`),
        db.collection<CatalogRow>(`${prefix}projection_catalog`),
        options.namespace,
        transactional,
      );
      if (options.namespace !== undefined) await store.build(options.namespace).ready;
      return store;
    } catch (err) {
      await client.close();
      throw err;
    }
  }

  private build(namespace: string): BuildCollections {
    let b = this.builds.get(namespace);
    if (b) return b;
    const name = (c: string) => `${this.prefix}${namespace}__${c}`;
    const spans = this.db.collection<SpanRow>(name('spans'));
    const traces = this.db.collection<TraceRow>(name('traces'));
    const counters = this.db.collection<CounterDoc>(name('counters'));
    const sessions = this.db.collection<SessionRow>(name('sessions'));
    const responses = this.db.collection<ResponseRow>(name('responses'));
    // One index per query shape the API makes; _id is the document's identity (project, trace[, span]).
    const ready = (async () => {
      await createIndexesOneByOne(traces, [
        { key: { projectId: 1, startKey: -1, traceId: -1 }, name: 'by_start' },
        { key: { projectId: 1, status: 1, startKey: -1, traceId: -1 }, name: 'by_status' },
        { key: { projectId: 1, providers: 1, startKey: -1, traceId: -1 }, name: 'by_provider' },
        { key: { projectId: 1, models: 1, startKey: -1, traceId: -1 }, name: 'by_model' },
        { key: { projectId: 1, traceId: 1 }, name: 'by_trace' },
        { key: { projectId: 1, conversationId: 1, startKey: 1, traceId: 1 }, name: 'by_conversation' },
      ]);
      await createIndexesOneByOne(spans, [
        { key: { projectId: 1, traceId: 1 }, name: 'by_trace' },
        { key: { projectId: 1, service: 1, traceId: 1 }, name: 'by_service' },
      ]);
      await createIndexesOneByOne(sessions, [{ key: { projectId: 1, lastKey: -1, sessionId: -1 }, name: 'by_last' }]);
      await createIndexesOneByOne(responses, [{ key: { response: 1, claimant: 1 }, name: 'by_response' }]);
    })();
    ready.catch(() => this.builds.delete(namespace)); // retried by the next use
    b = { namespace, spans, traces, counters, sessions, responses, ready };
    this.builds.set(namespace, b);
    return b;
  }

  /** The build this instance works on: its own, or the one serving now. */
  private async current(): Promise<BuildCollections> {
    const ns = this.fixedNamespace ?? (await this.catalogEntry(TRACE_PROJECTION.name)).active?.namespace ?? buildNamespace(TRACE_PROJECTION.name, TRACE_PROJECTION.version);
    const b = this.build(ns);
    await b.ready;
    return b;
  }

  // ---- catalog ------------------------------------------------------------------------------

  async catalogEntry(name: string): Promise<ProjectionCatalogEntry> {
    const row = await this.catalog.findOne({ _id: name });
    return { name, active: row?.active ?? null, building: row?.building ?? null, rebuildRequestedAt: row?.rebuildRequestedAt ?? null };
  }

  async beginBuild(name: string, build: ProjectionBuild): Promise<void> {
    const building = { namespace: build.namespace, version: build.version, ...(build.variant ? { variant: build.variant } : {}), startedAt: new Date().toISOString() };
    await this.catalog.updateOne({ _id: name }, { $set: { building, rebuildRequestedAt: null } }, { upsert: true });
  }

  async activate(name: string, build: ProjectionBuild): Promise<void> {
    const active = { namespace: build.namespace, version: build.version, ...(build.variant ? { variant: build.variant } : {}) };
    // One document update: every reader sees the old build or the new one, never a mix.
    const done = await this.catalog.updateOne({ _id: name, 'building.namespace': build.namespace }, { $set: { active, building: null } });
    if (done.matchedCount === 0) await this.catalog.updateOne({ _id: name }, { $set: { active } }, { upsert: true });
  }

  async requestRebuild(name: string): Promise<void> {
    await this.catalog.updateOne({ _id: name }, { $set: { rebuildRequestedAt: new Date().toISOString() } }, { upsert: true });
  }

  async dropNamespace(namespace: string): Promise<void> {
    this.builds.delete(namespace);
    for (const c of ['spans', 'traces', 'counters', 'sessions', 'responses']) await dropIfExists(this.db.collection(`${this.prefix}${namespace}__${c}`));
    await this.checkpoints.deleteOne({ _id: namespace });
  }

  // ---- projection side ------------------------------------------------------------------------

  async checkpoint(projection: string): Promise<bigint | null> {
    const row = await this.checkpoints.findOne({ _id: projection });
    return row?.position ? BigInt(row.position) : null;
  }

  async pendingBatchEnd(projection: string): Promise<bigint | null> {
    const row = await this.checkpoints.findOne({ _id: projection });
    return row?.pending ? BigInt(row.pending) : null;
  }

  async loadSpans(traces: { projectId: string; traceId: string }[]): Promise<SpanDocument[]> {
    if (traces.length === 0) return [];
    const b = await this.current();
    const byProject = new Map<string, string[]>();
    for (const t of traces) byProject.set(t.projectId, [...(byProject.get(t.projectId) ?? []), t.traceId]);
    const out: SpanDocument[] = [];
    for (const [projectId, traceIds] of byProject) {
      const rows = b.spans.find({ projectId, traceId: { $in: [...new Set(traceIds)] } }, { projection: { doc: 1 } });
      for await (const row of rows) out.push(JSON.parse(row.doc));
    }
    return out;
  }

  async commit(write: TraceCommit): Promise<void> {
    const b = await this.current();
    const pos = padPosition(write.position);
    const spanOps: AnyBulkWriteOperation<SpanRow>[] = write.spans.map((s) => {
      const _id = spanKey(s.projectId, s.traceId, s.spanId);
      const row: SpanRow = {
        _id,
        projectId: s.projectId,
        traceId: s.traceId,
        spanId: s.spanId,
        service: s.serviceName ?? null,
        text: spanSearchText(s),
        doc: JSON.stringify(s),
      };
      return { replaceOne: { filter: { _id }, replacement: row, upsert: true } };
    });
    const traceOps: AnyBulkWriteOperation<TraceRow>[] = write.traces.map((t) => {
      const _id = traceKey(t.projectId, t.traceId);
      const row: TraceRow = {
        _id,
        projectId: t.projectId,
        traceId: t.traceId,
        startKey: t.startKey,
        status: t.status,
        providers: t.providers,
        models: t.models,
        conversationId: t.conversationId,
        doc: JSON.stringify(t),
      };
      return { replaceOne: { filter: { _id }, replacement: row, upsert: true } };
    });
    // Position guard: a row already at this batch's end has its increments (a replayed batch skips it).
    const counterOps = (counters: readonly CounterRow[]): AnyBulkWriteOperation<CounterDoc>[] =>
      counters.map((row) => ({
        updateOne: {
          filter: { _id: row.id, pos: { $lt: pos } },
          update: { $inc: Object.fromEntries(Object.entries(row.values).map(([k, v]) => [`vals.${k}`, v])), $set: { pos, dims: row.dims } },
          upsert: true,
        },
      }));
    const apply = async (session?: ClientSession) => {
      if (!session) await this.checkpoints.updateOne({ _id: write.projection }, { $set: { pending: pos } }, { upsert: true });
      // Response claims are read before and written after the counters: a replayed batch finds the
      // claims it wrote already and adds nothing twice (the counters it did add are guarded).
      const claims = await this.resolveResponses(b, write, session);
      const counters = counterOps(claims && claims.counters.length ? counterDelta([], [...(write.counters ?? []), ...claims.counters]) : (write.counters ?? []));
      if (counters.length) await ignoreDuplicateKeys(b.counters.bulkWrite(counters, { ordered: false, session }));
      if (claims && (claims.upserts.length || claims.deletes.length)) {
        const ops: AnyBulkWriteOperation<ResponseRow>[] = [
          ...claims.upserts.map((c) => ({ replaceOne: { filter: { _id: claimId(c) }, replacement: { _id: claimId(c), response: c.response, claimant: c.claimant, rows: c.rows }, upsert: true } })),
          ...claims.deletes.map((c) => ({ deleteOne: { filter: { _id: claimId(c) } } })),
        ];
        await b.responses.bulkWrite(ops, { ordered: true, session });
      }
      if (spanOps.length) await b.spans.bulkWrite(spanOps, { ordered: false, session });
      if (traceOps.length) await b.traces.bulkWrite(traceOps, { ordered: false, session });
      for (const s of write.sessions ?? []) await this.recomputeSession(b, s.projectId, s.sessionId, session);
      // Last: the checkpoint only moves once every document of the batch is stored.
      // Zero-padded: checkpoints sort as text like the positions they are (any store's, ESDB's included).
      await this.checkpoints.updateOne({ _id: write.projection }, { $set: { position: pos }, $unset: { pending: '' } }, { upsert: true, session });
    };
    if (!this.transactional) return apply();
    const session = this.client.startSession();
    try {
      await session.withTransaction(() => apply(session));
    } finally {
      await session.endSession();
    }
  }

  /** The usage change of the batch's response claims, from the stored claims of those responses. */
  private async resolveResponses(b: BuildCollections, write: TraceCommit, session?: ClientSession) {
    if (!write.responses?.length) return null;
    const responses = [...new Set(write.responses.map((r) => r.response))];
    const stored: ResponseClaim[] = (await b.responses.find({ response: { $in: responses } }, { session }).toArray()).map((r) => ({ response: r.response, claimant: r.claimant, rows: r.rows }));
    return resolveResponseUsage(stored, write.responses);
  }

  private async recomputeSession(b: BuildCollections, projectId: string, sessionId: string, session?: ClientSession) {
    const _id = JSON.stringify([projectId, sessionId]);
    const traces = (await b.traces.find({ projectId, conversationId: sessionId }, { projection: { doc: 1 }, session }).toArray()).map((r) => JSON.parse(r.doc) as TraceSummary);
    if (traces.length === 0) return void (await b.sessions.deleteOne({ _id }, { session }));
    const summary = summarizeSession(traces);
    await b.sessions.replaceOne({ _id }, { projectId, sessionId, lastKey: summary.lastKey, doc: JSON.stringify(summary) }, { upsert: true, session });
  }

  async listTraces(projectId: string, q: TraceQuery): Promise<Page<TraceSummary>> {
    const b = await this.current();
    const and: Filter<TraceRow>[] = [{ projectId }];
    if (q.status) and.push({ status: q.status });
    if (q.provider) and.push({ providers: q.provider });
    if (q.model) and.push({ models: q.model });
    if (q.from || q.to) {
      const range: { $gte?: string; $lt?: string } = {};
      if (q.from) range.$gte = pad(q.from);
      if (q.to) range.$lt = pad(q.to);
      and.push({ startKey: range });
    }
    if (q.cursor) {
      const c = decodeCursor(q.cursor);
      and.push({ $or: [{ startKey: { $lt: c.startKey } }, { startKey: c.startKey, traceId: { $lt: c.traceId } }] });
    }
    // "Some span of the trace has this service" and "some span matches q" (not necessarily the same span, like the
    // SQLite twin's two EXISTS): each resolves to trace ids on the span side, then intersects.
    let traceIds: Set<string> | null = null;
    if (q.service) traceIds = await this.matchingTraceIds(b, { projectId, service: q.service }, traceIds);
    if (q.q && (traceIds === null || traceIds.size > 0)) {
      traceIds = await this.matchingTraceIds(b, { projectId, text: { $regex: escapeRegex(q.q.toLowerCase()) } }, traceIds);
    }
    if (traceIds !== null) {
      if (traceIds.size === 0) return { items: [], nextCursor: null };
      and.push({ traceId: { $in: [...traceIds] } });
    }
    const rows = await b.traces
      .find(and.length === 1 ? and[0]! : { $and: and }, { projection: { doc: 1 } })
      .sort({ startKey: -1, traceId: -1 })
      .limit(q.limit + 1)
      .toArray();
    const items = rows.slice(0, q.limit).map((r) => JSON.parse(r.doc) as TraceSummary);
    return { items, nextCursor: rows.length > q.limit ? encodeCursor(items[items.length - 1]!) : null };
  }

  /**
   * The distinct trace ids of the spans matching a filter (within `within` when given). "Some span of the trace
   * matches" has no join-free form on the trace document, so the span side is resolved first.
   */
  private async matchingTraceIds(b: BuildCollections, filter: Filter<SpanRow>, within: Set<string> | null): Promise<Set<string>> {
    const ids = new Set<string>();
    const f: Filter<SpanRow> = within ? { ...filter, traceId: { $in: [...within] } } : filter;
    for await (const row of b.spans.find(f, { projection: { _id: 0, traceId: 1 } })) ids.add(row.traceId);
    return ids;
  }

  async listServiceNames(projectId: string): Promise<string[]> {
    const names = (await (await this.current()).spans.distinct('service', { projectId })) as (string | null)[];
    return names
      .filter((n): n is string => typeof n === 'string')
      .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
      .slice(0, 500);
  }

  async getTrace(projectId: string, traceId: string): Promise<{ trace: TraceSummary; spans: SpanDocument[] } | null> {
    const b = await this.current();
    const row = await b.traces.findOne({ _id: traceKey(projectId, traceId) }, { projection: { doc: 1 } });
    if (!row) return null;
    const spans = (await b.spans.find({ projectId, traceId }, { projection: { doc: 1 } }).toArray()).map((r) => JSON.parse(r.doc) as SpanDocument);
    spans.sort(compareSpans);
    return { trace: JSON.parse(row.doc), spans };
  }

  async counterRows(range: { from: string; to: string }): Promise<CounterRow[]> {
    const b = await this.current();
    const rows = await b.counters.find({ _id: { $gte: range.from, $lt: range.to } }).sort({ _id: 1 }).toArray();
    // A row whose counters all went back to zero stays (its guard position matters), unlisted.
    return rows
      .map((r) => ({ id: r._id, dims: r.dims, values: Object.fromEntries(Object.entries(r.vals ?? {}).filter(([, v]) => v !== 0)) }))
      .filter((r) => Object.keys(r.values).length > 0);
  }

  async listSessions(projectId: string, q: PageQuery): Promise<Page<SessionSummary>> {
    const b = await this.current();
    const filter: Filter<SessionRow> = { projectId };
    if (q.cursor) {
      const c = decodeKeyCursor(q.cursor);
      filter.$or = [{ lastKey: { $lt: c.key } }, { lastKey: c.key, sessionId: { $lt: c.id } }];
    }
    const rows = await b.sessions.find(filter, { projection: { doc: 1 } }).sort({ lastKey: -1, sessionId: -1 }).limit(q.limit + 1).toArray();
    const items = rows.slice(0, q.limit).map((r) => JSON.parse(r.doc) as SessionSummary);
    const last = items[items.length - 1];
    return { items, nextCursor: rows.length > q.limit && last ? encodeKeyCursor(last.lastKey, last.sessionId) : null };
  }

  async getSession(projectId: string, sessionId: string): Promise<SessionSummary | null> {
    const row = await (await this.current()).sessions.findOne({ _id: JSON.stringify([projectId, sessionId]) });
    return row ? (JSON.parse(row.doc) as SessionSummary) : null;
  }

  async listSessionTraces(projectId: string, sessionId: string, q: PageQuery): Promise<Page<TraceSummary>> {
    const b = await this.current();
    const filter: Filter<TraceRow> = { projectId, conversationId: sessionId };
    if (q.cursor) {
      const c = decodeKeyCursor(q.cursor);
      filter.$or = [{ startKey: { $gt: c.key } }, { startKey: c.key, traceId: { $gt: c.id } }];
    }
    const rows = await b.traces.find(filter, { projection: { doc: 1 } }).sort({ startKey: 1, traceId: 1 }).limit(q.limit + 1).toArray();
    const items = rows.slice(0, q.limit).map((r) => JSON.parse(r.doc) as TraceSummary);
    const last = items[items.length - 1];
    return { items, nextCursor: rows.length > q.limit && last ? encodeKeyCursor(last.startKey, last.traceId) : null };
  }

  /** Drops every collection of this store's prefix (a test's cleanup). */
  async drop(): Promise<void> {
    for (const c of await this.db.listCollections({}, { nameOnly: true }).toArray()) {
      if (c.name.startsWith(this.prefix)) await dropIfExists(this.db.collection(c.name));
    }
  }

  /** The database, for operations tooling. */
  get database(): Db {
    return this.db;
  }

  async close(): Promise<void> {
    if (this.ownsClient) await this.client.close();
  }
}

async function dropIfExists(c: Collection<never> | Collection<any>): Promise<void> {
  await c.drop().catch((err: { codeName?: string; code?: number }) => {
    if (err.codeName !== 'NamespaceNotFound' && err.code !== 26) throw err;
  });
}

/** A guarded upsert that matched no row because the row already took this batch fails on its _id: that is the skip. */
async function ignoreDuplicateKeys(write: Promise<unknown>): Promise<void> {
  try {
    await write;
  } catch (err) {
    const e = err as { code?: number; writeErrors?: { code?: number }[] | { code?: number } };
    const errors = Array.isArray(e.writeErrors) ? e.writeErrors : e.writeErrors ? [e.writeErrors] : [e];
    if (errors.length === 0 || errors.some((w) => w.code !== 11000)) throw err;
  }
}

/**
 * One createIndexes call per index: FerretDB 1.24 drops the connection when a single call names
 * several indexes that already exist on a non-empty collection (every restart of a projector).
 */
async function createIndexesOneByOne<T extends Document>(collection: Collection<T>, indexes: IndexDescription[]): Promise<void> {
  for (const index of indexes) await collection.createIndexes([index]);
}
