import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { ProjectionStatus, VersionedProjectionStatus } from '@temps/projection-runtime';

/** What the OTLP receiver made of one request's items (the ingest service's result, see OtlpResponse.outcome). */
export interface OtlpItemOutcome {
  /** Spans, log records or metric data points appended. */
  accepted: number;
  /** Items refused, by reason (the partial_success reasons, or why the whole batch was not stored). */
  rejected: Record<string, number>;
}

/** Where the projector's status comes from at scrape time (the projector service; absent on an ingest-only process). */
export type ProjectionStatusSource = () => Promise<ProjectionStatus & Partial<VersionedProjectionStatus>>;

/**
 * A reason as a label: the text before its first ':' with digits folded, so "too many attributes: 1500 > 1024"
 * and "...: 2000 > 1024" count together and a label never carries data (ids, values) from a request.
 */
export function reasonLabel(reason: string): string {
  const head = reason.split(':')[0]!.trim().toLowerCase().replace(/\d+/g, 'N');
  return head.slice(0, 80) || 'unknown';
}

const OTLP_SIGNALS = new Set(['traces', 'logs', 'metrics']);

/**
 * The process's Prometheus metrics (GET /metrics). Fed from the edges: the HTTP middleware (requests,
 * bytes, in flight, the ingest result), the event store wrapper (append latency), and, at scrape time,
 * the projector's status and the live gateway's socket count.
 */
export class TempsMetrics {
  readonly registry = new Registry();
  private readonly otlpRequests: Counter<'signal' | 'status'>;
  private readonly otlpAccepted: Counter<'signal'>;
  private readonly otlpRejected: Counter<'signal' | 'reason'>;
  private readonly otlpBytes: Counter<'signal'>;
  private readonly gatewayCalls: Counter<'provider' | 'outcome'>;
  private readonly httpInflight: Gauge<'kind'>;
  private readonly appendSeconds: Histogram<'result'>;
  private projectionStatus: ProjectionStatusSource | null = null;
  private socketClients: (() => number) | null = null;

