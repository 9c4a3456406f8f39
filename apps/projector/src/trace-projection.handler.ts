import { foldTraceBatch, TRACE_PROJECTION, tracesTouchedBy, type TraceSummary } from '@temps/domain';
import type { RecordedEvent } from '@temps/event-store';
import type { ProjectionHandler } from '@temps/projection-runtime';
import type { TraceReadStore } from '@temps/read-store';

/** Trace summaries + span trees: loads the touched traces, folds the batch, commits with the checkpoint. */
export class TraceProjectionHandler implements ProjectionHandler {
  static readonly projectionName = `${TRACE_PROJECTION.name}_v${TRACE_PROJECTION.version}`;
  readonly name = TraceProjectionHandler.projectionName;

  constructor(
    private readonly store: TraceReadStore,
    private readonly onCommitted: (traces: TraceSummary[]) => void,
  ) {}

  checkpoint(): Promise<bigint | null> {
    return this.store.checkpoint(this.name);
  }

  async apply(events: RecordedEvent[], lastPosition: bigint): Promise<void> {
    const existing = await this.store.loadSpans(tracesTouchedBy(events));
    const { spans, traces } = foldTraceBatch(existing, events);
    await this.store.commit({ projection: this.name, position: lastPosition, spans, traces });
    if (traces.length) this.onCommitted(traces);
  }
}
