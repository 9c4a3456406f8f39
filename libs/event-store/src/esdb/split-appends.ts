import type { NewEvent } from '../event-store';

/** EventStoreDB's default MaxAppendSize (server option): one append of more bytes is refused. */
export const DEFAULT_MAX_APPEND_BYTES = 1_048_576;

/**
 * Over-estimates what the server counts for one event (data + metadata + type + the proposed message's
 * own fields), so that appends cut by this estimate stay under the server's limit. `metadataBytes` is
 * passed in: ingest shares one metadata object across a request's events, measured once.
 */
export function estimateEventBytes(event: NewEvent, metadataBytes: number): number {
  const data = event.dataJson ?? JSON.stringify(event.data) ?? '';
  return Buffer.byteLength(data) + metadataBytes + 2 * Buffer.byteLength(event.type) + 128;
}

/** One event is over the append size: the server can never store it. */
export class EventTooLargeError extends Error {
  constructor(
    readonly eventId: string,
    readonly bytes: number,
    readonly maxAppendBytes: number,
  ) {
    super(`event ${eventId} is about ${bytes} bytes, over the maximum append size of ${maxAppendBytes} bytes (TEMPS_ESDB_MAX_APPEND_BYTES and the server's MaxAppendSize)`);
    this.name = 'EventTooLargeError';
  }
}

/**
 * Cuts a stream's events, in order, into appends of at most maxBytes each (by `sizeOf`). The cut depends
 * only on the events and the limit, so a retried call cuts the same way: a conflict can then tell "my own
 * earlier appends of this call" (whole appends) from someone else's events.
 */
export function splitAppends(events: NewEvent[], maxBytes: number, sizeOf: (e: NewEvent) => number): NewEvent[][] {
  const out: NewEvent[][] = [];
  let current: NewEvent[] = [];
  let bytes = 0;
  for (const e of events) {
    const size = sizeOf(e);
    if (size > maxBytes) throw new EventTooLargeError(e.id, size, maxBytes);
    if (current.length > 0 && bytes + size > maxBytes) {
      out.push(current);
      current = [];
      bytes = 0;
    }
    current.push(e);
    bytes += size;
  }
  if (current.length > 0) out.push(current);
  return out;
}

/** The call's events without repeats (first occurrence kept); every event needs an id. */
export function uniqueEvents(events: NewEvent[]): NewEvent[] {
  const seen = new Set<string>();
  const out: NewEvent[] = [];
  for (const e of events) {
    if (typeof e.id !== 'string' || e.id === '') throw new TypeError('every event needs a non-empty string id');
    if (seen.has(e.id)) continue;
    seen.add(e.id);
    out.push(e);
  }
  return out;
}
