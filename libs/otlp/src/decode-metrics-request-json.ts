import type { KeyValue, MetricReceivedData, RawMetric } from '@temps/domain';
import { opentelemetry } from './generated/otlp';
import type { ItemContext } from './item-context';
import { decodeJsonRequest } from './decode-json-request';
import type { DecodeLimits, DecodeResult, MetricRejection } from './limits';
import { finishMetric } from './finish-item';
import {
  exemplarIds,
  exemplarJson,
  exponentialHistogramPointJson,
  histogramPointJson,
  metricJson,
  numberPointJson,
  summaryPointJson,
  type BucketsJson,
  type ExemplarJson,
  type PointValue,
} from './metric-shapes';
import {
  enumNames,
  jArray,
  jBool,
  jDouble,
  jEnum,
  jI32,
  jI64,
  jId,
  jKeyValues,
  jObject,
  jOptionalDouble,
  jString,
  jU32,
  jU64,
  pick,
  within,
  type JsonObject,
} from './json-common';

const TEMPORALITY = enumNames(opentelemetry.proto.metrics.v1.AggregationTemporality as unknown as Record<string, number>);
const NAME = 'ExportMetricsServiceRequest';
type Point = Record<string, unknown>;

function valueOf(p: JsonObject): PointValue {
  const d = pick(p, 'asDouble', 'as_double');
  if (d != null) return { asDouble: jDouble(d, 'asDouble') };
  const i = pick(p, 'asInt', 'as_int');
  if (i != null) return { asInt: jI64(i, 'asInt') };
  return null;
}

function times(p: JsonObject): [string, string] {
  return [jU64(pick(p, 'startTimeUnixNano', 'start_time_unix_nano'), 'startTimeUnixNano'), jU64(pick(p, 'timeUnixNano', 'time_unix_nano'), 'timeUnixNano')];
}

function exemplarsOf(v: unknown, point: number, ctx: ItemContext): ExemplarJson[] {
  const src = jArray(v, 'exemplars');
  const out: ExemplarJson[] = new Array(src.length);
  for (let j = 0; j < src.length; j++) {
    try {
      const e = jObject(src[j], '') ?? {};
      ctx.at('exemplar ', `dataPoints[${point}].exemplars[${j}].filteredAttributes.`);
      const filteredAttributes = jKeyValues(pick(e, 'filteredAttributes', 'filtered_attributes'), 'filteredAttributes', ctx);
      let traceId = jId(pick(e, 'traceId', 'trace_id'));
      let spanId = jId(pick(e, 'spanId', 'span_id'));
      if (traceId === null) {
        ctx.reject('invalid exemplar trace id: not a string');
        traceId = '';
      }
      if (spanId === null) {
        ctx.reject('invalid exemplar span id: not a string');
        spanId = '';
      }
      [traceId, spanId] = exemplarIds(ctx, traceId, spanId);
      out[j] = exemplarJson(filteredAttributes, jU64(pick(e, 'timeUnixNano', 'time_unix_nano'), 'timeUnixNano'), valueOf(e), spanId, traceId);
    } catch (err) {
      within(err, `exemplars[${j}]`);
    }
  }
  return out;
}

function u64s(v: unknown, field: string): string[] {
  const src = jArray(v, field);
  const out: string[] = new Array(src.length);
  for (let i = 0; i < src.length; i++) out[i] = jU64(src[i], `${field}[${i}]`);
  return out;
}

function doubles(v: unknown, field: string): number[] {
  const src = jArray(v, field);
  const out: number[] = new Array(src.length);
  for (let i = 0; i < src.length; i++) out[i] = jDouble(src[i], `${field}[${i}]`);
  return out;
}

function bucketsOf(v: unknown, field: string): BucketsJson | undefined {
  const b = jObject(v, field);
  if (!b) return undefined;
  try {
    return { offset: jI32(b.offset, 'offset'), bucketCounts: u64s(pick(b, 'bucketCounts', 'bucket_counts'), 'bucketCounts') };
  } catch (err) {
    within(err, field);
  }
}

function pointAttributes(p: JsonObject, i: number, ctx: ItemContext): KeyValue[] {
  ctx.at('data point ', `dataPoints[${i}].attributes.`);
  return jKeyValues(p.attributes, 'attributes', ctx);
}

/** Converts each data point of `v` with `convert`, prefixing type errors with `dataPoints[i]`. */
function points(v: unknown, ctx: ItemContext, convert: (p: JsonObject, i: number, ctx: ItemContext) => Point): Point[] {
  const src = jArray(v, 'dataPoints');
  const out: Point[] = new Array(src.length);
  for (let i = 0; i < src.length; i++) {
    try {
      out[i] = convert(jObject(src[i], '') ?? {}, i, ctx);
    } catch (err) {
      within(err, `dataPoints[${i}]`);
    }
  }
  return out;
}

function numberPoint(p: JsonObject, i: number, ctx: ItemContext): Point {
  const attributes = pointAttributes(p, i, ctx);
  const exemplars = exemplarsOf(p.exemplars, i, ctx);
  const [start, time] = times(p);
  return numberPointJson(attributes, start, time, valueOf(p), exemplars, jU32(p.flags, 'flags')) as unknown as Point;
}

