import type { RawSpan } from '@temps/domain';

const TRACE_ID = /^[0-9a-f]{32}$/;
const SPAN_ID = /^[0-9a-f]{16}$/;
const HEX = /^[0-9a-f]*$/;
const ZERO_TRACE_ID = '0'.repeat(32);
const ZERO_SPAN_ID = '0'.repeat(16);
const DECIMAL = /^\d{1,20}$/;

/** Why a hex id of the wrong form is wrong: not hex, or its size in bytes. */
export function badIdReason(what: string, hexId: string, bytes: number): string {
  if (!HEX.test(hexId)) return `invalid ${what}: not hex`;
  if (hexId.length % 2) return `invalid ${what}: must be ${bytes} bytes, got ${hexId.length} hex digits`;
  return `invalid ${what}: must be ${bytes} bytes, got ${hexId.length / 2}`;
}

/**
 * Why an optional id (log records, exemplars) cannot be kept, or null: empty, or lowercase hex of
 * exactly `bytes` bytes. (All zero is "no id" there: the caller drops it.)
 */
export function optionalIdReason(what: string, hexId: string, bytes: number): string | null {
  if (hexId === '' || hexId.length === bytes * 2 && HEX.test(hexId)) return null;
  return badIdReason(what, hexId, bytes);
}

/** 64-bit unsigned decimal strings compared without BigInt: longer is larger, else lexicographic. */
function lessThan(a: string, b: string): boolean {
  const x = a.replace(/^0+(?=\d)/, '');
  const y = b.replace(/^0+(?=\d)/, '');
  return x.length !== y.length ? x.length < y.length : x < y;
}

/**
 * Why a received span cannot be stored, or null when it can. The decoders call it on every span
 * (their `rejected` lists carry its reasons); it stays exported for callers that build spans.
 * Reasons are stable strings so callers can group them, e.g. in a partial-success error_message.
 *
 * Checks: trace id 16 bytes and not all zero, span id 8 bytes and not all zero, a parent id when
 * present 8 bytes, each link's trace id 16 bytes and span id 8 bytes (or empty), ids lowercase
 * hex, times decimal, end not before start. Spans decoded from a
 * payload that is not a trace request (an OTLP logs body posted to /v1/traces shares the
 * envelope's field numbers) have no ids and fail here.
 */
export function validateSpan(span: RawSpan): string | null {
  if (typeof span.traceId !== 'string' || !TRACE_ID.test(span.traceId)) return badIdReason('trace id', String(span.traceId ?? ''), 16);
  if (span.traceId === ZERO_TRACE_ID) return 'invalid trace id: all zero';
  if (typeof span.spanId !== 'string' || !SPAN_ID.test(span.spanId)) return badIdReason('span id', String(span.spanId ?? ''), 8);
  if (span.spanId === ZERO_SPAN_ID) return 'invalid span id: all zero';
  if (span.parentSpanId !== undefined && span.parentSpanId !== '' && !SPAN_ID.test(span.parentSpanId)) {
    return badIdReason('parent span id', span.parentSpanId, 8);
  }
  if (!DECIMAL.test(span.startTimeUnixNano) || !DECIMAL.test(span.endTimeUnixNano)) return 'invalid time: not a decimal nanosecond timestamp';
  if (lessThan(span.endTimeUnixNano, span.startTimeUnixNano)) return 'invalid time: end before start';
  for (const link of span.links) {
    // Empty is allowed: a link to an invalid (all-zero) context may still carry attributes or a
    // trace state, and the Collector omits all-zero ids on the wire.
    const reason = optionalIdReason('link trace id', String(link.traceId ?? ''), 16) ?? optionalIdReason('link span id', String(link.spanId ?? ''), 8);
    if (reason) return reason;
  }
  return null;
}
