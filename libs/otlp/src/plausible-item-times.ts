import { logRecordTimeNanos, metricPointNanos, type LogRecordReceivedData, type MetricReceivedData } from '@temps/domain';
import type { DecodeResult, MetricRejection } from './limits';
import { implausibleTime, moveRejected } from './plausible-span-times';

/** Why a time (decimal ns) is implausible: before 2000-01-01 or more than a day after `nowMs`; else null. */
function implausibleTimeReason(nanos: string, nowMs: number): string | null {
  const verdict = implausibleTime(nanos, nowMs);
  return verdict === 'early' ? 'invalid time: before 2000-01-01' : verdict === 'late' ? 'invalid time: more than a day in the future' : null;
}

/**
 * Moves log records whose own time is implausible to `rejected`, in place (the rest keep their order). The
 * time checked is the one that names an untraced record's stream (logRecordTimeNanos): timeUnixNano, else
 * observedTimeUnixNano; a record with neither (OTLP's "unknown") is kept. A stream named for 1970 or 2200
 * would sit outside every retention sweep, so such a record is refused as a span is.
 */
export function rejectImplausibleLogTimes(result: DecodeResult<LogRecordReceivedData>, nowMs: number): DecodeResult<LogRecordReceivedData> {
  return moveRejected(result, (item) => {
    const time = logRecordTimeNanos(item.logRecord);
    const reason = time === null ? null : implausibleTimeReason(time, nowMs);
    return reason === null ? null : { reason };
  });
}

/**
 * Moves metrics with a data point at an implausible time (its timeUnixNano, else its start time) to
 * `rejected`, whole and in place, each counting its points. Whole, not point by point: an accepted metric
 * is then always stored exactly as sent, so its event id and stream never depend on the clock.
 */
export function rejectImplausibleMetricTimes(result: DecodeResult<MetricReceivedData, MetricRejection>, nowMs: number): DecodeResult<MetricReceivedData, MetricRejection> {
  return moveRejected(result, (item) => {
    for (const point of item.metric.dataPoints) {
      const time = metricPointNanos(point);
      const reason = time === null ? null : implausibleTimeReason(time, nowMs);
      if (reason !== null) return { reason, count: item.metric.dataPoints.length };
    }
    return null;
  });
}
