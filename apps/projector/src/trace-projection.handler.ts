import {
  emptyPriceTable,
  EventTypes,
  evolvePriceTable,
  foldTraceBatch,
  genaiMetricCounters,
  genaiMetricSeriesRanges,
  genaiMetricsExpiryCounters,
  genaiMetricsExpiryRanges,
  rebuildTraces,
  Streams,
  TRACE_PROJECTION,
  traceKey,
  traceOf,
  tracesNeedingContentJoin,
  tracesTouchedBy,
  mergeSpans,
  planTraceWrites,
  traceReadModelDelta,
  type DialectMapper,
  type ReadModelExtension,
  type PriceTable,
  type TraceSummary,
  type MetricsExpiredData,
  type TracesExpiredData,
} from '@temps/domain';
import type { EventStore, RecordedEvent } from '@temps/event-store';
import type { ProjectionHandler } from '@temps/projection-runtime';
import type { ProjectionCheckpoints, TraceWriter } from '@temps/read-store';

export interface TraceProjectionHandlerOptions {
  /** Team dialect mappers (DialectMappersModule registrations), run before the built-in ones. */
  extraMappers?: readonly DialectMapper[];
  /** Team read models folded with the traces (ReadModelExtensionsModule registrations). */
  extensions?: readonly ReadModelExtension[];
  /** The build this handler writes (its checkpoint's name); default: this version's first build. */
  name?: string;
}

/**
 * Trace summaries + span trees. Most traces fold incrementally (load the touched traces' spans,
 * fold the batch). Traces whose GenAI content comes as log records are rebuilt from their whole
 * stream, so content and span join whichever arrived first. The handler plans every write (planTraceWrites)
 * and the store carries the plan out with the checkpoint, all or nothing.
 * Spans are priced from the `pricing` stream (dated ModelPriceSet events), read at start and again
 * whenever a batch carries a price event; a new price applies to spans projected from then on
 * (re-pricing what is already projected is a rebuild).
 */
export class TraceProjectionHandler implements ProjectionHandler {
  /** The namespace (and checkpoint name) of this version's first build. */
  static readonly projectionName = `${TRACE_PROJECTION.name}_v${TRACE_PROJECTION.version}`;

  private prices: PriceTable = emptyPriceTable();
  private pricesRevision: bigint | null = null;

  /** The build this handler writes (its checkpoint's name): `store` must be opened on the same namespace. */
  readonly name: string;
  private readonly extraMappers: readonly DialectMapper[];
  private readonly extensions: readonly ReadModelExtension[];

  constructor(
    private readonly store: TraceWriter & ProjectionCheckpoints,
    private readonly events: EventStore,
    private readonly onCommitted: (traces: TraceSummary[]) => void,
    options: TraceProjectionHandlerOptions = {},
  ) {
    this.name = options.name ?? TraceProjectionHandler.projectionName;
    this.extraMappers = options.extraMappers ?? [];
    this.extensions = options.extensions ?? [];
  }

  checkpoint(): Promise<bigint | null> {
    return this.store.checkpoint(this.name);
  }

  pendingBatchEnd(): Promise<bigint | null> {
    return this.store.pendingBatchEnd(this.name);
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
    const marker = events.findIndex((e) => e.type === EventTypes.TracesExpired || e.type === EventTypes.MetricsExpired);
    if (marker < 0) return this.applySpans(events, lastPosition);
    // Log order matters around a retention marker: spans before it go with their trace, a late span after it starts the trace again
    // (and metric points before it are what its baselines correct).
    if (marker > 0) await this.applySpans(events.slice(0, marker), events[marker - 1]!.position);
    if (events[marker]!.type === EventTypes.MetricsExpired) await this.applyMetricsExpiry(events[marker]!);
    else await this.applyExpiry(events[marker]!);
    const rest = events.slice(marker + 1);
    if (rest.length) await this.apply(rest, lastPosition);
    else if (lastPosition > events[marker]!.position) await this.applySpans([], lastPosition);
  }

  /**
   * Removes the traces a retention sweep deleted from the log (TracesExpiredData): their spans, summaries,
   * search fields and claims, their contribution to every counter (with the kept usage added back), and
   * their sessions recomputed, as a rebuild that never reads them would have them.
   */
  private async applyExpiry(event: RecordedEvent): Promise<void> {
    const data = event.data as TracesExpiredData;
    const removed = data.traceIds.map((traceId) => ({ projectId: data.projectId, traceId }));
    const stored = await this.store.load({ traces: removed });
    // A bulk load starts after the sweep deleted these streams (the marker comes after the deletion), so it never holds them.
    const before = stored.mode === 'bulk' ? [] : stored.spans;
    const delta = traceReadModelDelta(before, [], [], this.extensions, stored.mode === 'bulk' ? [] : removed);
    const counters = [...delta.counters, ...(data.usage ?? [])];
    const plan = await planTraceWrites(
      { projection: this.name, position: event.position, spans: [], traces: [], spansBefore: before, spansAfter: [], counters, responses: delta.responses, sessions: delta.sessions, removed: stored.mode === 'bulk' ? [] : removed },
      (request) => this.store.load(request),
    );
    await this.store.commit(plan);
  }

