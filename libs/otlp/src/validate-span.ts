import type { RawSpan } from '@temps/domain';

const TRACE_ID = /^[0-9a-f]{32}$/;
const SPAN_ID = /^[0-9a-f]{16}$/;
const ZERO_TRACE_ID = '0'.repeat(32);
const ZERO_SPAN_ID = '0'.repeat(16);
const DECIMAL = /^\d{1,20}$/;

/** Reason suffix for a malformed id: its size in bytes, or that it is not lowercase hex. */
function badId(what: string, hexId: string, bytes: number): string {
  if (hexId.length === bytes * 2) return `invalid ${what}: not lowercase hex`;
  return `invalid ${what}: must be ${bytes} bytes, got ${Math.ceil(hexId.length / 2)}`;
}

/** 64-bit unsigned decimal strings compared without BigInt: longer is larger, else lexicographic. */
function lessThan(a: string, b: string): boolean {
  const x = a.replace(/^0+(?=\d)/, '');
  const y = b.replace(/^0+(?=\d)/, '');
  return x.length !== y.length ? x.length < y.length : x < y;
}

/**
 * Why a received span cannot be stored, or null when it can. The reasons are stable strings (no
 * per-span values) so callers can group them, e.g. in a partial-success error_message.
 *
 * Checks: trace id 16 bytes and not all zero, span id 8 bytes and not all zero, a parent id when
 * present 8 bytes, times decimal, end not before start. Spans decoded from a payload that is not a
 * trace request (an OTLP logs body posted to /v1/traces shares the envelope's field numbers) have no
 * ids and fail here.
 */
export function validateSpan(span: RawSpan): string | null {
  if (!TRACE_ID.test(span.traceId)) return badId('trace id', span.traceId ?? '', 16);
  if (span.traceId === ZERO_TRACE_ID) return 'invalid trace id: all zero';
  if (!SPAN_ID.test(span.spanId)) return badId('span id', span.spanId ?? '', 8);
  if (span.spanId === ZERO_SPAN_ID) return 'invalid span id: all zero';
  if (span.parentSpanId !== undefined && span.parentSpanId !== '' && !SPAN_ID.test(span.parentSpanId)) {
    return badId('parent span id', span.parentSpanId, 8);
  }
  if (!DECIMAL.test(span.startTimeUnixNano) || !DECIMAL.test(span.endTimeUnixNano)) return 'invalid time: not a decimal nanosecond timestamp';
  if (lessThan(span.endTimeUnixNano, span.startTimeUnixNano)) return 'invalid time: end before start';
  return null;
}
