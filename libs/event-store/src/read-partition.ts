import type { EventStore, ReadAllOptions, RecordedEvent } from './event-store';

/** One of `count` disjoint parts of the log, by stream: every event of a stream falls in the same part. */
export interface LogPartition {
  index: number;
  count: number;
}

export interface ReadPartitionOptions extends ReadAllOptions {
  partition: LogPartition;
  /** Inclusive upper bound: no event after this position comes back. */
  until: bigint;
}

/** The partition of a stream: FNV-1a (32 bits) of its name modulo `count`, the same in every process. */
export function streamPartition(stream: string, count: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < stream.length; i++) {
    h ^= stream.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % count;
}

function checkPartition({ partition, until, limit }: ReadPartitionOptions): void {
  const { index, count } = partition;
  if (!Number.isSafeInteger(count) || count < 1 || !Number.isSafeInteger(index) || index < 0 || index >= count) {
    throw new RangeError(`partition must be {index, count} with 0 <= index < count, got ${JSON.stringify(partition)}`);
  }
  if (typeof until !== 'bigint') throw new TypeError('until must be a bigint position');
  if (!Number.isSafeInteger(limit) || limit < 0) throw new RangeError(`limit must be a non-negative integer, got ${limit}`);
}

/**
 * The events of one partition of the log after `after` and up to `until`, at most `limit`, in position
 * order: what a parallel rebuild gives each of its workers. Uses the store's own `readAllPartition`
 * when it has one (SQLite filters before parsing); otherwise pages through readAll and filters.
 */
export async function readPartition(store: EventStore, options: ReadPartitionOptions): Promise<RecordedEvent[]> {
  checkPartition(options);
  if (options.limit === 0 || (options.after !== undefined && options.after >= options.until)) return [];
  if (store.readAllPartition) return store.readAllPartition(options);
  const { partition, until, limit } = options;
  const out: RecordedEvent[] = [];
  let after = options.after;
  for (;;) {
    const page = await store.readAll(after === undefined ? { limit: Math.max(limit, 500) } : { after, limit: Math.max(limit, 500) });
    for (const e of page) {
      if (e.position > until) return out;
      if (streamPartition(e.stream, partition.count) !== partition.index) continue;
      out.push(e);
      if (out.length === limit) return out;
    }
    if (page.length === 0) return out;
    after = page[page.length - 1]!.position;
  }
}