  constructor(options: { defaultMetrics?: boolean } = {}) {
    const registers = [this.registry];
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry, prefix: 'temps_' });
    this.otlpRequests = new Counter({ name: 'temps_otlp_requests_total', help: 'OTLP export requests by signal and HTTP status (200 includes partial success)', labelNames: ['signal', 'status'], registers });
    this.otlpAccepted = new Counter({ name: 'temps_otlp_items_accepted_total', help: 'Spans (traces), log records (logs) or metric data points (metrics) appended to the event store', labelNames: ['signal'], registers });
    this.otlpRejected = new Counter({ name: 'temps_otlp_items_rejected_total', help: 'Items refused per item (partial_success) or whose whole batch could not be stored, by reason', labelNames: ['signal', 'reason'], registers });
    this.otlpBytes = new Counter({ name: 'temps_otlp_request_bytes_total', help: 'OTLP request body bytes as sent (compressed), from Content-Length', labelNames: ['signal'], registers });
    this.gatewayCalls = new Counter({ name: 'temps_gateway_calls_total', help: 'AI Gateway calls by provider (gen_ai.provider.name) and outcome (ok, or the HTTP status of the error)', labelNames: ['provider', 'outcome'], registers });
    this.httpInflight = new Gauge({ name: 'temps_http_inflight_requests', help: 'HTTP requests being served now (otlp: export requests; api: everything else)', labelNames: ['kind'], registers });
    this.appendSeconds = new Histogram({
      name: 'temps_event_store_append_seconds',
      help: 'Time of one event store append (an OTLP batch, an access change), by result',
      labelNames: ['result'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
    this.projectionGauges(registers);
    const socketClients = () => this.socketClients?.();
    new Gauge({
      name: 'temps_socketio_clients',
      help: 'socket.io clients connected to the live gateway of this process',
      registers,
      collect() {
        const count = socketClients();
        if (count !== undefined) this.set(count);
      },
    });
  }

  /** The projector's status, read at each scrape (the process serves projections). */
  observeProjection(source: ProjectionStatusSource): void {
    this.projectionStatus = source;
  }

  /** One AI Gateway call answered. */
  gatewayCall(provider: string, outcome: string): void {
    this.gatewayCalls.inc({ provider, outcome });
  }

  observeSocketClients(count: () => number): void {
    this.socketClients = count;
  }

  /** One OTLP request ended: its status (or "client_gone"), body bytes and, when decoded, its items. */
  otlpRequest(signal: string, status: string, bytes: number, outcome: OtlpItemOutcome | undefined): void {
    const s = OTLP_SIGNALS.has(signal) ? signal : 'unknown';
    this.otlpRequests.inc({ signal: s, status });
    if (bytes > 0) this.otlpBytes.inc({ signal: s }, bytes);
    if (!outcome) return;
    if (outcome.accepted > 0) this.otlpAccepted.inc({ signal: s }, outcome.accepted);
    for (const [reason, n] of Object.entries(outcome.rejected)) if (n > 0) this.otlpRejected.inc({ signal: s, reason: reasonLabel(reason) }, n);
  }

  /** Counts a request in flight; call the returned function once it ended. */
  requestStarted(kind: 'otlp' | 'api'): () => void {
    this.httpInflight.inc({ kind });
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.httpInflight.dec({ kind });
    };
  }

  appendTimer(): (result: 'ok' | 'error') => void {
    const end = this.appendSeconds.startTimer();
    return (result) => end({ result });
  }

  metrics(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** Projector gauges and counters, all set from one status read per scrape. */
  private projectionGauges(registers: Registry[]): void {
    let pending: Promise<(ProjectionStatus & Partial<VersionedProjectionStatus>) | null> | null = null;
    // Every metric below collects from the same status read (one round trip to the projector thread per scrape).
    const status = () =>
      (pending ??= (async () => {
        try {
          return this.projectionStatus ? await this.projectionStatus() : null;
        } catch {
          return null;
        } finally {
          setImmediate(() => (pending = null));
        }
      })());
    const gauge = (name: string, help: string, value: (s: ProjectionStatus & Partial<VersionedProjectionStatus>) => number | null, labelNames: string[] = ['projection']) =>
      new Gauge({
        name,
        help,
        labelNames,
        registers,
        async collect() {
          this.reset();
          const s = await status();
          const v = s ? value(s) : null;
          if (s && v !== null && Number.isFinite(v)) this.set({ projection: s.name }, v);
        },
      });
    const counter = (name: string, help: string, value: (s: ProjectionStatus) => number | null) =>
      new Counter({
        name,
        help,
        labelNames: ['projection'],
        registers,
        // The runner's own cumulative figure (it restarts from 0 with its thread: a counter reset to Prometheus).
        async collect() {
          this.reset();
          const s = await status();
          const v = s ? value(s) : null;
          if (s && v !== null) this.inc({ projection: s.name }, v);
        },
      });
    gauge('temps_projector_lag_events', 'Events in the log not yet applied to the serving read model', (s) => s.lagEvents);
    gauge('temps_projector_lag_seconds', 'Age of the oldest event not yet applied (0 when caught up)', (s) => s.lagSeconds);
    gauge('temps_projector_position', 'Last log position applied to the serving read model (-1: none)', (s) => Number(s.position ?? -1n));
    gauge('temps_projector_head_position', 'Last position in the event log', (s) => Number(s.head));
    new Gauge({
      name: 'temps_projector_state',
      help: 'The projection state: 1 for the current one',
      labelNames: ['projection', 'state'],
      registers,
      async collect() {
        this.reset();
        const s = await status();
        if (s) this.set({ projection: s.name, state: s.state }, 1);
      },
    });
    counter('temps_projector_batches_total', 'Batches applied by the serving build since its runner started', (s) => s.batches?.count ?? null);
    counter('temps_projector_batch_events_total', 'Events in those batches', (s) => s.batches?.events ?? null);
    counter('temps_projector_batch_seconds_total', 'Time spent applying those batches (rate over batches_total: mean batch time)', (s) => s.batches?.seconds ?? null);
    gauge('temps_projector_last_batch_seconds', 'Time the last applied batch took', (s) => s.batches?.lastSeconds ?? null);
    gauge('temps_projection_rebuilding', '1 while a build is made beside the serving one (rebuild or new version)', (s) => (s.rebuild ? 1 : 0));
    gauge('temps_projection_rebuild_progress_ratio', 'How far the build in progress is through the log (0..1)', (s) =>
      s.rebuild ? Math.min(1, Math.max(0, Number((s.rebuild.position ?? -1n) + 1n) / Math.max(1, Number(s.rebuild.head + 1n)))) : null,
    );
    gauge('temps_projection_rebuild_events_per_second', 'Recent speed of the build in progress', (s) => s.rebuild?.eventsPerSecond ?? null);
    gauge('temps_projection_rebuild_eta_seconds', 'Time left for the build in progress at that speed', (s) => s.rebuild?.etaSeconds ?? null);
    gauge('temps_projection_lease_held', '1 while this projector holds the projection\'s lease (it writes), 0 while it stands by', (s) => (s.lease && s.lease.role !== 'observer' ? (s.lease.role === 'holder' ? 1 : 0) : null));
    gauge('temps_projection_lease_epoch', 'Epoch of the projection\'s lease (incremented by every takeover)', (s) => s.lease?.epoch ?? null);
    counter('temps_projection_lease_acquisitions_total', 'Times this process took the projection\'s lease', (s) => (s.lease && s.lease.role !== 'observer' ? s.lease.acquisitions : null));
  }
}
