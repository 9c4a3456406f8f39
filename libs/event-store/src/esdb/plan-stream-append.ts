import type { ExpectedState, NewEvent } from '../event-store';

/** What one stream holds right now: its last revision and the ids already in it. */
export interface StreamState {
  revision: bigint | 'no_stream';
  ids: ReadonlySet<string>;
}

export type StreamAppendPlan =
  /** Every event is already stored: a retried call, answered as a no-op success whatever it expected. */
  | { kind: 'skip' }
  | { kind: 'conflict'; actual: bigint | 'no_stream' }
  /** Append these, pinned to the revision that was read (so a concurrent writer makes the server refuse it). */
  | { kind: 'append'; events: NewEvent[]; expectedRevision: bigint | 'no_stream' };

function holds(expected: ExpectedState, actual: bigint | 'no_stream'): boolean {
  if (expected === 'any') return true;
  if (expected === 'no_stream') return actual === 'no_stream';
  if (expected === 'stream_exists') return actual !== 'no_stream';
  return actual === expected;
}

/**
 * The port's append semantics on a store that cannot skip known ids by itself: EventStoreDB only
 * recognises a retry of the same batch at the same place, not "these ids are known, store the rest".
 * So the adapter reads the stream, drops known ids, checks the caller's expectation, and appends the
 * rest at the exact revision it read; if the server then refuses (someone wrote meanwhile) it reads
 * and plans again.
 */
export function planStreamAppend(events: NewEvent[], expected: ExpectedState, state: StreamState): StreamAppendPlan {
  const seen = new Set(state.ids);
  const fresh: NewEvent[] = [];
  for (const e of events) {
    if (typeof e.id !== 'string' || e.id === '') throw new TypeError('every event needs a non-empty string id');
    if (seen.has(e.id)) continue;
    seen.add(e.id);
    fresh.push(e);
  }
  if (fresh.length === 0) return { kind: 'skip' };
  if (!holds(expected, state.revision)) return { kind: 'conflict', actual: state.revision };
  return { kind: 'append', events: fresh, expectedRevision: state.revision };
}
