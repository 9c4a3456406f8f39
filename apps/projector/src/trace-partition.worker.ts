import type { MessagePort } from 'node:worker_threads';
import type { LogPartition } from '@temps/event-store';
import type { WriteFence } from '@temps/read-store';
import type { DialectMapperRef } from './dialect-mappers.module';
import { loadDialectMappers } from './load-dialect-mappers';
import { loadTracePartition } from './load-trace-partition';
import { openStores, type StoresConfig } from './open-stores';
import { loadReadModelExtensions, type ReadModelExtensionRef } from './read-model-extensions.module';

export interface TracePartitionThreadData {
  stores: StoresConfig;
  namespace: string;
  partition: LogPartition;
  target: bigint;
  batchSize: number;
  dialects?: DialectMapperRef[];
  readModels?: ReadModelExtensionRef[];
  /** The projector's lease: a partition's writes are fenced by it like the projector's own. */
  fence?: WriteFence | null;
}

export type ToPartitionThread = { type: 'stop' };
export type FromPartitionThread = { type: 'progress'; position: bigint } | { type: 'done'; complete: boolean } | { type: 'error'; message: string };

/**
 * Runs in a thread of a bulk load (bulkLoadTraceBuild starts one per partition): its own connections to
 * the stores, the same team mappers and read models as the projector (loaded by path here).
 */
export async function runTracePartitionThread(data: TracePartitionThreadData, port: MessagePort): Promise<void> {
  const post = (msg: FromPartitionThread) => port.postMessage(msg);
  const stop = new AbortController();
  const onMessage = (msg: ToPartitionThread) => msg.type === 'stop' && stop.abort();
  port.on('message', onMessage);
  try {
    const { events, reads, close } = await openStores(data.stores, { reads: true, readOnlyEvents: true });
    reads!.fenceWrites(data.fence ?? null);
    try {
      const complete = await loadTracePartition({
        events,
        reads: reads!,
        namespace: data.namespace,
        partition: data.partition,
        target: data.target,
        batchSize: data.batchSize,
        extraMappers: loadDialectMappers(data.dialects ?? []),
        extensions: loadReadModelExtensions(data.readModels ?? []),
        onProgress: (position) => post({ type: 'progress', position }),
        signal: stop.signal,
      });
      post({ type: 'done', complete });
    } finally {
      await close();
    }
  } catch (err) {
    post({ type: 'error', message: err instanceof Error ? (err.stack ?? err.message) : String(err) });
  } finally {
    port.off('message', onMessage); // nothing left to keep the thread alive: it exits
  }
}
