import type { DecodeResult, Rejection } from './limits';

/** 2000-01-01T00:00:00Z in ns: no span of this service's world starts before (a zero or a seconds-for-ns mix-up does). */
export const EARLIEST_SPAN_START_UNIX_NANO = '946684800000000000';
/** How far ahead of the server's clock a span may start or end (clock skew), in ms. */
export const MAX_SPAN_FUTURE_MS = 24 * 60 * 60 * 1000;

/** Decimal strings of at most 20 digits (the decoders checked them) in a form that compares as the numbers do. */
const key = (decimal: string) => decimal.padStart(20, '0');

/** Whether a time (decimal ns) is before 2000-01-01 ('early'), more than a day after `nowMs` ('late'), or neither. */
export function implausibleTime(nanos: string, nowMs: number): 'early' | 'late' | null {
  if (key(nanos) < key(EARLIEST_SPAN_START_UNIX_NANO)) return 'early';
  if (key(nanos) > key(`${Math.floor(nowMs + MAX_SPAN_FUTURE_MS)}000000`)) return 'late';
  return null;
}

/**
 * Moves the items `rejectionOf` refuses from `items` to `rejected`, in place; the rest keep their order.
 * Not part of the decoders, which stay independent of the clock.
 */
export function moveRejected<T, R extends Rejection>(result: DecodeResult<T, R>, rejectionOf: (item: T) => R | null): DecodeResult<T, R> {
  let kept = 0;
  for (const item of result.items) {
    const rejection = rejectionOf(item);
    if (rejection === null) result.items[kept++] = item;
    else result.rejected.push(rejection);
  }
  result.items.length = kept;
  return result;
}

/**
 * Why a span's times are implausible, or null: it starts before 2000-01-01, or starts or ends more than a
 * day after `nowMs`. Such a span would sort first (or last) in "newest first" for good, so it is rejected
 * (in partial_success, like any invalid span) rather than stored with a made-up time.
 */
export function implausibleSpanTimeReason(span: { startTimeUnixNano: string; endTimeUnixNano: string }, nowMs: number): string | null {
  const start = implausibleTime(span.startTimeUnixNano, nowMs);
  if (start === 'early') return 'invalid time: start before 2000-01-01';
  if (start === 'late' || implausibleTime(span.endTimeUnixNano, nowMs) === 'late') return 'invalid time: more than a day in the future';
  return null;
}

/** Moves the spans with implausible times (see implausibleSpanTimeReason) from `items` to `rejected`, in place. */
export function rejectImplausibleSpanTimes<T extends { span: { startTimeUnixNano: string; endTimeUnixNano: string } }>(result: DecodeResult<T>, nowMs: number): DecodeResult<T> {
  return moveRejected(result, (item) => {
    const reason = implausibleSpanTimeReason(item.span, nowMs);
    return reason === null ? null : { reason };
  });
}
