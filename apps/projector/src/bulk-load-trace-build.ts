import { extname, join } from 'node:path';
import { settleBulkClaims, summarizeSession, type DialectMapper, type ReadModelExtension } from '@temps/domain';
import type { EventStore, LogPartition } from '@temps/event-store';
import { startModuleThread } from '@temps/projection-runtime';
import type { TraceReadStore, WriteFence } from '@temps/read-store';
import type { DialectMapperRef } from './dialect-mappers.module';
import { bulkLoadPosition, loadTracePartition, partitionCheckpoints } from './load-trace-partition';
import type { StoresConfig } from './open-stores';
import type { ReadModelExtensionRef } from './read-model-extensions.module';
import type { FromPartitionThread, ToPartitionThread, TracePartitionThreadData } from './trace-partition.worker';

const PARTITION_MODULE = join(__dirname, `trace-partition.worker${extname(__filename)}`);

/** Partitions run on threads of their own, each opening these stores. */
export interface BulkLoadThreads {
  stores: StoresConfig;
  /** How many partitions (threads); a resumed load keeps the count it was begun with. */
  count: number;
  dialects?: DialectMapperRef[];
  readModels?: ReadModelExtensionRef[];
  /** The projector's lease, which the partitions' writes are fenced by too. */
  fence?: WriteFence | null;
}

export interface BulkLoadTraceBuildOptions {
  events: EventStore;
  reads: TraceReadStore;
  namespace: string;
  /** Absent: one partition, on the caller's thread (with `extraMappers` and `extensions`). */
  threads?: BulkLoadThreads;
  extraMappers?: readonly DialectMapper[];
  extensions?: readonly ReadModelExtension[];
  /** A load not begun yet is begun only if the log holds at least this many events (default 0). */
  minEvents?: number;
  /** Events per batch of each partition (default 4000: larger batches measured no faster, and hold more memory per thread). */
  batchSize?: number;
  /** The position the whole build is complete up to (the slowest partition's). */
  onProgress?(position: bigint | null): void;
  signal?: AbortSignal;
  log?(message: string): void;
}

export type BulkLoadOutcome = 'loaded' | 'not-applicable' | 'stopped';

/**
 * Loads a fresh build of the trace projection from the first event up to the head it saw at the start,
 * in parallel partitions of the log, with the store's bulk mode (see TraceReadStore.bulkLoads); the
 * build's runner then carries on from there. A load interrupted by a stop or a crash resumes from each
 * partition's checkpoint. 'not-applicable': a store without bulk loads, a build that already has a
 * checkpoint (it carries on as it was), or a log shorter than `minEvents` (or empty).
 */
export async function bulkLoadTraceBuild(o: BulkLoadTraceBuildOptions): Promise<BulkLoadOutcome> {
  const bulk = o.reads.bulkLoads;
  if (!bulk) return 'not-applicable';
  let plan = await bulk.plan(o.namespace);
  if (!plan) {
    if ((await o.reads.checkpoint(o.namespace)) !== null) return 'not-applicable';
    const head = await o.events.headPosition();
    if (head < 0n || head + 1n < BigInt(o.minEvents ?? 0)) return 'not-applicable';
    plan = { target: head, partitions: o.threads ? Math.max(1, o.threads.count) : 1 };
    await bulk.begin(o.namespace, plan);
  }
  const { target } = plan;
  const partitions: LogPartition[] = Array.from({ length: plan.partitions }, (_, index) => ({ index, count: plan.partitions }));
  const positions = await partitionCheckpoints(o.reads, o.namespace, plan);
  const report = () => o.onProgress?.(bulkLoadPosition(positions, target));
  const progress = (i: number) => (position: bigint) => {
    positions[i] = position;
    report();
  };
  report();
  o.log?.(`bulk load of ${o.namespace}: up to position ${target}, ${plan.partitions} partition${plan.partitions === 1 ? '' : 's'}${o.threads ? ' on threads' : ''}`);

  const batchSize = o.batchSize ?? 4000;
  const complete = o.threads
    ? await runOnThreads(o, o.threads, partitions, target, batchSize, progress)
    : [
        await loadTracePartition({
          events: o.events,
          reads: o.reads,
          namespace: o.namespace,
          partition: partitions[0]!,
          target,
          batchSize,
          extraMappers: o.extraMappers,
          extensions: o.extensions,
          onProgress: progress(0),
          signal: o.signal,
        }),
      ];
  if (!complete.every(Boolean)) return 'stopped';
  o.log?.(`bulk load of ${o.namespace}: partitions done; making indexes and sessions`);
  await bulk.finish(o.namespace, { summarizeSession, settleBulkClaims });
  positions.fill(target);
  report();
  return 'loaded';
}

/** One thread per partition; the first failure stops the others and is thrown. */
async function runOnThreads(
  o: BulkLoadTraceBuildOptions,
  threads: BulkLoadThreads,
  partitions: LogPartition[],
  target: bigint,
  batchSize: number,
  progress: (i: number) => (position: bigint) => void,
): Promise<boolean[]> {
  const workers = partitions.map((partition) =>
    startModuleThread({
      module: PARTITION_MODULE,
      export: 'runTracePartitionThread',
      data: { stores: threads.stores, namespace: o.namespace, partition, target, batchSize, dialects: threads.dialects, readModels: threads.readModels, fence: threads.fence ?? null } satisfies TracePartitionThreadData,
      name: `temps-bulk-load-p${partition.index}`,
    }),
  );
  const stopAll = () => workers.forEach((w) => w.postMessage({ type: 'stop' } satisfies ToPartitionThread));
  o.signal?.addEventListener('abort', stopAll, { once: true });
  const runs = workers.map(
    (worker, i) =>
      new Promise<boolean>((resolve, reject) => {
        let outcome: { complete: boolean } | { error: Error } | null = null;
        worker.on('message', (msg: FromPartitionThread) => {
          if (msg.type === 'progress') progress(i)(msg.position);
          else if (msg.type === 'done') outcome = { complete: msg.complete };
          else outcome = { error: new Error(`bulk load of ${o.namespace}, partition ${i}: ${msg.message}`) };
        });
        worker.on('error', (err) => (outcome = { error: err }));
        worker.on('exit', (code) => {
          if (outcome && 'complete' in outcome) resolve(outcome.complete);
          else reject(outcome?.error ?? new Error(`bulk load of ${o.namespace}, partition ${i}: the thread exited (code ${code}) before it finished`));
        });
      }),
  );
  try {
    const settled = await Promise.allSettled(runs.map((r) => r.catch((err: unknown) => (stopAll(), Promise.reject(err)))));
    const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) throw failed.reason;
    return settled.map((s) => (s as PromiseFulfilledResult<boolean>).value);
  } finally {
    o.signal?.removeEventListener('abort', stopAll);
  }
}
