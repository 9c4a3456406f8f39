import { createHash } from 'node:crypto';

/**
 * Deterministic event id (UUID-shaped, as EventStoreDB wants): the same span content sent again
 * by a retrying exporter gets the same id, and the store skips it.
 */
export function spanEventId(projectId: string, traceId: string, spanId: string, serialized: string): string {
  const h = createHash('sha256').update(projectId).update('\0').update(traceId).update('\0').update(spanId).update('\0').update(serialized).digest('hex');
  // Version nibble 8 ("custom") and the RFC 4122 variant bits.
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-${((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
