import type { ExpectedState, NewEvent } from '../event-store';

/** The tail of a stream read back after the server refused an append: its last events, oldest first. */
export interface StreamTail {
  actual: bigint | 'no_stream';
  events: { id: string; revision: bigint }[];
}

export type ConflictResolution =
  /** Every event of the call is stored already: a retry, answered as a no-op success. */
  | { kind: 'done' }
  /** The caller's expectation does not hold. */
  | { kind: 'conflict'; actual: bigint | 'no_stream' }
  /** Carry on at `revision` from append number `fromAppend` (earlier ones are stored). */
  | { kind: 'resume'; revision: bigint; fromAppend: number };

/**
 * What to do when the server refused an append of this call with WrongExpectedVersion, given the tail of
 * the stream (a bounded window) and the ids known to be stored. Pure: the adapter's whole conflict policy.
 *
 * - `any`: store what is not known, after the actual revision.
 * - `stream_exists`: the same, once the stream exists.
 * - `no_stream` / an exact revision E: it still holds if everything after E is this call's own earlier
 *   appends, whole (a retry of a split append that failed half way): the events after E must be exactly
 *   the first appends of the call, cut where the call cuts. Anything else after E is someone else's: conflict.
 */
export function resolveAppendConflict(expected: ExpectedState, appends: NewEvent[][], tail: StreamTail, known: ReadonlySet<string>): ConflictResolution {
  const all = appends.flat();
  if (all.every((e) => known.has(e.id))) return { kind: 'done' };
  const { actual } = tail;
  if (expected === 'any') return { kind: 'resume', revision: actual === 'no_stream' ? -1n : actual, fromAppend: 0 };
  if (actual === 'no_stream') return { kind: 'conflict', actual };
  if (expected === 'stream_exists') return { kind: 'resume', revision: actual, fromAppend: 0 };
  const base = expected === 'no_stream' ? -1n : expected;
  if (actual < base) return { kind: 'conflict', actual };
  const after = tail.events.filter((e) => e.revision > base).map((e) => e.id);
  if (BigInt(after.length) !== actual - base) return { kind: 'conflict', actual }; // the window does not reach back to E
  const before = new Set(tail.events.filter((e) => e.revision <= base).map((e) => e.id));
  let expectedIds: string[] = [];
  for (let j = 0; j <= appends.length; j++) {
    if (expectedIds.length === after.length && expectedIds.every((id, i) => id === after[i])) return { kind: 'resume', revision: actual, fromAppend: j };
    if (j === appends.length || expectedIds.length > after.length) break;
    expectedIds = expectedIds.concat(appends[j]!.filter((e) => !before.has(e.id)).map((e) => e.id));
  }
  return { kind: 'conflict', actual };
}
