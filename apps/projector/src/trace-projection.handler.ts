import { foldTraceBatch, rebuildTraces, Streams, TRACE_PROJECTION, traceKey, traceOf, tracesNeedingContentJoin, tracesTouchedBy, type TraceSummary } from '@temps/domain';
import type { EventStore, RecordedEvent } from '@temps/event-store';
import type { ProjectionHandler } from '@temps/projection-runtime';
import type { TraceReadStore } from '@temps/read-store';

/**
 * Trace summaries + span trees. Most traces fold incrementally (load the touched traces' spans,
 * fold the batch). Traces whose GenAI content comes as log records are rebuilt from their whole
 * stream, so content and span join whichever arrived first. Documents and checkpoint commit together.
 */
export class TraceProjectionHandler implements ProjectionHandler {
  static readonly projectionName = `${TRACE_PROJECTION.name}_v${TRACE_PROJECTION.version}`;
  readonly name = TraceProjectionHandler.projectionName;

  constructor(
    private readonly store: TraceReadStore,
    private readonly events: EventStore,
    private readonly onCommitted: (traces: TraceSummary[]) => void,
  ) {}

  checkpoint(): Promise<bigint | null> {
    return this.store.checkpoint(this.name);
  }

  async apply(events: RecordedEvent[], lastPosition: bigint): Promise<void> {
    const joined = tracesNeedingContentJoin(events);
    const inBatch = (e: RecordedEvent) => {
      const t = traceOf(e);
      return t !== null && !joined.has(traceKey(t.projectId, t.traceId));
    };
    const incremental = events.filter(inBatch);
    const existing = await this.store.loadSpans(tracesTouchedBy(incremental));
    const folded = foldTraceBatch(existing, incremental);

    const streams: RecordedEvent[] = [];
    for (const t of tracesTouchedBy(events)) {
      if (joined.has(traceKey(t.projectId, t.traceId))) streams.push(...(await this.events.readStream(Streams.trace(t.projectId, t.traceId))));
    }
    const rebuilt = rebuildTraces(streams);

    const traces = [...folded.traces, ...rebuilt.traces];
    await this.store.commit({ projection: this.name, position: lastPosition, spans: [...folded.spans, ...rebuilt.spans], traces });
    if (traces.length) this.onCommitted(traces);
  }
}
