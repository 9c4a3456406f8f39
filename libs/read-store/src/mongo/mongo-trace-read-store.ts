import { MongoClient, type AnyBulkWriteOperation, type MongoClientOptions, type Collection, type Db, type Document, type Filter, type IndexDescription } from 'mongodb';
import { searchTerms, TRACE_PROJECTION, traceServicesRowIdPrefix, type CounterRow, type ResponseClaim, type SessionSummary, type SpanDocument, type TraceSearchFields, type TraceStateRequest, type TraceStoredState, type TraceSummary, type TraceWritePlan } from '@temps/domain';
import {
  buildNamespace,
  compareSpans,
  decodeCursor,
  decodeKeyCursor,
  encodeCursor,
  encodeKeyCursor,
  padIsoTime as pad,
  type Page,
  type PageQuery,
  type ProjectionBuild,
  type ProjectionCatalogEntry,
  type TraceQuery,
  type TraceReadStore,
  LeaseLostError,
  type ProjectionLease,
  type WriteFence,
} from '../trace-read-store';

/**
 * Documents are kept as JSON text in `doc` (they read back exactly: attribute keys with dots or `$`, -0, key order),
 * beside the plain fields the queries filter and sort on.
 */
interface SpanRow {
  _id: string;
  projectId: string;
  traceId: string;
  spanId: string;
  doc: string;
}

export interface TraceRow {
  _id: string;
  projectId: string;
  traceId: string;
  startKey: string;
  status: string;
  providers: string[];
  models: string[];
  conversationId: string | null;
  /** Every span's resource `service.name` (the service filter, and the service list). */
  services: string[];
  /** The words of every span's searchable text (the `q` filter: see listTraces). */
  terms: string[];
  doc: string;
}

interface LeaseRow {
  /** "<name>@<epoch>" */
  _id: string;
  name: string;
  holder: string;
  epoch: number;
  expiresAt: number;
}

interface CheckpointRow {
  _id: string;
  position?: string;
}

/** A counter row: its values, and the position of the batch that last set them. */
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

/**
 * The plan being carried out (see commit): `plan` names it once every chunk of it is stored; chunks
 * `c<i>` hold its JSON in pieces (a document holds at most 16 MB).
 */
interface JournalRow {
  _id: string;
  projection?: string;
  position?: string;
  chunks?: number;
  data?: string;
}

interface BuildCollections {
  namespace: string;
  spans: Collection<SpanRow>;
  traces: Collection<TraceRow>;
  counters: Collection<CounterDoc>;
  sessions: Collection<SessionRow>;
  responses: Collection<ResponseRow>;
  journal: Collection<JournalRow>;
  ready: Promise<void>;
}

const padPosition = (p: bigint) => p.toString().padStart(20, '0');
const BUILD_COLLECTIONS = ['spans', 'traces', 'counters', 'sessions', 'responses', 'journal'] as const;
/** Characters of plan JSON per journal chunk: at most 3 bytes each in UTF-8, well under the 16 MB document limit. */
const CHUNK_CHARS = 4_000_000;

/** The steps of a commit, in order (failpoint names): the plan is recorded, carried out, then forgotten. */
export const MONGO_COMMIT_STEPS = ['journal', 'spans', 'traces', 'claims', 'counters', 'sessions', 'checkpoint', 'forget'] as const;
export type MongoCommitStep = (typeof MONGO_COMMIT_STEPS)[number];

export interface MongoTraceReadStoreOptions {
  /** Database name; default `temps`. */
  database?: string;
  /** Prepended to every collection name (tests isolate with it). */
  collectionPrefix?: string;
  /** The build this instance reads and writes (a projector's); absent: the active build of the catalog, looked up per query. */
  namespace?: string;
  /** Driver options (e.g. monitorCommands, for tests that count what a query reads). */
  clientOptions?: MongoClientOptions;
  /** Tests: called before each step of a commit; a throw there is a crash at that step (see MONGO_COMMIT_STEPS). */
  failpoint?: (step: MongoCommitStep) => void | Promise<void>;
}