function histogramPoint(p: JsonObject, i: number, ctx: ItemContext): Point {
  const attributes = pointAttributes(p, i, ctx);
  const exemplars = exemplarsOf(p.exemplars, i, ctx);
  const [start, time] = times(p);
  return histogramPointJson(attributes, start, time, {
    count: jU64(p.count, 'count'),
    sum: jOptionalDouble(p.sum, 'sum'),
    bucketCounts: u64s(pick(p, 'bucketCounts', 'bucket_counts'), 'bucketCounts'),
    explicitBounds: doubles(pick(p, 'explicitBounds', 'explicit_bounds'), 'explicitBounds'),
    exemplars,
    flags: jU32(p.flags, 'flags'),
    min: jOptionalDouble(p.min, 'min'),
    max: jOptionalDouble(p.max, 'max'),
  }) as unknown as Point;
}

function exponentialHistogramPoint(p: JsonObject, i: number, ctx: ItemContext): Point {
  const attributes = pointAttributes(p, i, ctx);
  const exemplars = exemplarsOf(p.exemplars, i, ctx);
  const [start, time] = times(p);
  return exponentialHistogramPointJson(attributes, start, time, {
    count: jU64(p.count, 'count'),
    sum: jOptionalDouble(p.sum, 'sum'),
    scale: jI32(p.scale, 'scale'),
    zeroCount: jU64(pick(p, 'zeroCount', 'zero_count'), 'zeroCount'),
    positive: bucketsOf(p.positive, 'positive'),
    negative: bucketsOf(p.negative, 'negative'),
    exemplars,
    flags: jU32(p.flags, 'flags'),
    min: jOptionalDouble(p.min, 'min'),
    max: jOptionalDouble(p.max, 'max'),
    zeroThreshold: jDouble(pick(p, 'zeroThreshold', 'zero_threshold'), 'zeroThreshold'),
  }) as unknown as Point;
}

function summaryPoint(p: JsonObject, i: number, ctx: ItemContext): Point {
  const attributes = pointAttributes(p, i, ctx);
  const [start, time] = times(p);
  const src = jArray(pick(p, 'quantileValues', 'quantile_values'), 'quantileValues');
  const quantileValues = src.map((v, j) => {
    try {
      const q = jObject(v, '') ?? {};
      return { quantile: jDouble(q.quantile, 'quantile'), value: jDouble(q.value, 'value') };
    } catch (err) {
      within(err, `quantileValues[${j}]`);
    }
  });
  return summaryPointJson(attributes, start, time, jU64(p.count, 'count'), jDouble(p.sum, 'sum'), quantileValues, jU32(p.flags, 'flags')) as unknown as Point;
}

/** The same RawMetric as the protobuf decoder's metricOf. */
function metricOf(m: JsonObject, ctx: ItemContext): RawMetric {
  const name = jString(m.name, 'name');
  const description = jString(m.description, 'description');
  const unit = jString(m.unit, 'unit');
  let type: RawMetric['type'] = 'empty';
  let temporality = 0;
  let monotonic = false;
  let dataPoints: Point[] = [];
  let x: JsonObject | undefined;
  const temporalityOf = (o: JsonObject): number => {
    const t = pick(o, 'aggregationTemporality', 'aggregation_temporality');
    return t == null ? 0 : jEnum(t, 'aggregationTemporality', TEMPORALITY);
  };
  const inside = <T>(field: string, f: () => T): T => {
    try {
      return f();
    } catch (err) {
      within(err, field);
    }
  };
  if ((x = jObject(m.gauge, 'gauge'))) {
    const o = x;
    type = 'gauge';
    dataPoints = inside('gauge', () => points(pick(o, 'dataPoints', 'data_points'), ctx, numberPoint));
  } else if ((x = jObject(m.sum, 'sum'))) {
    const o = x;
    type = 'sum';
    temporality = inside('sum', () => temporalityOf(o));
    monotonic = inside('sum', () => jBool(pick(o, 'isMonotonic', 'is_monotonic'), 'isMonotonic'));
    dataPoints = inside('sum', () => points(pick(o, 'dataPoints', 'data_points'), ctx, numberPoint));
  } else if ((x = jObject(m.histogram, 'histogram'))) {
    const o = x;
    type = 'histogram';
    temporality = inside('histogram', () => temporalityOf(o));
    dataPoints = inside('histogram', () => points(pick(o, 'dataPoints', 'data_points'), ctx, histogramPoint));
  } else if ((x = jObject(pick(m, 'exponentialHistogram', 'exponential_histogram'), 'exponentialHistogram'))) {
    const o = x;
    type = 'exponentialHistogram';
    temporality = inside('exponentialHistogram', () => temporalityOf(o));
    dataPoints = inside('exponentialHistogram', () => points(pick(o, 'dataPoints', 'data_points'), ctx, exponentialHistogramPoint));
  } else if ((x = jObject(m.summary, 'summary'))) {
    const o = x;
    type = 'summary';
    dataPoints = inside('summary', () => points(pick(o, 'dataPoints', 'data_points'), ctx, summaryPoint));
  }
  ctx.at('metadata ', 'metadata.');
  const metadata = jKeyValues(m.metadata, 'metadata', ctx);
  return metricJson(name, description, unit, type, temporality, monotonic, dataPoints, metadata);
}

/**
 * Decodes an OTLP/JSON ExportMetricsServiceRequest into exactly what decodeMetricsRequest gives
 * for the same data in protobuf. JSON rules and errors as decodeTraceRequestJson.
 */
export function decodeMetricsRequestJson(body: Uint8Array, limits?: Partial<DecodeLimits>): DecodeResult<MetricReceivedData, MetricRejection> {
  return decodeJsonRequest<RawMetric, MetricReceivedData, MetricRejection>(body, limits, {
    name: NAME,
    resources: ['resourceMetrics', 'resource_metrics'],
    scopes: ['scopeMetrics', 'scope_metrics'],
    items: ['metrics', 'metrics'],
    itemOf: metricOf,
    finish: finishMetric,
  });
}
