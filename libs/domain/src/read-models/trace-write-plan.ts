import type { SpanDocument } from '../span-document';
import { traceKey } from '../trace-projection';
import type { TraceSummary } from '../trace-summary';
import { counterDelta, sumCounters, type CounterRow } from './read-model-counters';
import { resolveResponseUsage, type ResponseClaim, type ResponseUsage } from './response-usage';
import { summarizeSession, type SessionSummary } from './session-summary';
import { traceSearchFields, traceServiceCounters, type TraceSearchFields } from './trace-search';

export interface TraceRef {
  projectId: string;
  traceId: string;
}

export interface SessionRef {
  projectId: string;
  sessionId: string;
}

/** Stored state a batch reads before planning its writes; every part optional. */
export interface TraceStateRequest {
  /** Every stored span of these traces. */
  traces?: TraceRef[];
  /** Counter rows whose id is in [from, to) (the series state of GenAI metrics). */
  counterRanges?: { from: string; to: string }[];
  /** Counter rows by id (their values before the batch). */
  counterIds?: string[];
  /** Every stored claim of these API responses. */
  responses?: string[];
  /** Every stored trace summary of these sessions. */
  sessions?: SessionRef[];
}

/**
 * What a store answers. `mode: 'bulk'`: a build being bulk-loaded, whose partitions write at once; it
 * answers spans and counter ranges only (a partition's own traces and series), and takes counters as
 * increments, claims as a log and sessions at the load's end (see planTraceWrites).
 */
export interface TraceStoredState {
  mode: 'incremental' | 'bulk';
  /**
   * The store filters traces by per-trace search fields (then plans carry them: TraceWritePlan.search) and
   * lists a project's services from counter rows (traceServiceCounters).
   */
  traceSearch: boolean;
  spans: SpanDocument[];
  /** Rows found (by id or range); a requested id with no row is absent. */
  counters: CounterRow[];
  claims: ResponseClaim[];
  sessionTraces: TraceSummary[];
}

/** A counter row's write: its values after the batch (absolute, zeros left out), and the increment. */
export interface CounterWrite {
  id: string;
  dims: Record<string, string | null>;
  /** Null in bulk mode: the store adds `delta` (partitions share rows, so no value read before is current). */
  values: Record<string, number> | null;
  delta: Record<string, number>;
}

/**
 * Everything one batch writes, computed in pure code: stores carry it out, in one transaction or as an
 * idempotent redo (every write sets a whole document or value, so applying a plan twice equals once).
 */
export interface TraceWritePlan {
  /** The checkpoint that moves to `position` with the writes. */
  projection: string;
  position: bigint;
  spans: SpanDocument[];
  traces: TraceSummary[];
  /** Per written trace, from its whole span set: what the service and word filters match. */
  search: TraceSearchFields[];
  counters: CounterWrite[];
  /** Response claims to store (replacing the same response and claimant) and to delete. */
  claims: { put: ResponseClaim[]; remove: { response: string; claimant: string }[] };
  /** Bulk mode: the batch's claim changes, appended; the load's end settles them (settleBulkClaims). */
  claimLog: ResponseUsage[];
  /** Session summaries recomputed from their traces after the batch; a session with no trace left goes. */
  sessions: { put: SessionSummary[]; remove: SessionRef[] };
  /** Traces removed by retention: their spans, summary and search fields are deleted (absent: none). */
  removed?: TraceRef[];
}

/** What a batch changed, as the projector computed it from the stored spans of its traces. */
export interface TraceBatchChanges {
  projection: string;
  position: bigint;
  spans: SpanDocument[];
  traces: TraceSummary[];
  /** The stored spans of the batch's traces before it (what the store loaded). */
  spansBefore: SpanDocument[];
  /** The whole span set of each changed trace after the batch (stored spans merged with the batch's: mergeSpans). */
  spansAfter: SpanDocument[];
  /** Counter increments (trace read models, GenAI metrics, extensions). */
  counters: CounterRow[];
  /** Claim changes (traceReadModelDelta().responses). */
  responses: ResponseUsage[];
  /** Sessions whose traces changed (traceReadModelDelta().sessions). */
  sessions: SessionRef[];
  /** Traces removed by retention (incremental mode only: a bulk load never reads their deleted events). */
  removed?: TraceRef[];
}

const sessionKey = (projectId: string, sessionId: string) => JSON.stringify([projectId, sessionId]);

/**
 * The write plan of a batch. Reads what it needs through `load` (stored counters, claims, session
 * traces; a second read when a response's counted claim moves usage into rows not read yet), then
 * computes counters' new values, resolves response claims and recomputes sessions.
 */