/** A trace's document in `<namespace>__traces`: the summary as JSON, with the fields its list filters and sorts on. */
export function mongoTraceRow(t: TraceSummary, search: TraceSearchFields | undefined): TraceRow {
  return {
    _id: traceKey(t.projectId, t.traceId),
    projectId: t.projectId,
    traceId: t.traceId,
    startKey: t.startKey,
    status: t.status,
    providers: t.providers,
    models: t.models,
    conversationId: t.conversationId,
    services: search?.services ?? [],
    terms: search?.terms ?? [],
    doc: JSON.stringify(t),
  };
}

const claimId = (c: { response: string; claimant: string }) => JSON.stringify([c.response, c.claimant]);
const spanKey = (projectId: string, traceId: string, spanId: string) => JSON.stringify([projectId, traceId, spanId]);
const traceKey = (projectId: string, traceId: string) => JSON.stringify([projectId, traceId]);
const sessionKey = (projectId: string, sessionId: string) => JSON.stringify([projectId, sessionId]);

/**
 * MongoDB read model. Each build of the projection has its own collections (`<namespace>__spans`,
 * `__traces`, `__counters`, `__sessions`, `__responses`, `__journal`); `checkpoints` and
 * `projection_catalog` are shared.
 *
 * One write path, with or without transactions on the server (FerretDB v1 has none): a commit first
 * records the whole plan in the build's journal (chunks, then the marker that names them, one atomic
 * document write), then carries it out, moves the checkpoint and forgets the plan. Every write of a plan
 * sets a whole document or counter value (the plan holds counters' values after the batch, not
 * increments), so carrying a plan out twice equals once. The next load or commit of the build (a
 * restart, or the runner's retry) first finishes a plan it finds recorded; only then is new state read,
 * so a replay with any batch boundaries starts from the state of a whole number of batches and counts
 * nothing twice. Cost: a plan's bytes are written twice.
 */
export class MongoTraceReadStore implements TraceReadStore {
  private readonly builds = new Map<string, BuildCollections>();

  private constructor(
    private readonly client: MongoClient,
    private readonly db: Db,
    private readonly prefix: string,
    private readonly checkpoints: Collection<CheckpointRow>,
    private readonly catalog: Collection<CatalogRow>,
    private readonly fixedNamespace: string | undefined,
    private readonly failpoint: MongoTraceReadStoreOptions['failpoint'],
    /** False for a view made by forNamespace: closing it leaves the client to its owner. */
    private readonly ownsClient = true,
    /** The lease this client's writes are fenced by: shared with its views (forNamespace). */
    private readonly fence: { current: WriteFence | null } = { current: null },
  ) {
    this.leases = db.collection<LeaseRow>(`${prefix}projection_leases`);
  }

  private readonly leases: Collection<LeaseRow>;
  /** The index the current lease is found by (the highest epoch of a name), made at the first acquisition. */
  private leaseIndexMade: Promise<unknown> | null = null;
  private get leaseIndex(): Promise<unknown> {
    return (this.leaseIndexMade ??= createIndexesOneByOne(this.leases, [{ key: { name: 1, epoch: -1 }, name: 'by_epoch' }]).catch((err: unknown) => {
      this.leaseIndexMade = null;
      throw err;
    }));
  }

  /** The same database, working on one build (a projector's): shares this client, which stays this instance's to close. */
  async forNamespace(namespace: string): Promise<MongoTraceReadStore> {
    const view = new MongoTraceReadStore(this.client, this.db, this.prefix, this.checkpoints, this.catalog, namespace, this.failpoint, false, this.fence);
    await view.build(namespace).ready;
    return view;
  }

