import { createHash } from 'node:crypto';
import { TRACE_PROJECTION, type DialectMapper, type ReadModelExtension, type TraceSummary } from '@temps/domain';
import type { EventStore } from '@temps/event-store';
import { BlueGreenProjection, isDeadLocalHolder, LeasedProjection } from '@temps/projection-runtime';
import type { TraceReadStore } from '@temps/read-store';
import { bulkLoadTraceBuild, type BulkLoadThreads } from './bulk-load-trace-build';
import { storedProjectionStatus } from './stored-projection-status';
import { TraceProjectionHandler } from './trace-projection.handler';

export interface TraceProjectionWiring {
  events: EventStore;
  /** The serving store: its catalog says which build serves; each build gets a view of it (forNamespace). */
  reads: TraceReadStore;
  extraMappers?: readonly DialectMapper[];
  extensions?: readonly ReadModelExtension[];
  /** Changed trace summaries of each commit of the serving build (the live gateway's feed). */
  onCommitted(traces: TraceSummary[]): void;
  onApplied?(position: bigint): void;
  onError?(err: unknown): void;
  log?(message: string): void;
  idlePollMs?: number;
  /** How often to look for rebuild requests and for a build that caught up. */
  pollMs?: number;
  /** Events per batch of a build made beside the serving one (default 4000; the serving build's: 500). */
  buildBatchSize?: number;
  /**
   * A fresh build is bulk-loaded where the read store can (bulkLoadTraceBuild): in partitions on threads
   * of their own when `threads` is given, else in one partition on this thread. False: never.
   */
  bulkLoad?: false | { threads?: BulkLoadThreads };
  /** A first build (no read model yet) is bulk-loaded only from this many events in the log (default 20,000). */
  firstBulkLoadMinEvents?: number;
  /** How long after a failed bulk load it is tried again (resuming; default 5000 ms). */
  bulkLoadRetryMs?: number;
}

const FIRST_BULK_LOAD_MIN_EVENTS = 20_000;

/** Who may write the trace projection: see ProjectionLeases and LeasedProjection. */
export interface TraceProjectionLease {
  /** This process's holder id (leaseHolderId). */
  holder: string;
  ttlMs: number;
  intervalMs?: number;
}

/**
 * The trace projection under its lease: it runs (blue/green builds, bulk loads and all) only while this
 * process holds the lease, every write of the read store connection (and of a bulk load's partition
 * threads) fenced by the lease's epoch; otherwise it stands by and reports the holder's progress.
 */
export function createLeasedTraceProjection(w: TraceProjectionWiring & { lease: TraceProjectionLease }): LeasedProjection {
  return new LeasedProjection({
    name: TRACE_PROJECTION.name,
    leases: w.reads,
    holder: w.lease.holder,
    ttlMs: w.lease.ttlMs,
    intervalMs: w.lease.intervalMs,
    create: (fence) => {
      w.reads.fenceWrites(fence);
      const bulkLoad = w.bulkLoad && w.bulkLoad.threads ? { threads: { ...w.bulkLoad.threads, fence } } : w.bulkLoad;
      return createTraceProjection({ ...w, bulkLoad });
    },
    standbyStatus: () => storedProjectionStatus(w.events, w.reads, { standby: true }),
    holderIsDead: (holder) => isDeadLocalHolder(holder, w.lease.holder),
    onError: w.onError,
    log: w.log,
  });
}

/** The trace projection (traces, spans, usage, sessions, mapping coverage) with its blue/green builds. */
export function createTraceProjection(w: TraceProjectionWiring): BlueGreenProjection {
  return new BlueGreenProjection({
    name: TRACE_PROJECTION.name,
    version: TRACE_PROJECTION.version,
    variant: readModelVariant(w.extensions ?? []),
    events: w.events,
    catalog: w.reads,
    async openBuild(namespace, serving) {
      const store = await w.reads.forNamespace(namespace);
      const publish = (traces: TraceSummary[]) => serving() && w.onCommitted(traces);
      const handler = new TraceProjectionHandler(store, w.events, publish, { extraMappers: w.extraMappers, extensions: w.extensions, name: namespace });
      return { handler, close: () => store.close() };
    },
    runner: { idlePollMs: w.idlePollMs },
    buildRunner: { batchSize: w.buildBatchSize ?? 4000 },
    ...(w.bulkLoad !== false && w.reads.bulkLoads
      ? {
          bulkLoad: (build, onProgress, signal, { then }) =>
            bulkLoadTraceBuild({
              // A first build on a short log is quicker through the runner than through starting threads (and shows traces sooner).
              minEvents: then === 'serve' ? (w.firstBulkLoadMinEvents ?? FIRST_BULK_LOAD_MIN_EVENTS) : 0,
              events: w.events,
              reads: w.reads,
              namespace: build.namespace,
              threads: w.bulkLoad ? w.bulkLoad.threads : undefined,
              extraMappers: w.extraMappers,
              extensions: w.extensions,
              batchSize: w.buildBatchSize,
              onProgress,
              signal,
              log: w.log,
            }),
          bulkLoadInProgress: async (build) => (await w.reads.bulkLoads!.plan(build.namespace)) !== null,
        }
      : {}),
    pollMs: w.pollMs,
    bulkLoadRetryMs: w.bulkLoadRetryMs,
    onApplied: w.onApplied,
    onError: w.onError,
    log: w.log,
  });
}

/**
 * The build's code beyond the projection's own version: the registered read model extensions and
 * their versions. A change (one added, removed or bumped) builds the read models again.
 */
export function readModelVariant(extensions: readonly ReadModelExtension[]): string {
  if (extensions.length === 0) return '';
  const signature = extensions.map((x) => `${x.name}@${x.version}`).sort().join(',');
  return createHash('sha256').update(signature).digest('hex').slice(0, 8);
}
