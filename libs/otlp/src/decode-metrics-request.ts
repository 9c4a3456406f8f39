import type { KeyValue, MetricReceivedData, RawMetric } from '@temps/domain';
import { opentelemetry } from './generated/otlp';
import { signedToString, unsignedToString, type Int64Like } from './int64';
import { ItemContext, sharedReason } from './item-context';
import { resolveLimits, type DecodeLimits, type DecodeResult, type MetricRejection } from './limits';
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
import { decodeMessage, hex, keyValues, resourceOf, scopeOf } from './protobuf-common';

const { ExportMetricsServiceRequest } = opentelemetry.proto.collector.metrics.v1;
type PbKeyValue = opentelemetry.proto.common.v1.KeyValue.$Properties;
type PbMetric = opentelemetry.proto.metrics.v1.Metric.$Properties;
type PbExemplar = opentelemetry.proto.metrics.v1.Exemplar.$Properties;
type PbNumberPoint = opentelemetry.proto.metrics.v1.NumberDataPoint.$Properties;
type PbHistogramPoint = opentelemetry.proto.metrics.v1.HistogramDataPoint.$Properties;
type PbExpHistogramPoint = opentelemetry.proto.metrics.v1.ExponentialHistogramDataPoint.$Properties;
type PbSummaryPoint = opentelemetry.proto.metrics.v1.SummaryDataPoint.$Properties;
type PbBuckets = opentelemetry.proto.metrics.v1.ExponentialHistogramDataPoint.Buckets.$Properties;
type Point = Record<string, unknown>;

function valueOf(p: { asDouble?: number | null; asInt?: Int64Like | null }): PointValue {
  if (p.asDouble != null) return { asDouble: p.asDouble };
  if (p.asInt != null) return { asInt: signedToString(p.asInt) };
  return null;
}

function exemplarsOf(src: PbExemplar[] | null | undefined, point: number, ctx: ItemContext): ExemplarJson[] {
  const n = src ? src.length : 0;
  const out: ExemplarJson[] = new Array(n);
  for (let j = 0; j < n; j++) {
    const e = src![j]!;
    ctx.at('exemplar ', `dataPoints[${point}].exemplars[${j}].filteredAttributes.`);
    const filteredAttributes = keyValues(e.filteredAttributes, ctx);
    const [traceId, spanId] = exemplarIds(ctx, hex(e.traceId), hex(e.spanId));
    out[j] = exemplarJson(filteredAttributes, unsignedToString(e.timeUnixNano), valueOf(e), spanId, traceId);
  }
  return out;
}

function u64s(src: Int64Like[] | null | undefined): string[] {
  const n = src ? src.length : 0;
  const out: string[] = new Array(n);
  for (let i = 0; i < n; i++) out[i] = unsignedToString(src![i]);
  return out;
}

function bucketsOf(b: PbBuckets | null | undefined): BucketsJson | undefined {
  if (!b) return undefined;
  return { offset: b.offset ?? 0, bucketCounts: u64s(b.bucketCounts) };
}

function pointAttributes(src: PbKeyValue[] | null | undefined, i: number, ctx: ItemContext): KeyValue[] {
  ctx.at('data point ', `dataPoints[${i}].attributes.`);
  return keyValues(src, ctx);
}

function numberPoints(src: PbNumberPoint[] | null | undefined, ctx: ItemContext): Point[] {
  const n = src ? src.length : 0;
  const out: Point[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const p = src![i]!;
    const attributes = pointAttributes(p.attributes, i, ctx);
    const exemplars = exemplarsOf(p.exemplars, i, ctx);
    out[i] = numberPointJson(attributes, unsignedToString(p.startTimeUnixNano), unsignedToString(p.timeUnixNano), valueOf(p), exemplars, p.flags ?? 0) as unknown as Point;
  }
  return out;
}

function histogramPoints(src: PbHistogramPoint[] | null | undefined, ctx: ItemContext): Point[] {
  const n = src ? src.length : 0;
  const out: Point[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const p = src![i]!;
    const attributes = pointAttributes(p.attributes, i, ctx);
    const exemplars = exemplarsOf(p.exemplars, i, ctx);
    out[i] = histogramPointJson(attributes, unsignedToString(p.startTimeUnixNano), unsignedToString(p.timeUnixNano), {
      count: unsignedToString(p.count),
      sum: p.sum ?? undefined,
      bucketCounts: u64s(p.bucketCounts),
      explicitBounds: p.explicitBounds ? Array.from(p.explicitBounds) : [],
      exemplars,
      flags: p.flags ?? 0,
      min: p.min ?? undefined,
      max: p.max ?? undefined,
    }) as unknown as Point;
  }
  return out;
}