export async function planTraceWrites(changes: TraceBatchChanges, load: (request: TraceStateRequest) => Promise<TraceStoredState>): Promise<TraceWritePlan> {
  const responses = [...new Set(changes.responses.map((r) => r.response))];
  const knownIds = new Set([...changes.counters, ...changes.responses.flatMap((r) => [...(r.rows ?? []), ...(r.previous ?? [])])].map((r) => r.id));
  const state = await load({ counterIds: [...knownIds], responses, sessions: changes.sessions });
  const search = state.traceSearch ? traceSearchFields(changes.spansAfter, changes.traces) : [];
  const base = { projection: changes.projection, position: changes.position, spans: changes.spans, traces: changes.traces, search };

  if (state.mode === 'bulk') {
    // Each claim counts its own change; settleBulkClaims takes duplicates out at the load's end.
    const claimed = counterDelta(
      changes.responses.flatMap((c) => c.previous ?? []),
      changes.responses.flatMap((c) => c.rows ?? []),
    );
    // Without claims the increments are summed already (traceReadModelDelta, genaiMetricCounters): no second pass.
    const delta = claimed.length ? counterDelta([], [...changes.counters, ...claimed]) : changes.counters;
    return { ...base, counters: delta.map((r) => ({ id: r.id, dims: r.dims, values: null, delta: r.values })), claims: { put: [], remove: [] }, claimLog: changes.responses, sessions: { put: [], remove: [] } };
  }

  const resolved = resolveResponseUsage(state.claims, changes.responses);
  const services = state.traceSearch ? counterDelta(traceServiceCounters(changes.spansBefore), traceServiceCounters(changes.spansAfter)) : [];
  const delta = counterDelta([], [...changes.counters, ...resolved.counters, ...services]);
  const stored = sumCounters(state.counters);
  const unread = delta.map((r) => r.id).filter((id) => !knownIds.has(id));
  if (unread.length) for (const row of (await load({ counterIds: unread })).counters) stored.set(row.id, row);
  const counters: CounterWrite[] = delta.map((row) => {
    const values: Record<string, number> = { ...(stored.get(row.id)?.values ?? {}) };
    for (const [k, v] of Object.entries(row.values)) {
      const n = (values[k] ?? 0) + v;
      if (n === 0) delete values[k];
      else values[k] = n;
    }
    return { id: row.id, dims: row.dims, values, delta: row.values };
  });
  return {
    ...base,
    counters,
    claims: { put: resolved.upserts, remove: resolved.deletes.map(({ response, claimant }) => ({ response, claimant })) },
    claimLog: [],
    sessions: recomputeSessions(changes.sessions, state.sessionTraces, changes.traces, changes.removed),
    ...(changes.removed?.length ? { removed: changes.removed } : {}),
  };
}

/** Each session's summary from its stored traces, with the batch's versions of them (a trace can leave a session). */
export function recomputeSessions(sessions: readonly SessionRef[], stored: readonly TraceSummary[], batch: readonly TraceSummary[], removed: readonly TraceRef[] = []): TraceWritePlan['sessions'] {
  const changed = new Set([...batch, ...removed].map((t) => traceKey(t.projectId, t.traceId)));
  const bySession = new Map<string, Map<string, TraceSummary>>();
  const add = (t: TraceSummary) => {
    if (!t.conversationId) return;
    const k = sessionKey(t.projectId, t.conversationId);
    let traces = bySession.get(k);
    if (!traces) bySession.set(k, (traces = new Map()));
    traces.set(traceKey(t.projectId, t.traceId), t);
  };
  for (const t of stored) if (!changed.has(traceKey(t.projectId, t.traceId))) add(t);
  for (const t of batch) add(t);
  const put: SessionSummary[] = [];
  const remove: SessionRef[] = [];
  const seen = new Set<string>();
  for (const s of sessions) {
    const k = sessionKey(s.projectId, s.sessionId);
    if (seen.has(k)) continue;
    seen.add(k);
    const traces = bySession.get(k);
    if (traces?.size) put.push(summarizeSession([...traces.values()]));
    else remove.push({ projectId: s.projectId, sessionId: s.sessionId });
  }
  return { put, remove };
}

/**
 * The end of a bulk load, for one response: its appended claims in commit order (rows null: withdrawn).
 * Keeps each claimant's last version, drops withdrawn ones, and returns the usage to take out: the load
 * counted every live claim, of which only the first in claimant order counts.
 */
export function settleBulkClaims(claims: readonly { claimant: string; rows: CounterRow[] | null }[]): { obsolete: number[]; correction: CounterRow[] } {
  const obsolete: number[] = [];
  const last = new Map<string, number>();
  claims.forEach((c, i) => {
    const previous = last.get(c.claimant);
    if (previous !== undefined) obsolete.push(previous);
    last.set(c.claimant, i);
  });
  const live: { claimant: string; rows: CounterRow[] }[] = [];
  for (const i of last.values()) {
    const c = claims[i]!;
    if (c.rows === null) obsolete.push(i);
    else live.push({ claimant: c.claimant, rows: c.rows });
  }
  live.sort((a, b) => (a.claimant < b.claimant ? -1 : a.claimant > b.claimant ? 1 : 0));
  return { obsolete: obsolete.sort((a, b) => a - b), correction: counterDelta(live.slice(1).flatMap((c) => c.rows), []) };
}
