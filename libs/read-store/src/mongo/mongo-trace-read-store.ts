import { MongoClient, type AnyBulkWriteOperation, type ClientSession, type Collection, type Db, type Filter } from 'mongodb';
import type { SpanDocument, TraceSummary } from '@temps/domain';
import { compareSpans, decodeCursor, encodeCursor, padIsoTime as pad, spanSearchText, type Page, type TraceCommit, type TraceQuery, type TraceReadStore } from '../trace-read-store';

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
  doc: string;
}

interface CheckpointRow {
  _id: string;
  position: string;
}

export interface MongoTraceReadStoreOptions {
  /** Database name; default `temps`. */
  database?: string;
  /** Prepended to every collection name (tests isolate with it; blue/green can too). */
  collectionPrefix?: string;
}

const spanKey = (projectId: string, traceId: string, spanId: string) => JSON.stringify([projectId, traceId, spanId]);
const traceKey = (projectId: string, traceId: string) => JSON.stringify([projectId, traceId]);

/**
 * MongoDB read model: `traces_v1`, `spans_v1` and `checkpoints`. A commit is one bulkWrite per collection; on a
 * replica set (or mongos) it runs in a transaction with the checkpoint. Elsewhere (a standalone server, FerretDB)
 * the documents are written first and the checkpoint last: the writes are idempotent replacements by id, so a
 * crash between them only makes the projector re-apply that batch.
 */
export class MongoTraceReadStore implements TraceReadStore {
  private constructor(
    private readonly client: MongoClient,
    private readonly db: Db,
    private readonly spans: Collection<SpanRow>,
    private readonly traces: Collection<TraceRow>,
    private readonly checkpoints: Collection<CheckpointRow>,
    /** Whether the server runs multi-document transactions (replica set member or mongos). */
    readonly transactional: boolean,
  ) {}

  static async open(url: string, options: MongoTraceReadStoreOptions = {}): Promise<MongoTraceReadStore> {
    const client = new MongoClient(url);
    try {
      await client.connect();
      const db = client.db(options.database ?? 'temps');
      const prefix = options.collectionPrefix ?? '';
      const spans = db.collection<SpanRow>(`${prefix}spans_v1`);
      const traces = db.collection<TraceRow>(`${prefix}traces_v1`);
      const checkpoints = db.collection<CheckpointRow>(`${prefix}checkpoints`);
      const hello = await db.admin().command({ hello: 1 });
      const transactional = (typeof hello.setName === 'string' || hello.msg === 'isdbgrid') && hello.logicalSessionTimeoutMinutes != null;
      // One index per query shape the API makes; _id is the document's identity (project, trace[, span]).
      await traces.createIndexes([
        { key: { projectId: 1, startKey: -1, traceId: -1 }, name: 'by_start' },
        { key: { projectId: 1, status: 1, startKey: -1, traceId: -1 }, name: 'by_status' },
        { key: { projectId: 1, providers: 1, startKey: -1, traceId: -1 }, name: 'by_provider' },
        { key: { projectId: 1, models: 1, startKey: -1, traceId: -1 }, name: 'by_model' },
        { key: { projectId: 1, traceId: 1 }, name: 'by_trace' },
      ]);
      await spans.createIndexes([
        { key: { projectId: 1, traceId: 1 }, name: 'by_trace' },
        { key: { projectId: 1, service: 1, traceId: 1 }, name: 'by_service' },
      ]);
      return new MongoTraceReadStore(client, db, spans, traces, checkpoints, transactional);
    } catch (err) {
      await client.close();
      throw err;
    }
  }

  async checkpoint(projection: string): Promise<bigint | null> {
    const row = await this.checkpoints.findOne({ _id: projection });
    return row ? BigInt(row.position) : null;
  }

  async loadSpans(traces: { projectId: string; traceId: string }[]): Promise<SpanDocument[]> {
    if (traces.length === 0) return [];
    const byProject = new Map<string, string[]>();
    for (const t of traces) byProject.set(t.projectId, [...(byProject.get(t.projectId) ?? []), t.traceId]);
    const out: SpanDocument[] = [];
    for (const [projectId, traceIds] of byProject) {
      const rows = this.spans.find({ projectId, traceId: { $in: [...new Set(traceIds)] } }, { projection: { doc: 1 } });
      for await (const row of rows) out.push(JSON.parse(row.doc));
    }
    return out;
  }

  async commit(write: TraceCommit): Promise<void> {
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
        doc: JSON.stringify(t),
      };
      return { replaceOne: { filter: { _id }, replacement: row, upsert: true } };
    });
    const apply = async (session?: ClientSession) => {
      if (spanOps.length) await this.spans.bulkWrite(spanOps, { ordered: false, session });
      if (traceOps.length) await this.traces.bulkWrite(traceOps, { ordered: false, session });
      // Last: the checkpoint only moves once every document of the batch is stored.
      await this.checkpoints.updateOne({ _id: write.projection }, { $set: { position: write.position.toString() } }, { upsert: true, session });
    };
    if (!this.transactional) return apply();
    const session = this.client.startSession();
    try {
      await session.withTransaction(() => apply(session));
    } finally {
      await session.endSession();
    }
  }

  async listTraces(projectId: string, q: TraceQuery): Promise<Page<TraceSummary>> {
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
    if (q.service) traceIds = await this.matchingTraceIds({ projectId, service: q.service }, traceIds);
    if (q.q && (traceIds === null || traceIds.size > 0)) {
      traceIds = await this.matchingTraceIds({ projectId, text: { $regex: escapeRegex(q.q.toLowerCase()) } }, traceIds);
    }
    if (traceIds !== null) {
      if (traceIds.size === 0) return { items: [], nextCursor: null };
      and.push({ traceId: { $in: [...traceIds] } });
    }
    const rows = await this.traces
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
  private async matchingTraceIds(filter: Filter<SpanRow>, within: Set<string> | null): Promise<Set<string>> {
    const ids = new Set<string>();
    const f: Filter<SpanRow> = within ? { ...filter, traceId: { $in: [...within] } } : filter;
    for await (const row of this.spans.find(f, { projection: { _id: 0, traceId: 1 } })) ids.add(row.traceId);
    return ids;
  }

  async listServiceNames(projectId: string): Promise<string[]> {
    const names = (await this.spans.distinct('service', { projectId })) as (string | null)[];
    return names
      .filter((n): n is string => typeof n === 'string')
      .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
      .slice(0, 500);
  }

  async getTrace(projectId: string, traceId: string): Promise<{ trace: TraceSummary; spans: SpanDocument[] } | null> {
    const row = await this.traces.findOne({ _id: traceKey(projectId, traceId) }, { projection: { doc: 1 } });
    if (!row) return null;
    const spans = (await this.spans.find({ projectId, traceId }, { projection: { doc: 1 } }).toArray()).map((r) => JSON.parse(r.doc) as SpanDocument);
    spans.sort(compareSpans);
    return { trace: JSON.parse(row.doc), spans };
  }

  /** Drops this store's collections (a rebuild's truncate-on-start, or a test's cleanup). */
  async drop(): Promise<void> {
    for (const c of [this.spans, this.traces, this.checkpoints]) {
      await c.drop().catch((err: { codeName?: string; code?: number }) => {
        if (err.codeName !== 'NamespaceNotFound' && err.code !== 26) throw err;
      });
    }
  }

  /** The database, for operations tooling (e.g. a blue/green switch by renameCollection). */
  get database(): Db {
    return this.db;
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}