  /** Drops (or sets) the GenAI metric rows of the hourly metric streams a sweep deleted, and carries their series across the gap (genai-metrics.ts). */
  private async applyMetricsExpiry(event: RecordedEvent): Promise<void> {
    const data = event.data as MetricsExpiredData;
    const stored = await this.store.load({ counterRanges: genaiMetricsExpiryRanges(data) });
    const counters = genaiMetricsExpiryCounters(data, stored.counters, event.position);
    const plan = await planTraceWrites(
      { projection: this.name, position: event.position, spans: [], traces: [], spansBefore: [], spansAfter: [], counters, responses: [], sessions: [] },
      (request) => this.store.load(request),
    );
    await this.store.commit(plan);
  }

  private async applySpans(events: RecordedEvent[], lastPosition: bigint): Promise<void> {
    if (this.pricesRevision === null || events.some((e) => e.type === EventTypes.ModelPriceSet)) await this.refreshPrices();
    const options = { prices: this.prices, extraMappers: this.extraMappers };
    const joined = tracesNeedingContentJoin(events);
    const inBatch = (e: RecordedEvent) => {
      const t = traceOf(e);
      return t !== null && !joined.has(traceKey(t.projectId, t.traceId));
    };
    const incremental = events.filter(inBatch);
    const touched = tracesTouchedBy(events);
    // Every touched trace's stored spans (the fold starts from them, and the read model delta compares against
    // them), and the stored state of the batch's GenAI metric series.
    const stored = await this.store.load({ traces: touched, counterRanges: genaiMetricSeriesRanges(events) });
    const before = stored.spans;
    const folded = foldTraceBatch(
      before.filter((s) => !joined.has(traceKey(s.projectId, s.traceId))),
      incremental,
      options,
    );

    const streams: RecordedEvent[] = [];
    const joinedInBatch = joined.size ? eventsByTrace(events, joined) : new Map<string, RecordedEvent[]>();
    for (const t of touched) {
      const key = traceKey(t.projectId, t.traceId);
      if (!joined.has(key)) continue;
      // A batch that holds the trace's stream from its first event holds all of it up to this batch: no read needed.
      const own = joinedInBatch.get(key)!;
      if (isStreamPrefix(own, Streams.trace(t.projectId, t.traceId))) streams.push(...own);
      else streams.push(...(await this.events.readStream(Streams.trace(t.projectId, t.traceId))));
    }
    const rebuilt = rebuildTraces(streams, options);

    const traces = [...folded.traces, ...rebuilt.traces];
    const spans = [...folded.spans, ...rebuilt.spans];
    const after = mergeSpans(before, spans);
    const delta = traceReadModelDelta(before, after, traces, this.extensions);
    // GenAI metrics received over OTLP: cumulative points count from their series' stored state (genai-metrics.ts).
    const counters = [...delta.counters, ...genaiMetricCounters(events, stored.counters, lastPosition)];
    // The whole write plan in pure code (counter values, response claims, sessions); the store only carries it out.
    const plan = await planTraceWrites(
      { projection: this.name, position: lastPosition, spans, traces, spansBefore: before, spansAfter: after, counters, responses: delta.responses, sessions: delta.sessions },
      (request) => this.store.load(request),
    );
    await this.store.commit(plan);
    if (traces.length) this.onCommitted(traces);
  }
}

/** The events of a batch that belong to the given traces, per trace key. */
function eventsByTrace(events: readonly RecordedEvent[], keys: ReadonlySet<string>): Map<string, RecordedEvent[]> {
  const out = new Map<string, RecordedEvent[]>();
  for (const e of events) {
    const t = traceOf(e);
    if (!t) continue;
    const key = traceKey(t.projectId, t.traceId);
    if (!keys.has(key)) continue;
    const list = out.get(key);
    if (list) list.push(e);
    else out.set(key, [e]);
  }
  return out;
}

/**
 * True when `events` are exactly revisions 0..n-1 of `stream`: the whole stream as of the batch's end
 * (revisions are gapless and later events come in later batches), so reading the stream is not needed.
 */
function isStreamPrefix(events: readonly RecordedEvent[], stream: string): boolean {
  const seen = new Set<bigint>();
  const n = BigInt(events.length);
  for (const e of events) {
    if (e.stream !== stream || e.revision < 0n || e.revision >= n || seen.has(e.revision)) return false;
    seen.add(e.revision);
  }
  return events.length > 0;
}
