import type { SpanDocument } from '../span-document';
import { traceKey } from '../trace-projection';
import type { TraceSummary } from '../trace-summary';
import { mappingCounters } from './mapping-coverage';
import { usageContributions } from './model-usage';
import { counterDelta, ID_SEPARATOR as SEP, type CounterRow } from './read-model-counters';
import { extensionCounters, type ReadModelExtension } from './read-model-extension';
import type { ResponseUsage } from './response-usage';

export interface TraceReadModelDelta {
  /** Counter changes (model usage, mapping coverage) to add to the stored rows. */
  counters: CounterRow[];
  /** Sessions to recompute from their traces: the ids the changed traces had before and have now. */
  sessions: { projectId: string; sessionId: string }[];
  /** Usage of spans that name their API response, new or changed (null rows: withdrawn): see resolveResponseUsage. */
  responses: ResponseUsage[];
}

/** Spans of the given traces after a batch: the stored ones, replaced by the batch's new documents. */
export function mergeSpans(stored: readonly SpanDocument[], changed: readonly SpanDocument[]): SpanDocument[] {
  const byId = new Map<string, SpanDocument>();
  for (const s of [...stored, ...changed]) byId.set(`${traceKey(s.projectId, s.traceId)}/${s.spanId}`, s);
  return [...byId.values()];
}

function byTrace(spans: readonly SpanDocument[]): Map<string, SpanDocument[]> {
  const out = new Map<string, SpanDocument[]>();
  for (const s of spans) {
    const k = traceKey(s.projectId, s.traceId);
    const list = out.get(k);
    if (list) list.push(s);
    else out.set(k, [s]);
  }
  return out;
}

/**
 * What a batch changes in the read models derived from whole traces: for every changed trace, its
 * contribution with the spans it has now minus the contribution with the spans it had before (both
 * full span sets). Contributions are per trace because some depend on the whole tree (a wrapper span's
 * usage is not counted when a descendant carries it).
 */
export function traceReadModelDelta(
  before: readonly SpanDocument[],
  after: readonly SpanDocument[],
  changed: readonly TraceSummary[],
  extensions: readonly ReadModelExtension[] = [],
  /** Traces removed by retention (their spans are in `before`, none in `after`): their whole contribution goes. */
  removed: readonly { projectId: string; traceId: string }[] = [],
): TraceReadModelDelta {
  const changedKeys = new Set([...changed, ...removed].map((t) => traceKey(t.projectId, t.traceId)));
  const beforeByTrace = byTrace(before);
  const afterByTrace = byTrace(after);
  const oldRows: CounterRow[] = [];
  const newRows: CounterRow[] = [];
  const responses: ResponseUsage[] = [];
  const sessions = new Map<string, { projectId: string; sessionId: string }>();
  const session = (projectId: string, sessionId: string | null | undefined) => {
    if (sessionId) sessions.set(JSON.stringify([projectId, sessionId]), { projectId, sessionId });
  };
  for (const key of changedKeys) {
    const old = beforeByTrace.get(key) ?? [];
    const now = afterByTrace.get(key) ?? [];
    const oldUsage = usageContributions(old);
    const newUsage = usageContributions(now);
    oldRows.push(...oldUsage.shared, ...mappingCounters(old), ...extensionCounters(extensions, old));
    newRows.push(...newUsage.shared, ...mappingCounters(now), ...extensionCounters(extensions, now));
    responses.push(...responseChanges(oldUsage.responses, newUsage.responses));
    for (const s of old) session(s.projectId, s.conversationId);
  }
  for (const t of changed) session(t.projectId, t.conversationId);
  return { counters: counterDelta(oldRows, newRows), sessions: [...sessions.values()], responses };
}

/** The claims that differ: new or changed rows, and null rows for a span that no longer names a response it did. */
function responseChanges(before: readonly ResponseUsage[], after: readonly ResponseUsage[]): ResponseUsage[] {
  const id = (r: ResponseUsage) => `${r.response}${SEP}${r.claimant}`;
  const old = new Map(before.map((r) => [id(r), r]));
  const out: ResponseUsage[] = [];
  for (const r of after) {
    const was = old.get(id(r));
    if (!was) out.push({ ...r, previous: null });
    else if (JSON.stringify(was.rows) !== JSON.stringify(r.rows)) out.push({ ...r, previous: was.rows });
  }
  const now = new Set(after.map(id));
  for (const r of before) if (!now.has(id(r))) out.push({ response: r.response, claimant: r.claimant, rows: null, previous: r.rows });
  return out;
}
