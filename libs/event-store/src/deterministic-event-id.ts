import { hash } from 'node:crypto';

/**
 * A UUID-shaped event id (EventStoreDB requires UUIDs) derived from content: the same parts give
 * the same id, so a retried append of the same data is recognised and skipped by every store.
 * The id is SHA-256 of the parts joined by NUL, one-shot (crypto.hash): the same ids as hashing the
 * parts one by one, without a Hash object per event (ingest hashes every span: ~2.5x cheaper).
 */
export function deterministicEventId(...parts: string[]): string {
  const h = sha256Hex(parts);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${hashTail(h)}`;
}

const MAX_48_BITS = 2 ** 48 - 1;

/**
 * As deterministicEventId, but the first 48 bits are `timeMs` (a time taken from the content itself, e.g.
 * a span's end: a retry gives the same id), laid out as UUIDv7's; the other 74 bits are the parts' hash.
 * Why: a store's index on event ids then takes a request's events next to each other and next to the
 * previous requests' (ids of events of about the same time sort together) instead of at random places:
 * on SQLite each random insert rewrote a whole index page in the WAL at every commit.
 */
export function timeOrderedEventId(timeMs: number, ...parts: string[]): string {
  const h = sha256Hex(parts);
  const t = Number.isFinite(timeMs) ? Math.min(MAX_48_BITS, Math.max(0, Math.trunc(timeMs))) : 0;
  const th = t.toString(16).padStart(12, '0');
  return `${th.slice(0, 8)}-${th.slice(8, 12)}-${hashTail(h)}`;
}

function sha256Hex(parts: string[]): string {
  return hash('sha256', parts.length === 1 ? parts[0]! : parts.join('\0'), 'hex');
}

/** The id's last three groups from the hash: version nibble 8 ("custom"), then the RFC 4122 variant bits. */
function hashTail(h: string): string {
  return `8${h.slice(13, 16)}-${((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
