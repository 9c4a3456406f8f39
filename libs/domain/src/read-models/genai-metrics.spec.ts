import type { KeyValue } from '../any-value';
import type { CounterRow } from './read-model-counters';
import {
  bucketPercentile,
  GENAI_METRICS_TABLE,
  GENAI_OPERATION_DURATION,
  GENAI_TOKEN_USAGE,
  GENAI_METRIC_SERIES_TABLE,
  genaiMetricBaselines,
  genaiMetricCounters,
  genaiMetricHourRanges,
  genaiMetricHours,
  genaiMetricSeriesRanges,
  genaiMetricsExpiryCounters,
  genaiMetricsExpiryRanges,
  type MetricsExpiredData,
  rollupGenaiMetrics,
  type GenaiMetricEvent,
  type GenaiMetricName,
} from './genai-metrics';

const HOUR = 3_600_000_000_000n;
const T0 = 1_767_225_600_000_000_000n; // 2026-01-01T00:00:00Z in ns
const kv = (attrs: Record<string, string>): KeyValue[] => Object.entries(attrs).map(([key, v]) => ({ key, value: { stringValue: v } }));

interface PointSpec {
  attrs?: Record<string, string>;
  start?: bigint;
  time: bigint;
  count: number;
  sum: number;
  buckets: number[];
  bounds?: number[];
}

const TOKEN_BOUNDS = [1, 4, 16, 64, 256, 1024];

function metricEvent(points: PointSpec[], options: { metric?: GenaiMetricName; temporality?: number; projectId?: string; resource?: Record<string, string> } = {}): GenaiMetricEvent {
  const metric = options.metric ?? GENAI_TOKEN_USAGE;
  return {
    type: 'MetricReceived',
    metadata: { projectId: options.projectId ?? '1' },
    data: {
      resource: { attributes: kv(options.resource ?? { 'service.name': 'app' }) },
      scope: { name: 'test', attributes: [] },
      metric: {
        name: metric,
        type: 'histogram',
        aggregationTemporality: options.temporality ?? 2,
        dataPoints: points.map((p) => ({
          attributes: kv(p.attrs ?? { 'gen_ai.provider.name': 'openai', 'gen_ai.request.model': 'gpt-4o', 'gen_ai.token.type': 'input', 'gen_ai.operation.name': 'chat' }),
          startTimeUnixNano: String(p.start ?? T0),
          timeUnixNano: String(p.time),
          count: String(p.count),
          sum: p.sum,
          bucketCounts: p.buckets.map(String),
          explicitBounds: p.bounds ?? TOKEN_BOUNDS,
        })),
      },
    },
  };
}

/** A counter store with the adapters' semantics: rows add once per batch position (the guard), zeros are dropped. */
class CounterStore {
  rows = new Map<string, { values: Record<string, number>; dims: CounterRow['dims']; pos: bigint }>();

  read(ranges: { from: string; to: string }[]): CounterRow[] {
    return [...this.rows.entries()]
      .filter(([id]) => ranges.some((r) => id >= r.from && id < r.to))
      .map(([id, r]) => ({ id, dims: r.dims, values: Object.fromEntries(Object.entries(r.values).filter(([, v]) => v !== 0)) }))
      // A row whose counters all went back to zero stays, unlisted (as the adapters do).
      .filter((r) => Object.keys(r.values).length > 0);
  }

  add(rows: CounterRow[], pos: bigint, only?: (row: CounterRow) => boolean) {
    for (const row of rows) {
      if (only && !only(row)) continue;
      const current = this.rows.get(row.id);
      if (current && current.pos >= pos) continue;
      const values = { ...(current?.values ?? {}) };
      for (const [k, v] of Object.entries(row.values)) values[k] = (values[k] ?? 0) + v;
      this.rows.set(row.id, { values, dims: row.dims, pos });
    }
  }

  /** What the projector does for one batch. */
  apply(events: GenaiMetricEvent[], pos: bigint, only?: (row: CounterRow) => boolean) {
    const stored = this.read(genaiMetricSeriesRanges(events));
    this.add(genaiMetricCounters(events, stored, pos), pos, only);
  }

  /** What the projector does for a MetricsExpired event. */
  expire(data: MetricsExpiredData, pos: bigint, only?: (row: CounterRow) => boolean) {
    this.add(genaiMetricsExpiryCounters(data, this.read(genaiMetricsExpiryRanges(data)), pos), pos, only);
  }