  static async open(url: string, options: MongoTraceReadStoreOptions = {}): Promise<MongoTraceReadStore> {
    const client = new MongoClient(url, options.clientOptions);
    try {
      await client.connect();
      const db = client.db(options.database ?? 'temps');
      const prefix = options.collectionPrefix ?? '';
      const store = new MongoTraceReadStore(
        client,
        db,
        prefix,
        db.collection<CheckpointRow>(`${prefix}checkpoints`),
        db.collection<CatalogRow>(`${prefix}projection_catalog`),
        options.namespace,
        options.failpoint,
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
    const journal = this.db.collection<JournalRow>(name('journal'));
    // One index per query shape the API makes, each ending in the list's sort order, so that a filtered page
    // reads its page of index keys and documents (the filter's equality, then startKey, traceId).
    const ready = (async () => {
      await createIndexesOneByOne(traces, [
        { key: { projectId: 1, startKey: -1, traceId: -1 }, name: 'by_start' },
        { key: { projectId: 1, status: 1, startKey: -1, traceId: -1 }, name: 'by_status' },
        { key: { projectId: 1, providers: 1, startKey: -1, traceId: -1 }, name: 'by_provider' },
        { key: { projectId: 1, models: 1, startKey: -1, traceId: -1 }, name: 'by_model' },
        { key: { projectId: 1, services: 1, startKey: -1, traceId: -1 }, name: 'by_service' },
        { key: { projectId: 1, terms: 1, startKey: -1, traceId: -1 }, name: 'by_term' },
        { key: { projectId: 1, conversationId: 1, startKey: 1, traceId: 1 }, name: 'by_conversation' },
      ]);
      await createIndexesOneByOne(spans, [{ key: { projectId: 1, traceId: 1 }, name: 'by_trace' }]);
      await createIndexesOneByOne(sessions, [{ key: { projectId: 1, lastKey: -1, sessionId: -1 }, name: 'by_last' }]);
      await createIndexesOneByOne(responses, [{ key: { response: 1, claimant: 1 }, name: 'by_response' }]);
    })();
    ready.catch(() => this.builds.delete(namespace)); // retried by the next use
    b = { namespace, spans, traces, counters, sessions, responses, journal, ready };
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

  // ---- leases -------------------------------------------------------------------------------

  /**
   * One document per epoch (`_id` "<name>@<epoch>"): taking the lease over is inserting the next epoch's
   * document, which exactly one of several racing projectors can do (a unique key). An update with a filter
   * is no compare-and-set on FerretDB v1 (two racing updates may both match), an insert is. The current
   * lease is the highest epoch; renewing and releasing touch only the holder's own epoch document.
   */
  private async latestLease(name: string): Promise<LeaseRow | null> {
    return (await this.leases.find({ name }).sort({ epoch: -1 }).limit(1).toArray())[0] ?? null;
  }

  async acquireLease(name: string, holder: string, ttlMs: number, options: { now?: number; replacing?: { holder: string; epoch: number } } = {}): Promise<ProjectionLease | null> {
    const now = options.now ?? Date.now();
    await this.leaseIndex;
    const lease = await this.latestLease(name);
    if (lease && lease.holder === holder) {
      await this.leases.updateOne({ _id: lease._id, holder }, { $set: { expiresAt: now + ttlMs } });
      // taken over meanwhile: a newer epoch exists
      if ((await this.latestLease(name))?.epoch !== lease.epoch) return null;
      return { name, holder, epoch: lease.epoch, expiresAt: now + ttlMs };
    }
    const replaced = options.replacing && lease && lease.holder === options.replacing.holder && lease.epoch === options.replacing.epoch;
    if (lease && lease.expiresAt > now && !replaced) return null;
    const epoch = (lease?.epoch ?? 0) + 1;
    try {
      await this.leases.insertOne({ _id: `${name}@${epoch}`, name, holder, epoch, expiresAt: now + ttlMs });
    } catch (err) {
      if ((err as { code?: number }).code === 11000) return null; // another projector took this epoch first
      throw err;
    }
    await this.leases.deleteMany({ name, epoch: { $lt: epoch - 1 } }); // keep the previous one: a paused holder's renewals find it
    return { name, holder, epoch, expiresAt: now + ttlMs };
  }

  async renewLease(name: string, holder: string, epoch: number, ttlMs: number, now = Date.now()): Promise<boolean> {
    const done = await this.leases.updateOne({ _id: `${name}@${epoch}`, holder }, { $set: { expiresAt: now + ttlMs } });
    return done.matchedCount === 1 && (await this.latestLease(name))?.epoch === epoch;
  }

  async releaseLease(name: string, holder: string, epoch: number): Promise<void> {
    await this.leases.updateOne({ _id: `${name}@${epoch}`, holder }, { $set: { expiresAt: 0 } });
  }

  async currentLease(name: string): Promise<ProjectionLease | null> {
    const row = await this.latestLease(name);
    return row ? { name, holder: row.holder, epoch: row.epoch, expiresAt: row.expiresAt } : null;
  }

  fenceWrites(fence: WriteFence | null): void {
    this.fence.current = fence;
  }

  /**
   * Without transactions (FerretDB v1; a MongoDB commit here is not one either) the check is a read of the
   * lease right before every write a projection makes (each journal write, each step of carrying a plan out,
   * the checkpoint, forgetting the plan, each catalog change): a holder paused past its lease stops at its
   * next write. What remains: a holder paused between a check's answer and the write right after it (no
   * await between them) lands that one write on waking; FerretDB v1 has no write that is conditional on
   * another document atomically (a filtered update reads, then writes), so this window cannot be closed here.
   */
  private async checkFence(): Promise<void> {
    const fence = this.fence.current;
    if (!fence) return;
    const lease = await this.currentLease(fence.name);
    if (!lease || lease.epoch !== fence.epoch) throw new LeaseLostError(fence, lease);
  }

  // ---- catalog ------------------------------------------------------------------------------

  async catalogEntry(name: string): Promise<ProjectionCatalogEntry> {
    const row = await this.catalog.findOne({ _id: name });
    return { name, active: row?.active ?? null, building: row?.building ?? null, rebuildRequestedAt: row?.rebuildRequestedAt ?? null };
  }

  async beginBuild(name: string, build: ProjectionBuild): Promise<void> {
    await this.checkFence();
    const building = { namespace: build.namespace, version: build.version, ...(build.variant ? { variant: build.variant } : {}), startedAt: new Date().toISOString() };
    await this.catalog.updateOne({ _id: name }, { $set: { building, rebuildRequestedAt: null } }, { upsert: true });
  }

  async activate(name: string, build: ProjectionBuild): Promise<void> {
    await this.checkFence();
    const active = { namespace: build.namespace, version: build.version, ...(build.variant ? { variant: build.variant } : {}) };
    // One document update: every reader sees the old build or the new one, never a mix.
    const done = await this.catalog.updateOne({ _id: name, 'building.namespace': build.namespace }, { $set: { active, building: null } });
    if (done.matchedCount === 0) await this.catalog.updateOne({ _id: name }, { $set: { active } }, { upsert: true });
  }

  async requestRebuild(name: string): Promise<void> {
    await this.catalog.updateOne({ _id: name }, { $set: { rebuildRequestedAt: new Date().toISOString() } }, { upsert: true });
  }

  async dropNamespace(namespace: string): Promise<void> {
    await this.checkFence();
    this.builds.delete(namespace);
    for (const c of BUILD_COLLECTIONS) await dropIfExists(this.db.collection(`${this.prefix}${namespace}__${c}`));
    await this.checkpoints.deleteOne({ _id: namespace });
  }

  // ---- projection side ------------------------------------------------------------------------

  async checkpoint(projection: string): Promise<bigint | null> {
    const row = await this.checkpoints.findOne({ _id: projection });
    return row?.position ? BigInt(row.position) : null;
  }

  /** The end of a recorded plan not carried out yet (a crash in a commit): the runner re-reads up to there, and the next load finishes it. */
  async pendingBatchEnd(projection: string): Promise<bigint | null> {
    const marker = await (await this.current()).journal.findOne({ _id: 'plan' });
    if (marker?.projection !== projection || !marker.position) return null;
    // A crash after the checkpoint moved (while forgetting the plan) leaves nothing to replay.
    const checkpoint = await this.checkpoint(projection);
    return checkpoint !== null && checkpoint >= BigInt(marker.position) ? null : BigInt(marker.position);
  }

  async load(request: TraceStateRequest): Promise<TraceStoredState> {
    const b = await this.current();
    // State is read only once a plan a crash interrupted is carried out: a replay starts from whole batches.
    await this.finishRecordedPlan(b);
    const state: TraceStoredState = { mode: 'incremental', traceSearch: true, spans: [], counters: [], claims: [], sessionTraces: [] };
    for (const [projectId, traceIds] of groupBy(request.traces ?? [], (t) => t.projectId, (t) => t.traceId)) {
      for await (const row of b.spans.find({ projectId, traceId: { $in: traceIds } }, { projection: { doc: 1 } })) state.spans.push(JSON.parse(row.doc));
    }
    const counters = new Map<string, CounterRow>();
    const keep = (r: CounterDoc) => {
      const values = Object.fromEntries(Object.entries(r.vals ?? {}).filter(([, v]) => v !== 0));
      if (Object.keys(values).length) counters.set(r._id, { id: r._id, dims: r.dims, values });
    };
    for (const range of request.counterRanges ?? []) for (const r of await b.counters.find({ _id: { $gte: range.from, $lt: range.to } }).toArray()) keep(r);
    const ids = [...new Set(request.counterIds ?? [])].filter((id) => !counters.has(id));
    if (ids.length) for (const r of await b.counters.find({ _id: { $in: ids } }).toArray()) keep(r);
    state.counters = [...counters.values()];
    const responses = [...new Set(request.responses ?? [])];
    if (responses.length) {
      for (const r of await b.responses.find({ response: { $in: responses } }).toArray()) state.claims.push({ response: r.response, claimant: r.claimant, rows: r.rows });
    }
    for (const [projectId, sessionIds] of groupBy(request.sessions ?? [], (s) => s.projectId, (s) => s.sessionId)) {
      for await (const row of b.traces.find({ projectId, conversationId: { $in: sessionIds } }, { projection: { doc: 1 } })) state.sessionTraces.push(JSON.parse(row.doc));
    }
    return state;
  }

  async commit(plan: TraceWritePlan): Promise<void> {
    const b = await this.current();
    // A plan is computed from state its load read after finishing any recorded plan; one found now was
    // recorded since (another writer of the build, or a commit that failed after its load): finish it, and
    // let the runner compute this batch again from the state that follows.
    if (await this.finishRecordedPlan(b)) throw new Error(`build ${b.namespace}: finished a commit recorded before this one; the batch must be computed again`);
    const write = this.fencedStep();
    const json = JSON.stringify({ ...plan, position: plan.position.toString() });
    const chunks: JournalRow[] = [];
    for (let i = 0; i * CHUNK_CHARS < json.length; i++) chunks.push({ _id: `c${i}`, data: json.slice(i * CHUNK_CHARS, (i + 1) * CHUNK_CHARS) });
    await write('journal', () => b.journal.deleteMany({}));
    await write(null, () => b.journal.insertMany(chunks));
    await write(null, () => b.journal.insertOne({ _id: 'plan', projection: plan.projection, position: plan.position.toString(), chunks: chunks.length }));
    await this.carryOut(b, plan, write);
  }

  /**
   * Runs each write of a commit after its failpoint (if it starts a step) and a fence check: a holder that
   * lost the lease while paused anywhere in a commit (at a failpoint, or awaiting an earlier write) writes
   * nothing more once it wakes (see checkFence).
   */
  private fencedStep(): (name: MongoCommitStep | null, write: (() => Promise<unknown>) | null) => Promise<void> {
    return async (name, write) => {
      if (name) await this.failpoint?.(name);
      if (!write) return; // nothing to write at this step: no check either
      await this.checkFence();
      await write();
    };
  }

  /** Carries out the plan recorded in the build's journal, if one is; true when there was one. */
  private async finishRecordedPlan(b: BuildCollections): Promise<boolean> {
    const marker = await b.journal.findOne({ _id: 'plan' });
    if (!marker) return false;
    const ids = Array.from({ length: marker.chunks ?? 0 }, (_, i) => `c${i}`);
    const byId = new Map((await b.journal.find({ _id: { $in: ids } }).toArray()).map((c) => [c._id, c.data ?? '']));
    if (ids.some((id) => !byId.has(id))) throw new Error(`build ${b.namespace}: the recorded plan at position ${marker.position} misses chunks`);
    const parsed = JSON.parse(ids.map((id) => byId.get(id)).join('')) as Omit<TraceWritePlan, 'position'> & { position: string };
    await this.carryOut(b, { ...parsed, position: BigInt(parsed.position) }, this.fencedStep());
    return true;
  }

  /** Every write sets a whole document or value: carrying a plan out again changes nothing. Each write is fenced (fencedStep). */
  private async carryOut(b: BuildCollections, plan: TraceWritePlan, write: ReturnType<MongoTraceReadStore['fencedStep']>): Promise<void> {
    const pos = padPosition(plan.position);
    await write('spans', !plan.spans.length ? null : () =>
      b.spans.bulkWrite(
        plan.spans.map((s) => {
          const row: SpanRow = { _id: spanKey(s.projectId, s.traceId, s.spanId), projectId: s.projectId, traceId: s.traceId, spanId: s.spanId, doc: JSON.stringify(s) };
          return { replaceOne: { filter: { _id: row._id }, replacement: row, upsert: true } };
        }),
        { ordered: false },
      ),
    );
    const search = new Map(plan.search.map((f) => [traceKey(f.projectId, f.traceId), f]));
    await write('traces', !plan.traces.length ? null : () =>
      b.traces.bulkWrite(
        plan.traces.map((t) => {
          const row = mongoTraceRow(t, search.get(traceKey(t.projectId, t.traceId)));
          return { replaceOne: { filter: { _id: row._id }, replacement: row, upsert: true } };
        }),
        { ordered: false },
      ),
    );
    // Retention: a removed trace's documents go (search fields live on the trace row). Deleting again changes nothing.
    for (const [projectId, traceIds] of groupBy(plan.removed ?? [], (t) => t.projectId, (t) => t.traceId)) {
      await write(null, () => b.spans.deleteMany({ projectId, traceId: { $in: traceIds } }));
      await write(null, () => b.traces.deleteMany({ _id: { $in: traceIds.map((traceId) => traceKey(projectId, traceId)) } }));
    }
    if (plan.claimLog.length) throw new Error('the MongoDB read store has no bulk loads: a plan with a claim log is not for it');
    const claimOps: AnyBulkWriteOperation<ResponseRow>[] = [
      ...plan.claims.remove.map((c) => ({ deleteOne: { filter: { _id: claimId(c) } } })),
      ...plan.claims.put.map((c: ResponseClaim) => ({ replaceOne: { filter: { _id: claimId(c) }, replacement: { _id: claimId(c), response: c.response, claimant: c.claimant, rows: c.rows }, upsert: true } })),
    ];
    await write('claims', claimOps.length ? () => b.responses.bulkWrite(claimOps, { ordered: true }) : null);
    await write('counters', !plan.counters.length ? null : () =>
      b.counters.bulkWrite(
        plan.counters.map((c) => {
          if (!c.values) throw new Error(`counter ${c.id}: the MongoDB read store sets values (a plan in bulk mode is not for it)`);
          return { updateOne: { filter: { _id: c.id }, update: { $set: { dims: c.dims, vals: c.values, pos } }, upsert: true } };
        }),
        { ordered: false },
      ),
    );
    const sessionOps: AnyBulkWriteOperation<SessionRow>[] = [
      ...plan.sessions.remove.map((s) => ({ deleteOne: { filter: { _id: sessionKey(s.projectId, s.sessionId) } } })),
      ...plan.sessions.put.map((s: SessionSummary) => {
        const _id = sessionKey(s.projectId, s.sessionId);
        return { replaceOne: { filter: { _id }, replacement: { _id, projectId: s.projectId, sessionId: s.sessionId, lastKey: s.lastKey, doc: JSON.stringify(s) }, upsert: true } };
      }),
    ];
    await write('sessions', sessionOps.length ? () => b.sessions.bulkWrite(sessionOps, { ordered: true }) : null);
    // Zero-padded: checkpoints sort as text like the positions they are (any store's, ESDB's included).
    await write('checkpoint', () => this.checkpoints.updateOne({ _id: plan.projection }, { $set: { position: pos } }, { upsert: true }));
    // Fenced too: the journal may hold the new holder's plan by now.
    await write('forget', () => b.journal.deleteOne({ _id: 'plan' }));
    await write(null, () => b.journal.deleteMany({}));
  }

  // ---- queries ------------------------------------------------------------------------------

  /**
   * Every filter is an equality on an indexed field followed by the sort's (startKey, traceId), so a page
   * reads its page of keys. `q` matches whole words here: each word of `q` (runs of letters, digits, marks
   * and emoji, lower-cased) must be a word of some span's searchable text; SQLite matches any substring.
   * So 'plan' finds 'Travel-Planner' on SQLite only, and a `q` without a word ('%') matches nothing here.
   */
  async listTraces(projectId: string, q: TraceQuery): Promise<Page<TraceSummary>> {
    const b = await this.current();
    const and: Filter<TraceRow>[] = [{ projectId }];
    if (q.status) and.push({ status: q.status });
    if (q.provider) and.push({ providers: q.provider });
    if (q.model) and.push({ models: q.model });
    if (q.service) and.push({ services: q.service });
    if (q.q) {
      const words = searchTerms(q.q);
      if (words.length === 0) return { items: [], nextCursor: null };
      and.push({ terms: words.length === 1 ? words[0]! : { $all: words } });
    }
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
    const rows = await this.traceListCursor(b, and, q.limit + 1).toArray();
    const items = rows.slice(0, q.limit).map((r) => JSON.parse(r.doc) as TraceSummary);
    return { items, nextCursor: rows.length > q.limit ? encodeCursor(items[items.length - 1]!) : null };
  }

  private traceListCursor(b: BuildCollections, and: Filter<TraceRow>[], limit: number) {
    return b.traces
      .find(and.length === 1 ? and[0]! : { $and: and }, { projection: { doc: 1 } })
      .sort({ startKey: -1, traceId: -1 })
      .limit(limit);
  }

  /** The query plan of a trace list page (operations tooling and tests: documents and keys examined). */
  async explainListTraces(projectId: string, q: Omit<TraceQuery, 'cursor'>): Promise<Document> {
    const b = await this.current();
    const and: Filter<TraceRow>[] = [{ projectId }];
    if (q.service) and.push({ services: q.service });
    if (q.q) and.push({ terms: { $all: searchTerms(q.q) } });
    if (q.status) and.push({ status: q.status });
    return this.traceListCursor(b, and, q.limit + 1).explain('executionStats');
  }

  /** From the per-service trace counts (traceServiceCounters): a range of _id, one row per service the project ever had. */
  async listServiceNames(projectId: string): Promise<string[]> {
    const prefix = traceServicesRowIdPrefix(projectId);
    const rows = await (await this.current()).counters.find({ _id: { $gte: prefix, $lt: `${prefix}\uffff` } }).sort({ _id: 1 }).toArray();
    return rows
      .filter((r) => (r.vals?.traces ?? 0) > 0)
      .map((r) => r._id.slice(prefix.length))
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
    // A row whose counters all went back to zero stays, unlisted.
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

  /** The client (its command events, for operations tooling and tests). */
  get mongoClient(): MongoClient {
    return this.client;
  }

  /** The database, for operations tooling. */
  get database(): Db {
    return this.db;
  }

  async close(): Promise<void> {
    if (this.ownsClient) await this.client.close();
  }
}


/** Values grouped by a key (the batch's traces or sessions per project). */
function groupBy<T>(items: readonly T[], key: (item: T) => string, value: (item: T) => string): Map<string, string[]> {
  const out = new Map<string, Set<string>>();
  for (const item of items) {
    const k = key(item);
    let set = out.get(k);
    if (!set) out.set(k, (set = new Set()));
    set.add(value(item));
  }
  return new Map([...out].map(([k, v]) => [k, [...v]]));
}

async function dropIfExists(c: Collection<never> | Collection<any>): Promise<void> {
  await c.drop().catch((err: { codeName?: string; code?: number }) => {
    if (err.codeName !== 'NamespaceNotFound' && err.code !== 26) throw err;
  });
}

/**
 * One createIndexes call per index: FerretDB 1.24 drops the connection when a single call names
 * several indexes that already exist on a non-empty collection (every restart of a projector).
 */
async function createIndexesOneByOne<T extends Document>(collection: Collection<T>, indexes: IndexDescription[]): Promise<void> {
  for (const index of indexes) await collection.createIndexes([index]);
}
