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

/**
 * The partition of a stream, from the code points of its last two characters: trace streams end in
 * random hex ids, which this spreads evenly, and a store can compute it in its query language (the SQLite
 * adapter's SQL_STREAM_PARTITION) instead of calling back into JS for every row it skips. Metric streams
 * and retention markers all go to partition 0, folded in log order: a cumulative metric series runs across
 * hourly streams, and a MetricsExpired marker corrects the points of its series folded before it.
 */
export function streamPartition(stream: string, count: number): number {
  if (stream.startsWith('metrics-') || stream.startsWith('retention-')) return 0;
  const last = lastCodePoints(stream);
  return (last[1] + 7 * last[0]) % count;
}

/** The last two code points (0 where the string is shorter). */
function lastCodePoints(s: string): [number, number] {
  const out: [number, number] = [0, 0];
  let i = s.length;
  for (let k = 1; k >= 0 && i > 0; k--) {
    const low = s.charCodeAt(i - 1);
    const high = i > 1 ? s.charCodeAt(i - 2) : 0;
    const pair = low >= 0xdc00 && low <= 0xdfff && high >= 0xd800 && high <= 0xdbff;
    out[k] = s.codePointAt(pair ? i - 2 : i - 1)!;
    i -= pair ? 2 : 1;
  }
  return out;
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
