import type { CounterRow, SessionSummary, SpanDocument, TraceStateRequest, TraceStatus, TraceStoredState, TraceSummary, TraceWritePlan } from '@temps/domain';

export { SEARCH_TEXT_LIMIT, spanSearchText } from '@temps/domain';

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
   * Free text, case-insensitive, over span names (and agent/tool names) and message text (system
   * instructions, input and output messages): a substring on SQLite (3+ characters through a trigram
   * index; 1-2 characters by a scan, newest trace first), whole words on MongoDB (see its listTraces:
   * every word of `q` must be a word of the trace).
   */
  q?: string;
  limit: number;
  cursor?: string;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface PageQuery {
  limit: number;
  cursor?: string;
}

/** Where a projection's documents live: its version, and the namespace (tables / collections) of that build. */
export interface ProjectionBuild {
  namespace: string;
  version: number;
  /** What else the build's code depends on (registered read model extensions); absent: nothing. */
  variant?: string;
}

/**
 * Which build of a projection serves queries, and which one is being built beside it (blue/green).
 * `rebuildRequestedAt`: `temps projections rebuild` asked for a fresh build of the current version.
 */
export interface ProjectionCatalogEntry {
  name: string;
  active: ProjectionBuild | null;
  building: (ProjectionBuild & { startedAt: string }) | null;
  rebuildRequestedAt: string | null;
}

/**
 * Where each projection (a build, or a partition of a bulk load) stands. `pendingBatchEnd`: a store that
 * commits without a transaction records a batch before writing it, and finishes it before the next
 * read (see TraceWriter); the runner then re-reads from the checkpoint up to that batch's end. Null when
 * nothing is pending (always, for a transactional store).
 */
export interface ProjectionCheckpoints {
  checkpoint(projection: string): Promise<bigint | null>;
  pendingBatchEnd(projection: string): Promise<bigint | null>;
}

/** The catalog of projection builds, kept by the read store beside the documents. */
export interface ProjectionCatalog extends ProjectionCheckpoints {
  catalogEntry(name: string): Promise<ProjectionCatalogEntry>;
  /** Records that `build` is being built beside the active one (clears a rebuild request). */
  beginBuild(name: string, build: ProjectionBuild): Promise<void>;
  /** Switches reads to `build` at once, for every reader, and forgets the build in progress. */
  activate(name: string, build: ProjectionBuild): Promise<void>;
  requestRebuild(name: string): Promise<void>;
  /** Deletes a build's documents and checkpoint (the old build after a switch, or an abandoned one). */
  dropNamespace(namespace: string): Promise<void>;
  /** A store on the same storage and connection that reads and writes one build (a projector's); its close() leaves the connection open. */
  forNamespace(namespace: string): Promise<TraceReadStore>;
}

/**
 * The projector's side of one build: read the stored state a batch needs, then carry out the write
 * plan computed from it in pure code (planTraceWrites). A store knows no read model: it stores
 * documents, sets counter values (adds increments in bulk mode), and moves the checkpoint with them,
 * all or nothing: in one transaction, or as a recorded plan that the next load or commit finishes
 * after a crash (every write of a plan sets a whole value, so finishing it twice equals once).
 */
export interface TraceWriter {
  load(request: TraceStateRequest): Promise<TraceStoredState>;
  commit(plan: TraceWritePlan): Promise<void>;
}

/**
 * Who may write a projection: one lease per projection name, kept by the read store (a row / document
 * with holder, epoch and expiry). A holder renews it while alive; another takes it over once it has
 * expired, and each takeover increments the epoch. Expiry is in milliseconds of the caller's clock
 * (projectors sharing a read store need clocks within a fraction of the lease's length of each other).
 */
export interface ProjectionLease {
  name: string;
  holder: string;
  /** Incremented by every change of holder: a write fenced with an older epoch is refused. */
  epoch: number;
  /** Milliseconds since 1970 (the holder's clock at its last renewal + the lease's length); 0 once released. */
  expiresAt: number;
}

/** The lease whose epoch a fenced connection's writes check. */
export interface WriteFence {
  name: string;
  epoch: number;
}

export interface ProjectionLeases {
  /**
   * Takes the lease for `holder` when nobody holds it, it has expired, it is `holder`'s already (renewed,
   * same epoch), or it is exactly `replacing` (a holder known to be dead, e.g. a crashed process of this
   * host). A change of holder increments the epoch. Null: another holder's, not expired.
   */
  acquireLease(name: string, holder: string, ttlMs: number, options?: { now?: number; replacing?: { holder: string; epoch: number } }): Promise<ProjectionLease | null>;
  /** Extends the lease while `holder` still holds it at `epoch` (expired but not taken over counts); false once lost. */
  renewLease(name: string, holder: string, epoch: number, ttlMs: number, now?: number): Promise<boolean>;
  /** Lets the lease go (it expires now, its epoch stays): a standby takes over without waiting. */
  releaseLease(name: string, holder: string, epoch: number): Promise<void>;
  currentLease(name: string): Promise<ProjectionLease | null>;
  /**
   * Fences every write of this connection and of its views (forNamespace): commits, catalog changes and
   * bulk loads check, in the same transaction (or guarded write) as they write, that the lease of
   * `fence.name` still has `fence.epoch`, and throw LeaseLostError otherwise. Null: unfenced.
   */
  fenceWrites(fence: WriteFence | null): void;
}

