export { DEFAULT_DECODE_LIMITS, type DecodeLimits, type DecodeResult, type MetricRejection, type Rejection } from './limits';
export { decodeTraceRequest } from './decode-trace-request';
export { decodeTraceRequestCompact, type CompactSpanItem, type SpanIdentity } from './decode-trace-request-compact';
export { decodeTraceRequestJson } from './decode-trace-request-json';
export { decodeLogsRequest } from './decode-logs-request';
export { decodeLogsRequestJson } from './decode-logs-request-json';
export { decodeMetricsRequest } from './decode-metrics-request';
export { decodeMetricsRequestJson } from './decode-metrics-request-json';
export type {
  BucketsJson,
  DecodedMetric,
  ExemplarJson,
  ExponentialHistogramDataPointJson,
  HistogramDataPointJson,
  NumberDataPointJson,
  SummaryDataPointJson,
} from './metric-shapes';
export { validateSpan } from './validate-span';
export { EARLIEST_SPAN_START_UNIX_NANO, implausibleSpanTimeReason, MAX_SPAN_FUTURE_MS, rejectImplausibleSpanTimes } from './plausible-span-times';
export { rejectImplausibleLogTimes, rejectImplausibleMetricTimes } from './plausible-item-times';
export * from './encode-responses';
export * from './otlp-decode-error';
export * from './otlp-http-status';
