import { metricPointNanos, type LogRecordReceivedData, type MetricReceivedData } from '@temps/domain';
import type { DecodeResult, MetricRejection, Rejection } from './limits';
import { EARLIEST_SPAN_START_UNIX_NANO, MAX_SPAN_FUTURE_MS } from './plausible-span-times';

const key = (decimal: string) => decimal.padStart(20, '0');

/** Why a time (decimal ns) is implausible: before 2000-01-01 or more than a day after `nowMs`; else null. */
function implausibleTimeReason(nanos: string, nowMs: number): string | null {
  if (key(nanos) < key(EARLIEST_SPAN_START_UNIX_NANO)) return 'invalid time: before 2000-01-01';
  if (key(nanos) > key(`${Math.floor(nowMs + MAX_SPAN_FUTURE_MS)}000000`)) return 'invalid time: more than a day in the future';
  return null;
}

const isZero = (nanos: string | undefined) => !nanos || /^0+$/.test(nanos);

/**
 * Moves log records whose own time is implausible to `rejected`, in place (the rest keep their order). The
 * time checked is the one that names an untraced record's stream (logRecordStreamTime): timeUnixNano, else
 * observedTimeUnixNano; a record with neither (OTLP's "unknown") is kept. A stream named for 1970 or 2200
 * would sit outside every retention sweep, so such a record is refused as a span is.
 */
export function rejectImplausibleLogTimes(result: DecodeResult<LogRecordReceivedData>, nowMs: number): DecodeResult<LogRecordReceivedData> {
  let kept = 0;
  for (const item of result.items) {
    const { timeUnixNano, observedTimeUnixNano } = item.logRecord;
    const time = isZero(timeUnixNano) ? observedTimeUnixNano : timeUnixNano;
    const reason = isZero(time) ? null : implausibleTimeReason(time, nowMs);
    if (reason === null) result.items[kept++] = item;
    else result.rejected.push({ reason } satisfies Rejection);
  }
  result.items.length = kept;
  return result;
}

/**
 * Moves metrics with a data point at an implausible time (its timeUnixNano, else its start time) to
 * `rejected`, whole and in place, each counting its points. Whole, not point by point: an accepted metric
 * is then always stored exactly as sent, so its event id and stream never depend on the clock.
 */
export function rejectImplausibleMetricTimes(result: DecodeResult<MetricReceivedData, MetricRejection>, nowMs: number): DecodeResult<MetricReceivedData, MetricRejection> {
  let kept = 0;
  for (const item of result.items) {
    let reason: string | null = null;
    for (const point of item.metric.dataPoints) {
      const time = metricPointNanos(point);
      if (time !== null && (reason = implausibleTimeReason(time, nowMs)) !== null) break;
    }
    if (reason === null) result.items[kept++] = item;
    else result.rejected.push({ reason, count: item.metric.dataPoints.length });
  }
  result.items.length = kept;
  return result;
}
