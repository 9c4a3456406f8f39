import {
  emptyPriceTable,
  EventTypes,
  evolvePriceTable,
  foldTraceBatch,
  rebuildTraces,
  Streams,
  TRACE_PROJECTION,
  traceKey,
  traceOf,
  tracesNeedingContentJoin,
  tracesTouchedBy,
  type PriceTable,
  type TraceSummary,
} from '@temps/domain';
import type { EventStore, RecordedEvent } from '@temps/event-store';
import type { ProjectionHandler } from '@temps/projection-runtime';
import type { TraceReadStore } from '@temps/read-store';

/**
 * Trace summaries + span trees. Most traces fold incrementally (load the touched traces' spans,
 * fold the batch). Traces whose GenAI content comes as log records are rebuilt from their whole
 * stream, so content and span join whichever arrived first. Documents and checkpoint commit together.
 * Spans are priced from the `pricing` stream (dated ModelPriceSet events), read at start and again
 * whenever a batch carries a price event; a new price applies to spans projected from then on
 * (re-pricing what is already projected is a rebuild).
 */
export class TraceProjectionHandler implements ProjectionHandler {
  static readonly projectionName = `${TRACE_PROJECTION.name}_v${TRACE_PROJECTION.version}`;
  readonly name = TraceProjectionHandler.projectionName;

  private prices: PriceTable = emptyPriceTable();
  private pricesRevision: bigint | null = null;

  constructor(
    private readonly store: TraceReadStore,
    private readonly events: EventStore,
    private readonly onCommitted: (traces: TraceSummary[]) => void,
  ) {}

  checkpoint(): Promise<bigint | null> {
    return this.store.checkpoint(this.name);
  }

  /** Folds the `pricing` stream from where it was last read (all of it the first time). */
  private async refreshPrices(): Promise<void> {
    const fromRevision = this.pricesRevision === null ? 0n : this.pricesRevision + 1n;
    for (const e of await this.events.readStream(Streams.pricing, { fromRevision })) {
      this.prices = evolvePriceTable(this.prices, e);
      this.pricesRevision = e.revision;
    }
    if (this.pricesRevision === null) this.pricesRevision = -1n;
  }

  async apply(events: RecordedEvent[], lastPosition: bigint): Promise<void> {
    if (this.pricesRevision === null || events.some((e) => e.type === EventTypes.ModelPriceSet)) await this.refreshPrices();
    const options = { prices: this.prices };
    const joined = tracesNeedingContentJoin(events);
    const inBatch = (e: RecordedEvent) => {
      const t = traceOf(e);
      return t !== null && !joined.has(traceKey(t.projectId, t.traceId));
    };
    const incremental = events.filter(inBatch);
    const existing = await this.store.loadSpans(tracesTouchedBy(incremental));
    const folded = foldTraceBatch(existing, incremental, options);

    const streams: RecordedEvent[] = [];
    for (const t of tracesTouchedBy(events)) {
      if (joined.has(traceKey(t.projectId, t.traceId))) streams.push(...(await this.events.readStream(Streams.trace(t.projectId, t.traceId))));
    }
    const rebuilt = rebuildTraces(streams, options);

    const traces = [...folded.traces, ...rebuilt.traces];
    await this.store.commit({ projection: this.name, position: lastPosition, spans: [...folded.spans, ...rebuilt.spans], traces });
    if (traces.length) this.onCommitted(traces);
  }
}
