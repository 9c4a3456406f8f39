import { mergeSpans, planTraceWrites, summarizeTrace, traceKey, traceReadModelDelta, type CounterRow, type SpanDocument, type TraceSummary } from '@temps/domain';
import type { TraceReadStore } from '@temps/read-store';

/** What the projector does with a batch of span documents: load their traces, plan every write in pure code, commit. */
export async function commitSpanBatch(target: TraceReadStore, projection: string, position: bigint, spans: SpanDocument[], counters: CounterRow[] = []): Promise<void> {
  const touched = [...new Map(spans.map((s) => [traceKey(s.projectId, s.traceId), { projectId: s.projectId, traceId: s.traceId }])).values()];
  const { spans: before } = await target.load({ traces: touched });
  const after = mergeSpans(before, spans);
  const groups = new Map<string, SpanDocument[]>();
  for (const s of after) groups.set(traceKey(s.projectId, s.traceId), [...(groups.get(traceKey(s.projectId, s.traceId)) ?? []), s]);
  const traces: TraceSummary[] = [...groups.values()].map((g) => summarizeTrace(g));
  const delta = traceReadModelDelta(before, after, traces);
  const plan = await planTraceWrites(
    { projection, position, spans, traces, spansBefore: before, spansAfter: after, counters: [...delta.counters, ...counters], responses: delta.responses, sessions: delta.sessions },
    (request) => target.load(request),
  );
  await target.commit(plan);
}
