import type { DialectMapper, ReadModelExtension } from '@temps/domain';
import { readPartition, type EventStore, type LogPartition } from '@temps/event-store';
import type { BulkLoadPlan, ProjectionCheckpoints, TraceReadStore } from '@temps/read-store';
import { TraceProjectionHandler } from './trace-projection.handler';

const MAX_ATTEMPTS = 5;

/** The checkpoint of one partition of a bulk load: `<build>#p<index>of<count>` (the store clears them all at the end). */
export const partitionCheckpointName = (namespace: string, p: LogPartition) => `${namespace}#p${p.index}of${p.count}`;

/** The checkpoint of each partition of a bulk load (null: none committed yet). */
export function partitionCheckpoints(reads: ProjectionCheckpoints, namespace: string, plan: BulkLoadPlan): Promise<(bigint | null)[]> {
  return Promise.all(Array.from({ length: plan.partitions }, (_, index) => reads.checkpoint(partitionCheckpointName(namespace, { index, count: plan.partitions }))));
}

/** The position a whole load is complete up to: its slowest partition's (a finished one counts as the target); null until each has committed. */
export function bulkLoadPosition(partitions: readonly (bigint | null)[], target: bigint): bigint | null {
  let min: bigint | null = target;
  for (const p of partitions) if (p === null || (min !== null && p < min)) min = p;
  return min;
}

/** Where a bulk load of the build stands, or null when none is in progress (its own checkpoint then says). */
export async function bulkLoadProgress(reads: ProjectionCheckpoints & Pick<TraceReadStore, 'bulkLoads'>, namespace: string): Promise<{ plan: BulkLoadPlan; position: bigint | null } | null> {
  const plan = (await reads.bulkLoads?.plan(namespace)) ?? null;
  return plan && { plan, position: bulkLoadPosition(await partitionCheckpoints(reads, namespace, plan), plan.target) };
}

export interface LoadTracePartitionInput {
  events: EventStore;
  /** The read store (any view of the file): the partition writes through its own view of the build. */
  reads: TraceReadStore;
  namespace: string;
  partition: LogPartition;
  /** The last position of the load. */
  target: bigint;
  batchSize: number;
  extraMappers?: readonly DialectMapper[];
  extensions?: readonly ReadModelExtension[];
  /** After each committed batch: the position the partition is complete up to. */
  onProgress?(position: bigint): void;
  signal?: AbortSignal;
}

/**
 * One partition of a bulk load: the trace projection's own handler over the events of this partition's
 * streams (every event of a trace is in one partition), from its checkpoint up to the target. Resumable:
 * each batch commits with the partition's checkpoint. Returns false when stopped by `signal` first.
 */
export async function loadTracePartition(i: LoadTracePartitionInput): Promise<boolean> {
  const store = await i.reads.forNamespace(i.namespace);
  try {
    const handler = new TraceProjectionHandler(store, i.events, () => undefined, {
      extraMappers: i.extraMappers,
      extensions: i.extensions,
      name: partitionCheckpointName(i.namespace, i.partition),
    });
    let after = (await handler.checkpoint()) ?? undefined;
    let failures = 0;
    for (;;) {
      // Between batches, let the thread's messages in (a stop would otherwise wait for the whole partition).
      await new Promise((r) => setImmediate(r));
      if (i.signal?.aborted) return false;
      try {
        const batch = await readPartition(i.events, { after, limit: i.batchSize, until: i.target, partition: i.partition });
        if (batch.length === 0) return true;
        const last = batch[batch.length - 1]!.position;
        await handler.apply(batch, last);
        after = last;
        failures = 0;
        i.onProgress?.(after);
      } catch (err) {
        // A busy file, a full disk for a moment: the batch rolled back with its checkpoint; try it again, then give up (the load resumes later).
        if (++failures >= MAX_ATTEMPTS) throw err;
        await new Promise((r) => setTimeout(r, Math.min(5000, 100 * 2 ** failures)));
        after = (await handler.checkpoint()) ?? undefined;
      }
    }
  } finally {
    await store.close();
  }
}