  metricRows(): CounterRow[] {
    return this.read([{ from: GENAI_METRICS_TABLE, to: `${GENAI_METRICS_TABLE}\uffff` }])
      .filter((r) => r.id.startsWith(`${GENAI_METRICS_TABLE}\u001f`))
      .sort((a, b) => (a.id < b.id ? -1 : 1));
  }

  totals(metric: GenaiMetricName = GENAI_TOKEN_USAGE) {
    const points = rollupGenaiMetrics(this.metricRows(), { metric, bucket: 'day', groupBy: 'provider' });
    return points.map(({ count, sum, tokenType, operation }) => ({ count, sum, kind: tokenType ?? operation }));
  }
}

describe('GenAI metrics fold', () => {
  it('delta points add as they are', () => {
    const store = new CounterStore();
    store.apply([metricEvent([{ time: T0 + 10n, start: T0, count: 2, sum: 30, buckets: [0, 0, 1, 1, 0, 0, 0] }], { temporality: 1 })], 1n);
    store.apply([metricEvent([{ time: T0 + 20n, start: T0 + 10n, count: 1, sum: 100, buckets: [0, 0, 0, 0, 1, 0, 0] }], { temporality: 1 })], 2n);
    expect(store.totals()).toEqual([{ count: 3, sum: 130, kind: 'input' }]);
    const [row] = store.metricRows();
    expect(row!.values).toEqual({ count: 3, sum: 130, b4_16: 1, b16_64: 1, b64_256: 1 });
  });

  it('cumulative points count once: each export adds its difference from the previous one', () => {
    const store = new CounterStore();
    store.apply([metricEvent([{ time: T0 + 10n, count: 1, sum: 10, buckets: [0, 0, 1, 0, 0, 0, 0] }])], 1n);
    store.apply([metricEvent([{ time: T0 + 20n, count: 3, sum: 60, buckets: [0, 0, 2, 1, 0, 0, 0] }])], 2n);
    store.apply([metricEvent([{ time: T0 + 30n, count: 4, sum: 2060, buckets: [0, 0, 2, 1, 0, 0, 1] }])], 3n);
    expect(store.totals()).toEqual([{ count: 4, sum: 2060, kind: 'input' }]);
    expect(store.metricRows()[0]!.values).toEqual({ count: 4, sum: 2060, b4_16: 2, b16_64: 1, b1024_Inf: 1 });
  });

  it('a re-exported cumulative point (no new measurement, or the same point again) adds nothing', () => {
    const store = new CounterStore();
    store.apply([metricEvent([{ time: T0 + 10n, count: 2, sum: 20, buckets: [0, 0, 2, 0, 0, 0, 0] }])], 1n);
    store.apply([metricEvent([{ time: T0 + 20n, count: 2, sum: 20, buckets: [0, 0, 2, 0, 0, 0, 0] }])], 2n);
    store.apply([metricEvent([{ time: T0 + 20n, count: 2, sum: 20, buckets: [0, 0, 2, 0, 0, 0, 0] }])], 3n);
    expect(store.totals()).toEqual([{ count: 2, sum: 20, kind: 'input' }]);
  });

  it('an exporter restart (new start time) counts from zero', () => {
    const store = new CounterStore();
    store.apply([metricEvent([{ start: T0, time: T0 + 10n, count: 5, sum: 50, buckets: [0, 0, 5, 0, 0, 0, 0] }])], 1n);
    store.apply([metricEvent([{ start: T0 + 100n, time: T0 + 110n, count: 1, sum: 7, buckets: [0, 0, 1, 0, 0, 0, 0] }])], 2n);
    store.apply([metricEvent([{ start: T0 + 100n, time: T0 + 120n, count: 2, sum: 14, buckets: [0, 0, 2, 0, 0, 0, 0] }])], 3n);
    expect(store.totals()).toEqual([{ count: 7, sum: 64, kind: 'input' }]);
  });

  it('a lower cumulative total with the same start time is a reset and counts in full', () => {
    const store = new CounterStore();
    store.apply([metricEvent([{ time: T0 + 10n, count: 5, sum: 50, buckets: [0, 0, 5, 0, 0, 0, 0] }])], 1n);
    store.apply([metricEvent([{ time: T0 + 20n, count: 1, sum: 3, buckets: [0, 1, 0, 0, 0, 0, 0] }])], 2n);
    expect(store.totals()).toEqual([{ count: 6, sum: 53, kind: 'input' }]);
  });

  it('is order-insensitive within a batch, and an older point after a newer one adds nothing', () => {
    const points = [
      { time: T0 + 10n, count: 1, sum: 10, buckets: [0, 0, 1, 0, 0, 0, 0] },
      { time: T0 + HOUR + 10n, count: 3, sum: 30, buckets: [0, 0, 3, 0, 0, 0, 0] },
      { time: T0 + 2n * HOUR + 10n, count: 6, sum: 60, buckets: [0, 0, 6, 0, 0, 0, 0] },
    ];
    const inOrder = new CounterStore();
    for (const [i, p] of points.entries()) inOrder.apply([metricEvent([p])], BigInt(i + 1));
    const shuffled = new CounterStore();
    shuffled.apply([metricEvent([points[2]!]), metricEvent([points[0]!]), metricEvent([points[1]!])], 1n);
    // The same read model, hour by hour, whatever the batching and order.
    expect(shuffled.metricRows()).toEqual(inOrder.metricRows());
    expect(rollupGenaiMetrics(inOrder.metricRows(), { metric: GENAI_TOKEN_USAGE, bucket: 'hour', groupBy: 'model' }).map((p) => p.count)).toEqual([1, 2, 3]);

    const late = new CounterStore();
    late.apply([metricEvent([points[2]!])], 1n);
    late.apply([metricEvent([points[0]!, points[1]!])], 2n);
    expect(late.totals()).toEqual([{ count: 6, sum: 60, kind: 'input' }]);
  });

  it('a batch applied twice (same position) changes nothing, also after a crash that wrote part of its rows', () => {
    const first = metricEvent([{ time: T0 + 10n, count: 1, sum: 10, buckets: [0, 0, 1, 0, 0, 0, 0] }]);
    const batch = [
      metricEvent([{ time: T0 + HOUR + 20n, count: 4, sum: 40, buckets: [0, 0, 4, 0, 0, 0, 0] }]),
      metricEvent([{ time: T0 + 30n, count: 2, sum: 200, buckets: [0, 0, 0, 0, 2, 0, 0] }], { temporality: 1 }),
    ];
    const clean = new CounterStore();
    clean.apply([first], 1n);
    clean.apply(batch, 2n);
    const snapshot = structuredClone(clean.rows);
    clean.apply(batch, 2n);
    expect(clean.rows).toEqual(snapshot);
    expect(clean.totals()).toEqual([{ count: 6, sum: 240, kind: 'input' }]);

    // Only the series state row was written, then the process died: the replay recomputes from the state before the batch.
    const crashed = new CounterStore();
    crashed.apply([first], 1n);
    crashed.apply(batch, 2n, (row) => !row.id.startsWith(`${GENAI_METRICS_TABLE}\u001f`));
    crashed.apply(batch, 2n);
    expect(crashed.metricRows()).toEqual(clean.metricRows());
    // And the next export still counts its difference only.
    for (const s of [clean, crashed]) s.apply([metricEvent([{ time: T0 + HOUR + 40n, count: 5, sum: 50, buckets: [0, 0, 5, 0, 0, 0, 0] }])], 3n);
    expect(crashed.metricRows()).toEqual(clean.metricRows());
    expect(clean.totals()).toEqual([{ count: 7, sum: 250, kind: 'input' }]);
  });

  it('keeps projects, series and metrics apart, and ignores other metrics', () => {
    const store = new CounterStore();
    const output = { 'gen_ai.provider.name': 'openai', 'gen_ai.response.model': 'gpt-4o-2024-08-06', 'gen_ai.request.model': 'gpt-4o', 'gen_ai.token.type': 'output' };
    store.apply(
      [
        metricEvent([{ time: T0 + 10n, count: 1, sum: 10, buckets: [0, 0, 1, 0, 0, 0, 0] }]),
        metricEvent([{ time: T0 + 10n, count: 1, sum: 10, buckets: [0, 0, 1, 0, 0, 0, 0] }], { resource: { 'service.name': 'other' } }),
        metricEvent([{ attrs: output, time: T0 + 10n, count: 1, sum: 300, buckets: [0, 0, 0, 0, 0, 1, 0] }]),
        metricEvent([{ time: T0 + 10n, count: 9, sum: 90, buckets: [0, 0, 9, 0, 0, 0, 0] }], { projectId: '2' }),
        metricEvent([{ attrs: { 'gen_ai.system': 'Anthropic', 'gen_ai.request.model': 'claude', 'gen_ai.operation.name': 'chat' }, time: T0 + 10n, count: 2, sum: 1.5, buckets: [1, 1], bounds: [0.5] }], {
          metric: GENAI_OPERATION_DURATION,
        }),
        { type: 'MetricReceived', metadata: { projectId: '1' }, data: { ...(metricEvent([]).data as object), metric: { name: 'http.client.duration', type: 'histogram', aggregationTemporality: 1, dataPoints: [] } } },
        { type: 'SpanReceived', metadata: { projectId: '1' }, data: {} },
      ],
      1n,
    );
    const tokens = rollupGenaiMetrics(store.metricRows().filter((r) => r.dims.projectId === '1'), { metric: GENAI_TOKEN_USAGE, bucket: 'hour', groupBy: 'model' });
    expect(tokens.map(({ model, tokenType, count, sum }) => ({ model, tokenType, count, sum }))).toEqual([
      { model: 'gpt-4o', tokenType: 'input', count: 2, sum: 20 },
      { model: 'gpt-4o-2024-08-06', tokenType: 'output', count: 1, sum: 300 },
    ]);
    const durations = rollupGenaiMetrics(store.metricRows(), { metric: GENAI_OPERATION_DURATION, bucket: 'hour', groupBy: 'model' });
    expect(durations).toEqual([{ bucketStart: '2026-01-01T00:00:00.000Z', provider: 'anthropic', model: 'claude', operation: 'chat', count: 2, sum: 1.5, p50: 0.5, p95: 0.5, p99: 0.5 }]);
  });

  it('percentiles interpolate inside the bucket that holds the rank, whatever bounds each exporter used', () => {
    expect(bucketPercentile({ 'b-Inf_10': 10, b10_20: 10 }, 50)).toBe(10);
    expect(bucketPercentile({ 'b-Inf_10': 10, b10_20: 10 }, 75)).toBe(15);
    // Empty buckets are not stored: the lower bound comes from the key, not from the previous bucket.
    expect(bucketPercentile({ b0p16_0p32: 1, b10p24_20p48: 1 }, 75)).toBeCloseTo(15.36, 9);
    expect(bucketPercentile({ 'b-Inf_10': 1, b10_Inf: 9 }, 99)).toBe(10);
    expect(bucketPercentile({ count: 4, 'b-Inf_0p5': 4 }, 50)).toBe(0.25);
    expect(bucketPercentile({ count: 3, sum: 9 }, 50)).toBeNull();
    // Two exporters, bounds [1, 4] and [1, 2]: the same bucket adds up, the others sit beside it.
    const store = new CounterStore();
    store.apply([metricEvent([{ time: T0 + 1n, count: 3, sum: 5, buckets: [1, 2, 0], bounds: [1, 4] }], { temporality: 1 })], 1n);
    store.apply([metricEvent([{ time: T0 + 2n, count: 2, sum: 3, buckets: [1, 1, 0], bounds: [1, 2] }], { temporality: 1 })], 2n);
    expect(store.metricRows()[0]!.values).toEqual({ count: 5, sum: 8, 'b-Inf_1': 2, b1_2: 1, b1_4: 2 });
    expect(bucketPercentile(store.metricRows()[0]!.values, 60)).toBe(2); // rank 3: the end of (1, 2]
  });

  it('points without bounds count and sum, with no percentile', () => {
    const store = new CounterStore();
    store.apply([metricEvent([{ time: T0 + 1n, count: 3, sum: 5, buckets: [3], bounds: [] }], { temporality: 1 })], 1n);
    expect(rollupGenaiMetrics(store.metricRows(), { metric: GENAI_TOKEN_USAGE, bucket: 'hour', groupBy: 'model' })).toEqual([
      { bucketStart: '2026-01-01T00:00:00.000Z', provider: 'openai', model: 'gpt-4o', tokenType: 'input', count: 3, sum: 5 },
    ]);
  });
});