/** A fenced write found the lease taken over (a newer epoch): nothing was written. */
export class LeaseLostError extends Error {
  constructor(fence: WriteFence, current: ProjectionLease | null) {
    super(`projection ${fence.name}: the lease of epoch ${fence.epoch} was lost (now ${current ? `epoch ${current.epoch}, held by ${current.holder}` : 'no lease'}); nothing written`);
    this.name = 'LeaseLostError';
  }
}

/** The query side: what the API reads. */
export interface TraceQueries {
  listTraces(projectId: string, query: TraceQuery): Promise<Page<TraceSummary>>;
  /** The distinct service names seen in a project (for the service filter), sorted. */
  listServiceNames(projectId: string): Promise<string[]>;
  getTrace(projectId: string, traceId: string): Promise<{ trace: TraceSummary; spans: SpanDocument[] } | null>;
  /** Counter rows whose id is in [from, to) (ids sort by table, project, then the row's own key). */
  counterRows(range: { from: string; to: string }): Promise<CounterRow[]>;
  /** Sessions of a project, the most recently active first. */
  listSessions(projectId: string, query: PageQuery): Promise<Page<SessionSummary>>;
  getSession(projectId: string, sessionId: string): Promise<SessionSummary | null>;
  /** The traces of a session, oldest first. */
  listSessionTraces(projectId: string, sessionId: string, query: PageQuery): Promise<Page<TraceSummary>>;
}

export class InvalidCursorError extends Error {
  constructor() {
    super('invalid cursor: pass back the nextCursor of a previous page unchanged');
    this.name = 'InvalidCursorError';
  }
}

/**
 * A query that ran out of its time budget (TEMPS_QUERY_TIMEOUT_MS): answered 503 with this message.
 * Shaped as an "http-errors" error (statusCode, status, expose), which Nest's exception filter answers
 * with its status and message, wherever the query was called from.
 */
export class QueryTimeoutError extends Error {
  readonly statusCode = 503;
  readonly status = 503;
  readonly expose = true;
  constructor(budgetMs: number) {
    super(`query took longer than its time budget of ${budgetMs} ms and was stopped: narrow it (a time range, a longer search text) or try again`);
    this.name = 'QueryTimeoutError';
  }
}

/**
 * One adapter's whole surface: the catalog, the writer, the queries and (optionally) bulk loads. Each
 * consumer depends on the narrow port it uses; one conformance suite (test/conformance) runs against
 * every adapter.
 */
export interface TraceReadStore extends ProjectionCatalog, ProjectionLeases, TraceWriter, TraceQueries {
  /**
   * Optional (the embedded store): loading a fresh build in bulk. Between begin and finish, views of the
   * build (forNamespace) may be written by several processes or threads at once, one partition of the log
   * each (see readPartition), each with its own checkpoint; secondary indexes and sessions wait for the end.
   */
  bulkLoads?: BulkLoads;
  close(): Promise<void>;
}

/** A bulk load: the position it loads up to, in how many partitions (a resumed load keeps both). */
export interface BulkLoadPlan {
  target: bigint;
  partitions: number;
}

export interface BulkLoads {
  /** The bulk load of this build in progress, or null. */
  plan(namespace: string): Promise<BulkLoadPlan | null>;
  /** Starts a bulk load of a build that has no checkpoint yet: its tables are emptied, its indexes (those its writes do not need, or all) deferred. */
  begin(namespace: string, plan: BulkLoadPlan): Promise<void>;
  /** Makes the deferred indexes and every session, settles response claims, sets the build's checkpoint to the target, ends bulk mode: one transaction. */
  finish(namespace: string, readModels: BulkLoadReadModels): Promise<void>;
}

/** The read model code a bulk load's end runs (the store only carries it out): summarizeSession and settleBulkClaims from @temps/domain. */
export interface BulkLoadReadModels {
  summarizeSession(traces: TraceSummary[]): SessionSummary;
  settleBulkClaims(claims: { claimant: string; rows: CounterRow[] | null }[]): { obsolete: number[]; correction: CounterRow[] };
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

/** Cursor of a keyset page: the sort key and id of the last item, opaque to clients. */
export function encodeKeyCursor(key: string, id: string): string {
  return Buffer.from(JSON.stringify([key, id])).toString('base64url');
}

export function decodeKeyCursor(cursor: string): { key: string; id: string } {
  try {
    const [key, id, ...rest] = JSON.parse(Buffer.from(cursor, 'base64url').toString()) as unknown[];
    if (typeof key === 'string' && typeof id === 'string' && rest.length === 0) return { key, id };
  } catch {
    /* below */
  }
  throw new InvalidCursorError();
}

/** Namespace of a projection build: `traces_v2`, or `traces_v2_r<stamp>` for a forced rebuild of the same version. */
export function buildNamespace(name: string, version: number, rebuild?: string): string {
  return rebuild ? `${name}_v${version}_r${rebuild}` : `${name}_v${version}`;
}

export function decodeCursor(cursor: string): { startKey: string; traceId: string } {
  const [startKey, traceId, extra] = Buffer.from(cursor, 'base64url').toString().split('|');
  if (!startKey || !traceId || extra !== undefined || !/^\d{20}$/.test(startKey)) throw new InvalidCursorError();
  return { startKey, traceId };
}

/** Nest injection token for the TraceReadStore port. */
export const TRACE_READ_STORE = Symbol('TraceReadStore');

/** Nest injection token for the query port the API reads through (the embedded store: on query threads). */
export const TRACE_QUERIES = Symbol('TraceQueries');
