import type { KeyValue, RawMetric } from '@temps/domain';
import type { ItemContext } from './item-context';
import { optionalIdReason } from './validate-span';

/**
 * The data point shapes inside RawMetric.dataPoints: OTLP/JSON field names, int64 values (times,
 * counts, asInt, bucket counts) as exact decimal strings, ids as lowercase hex. Both decoders build
 * them with the functions below, so one payload gives identical objects (same keys, same order)
 * whichever encoding carried it. Fields at their proto3 default are omitted where noted.
 */
export interface ExemplarJson {
  filteredAttributes: KeyValue[];
  timeUnixNano: string;
  asDouble?: number;
  asInt?: string;
  /** Omitted when absent (or all zero). */
  spanId?: string;
  traceId?: string;
}

export interface NumberDataPointJson {
  attributes: KeyValue[];
  startTimeUnixNano: string;
  timeUnixNano: string;
  asDouble?: number;
  asInt?: string;
  /** Omitted when empty. */
  exemplars?: ExemplarJson[];
  /** Omitted when 0. */
  flags?: number;
}

export interface HistogramDataPointJson {
  attributes: KeyValue[];
  startTimeUnixNano: string;
  timeUnixNano: string;
  count: string;
  /** Optional fields: present only when sent. */
  sum?: number;
  bucketCounts: string[];
  explicitBounds: number[];
  exemplars?: ExemplarJson[];
  flags?: number;
  min?: number;
  max?: number;
}

export interface BucketsJson {
  offset: number;
  bucketCounts: string[];
}

export interface ExponentialHistogramDataPointJson {
  attributes: KeyValue[];
  startTimeUnixNano: string;
  timeUnixNano: string;
  count: string;
  sum?: number;
  scale: number;
  zeroCount: string;
  positive?: BucketsJson;
  negative?: BucketsJson;
  exemplars?: ExemplarJson[];
  flags?: number;
  min?: number;
  max?: number;
  /** Omitted when 0. */
  zeroThreshold?: number;
}

export interface SummaryDataPointJson {
  attributes: KeyValue[];
  startTimeUnixNano: string;
  timeUnixNano: string;
  count: string;
  sum: number;
  quantileValues: { quantile: number; value: number }[];
  flags?: number;
}

/**
 * RawMetric plus the paths of attribute values the limits cut (`dataPoints[3].attributes.k`,
 * `metadata.k`, `resource.attributes.k`...), present only when something was cut. The domain's
 * RawMetric has no such field yet; this is assignable to it.
 */
export type DecodedMetric = RawMetric & { truncatedAttributes?: string[] };

/** A oneof number value: exactly one of asDouble / asInt, or none. */
export type PointValue = { asDouble: number } | { asInt: string } | null;

export function exemplarJson(filteredAttributes: KeyValue[], timeUnixNano: string, value: PointValue, spanId: string, traceId: string): ExemplarJson {
  const out: ExemplarJson = { filteredAttributes, timeUnixNano };
  if (value) Object.assign(out, value);
  if (spanId) out.spanId = spanId;
  if (traceId) out.traceId = traceId;
  return out;
}

export function numberPointJson(
  attributes: KeyValue[],
  startTimeUnixNano: string,
  timeUnixNano: string,
  value: PointValue,
  exemplars: ExemplarJson[],
  flags: number,
): NumberDataPointJson {
  const out: NumberDataPointJson = { attributes, startTimeUnixNano, timeUnixNano };
  if (value) Object.assign(out, value);
  if (exemplars.length) out.exemplars = exemplars;
  if (flags) out.flags = flags;
  return out;
}

export interface HistogramFields {
  count: string;
  sum: number | undefined;
  bucketCounts: string[];
  explicitBounds: number[];
  exemplars: ExemplarJson[];
  flags: number;
  min: number | undefined;
  max: number | undefined;
}

export function histogramPointJson(attributes: KeyValue[], startTimeUnixNano: string, timeUnixNano: string, f: HistogramFields): HistogramDataPointJson {
  const out: HistogramDataPointJson = { attributes, startTimeUnixNano, timeUnixNano, count: f.count, bucketCounts: f.bucketCounts, explicitBounds: f.explicitBounds };
  if (f.sum !== undefined) out.sum = f.sum;
  if (f.exemplars.length) out.exemplars = f.exemplars;
  if (f.flags) out.flags = f.flags;
  if (f.min !== undefined) out.min = f.min;
  if (f.max !== undefined) out.max = f.max;
  return out;
}

export interface ExponentialHistogramFields {
  count: string;
  sum: number | undefined;
  scale: number;
  zeroCount: string;
  positive: BucketsJson | undefined;
  negative: BucketsJson | undefined;
  exemplars: ExemplarJson[];
  flags: number;
  min: number | undefined;
  max: number | undefined;
  zeroThreshold: number;
}

export function exponentialHistogramPointJson(
  attributes: KeyValue[],
  startTimeUnixNano: string,
  timeUnixNano: string,
  f: ExponentialHistogramFields,
): ExponentialHistogramDataPointJson {
  const out: ExponentialHistogramDataPointJson = { attributes, startTimeUnixNano, timeUnixNano, count: f.count, scale: f.scale, zeroCount: f.zeroCount };
  if (f.sum !== undefined) out.sum = f.sum;
  if (f.positive) out.positive = f.positive;
  if (f.negative) out.negative = f.negative;
  if (f.exemplars.length) out.exemplars = f.exemplars;
  if (f.flags) out.flags = f.flags;
  if (f.min !== undefined) out.min = f.min;
  if (f.max !== undefined) out.max = f.max;
  if (f.zeroThreshold !== 0) out.zeroThreshold = f.zeroThreshold;
  return out;
}

export function summaryPointJson(
  attributes: KeyValue[],
  startTimeUnixNano: string,
  timeUnixNano: string,
  count: string,
  sum: number,
  quantileValues: { quantile: number; value: number }[],
  flags: number,
): SummaryDataPointJson {
  const out: SummaryDataPointJson = { attributes, startTimeUnixNano, timeUnixNano, count, sum, quantileValues };
  if (flags) out.flags = flags;
  return out;
}

/** The metric envelope: aggregationTemporality for sum/histogram/exponentialHistogram, isMonotonic for sum. */
export function metricJson(
  name: string,
  description: string,
  unit: string,
  type: RawMetric['type'],
  aggregationTemporality: number,
  isMonotonic: boolean,
  dataPoints: Record<string, unknown>[],
  metadata: KeyValue[],
): DecodedMetric {
  const out: DecodedMetric = { name, type, dataPoints };
  if (description) out.description = description;
  if (unit) out.unit = unit;
  if (type === 'sum' || type === 'histogram' || type === 'exponentialHistogram') out.aggregationTemporality = aggregationTemporality;
  if (type === 'sum') out.isMonotonic = isMonotonic;
  if (metadata.length) out.metadata = metadata;
  return out;
}

const ZERO_TRACE_ID = '0'.repeat(32);
const ZERO_SPAN_ID = '0'.repeat(16);

/** Exemplar ids: optional; wrong length rejects the metric, all zero counts as absent. */
export function exemplarIds(ctx: ItemContext, traceId: string, spanId: string): [string, string] {
  const tr = optionalIdReason('exemplar trace id', traceId, 16);
  if (tr) ctx.reject(tr);
  const sr = optionalIdReason('exemplar span id', spanId, 8);
  if (sr) ctx.reject(sr);
  return [traceId === ZERO_TRACE_ID ? '' : traceId, spanId === ZERO_SPAN_ID ? '' : spanId];
}

