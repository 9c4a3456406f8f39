import { hash } from 'node:crypto';

/**
 * A UUID-shaped event id (EventStoreDB requires UUIDs) derived from content: the same parts give
 * the same id, so a retried append of the same data is recognised and skipped by every store.
 * The id is SHA-256 of the parts joined by NUL, one-shot (crypto.hash): the same ids as hashing the
 * parts one by one, without a Hash object per event (ingest hashes every span: ~2.5x cheaper).
 */
export function deterministicEventId(...parts: string[]): string {
  const h = hash('sha256', parts.length === 1 ? parts[0]! : parts.join('\0'), 'hex');
  // Version nibble 8 ("custom") and the RFC 4122 variant bits.
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-${((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