function exponentialHistogramPoints(src: PbExpHistogramPoint[] | null | undefined, ctx: ItemContext): Point[] {
  const n = src ? src.length : 0;
  const out: Point[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const p = src![i]!;
    const attributes = pointAttributes(p.attributes, i, ctx);
    const exemplars = exemplarsOf(p.exemplars, i, ctx);
    out[i] = exponentialHistogramPointJson(attributes, unsignedToString(p.startTimeUnixNano), unsignedToString(p.timeUnixNano), {
      count: unsignedToString(p.count),
      sum: p.sum ?? undefined,
      scale: p.scale ?? 0,
      zeroCount: unsignedToString(p.zeroCount),
      positive: bucketsOf(p.positive),
      negative: bucketsOf(p.negative),
      exemplars,
      flags: p.flags ?? 0,
      min: p.min ?? undefined,
      max: p.max ?? undefined,
      zeroThreshold: p.zeroThreshold ?? 0,
    }) as unknown as Point;
  }
  return out;
}

function summaryPoints(src: PbSummaryPoint[] | null | undefined, ctx: ItemContext): Point[] {
  const n = src ? src.length : 0;
  const out: Point[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const p = src![i]!;
    const attributes = pointAttributes(p.attributes, i, ctx);
    const q = p.quantileValues ?? [];
    const quantileValues = q.map((v) => ({ quantile: v.quantile ?? 0, value: v.value ?? 0 }));
    out[i] = summaryPointJson(attributes, unsignedToString(p.startTimeUnixNano), unsignedToString(p.timeUnixNano), unsignedToString(p.count), p.sum ?? 0, quantileValues, p.flags ?? 0) as unknown as Point;
  }
  return out;
}

function metricOf(m: PbMetric, ctx: ItemContext): RawMetric {
  let type: RawMetric['type'] = 'empty';
  let temporality = 0;
  let monotonic = false;
  let dataPoints: Point[] = [];
  // The set oneof member is an own property; the others are inherited nulls.
  if (m.gauge != null) {
    type = 'gauge';
    dataPoints = numberPoints(m.gauge.dataPoints, ctx);
  } else if (m.sum != null) {
    type = 'sum';
    temporality = m.sum.aggregationTemporality ?? 0;
    monotonic = !!m.sum.isMonotonic;
    dataPoints = numberPoints(m.sum.dataPoints, ctx);
  } else if (m.histogram != null) {
    type = 'histogram';
    temporality = m.histogram.aggregationTemporality ?? 0;
    dataPoints = histogramPoints(m.histogram.dataPoints, ctx);
  } else if (m.exponentialHistogram != null) {
    type = 'exponentialHistogram';
    temporality = m.exponentialHistogram.aggregationTemporality ?? 0;
    dataPoints = exponentialHistogramPoints(m.exponentialHistogram.dataPoints, ctx);
  } else if (m.summary != null) {
    type = 'summary';
    dataPoints = summaryPoints(m.summary.dataPoints, ctx);
  }
  ctx.at('metadata ', 'metadata.');
  const metadata = keyValues(m.metadata, ctx);
  return metricJson(m.name ?? '', m.description ?? '', m.unit ?? '', type, temporality, monotonic, dataPoints, metadata);
}

/**
 * Decodes an OTLP ExportMetricsServiceRequest (protobuf) into one MetricReceivedData per Metric
 * (all its data points inside, OTLP/JSON-shaped: see metric-shapes), in request order, and the
 * metrics it rejects, each with its number of data points (what rejected_data_points counts).
 * Exemplars are kept, their ids hex. Limits as decodeTraceRequest, per data point and exemplar.
 *
 * Throws OtlpDecodeError when the bytes are not a well-formed message.
 */
export function decodeMetricsRequest(body: Uint8Array, limits?: Partial<DecodeLimits>): DecodeResult<MetricReceivedData, MetricRejection> {
  const request = decodeMessage(ExportMetricsServiceRequest, 'ExportMetricsServiceRequest', body);
  const ctx = new ItemContext(resolveLimits(limits));
  const result: DecodeResult<MetricReceivedData, MetricRejection> = { items: [], rejected: [] };
  const resourceMetrics = request.resourceMetrics ?? [];
  for (let r = 0; r < resourceMetrics.length; r++) {
    const rm = resourceMetrics[r]!;
    const scopeMetrics = rm.scopeMetrics;
    if (!scopeMetrics || !scopeMetrics.length) continue;
    const resource = resourceOf(rm.resource, rm.schemaUrl, ctx);
    for (let s = 0; s < scopeMetrics.length; s++) {
      const sm = scopeMetrics[s]!;
      const metrics = sm.metrics;
      if (!metrics || !metrics.length) continue;
      const scope = scopeOf(sm.scope, sm.schemaUrl, ctx);
      const shared = sharedReason(resource, scope);
      for (let i = 0; i < metrics.length; i++) {
        ctx.reset();
        const metric = metricOf(metrics[i]!, ctx);
        finishMetric(metric, ctx, resource, scope, shared, result);
      }
    }
  }
  return result;
}