describe('GenAI metrics expiry (retention: MetricsExpired)', () => {
  /** A cumulative point of the default series, `h` hours after T0, all its tokens in one bucket. */
  const at = (h: number, count: number) => metricEvent([{ time: T0 + BigInt(h) * HOUR + 10n, count, sum: count * 10, buckets: [0, 0, count, 0, 0, 0, 0] }]);
  const cutoffAt = (h: number) => new Date(Number((T0 + BigInt(h) * HOUR) / 1_000_000n)).toISOString();
  const expiry = (expired: GenaiMetricEvent[], cutoffHour: number, keptFrom: CounterStore | null): MetricsExpiredData => {
    const hours = keptFrom ? genaiMetricHours(expired) : null;
    return { projectId: '1', cutoff: cutoffAt(cutoffHour), streams: [], baselines: genaiMetricBaselines(expired), hours, rows: hours && keptFrom!.read(genaiMetricHourRanges('1', hours)) };
  };
  const byHour = (store: CounterStore) => store.metricRows().map((r) => [r.dims.hour!.slice(11, 13), r.values.count]);
  const isSeries = (row: CounterRow) => row.id.startsWith(GENAI_METRIC_SERIES_TABLE);

  it.each([
    ['no crash', undefined],
    ['a crash that wrote only the series row', isSeries],
    ['a crash that wrote only the hour rows', (row: CounterRow) => !isSeries(row)],
  ])('a rebuild that never reads the expired points ends as the first fold did (%s while folding the marker); the first fold loses only the old hours', (_name, only) => {
    const expired = [at(0, 2), at(1, 5)];
    const data = expiry(expired, 2, null);
    const live = new CounterStore();
    [...expired, at(3, 6)].forEach((e, i) => live.apply([e], BigInt(i + 1)));
    const before = byHour(live);
    live.expire(data, 4n);
    expect(byHour(live)).toEqual(before.filter(([hour]) => hour! >= '02'));
    const rebuild = new CounterStore();
    rebuild.apply([at(3, 6)], 3n);
    expect(byHour(rebuild)).toEqual([['03', 6]]); // counted in full: nothing before it was read
    if (only) rebuild.expire(data, 4n, only);
    rebuild.expire(data, 4n);
    for (const store of [live, rebuild]) store.apply([at(4, 9)], 5n);
    expect(byHour(rebuild)).toEqual([['03', 1], ['04', 3]]);
    expect(rebuild.metricRows()).toEqual(live.metricRows());
  });

  it('kept rows: the first fold changes nothing, a rebuild gets the old hours from the marker', () => {
    const expired = [at(0, 2), at(1, 5)];
    const live = new CounterStore();
    [...expired, at(3, 6)].forEach((e, i) => live.apply([e], BigInt(i + 1)));
    const data = expiry(expired, 2, live);
    const before = live.metricRows();
    live.expire(data, 4n);
    expect(live.metricRows()).toEqual(before);
    const rebuild = new CounterStore();
    rebuild.apply([at(3, 6)], 3n);
    rebuild.expire(data, 4n);
    expect(rebuild.metricRows()).toEqual(before);
  });

  it('a marker folded before the series goes on (a rebuild that read none of it yet) gives the next point its baseline', () => {
    const expired = [at(0, 2), at(1, 5)];
    const data = expiry(expired, 2, null);
    const live = new CounterStore();
    expired.forEach((e, i) => live.apply([e], BigInt(i + 1)));
    live.expire(data, 3n);
    live.apply([at(3, 6)], 4n);
    const rebuild = new CounterStore();
    rebuild.expire(data, 3n);
    rebuild.apply([at(3, 6)], 4n);
    expect(byHour(rebuild)).toEqual([['03', 1]]);
    expect(rebuild.metricRows()).toEqual(live.metricRows());
  });

  it('a kept point lower than the baseline (a reset the exporter did not mark) counts in full in both, with no correction', () => {
    const expired = [at(0, 2), at(1, 5)];
    const data = expiry(expired, 2, null);
    const live = new CounterStore();
    [...expired, at(3, 1)].forEach((e, i) => live.apply([e], BigInt(i + 1)));
    live.expire(data, 4n);
    const rebuild = new CounterStore();
    rebuild.apply([at(3, 1)], 3n);
    rebuild.expire(data, 4n);
    expect(byHour(rebuild)).toEqual([['03', 1]]);
    expect(rebuild.metricRows()).toEqual(live.metricRows());
  });

  it('two sweeps: the second baseline takes out only what lies between the two, after a rebuild that read neither', () => {
    const first = [at(0, 2), at(1, 5)];
    const second = [at(3, 6)];
    const kept = [at(4, 9), at(6, 12)];
    const live = new CounterStore();
    [...first, ...second, ...kept].forEach((e, i) => live.apply([e], BigInt(i + 1)));
    live.expire(expiry(first, 2, null), 6n);
    live.expire(expiry(second, 4, null), 7n);
    expect(byHour(live)).toEqual([['04', 3], ['06', 3]]);
    const rebuild = new CounterStore();
    kept.forEach((e, i) => rebuild.apply([e], BigInt(i + 4)));
    rebuild.expire(expiry(first, 2, null), 6n);
    rebuild.expire(expiry(second, 4, null), 7n);
    expect(rebuild.metricRows()).toEqual(live.metricRows());
  });
});
