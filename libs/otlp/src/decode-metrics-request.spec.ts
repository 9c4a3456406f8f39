import { ValueType } from '@opentelemetry/api';
import { JsonMetricsSerializer, ProtobufMetricsSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { AggregationTemporality, AggregationType, MeterProvider, MetricReader, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import type { MetricReceivedData } from '@temps/domain';
import { decodeMetricsRequest, decodeMetricsRequestJson, decodeTraceRequest, OtlpDecodeError } from './index';
import { opentelemetry } from './generated/otlp';

/** A reader that only collects on demand. */
class ManualReader extends MetricReader {
  protected onShutdown(): Promise<void> {
    return Promise.resolve();
  }
  protected onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
}

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN_ID = '00f067aa0ba902b7';

async function recordMetrics(temporality: AggregationTemporality): Promise<ResourceMetrics> {
  const reader = new ManualReader({ aggregationTemporalitySelector: () => temporality });
  const provider = new MeterProvider({
    resource: resourceFromAttributes({ 'service.name': 'my-ai-app' }),
    readers: [reader],
    views: [
      { instrumentName: 'gen_ai.client.operation.duration', aggregation: { type: AggregationType.EXPLICIT_BUCKET_HISTOGRAM, options: { boundaries: [0.01, 0.1, 1, 10], recordMinMax: true } } },
      { instrumentName: 'gen_ai.server.time_per_output_token', aggregation: { type: AggregationType.EXPONENTIAL_HISTOGRAM, options: { maxSize: 20 } } },
    ],
  });
  const meter = provider.getMeter('opentelemetry.instrumentation.openai_v2', '2.1b0', { schemaUrl: 'https://opentelemetry.io/schemas/1.37.0' });
  const tokens = meter.createHistogram('gen_ai.client.token.usage', { unit: '{token}', description: 'Number of input and output tokens used', valueType: ValueType.INT });
  const duration = meter.createHistogram('gen_ai.client.operation.duration', { unit: 's', description: 'GenAI operation duration' });
  const perToken = meter.createHistogram('gen_ai.server.time_per_output_token', { unit: 's' });
  const requests = meter.createCounter('app.requests', { valueType: ValueType.INT });
  const inflight = meter.createUpDownCounter('app.inflight', { valueType: ValueType.INT });
  const temperature = meter.createGauge('app.temperature');
  meter.createObservableGauge('app.queue.depth', { valueType: ValueType.INT }).addCallback((r) => r.observe(7, { queue: 'main' }));

  const attrs = { 'gen_ai.operation.name': 'chat', 'gen_ai.system': 'openai', 'gen_ai.request.model': 'gpt-4o' };
  tokens.record(150, { ...attrs, 'gen_ai.token.type': 'input' });
  tokens.record(42, { ...attrs, 'gen_ai.token.type': 'output' });
  for (const d of [0.005, 0.2, 0.35, 3.5, 42]) duration.record(d, attrs);
  for (const d of [0.001, 0.002, 0.004, 0.0041, 0.3]) perToken.record(d, attrs);
  perToken.record(0, attrs); // (not -0: JSON.stringify in the JSON serializer writes it as 0)
  requests.add(3, { route: '/chat' });
  requests.add(Number.MAX_SAFE_INTEGER - 10, { route: '/big' });
  inflight.add(5);
  inflight.add(-7);
  temperature.record(0.7, { model: 'gpt-4o' });

  const { resourceMetrics, errors } = await reader.collect();
  expect(errors).toEqual([]);
  return resourceMetrics;
}

describe('decodeMetricsRequest / decodeMetricsRequestJson on real SDK metrics', () => {
  let cumulative: ResourceMetrics;
  let delta: ResourceMetrics;
  beforeAll(async () => {
    cumulative = await recordMetrics(AggregationTemporality.CUMULATIVE);
    delta = await recordMetrics(AggregationTemporality.DELTA);
  });

  function decodeBoth(rm: ResourceMetrics) {
    const fromPb = decodeMetricsRequest(ProtobufMetricsSerializer.serializeRequest(rm)!);
    const fromJson = decodeMetricsRequestJson(JsonMetricsSerializer.serializeRequest(rm)!);
    return { fromPb, fromJson };
  }

  it('decodes the protobuf and JSON serializations of the same metrics to exactly the same result', () => {
    for (const rm of [cumulative, delta]) {
      const { fromPb, fromJson } = decodeBoth(rm);
      expect(fromPb.rejected).toEqual([]);
      expect(fromPb.items.length).toBe(7);
      expect(fromJson).toStrictEqual(fromPb);
      expect(JSON.stringify(fromJson)).toBe(JSON.stringify(fromPb));
    }
  });

  it('gives one MetricReceivedData per metric with OTLP/JSON-shaped data points (int64 as strings)', () => {
    const { fromPb } = decodeBoth(cumulative);
    const byName = new Map(fromPb.items.map((d) => [d.metric.name, d] as [string, MetricReceivedData]));
    const tokens = byName.get('gen_ai.client.token.usage')!.metric;
    expect(tokens).toMatchObject({ type: 'histogram', unit: '{token}', description: 'Number of input and output tokens used', aggregationTemporality: 2 });
    expect(tokens.dataPoints).toHaveLength(2);
    const input = tokens.dataPoints[0] as Record<string, unknown>;
    expect(input.count).toBe('1');
    expect(input.sum).toBe(150);
    expect(input.min).toBe(150);
    expect(input.max).toBe(150);
    expect(typeof input.startTimeUnixNano).toBe('string');
    expect(input.timeUnixNano).toMatch(/^\d{19}$/);
    expect((input.bucketCounts as string[]).every((c) => /^\d+$/.test(c))).toBe(true);
    expect(input.attributes).toContainEqual({ key: 'gen_ai.token.type', value: { stringValue: 'input' } });

    const duration = byName.get('gen_ai.client.operation.duration')!.metric;
    expect(duration.dataPoints[0]).toMatchObject({ count: '5', explicitBounds: [0.01, 0.1, 1, 10], bucketCounts: ['1', '0', '2', '1', '1'], min: 0.005, max: 42 });

    const perToken = byName.get('gen_ai.server.time_per_output_token')!.metric;
    expect(perToken.type).toBe('exponentialHistogram');
    const exp = perToken.dataPoints[0] as Record<string, unknown>;
    expect(exp).toMatchObject({ count: '6', zeroCount: '1' });
    expect(typeof exp.scale).toBe('number');
    expect(exp.positive).toMatchObject({ offset: expect.any(Number) });
    expect((exp.positive as { bucketCounts: string[] }).bucketCounts.reduce((a, b) => a + Number(b), 0)).toBe(5);

    const requests = byName.get('app.requests')!.metric;
    expect(requests).toMatchObject({ type: 'sum', isMonotonic: true, aggregationTemporality: 2 });
    expect(requests.dataPoints.map((p) => p.asInt)).toEqual(['3', String(Number.MAX_SAFE_INTEGER - 10)]);
    const inflight = byName.get('app.inflight')!.metric;
    expect(inflight).toMatchObject({ type: 'sum', isMonotonic: false });
    expect(inflight.dataPoints[0]!.asInt).toBe('-2');
    expect(byName.get('app.temperature')!.metric).toMatchObject({ type: 'gauge', dataPoints: [{ asDouble: 0.7 }] });
    expect('aggregationTemporality' in byName.get('app.temperature')!.metric).toBe(false);
    expect(byName.get('app.queue.depth')!.metric.dataPoints[0]).toMatchObject({ asInt: '7', attributes: [{ key: 'queue', value: { stringValue: 'main' } }] });

    const { scope, resource } = byName.get('app.requests')!;
    expect(scope).toStrictEqual({ name: 'opentelemetry.instrumentation.openai_v2', version: '2.1b0', attributes: [], schemaUrl: 'https://opentelemetry.io/schemas/1.37.0' });
    expect(resource.attributes).toContainEqual({ key: 'service.name', value: { stringValue: 'my-ai-app' } });
  });

  it('reports delta temporality', () => {
    const { fromPb } = decodeBoth(delta);
    expect(fromPb.items.find((d) => d.metric.name === 'app.requests')!.metric.aggregationTemporality).toBe(1);
  });
});

describe('metrics the JS SDK does not produce: summaries, exemplars, flags, big counts', () => {
  const { ExportMetricsServiceRequest } = opentelemetry.proto.collector.metrics.v1;
  const request = {
    resourceMetrics: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'collector' } }] },
        scopeMetrics: [
          {
            scope: { name: 's' },
            metrics: [
              {
                name: 'rpc.latency',
                summary: {
                  dataPoints: [
                    {
                      startTimeUnixNano: '1780000000000000000',
                      timeUnixNano: '1780000001000000001',
                      count: '18446744073709551615',
                      sum: 12.5,
                      quantileValues: [{ quantile: 0.5, value: 1 }, { quantile: 0.99 }],
                      flags: 1,
                    },
                  ],
                },
              },
              {
                name: 'tokens',
                sum: {
                  aggregationTemporality: 1,
                  dataPoints: [
                    {
                      timeUnixNano: '5',
                      asInt: '-9223372036854775808',
                      exemplars: [
                        { timeUnixNano: '4', asDouble: 2.5, traceId: TRACE_ID, spanId: SPAN_ID, filteredAttributes: [{ key: 'user', value: { stringValue: 'u1' } }] },
                        { timeUnixNano: '3', asInt: '9007199254740993' },
                        { timeUnixNano: '2', traceId: '00'.repeat(16), spanId: '00'.repeat(8) },
                      ],
                    },
                  ],
                },
                metadata: [{ key: 'source', value: { stringValue: 'test' } }],
              },
              {
                name: 'h',
                histogram: { aggregationTemporality: 2, dataPoints: [{ count: '9007199254740993', bucketCounts: ['9007199254740993', '0'], explicitBounds: [1], exemplars: [{ timeUnixNano: '1', asDouble: 0.5 }] }] },
              },
              {
                name: 'e',
                exponentialHistogram: { dataPoints: [{ count: '3', scale: -2, zeroCount: '1', zeroThreshold: 0.001, negative: { offset: -3, bucketCounts: ['2'] } }] },
              },
              { name: 'nothing-set', description: 'a metric without data' },
            ],
          },
        ],
      },
    ],
  };
  const hexToB64 = (key: string, value: unknown) => (['traceId', 'spanId'].includes(key) && typeof value === 'string' ? Buffer.from(value, 'hex').toString('base64') : value);
  const pb = ExportMetricsServiceRequest.encode(ExportMetricsServiceRequest.fromObject(JSON.parse(JSON.stringify(request), hexToB64))).finish();
  const fromPb = decodeMetricsRequest(pb);

  it('agrees across encodings (camelCase JSON, snake_case JSON with numbers, protobuf)', () => {
    expect(fromPb.rejected).toEqual([]);
    expect(decodeMetricsRequestJson(new TextEncoder().encode(JSON.stringify(request)))).toStrictEqual(fromPb);
    const snake = JSON.stringify(request)
      .replace(/"([a-z]+)([A-Z][A-Za-z]*)":/g, (_m, head: string, rest: string) => `"${head}${rest.replace(/[A-Z]/g, (c) => '_' + c.toLowerCase())}":`)
      .replace(/"(\d{16,})"/g, '$1') // big integers as number literals
      .replace(/"traceId"|"trace_id"/g, '"trace_id"');
    expect(snake).toContain('"aggregation_temporality":1');
    expect(snake).toContain('"count":18446744073709551615');
    expect(decodeMetricsRequestJson(new TextEncoder().encode(snake))).toStrictEqual(fromPb);
  });

  it('keeps summaries, exemplars (ids hex, all-zero ids dropped), metadata and exact 64-bit values', () => {
    const [summary, tokens, histogram, exp, empty] = fromPb.items.map((d) => d.metric);
    expect(summary).toStrictEqual({
      name: 'rpc.latency',
      type: 'summary',
      dataPoints: [
        {
          attributes: [],
          startTimeUnixNano: '1780000000000000000',
          timeUnixNano: '1780000001000000001',
          count: '18446744073709551615',
          sum: 12.5,
          quantileValues: [
            { quantile: 0.5, value: 1 },
            { quantile: 0.99, value: 0 },
          ],
          flags: 1,
        },
      ],
    });
    expect(tokens).toStrictEqual({
      name: 'tokens',
      type: 'sum',
      dataPoints: [
        {
          attributes: [],
          startTimeUnixNano: '0',
          timeUnixNano: '5',
          asInt: '-9223372036854775808',
          exemplars: [
            { filteredAttributes: [{ key: 'user', value: { stringValue: 'u1' } }], timeUnixNano: '4', asDouble: 2.5, spanId: SPAN_ID, traceId: TRACE_ID },
            { filteredAttributes: [], timeUnixNano: '3', asInt: '9007199254740993' },
            { filteredAttributes: [], timeUnixNano: '2' },
          ],
        },
      ],
      aggregationTemporality: 1,
      isMonotonic: false,
      metadata: [{ key: 'source', value: { stringValue: 'test' } }],
    });
    expect(histogram!.dataPoints[0]).toStrictEqual({
      attributes: [],
      startTimeUnixNano: '0',
      timeUnixNano: '0',
      count: '9007199254740993',
      bucketCounts: ['9007199254740993', '0'],
      explicitBounds: [1],
      exemplars: [{ filteredAttributes: [], timeUnixNano: '1', asDouble: 0.5 }],
    });
    expect(exp).toStrictEqual({
      name: 'e',
      type: 'exponentialHistogram',
      aggregationTemporality: 0,
      dataPoints: [{ attributes: [], startTimeUnixNano: '0', timeUnixNano: '0', count: '3', scale: -2, zeroCount: '1', negative: { offset: -3, bucketCounts: ['2'] }, zeroThreshold: 0.001 }],
    });
    expect(empty).toStrictEqual({ name: 'nothing-set', description: 'a metric without data', type: 'empty', dataPoints: [] });
  });

  it('rejects a metric whose exemplar ids have the wrong length, counting its data points', () => {
    const bad = JSON.parse(JSON.stringify(request));
    bad.resourceMetrics[0].scopeMetrics[0].metrics[1].sum.dataPoints[0].exemplars[0].traceId = TRACE_ID.slice(2);
    const badPb = ExportMetricsServiceRequest.encode(ExportMetricsServiceRequest.fromObject(JSON.parse(JSON.stringify(bad), hexToB64))).finish();
    const result = decodeMetricsRequest(badPb);
    expect(result.rejected).toEqual([{ reason: 'invalid exemplar trace id: must be 16 bytes, got 15', count: 1 }]);
    expect(decodeMetricsRequestJson(new TextEncoder().encode(JSON.stringify(bad)))).toStrictEqual(result);
  });

  it('throws OtlpDecodeError with the path on a wrongly typed JSON value', () => {
    const bad = JSON.parse(JSON.stringify(request));
    bad.resourceMetrics[0].scopeMetrics[0].metrics[2].histogram.dataPoints[0].bucketCounts[1] = 'many';
    expect(() => decodeMetricsRequestJson(new TextEncoder().encode(JSON.stringify(bad)))).toThrow(OtlpDecodeError);
    expect(() => decodeMetricsRequestJson(new TextEncoder().encode(JSON.stringify(bad)))).toThrow(
      'could not decode ExportMetricsServiceRequest JSON: resourceMetrics[0].scopeMetrics[0].metrics[2].histogram.dataPoints[0].bucketCounts[1]: expected an unsigned 64-bit integer',
    );
  });

  it('a metrics payload posted as traces is not accepted', () => {
    let accepted = 0;
    try {
      accepted = decodeTraceRequest(pb).items.length;
    } catch (err) {
      expect(err).toBeInstanceOf(OtlpDecodeError);
    }
    expect(accepted).toBe(0);
  });
});
