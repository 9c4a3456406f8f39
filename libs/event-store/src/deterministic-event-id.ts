import { createHash } from 'node:crypto';

/**
 * A UUID-shaped event id (EventStoreDB requires UUIDs) derived from content: the same parts give
 * the same id, so a retried append of the same data is recognised and skipped by every store.
 */
export function deterministicEventId(...parts: string[]): string {
  const hash = createHash('sha256');
  parts.forEach((part, i) => (i ? hash.update('\0').update(part) : hash.update(part)));
  const h = hash.digest('hex');
  // Version nibble 8 ("custom") and the RFC 4122 variant bits.
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-${((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
