import { keyValuesToRecord, type KeyValue } from '../any-value';
import { normalizeProvider } from '../dialects/provider';
import { EventTypes, type IngestMetadata, type MetricReceivedData } from '../events';
import { counterDelta, ID_SEPARATOR as SEP, sumCounters, type CounterRow } from './read-model-counters';

/**
 * GenAI metrics received over OTLP (`gen_ai.client.token.usage`, `gen_ai.client.operation.duration`)
 * as counter rows: per project × hour × metric × provider × model × token type (token usage) or
 * operation (duration), holding count, sum and histogram bucket counts.
 *
 * Semantics, in order of precedence:
 * - Only explicit-bucket histogram points of the two metrics count; other types and an unspecified
 *   temporality are ignored (OTLP makes temporality mandatory for histograms).
 * - DELTA points are increments: they add as they are, to the hour of their time.
 * - CUMULATIVE points are totals since their start time. A series is metric + point attributes +
 *   resource + scope + startTimeUnixNano, so an exporter restart (new start time) is a new series that
 *   counts from zero, and two processes with identical resources never mix. Per series a state row
 *   keeps the last point counted; within a batch the series' points are sorted by time and each point
 *   newer than the previous adds its difference from it, to the hour of its time. A point not newer
 *   than the state (a re-export, or an older point arriving after a newer one) adds nothing: the newer
 *   total already holds it. A newer point with a lower count or bucket is a reset the exporter did not
 *   mark with a new start time: it counts in full.
 * - The state row moves by add-deltas like every counter and also keeps the state before the batch
 *   that last wrote it (`p_*`, with that batch's position in `at_*`): a batch replayed after a crash
 *   that wrote part of its rows (a store without transactions) starts again from the same state, so
 *   its increments are the same and the position guard applies each row once. A complete replay
 *   adds nothing.
 * - Buckets are stored by their bounds (`b<lower>_<upper>`), not by index: the same bucket from any
 *   exporter adds up, buckets of other bounds sit beside it, and a percentile interpolates inside the
 *   bucket that holds its rank (as Prometheus does). Empty buckets are not stored, so the key must
 *   carry the lower bound too. Mapping explicit buckets into the span latency bins would only add a
 *   second approximation.
 * - Sums are stored as integers (durations in microseconds) so add-deltas never drift.
 */
export const GENAI_METRICS_TABLE = 'genai_metrics';
/** Per-series state of cumulative points (last point counted). */
export const GENAI_METRIC_SERIES_TABLE = 'genai_metric_series';

export const GENAI_TOKEN_USAGE = 'gen_ai.client.token.usage';
export const GENAI_OPERATION_DURATION = 'gen_ai.client.operation.duration';
export const GENAI_METRIC_NAMES = [GENAI_TOKEN_USAGE, GENAI_OPERATION_DURATION] as const;
export type GenaiMetricName = (typeof GENAI_METRIC_NAMES)[number];

const DELTA = 1;
const CUMULATIVE = 2;

/** Sums are kept as integers: tokens as they are, seconds as microseconds. */
const SUM_SCALE: Record<GenaiMetricName, number> = { [GENAI_TOKEN_USAGE]: 1, [GENAI_OPERATION_DURATION]: 1e6 };

export const genaiMetricsRowIdPrefix = (projectId: string, metric: GenaiMetricName) => `${GENAI_METRICS_TABLE}${SEP}${projectId}${SEP}${metric}${SEP}`;

/** '.' cannot be in a counter key (Mongo paths): `0.32` is written `0p32`. */
const encodeBound = (n: number) => (n === Infinity ? 'Inf' : n === -Infinity ? '-Inf' : String(n).replace('.', 'p'));

/** Counter key of the bucket (lower, upper]. */
export function bucketKey(lower: number, upper: number): string {
  return `b${encodeBound(lower)}_${encodeBound(upper)}`;
}

function boundsOfKey(key: string): [number, number] | null {
  if (!key.startsWith('b')) return null;
  const parts = key.slice(1).split('_');
  if (parts.length !== 2) return null;
  const [lower, upper] = parts.map((t) => (t === 'Inf' ? Infinity : t === '-Inf' ? -Infinity : Number(t.replace('p', '.'))));
  return Number.isNaN(lower) || Number.isNaN(upper) ? null : [lower!, upper!];
}

interface Histogram {
  count: number;
  /** Scaled to an integer (SUM_SCALE). */
  sum: number;
  /** bucketKey -> count. */
  buckets: Record<string, number>;
}

interface MetricPoint extends Histogram {
  projectId: string;
  metric: GenaiMetricName;
  temporality: number;
  /** Nanoseconds since the epoch, exact. */
  time: bigint;
  startTime: string;
  attributes: Record<string, unknown>;
  seriesId: string;
}

/** cyrb53 with two seeds: a pure 106-bit hash, so series ids stay short whatever the resource holds. */
function hash(text: string): string {
  const lane = (seed: number) => {
    let h1 = 0xdeadbeef ^ seed;
    let h2 = 0x41c6ce57 ^ seed;
    for (let i = 0; i < text.length; i++) {
      const ch = text.charCodeAt(i);
      h1 = Math.imul(h1 ^ ch, 2654435761);
      h2 = Math.imul(h2 ^ ch, 1597334677);
    }
    h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
    h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
    return (4294967296 * (2097151 & h2) + (h1 >>> 0)).toString(16).padStart(14, '0');
  };
  return lane(1) + lane(2);
}

/** Attributes in a canonical order, so the same set hashes the same whatever order it came in. */
const canonical = (attributes: readonly KeyValue[] | undefined) =>
  JSON.stringify([...(attributes ?? [])].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)).map((kv) => [kv.key, kv.value]));

const seriesRowId = (projectId: string, key: string) => `${GENAI_METRIC_SERIES_TABLE}${SEP}${projectId}${SEP}${key}`;

const toNumber = (v: unknown) => {
  const n = typeof v === 'number' ? v : typeof v === 'string' ? Number(v) : NaN;
  return Number.isFinite(n) && n >= 0 ? n : NaN;
};

function toNanos(v: unknown): bigint | null {
  if (typeof v !== 'string' && typeof v !== 'number') return null;
  try {
    const n = BigInt(v);
    return n > 0n ? n : null;
  } catch {
    return null;
  }
}

/** The histogram points of the GenAI metrics in a batch (anything malformed is skipped). */
function metricPoints(events: readonly GenaiMetricEvent[]): MetricPoint[] {
  const out: MetricPoint[] = [];
  for (const e of events) {
    if (e.type !== EventTypes.MetricReceived) continue;
    const projectId = (e.metadata as IngestMetadata | undefined)?.projectId;
    const data = e.data as MetricReceivedData;
    const metric = data?.metric;
    if (!projectId || !metric || !(GENAI_METRIC_NAMES as readonly string[]).includes(metric.name) || metric.type !== 'histogram') continue;
    const name = metric.name as GenaiMetricName;
    const temporality = metric.aggregationTemporality ?? 0;
    if (temporality !== DELTA && temporality !== CUMULATIVE) continue;
    const context = `${name}|${canonical(data.resource?.attributes)}|${data.scope?.name ?? ''}|${data.scope?.version ?? ''}`;
    for (const p of metric.dataPoints ?? []) {
      const time = toNanos(p.timeUnixNano);
      const count = toNumber(p.count);
      const counts = Array.isArray(p.bucketCounts) ? p.bucketCounts.map(toNumber) : [];
      const bounds = Array.isArray(p.explicitBounds) ? (p.explicitBounds as unknown[]).map(Number) : [];
      if (time === null || Number.isNaN(count) || counts.some(Number.isNaN) || bounds.some((b) => !Number.isFinite(b))) continue;
      const buckets: Record<string, number> = {};
      // OTLP: bucket i covers (bounds[i-1], bounds[i]]; the last one (bounds[n-1], +Inf). No bounds is legal: count and sum only.
      if (bounds.length > 0 && counts.length === bounds.length + 1) {
        counts.forEach((c, i) => {
          const key = bucketKey(bounds[i - 1] ?? -Infinity, bounds[i] ?? Infinity);
          if (c > 0) buckets[key] = (buckets[key] ?? 0) + c;
        });
      }
      const sum = typeof p.sum === 'number' && Number.isFinite(p.sum) ? Math.round(p.sum * SUM_SCALE[name]) : 0;
      const startTime = String(p.startTimeUnixNano ?? '0');
      const attributes = p.attributes as KeyValue[] | undefined;
      out.push({
        projectId,
        metric: name,
        temporality,
        time,
        startTime,
        attributes: keyValuesToRecord(attributes),
        seriesId: seriesRowId(projectId, hash(`${context}|${canonical(attributes)}|${startTime}`)),
        count,
        sum,
        buckets,
      });
    }
  }
  return out;
}

/** The events the fold reads: any event of the log (non-metric ones are skipped). */
export interface GenaiMetricEvent {
  type: string;
  data: unknown;
  metadata: unknown;
}

/**
 * The id ranges of the series state rows a batch needs (one row each): the projector loads them
 * with counterRows before it folds the batch.
 */
export function genaiMetricSeriesRanges(events: readonly GenaiMetricEvent[]): { from: string; to: string }[] {
  const ids = new Set(metricPoints(events).filter((p) => p.temporality === CUMULATIVE).map((p) => p.seriesId));
  // Series ids have a fixed length, so no other id starts with one: the range holds exactly that row.
  return [...ids].sort().map((id) => ({ from: id, to: `${id}${SEP}` }));
}

const hourOf = (nanos: bigint) => `${new Date(Number(nanos / 1_000_000n)).toISOString().slice(0, 13)}:00:00.000Z`;

/** The dimensions of a point's hourly row, but its hour (the same for every point of a series). */
interface RowDims {
  provider: string | null;
  model: string | null;
  tokenType: string | null;
  operation: string | null;
}

function rowDims(p: MetricPoint): RowDims {
  const provider = normalizeProvider(p.attributes['gen_ai.provider.name'] ?? p.attributes['gen_ai.system']);
  const rawModel = p.attributes['gen_ai.response.model'] ?? p.attributes['gen_ai.request.model'];
  const model = typeof rawModel === 'string' && rawModel ? rawModel : null;
  const tokenType = p.metric === GENAI_TOKEN_USAGE ? String(p.attributes['gen_ai.token.type'] ?? '') || null : null;
  const rawOperation = p.attributes['gen_ai.operation.name'];
  const operation = p.metric === GENAI_OPERATION_DURATION && typeof rawOperation === 'string' && rawOperation ? rawOperation : null;
  return { provider: provider ?? null, model, tokenType, operation };
}

function hourRow(projectId: string, metric: GenaiMetricName, hour: string, d: RowDims, values: Record<string, number>): CounterRow {
  const id = [GENAI_METRICS_TABLE, projectId, metric, hour, d.provider ?? '', d.model ?? '', (d.tokenType ?? d.operation) ?? ''].join(SEP);
  return { id, dims: { projectId, metric, hour, provider: d.provider, model: d.model, tokenType: d.tokenType, operation: d.operation }, values };
}

function aggregateRow(p: MetricPoint, increment: Histogram): CounterRow | null {
  if (increment.count === 0 && increment.sum === 0 && Object.keys(increment.buckets).length === 0) return null;
  const values: Record<string, number> = { ...increment.buckets };
  if (increment.count) values.count = increment.count;
  if (increment.sum) values.sum = increment.sum;
  return hourRow(p.projectId, p.metric, hourOf(p.time), rowDims(p), values);
}

// ---- series state: the last cumulative point counted, as counter values ----

interface SeriesState extends Histogram {
  time: bigint;
}

const NS = 1_000_000_000n;
/** Prefix of the state before the batch that last wrote the row. */
const PREV = 'p_';
const POS_SPLIT = 4_294_967_296n;

function stateValues(s: SeriesState | null, prefix: string): Record<string, number> {
  if (!s) return {};
  // Nanosecond times pass 2^53: split into seconds and nanoseconds so they stay exact.
  const out: Record<string, number> = { [`${prefix}t_s`]: Number(s.time / NS), [`${prefix}t_ns`]: Number(s.time % NS), [`${prefix}count`]: s.count, [`${prefix}sum`]: s.sum };
  for (const [k, v] of Object.entries(s.buckets)) out[`${prefix}${k}`] = v;
  return out;
}

function readState(values: Record<string, number>, prefix: string): SeriesState | null {
  const seconds = values[`${prefix}t_s`] ?? 0;
  const nanos = values[`${prefix}t_ns`] ?? 0;
  if (!seconds && !nanos) return null;
  const buckets: Record<string, number> = {};
  for (const [k, v] of Object.entries(values)) {
    if (!k.startsWith(prefix) || (prefix === '' && k.startsWith(PREV))) continue;
    const key = k.slice(prefix.length);
    if (boundsOfKey(key) !== null && v) buckets[key] = v;
  }
  return { time: BigInt(seconds) * NS + BigInt(nanos), count: values[`${prefix}count`] ?? 0, sum: values[`${prefix}sum`] ?? 0, buckets };
}

/** The increment from `before` to `after` of one series; null when `after` is lower somewhere (a reset). */
function difference(before: Histogram, after: Histogram): Histogram | null {
  if (after.count < before.count) return null;
  const buckets: Record<string, number> = {};
  for (const key of new Set([...Object.keys(before.buckets), ...Object.keys(after.buckets)])) {
    const d = (after.buckets[key] ?? 0) - (before.buckets[key] ?? 0);
    if (d < 0) return null;
    if (d > 0) buckets[key] = d;
  }
  return { count: after.count - before.count, sum: after.sum - before.sum, buckets };
}

const compareTime = (a: MetricPoint, b: MetricPoint) => (a.time < b.time ? -1 : a.time > b.time ? 1 : b.count - a.count);

/**
 * A series' state row: the last point counted, and for retention (MetricsExpired) the point counted
 * after a gap in what the fold had seen (the series' first point, or the first after a state that
 * retention set from its expired points) with what it was counted against. A rebuild that no longer
 * reads the expired points counts that point against less than the first fold did; the expiry event,
 * folded later, finds it here and takes the difference out of the point's hour.
 */
interface SeriesRecord {
  state: SeriesState | null;
  gap: SeriesState | null;
  gapBase: SeriesState | null;
  /** The state was set by retention, from expired points: the next point counted is after a gap. */
  fromBaseline: boolean;
}
const GAP = 'g_';
const GAP_BASE = 'gb_';
const FROM_BASELINE = 'bl';

function readRecord(values: Record<string, number>, prefix: string): SeriesRecord {
  return { state: readState(values, prefix), gap: readState(values, prefix + GAP), gapBase: readState(values, prefix + GAP_BASE), fromBaseline: values[prefix + FROM_BASELINE] === 1 };
}

function recordValues(r: SeriesRecord, prefix: string): Record<string, number> {
  return { ...stateValues(r.state, prefix), ...stateValues(r.gap, prefix + GAP), ...stateValues(r.gapBase, prefix + GAP_BASE), ...(r.fromBaseline ? { [prefix + FROM_BASELINE]: 1 } : {}) };
}

/** The series row's change from `current` to `next` (the record before the batch kept as `p_*`, with the batch's position). */
function seriesRowDelta(id: string, dims: Record<string, string | null>, current: Record<string, number>, next: SeriesRecord, before: SeriesRecord, position: bigint): CounterRow | null {
  const target: Record<string, number> = { ...recordValues(next, ''), ...recordValues(before, PREV), at_hi: Number(position / POS_SPLIT), at_lo: Number(position % POS_SPLIT) };
  const values: Record<string, number> = {};
  for (const key of new Set([...Object.keys(target), ...Object.keys(current)])) {
    const d = (target[key] ?? 0) - (current[key] ?? 0);
    if (d !== 0) values[key] = d;
  }
  return Object.keys(values).length ? { id, dims, values } : null;
}

/** The record before the batch at `position`: the stored one, or when the row was last written by this same batch (a replay), the one it kept. */
function recordBefore(current: Record<string, number>, position: bigint): SeriesRecord {
  // Stores drop zero values: a missing key is 0.
  const replay = (current.at_hi ?? 0) === Number(position / POS_SPLIT) && (current.at_lo ?? 0) === Number(position % POS_SPLIT);
  return readRecord(current, replay ? PREV : '');
}

/**
 * What a batch adds to the GenAI metric rows and to its series state rows. `stored`: the series rows
 * of `genaiMetricSeriesRanges(events)` as the store holds them; `position`: the batch's end (the
 * commit's position), recorded in the state rows so a replay of this batch is recognised.
 */
export function genaiMetricCounters(events: readonly GenaiMetricEvent[], stored: readonly CounterRow[], position: bigint): CounterRow[] {
  const rows: CounterRow[] = [];
  const bySeries = new Map<string, MetricPoint[]>();
  for (const p of metricPoints(events)) {
    if (p.temporality === DELTA) {
      const row = aggregateRow(p, p);
      if (row) rows.push(row);
      continue;
    }
    const list = bySeries.get(p.seriesId);
    if (list) list.push(p);
    else bySeries.set(p.seriesId, [p]);
  }
  const storedById = new Map(stored.map((r) => [r.id, r.values]));
  for (const [id, points] of bySeries) {
    const current = storedById.get(id) ?? {};
    const before = recordBefore(current, position);
    let last = before.state;
    let { gap, gapBase, fromBaseline } = before;
    for (const p of points.sort(compareTime)) {
      if (last && p.time <= last.time) continue;
      const point = { time: p.time, count: p.count, sum: p.sum, buckets: p.buckets };
      if (!last || fromBaseline) [gap, gapBase, fromBaseline] = [point, last, false];
      const increment = (last && difference(last, p)) ?? p;
      const row = aggregateRow(p, increment);
      if (row) rows.push(row);
      last = point;
    }
    if (last === before.state) continue;
    const row = seriesRowDelta(id, { projectId: points[0]!.projectId, metric: points[0]!.metric, startTimeUnixNano: points[0]!.startTime }, current, { state: last, gap, gapBase, fromBaseline }, before, position);
    if (row) rows.push(row);
  }
  return [...sumCounters(rows).values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

// ---- retention: expired hourly metric streams (MetricsExpired) ----

/** The last point of a cumulative series among expired events, with its row's dimensions. */
export interface GenaiMetricBaseline {
  seriesId: string;
  projectId: string;
  metric: GenaiMetricName;
  startTimeUnixNano: string;
  /** Nanoseconds since the epoch, as a decimal string. */
  time: string;
  count: number;
  sum: number;
  buckets: Record<string, number>;
  provider: string | null;
  model: string | null;
  tokenType: string | null;
  operation: string | null;
}

/** What expired metric events leave behind for a MetricsExpired event: each cumulative series' newest point, and the hours their points counted in. */
export interface ExpiredGenaiMetrics {
  baselines: Map<string, GenaiMetricBaseline>;
  hours: Set<string>;
}

/** Adds these (expired) events to `into` (a sweep reads stream by stream): one pass over their points. */
export function summarizeExpiredGenaiMetrics(events: readonly GenaiMetricEvent[], into: ExpiredGenaiMetrics = { baselines: new Map(), hours: new Set() }): ExpiredGenaiMetrics {
  for (const p of metricPoints(events)) {
    into.hours.add(hourOf(p.time));
    if (p.temporality !== CUMULATIVE) continue;
    const seen = into.baselines.get(p.seriesId);
    // The fold's order: the later point, and of two at one time the higher count (compareTime).
    if (seen && (BigInt(seen.time) > p.time || (BigInt(seen.time) === p.time && seen.count >= p.count))) continue;
    into.baselines.set(p.seriesId, { seriesId: p.seriesId, projectId: p.projectId, metric: p.metric, startTimeUnixNano: p.startTime, time: String(p.time), count: p.count, sum: p.sum, buckets: p.buckets, ...rowDims(p) });
  }
  return into;
}

/** Per cumulative series in these (expired) events, its newest point: what the series' later points were counted against. */
export function genaiMetricBaselines(events: readonly GenaiMetricEvent[]): GenaiMetricBaseline[] {
  return [...summarizeExpiredGenaiMetrics(events).baselines.values()].sort((a, b) => (a.seriesId < b.seriesId ? -1 : 1));
}

/** The hours (as stored in the rows) the GenAI metric points of these events count in. */
export function genaiMetricHours(events: readonly GenaiMetricEvent[]): string[] {
  return [...summarizeExpiredGenaiMetrics(events).hours].sort();
}

/** The stored hour of an ISO time (`2026-12-06T20:00:00.000Z`). */
export const genaiMetricHourOf = (iso: string) => `${new Date(Date.parse(iso)).toISOString().slice(0, 13)}:00:00.000Z`;

/**
 * A retention sweep deleted these hourly metric streams (`metrics-{project}-{hour}`) from the log, after
 * appending this event. Folded in log order by every build, whether or not it read the deleted events:
 * - `rows` null (TEMPS_RETENTION_KEEP_USAGE=false): every metric row of the project before the cutoff's
 *   hour goes. Otherwise the rows of `hours` are SET to `rows` (what the read model held when the sweep
 *   ran): the first fold already has them, a rebuild gets them without the deleted points.
 * - `baselines`: per cumulative series, its newest expired point. A build that has not seen it (a rebuild)
 *   takes it as the series' state, and a point it already counted in full after the gap is counted
 *   against it instead (the difference leaves that point's hour): cumulative totals carry across hours,
 *   and without this the first kept point of a series would count everything since its start again.
 */
export interface MetricsExpiredData {
  projectId: string;
  /** The retention cutoff (ISO 8601): the streams deleted are the hours wholly before it. */
  cutoff: string;
  streams: string[];
  baselines: GenaiMetricBaseline[];
  /** Kept rows: the hours whose rows `rows` sets, and those rows (absolute values); both null: dropped. */
  hours: string[] | null;
  rows: CounterRow[] | null;
}

const ABOVE_SEP = String.fromCharCode(SEP.charCodeAt(0) + 1);

/** The counter ranges the fold of a MetricsExpired event reads: the baselines' series rows and the hour rows it drops or sets. */
export function genaiMetricsExpiryRanges(data: MetricsExpiredData): { from: string; to: string }[] {
  const series = [...new Set(data.baselines.map((b) => b.seriesId))].sort().map((id) => ({ from: id, to: `${id}${SEP}` }));
  const hours = GENAI_METRIC_NAMES.flatMap((metric) => {
    const prefix = genaiMetricsRowIdPrefix(data.projectId, metric);
    return data.hours === null ? [{ from: prefix, to: prefix + genaiMetricHourOf(data.cutoff) }] : [];
  });
  return [...series, ...hours, ...genaiMetricHourRanges(data.projectId, data.hours ?? [])];
}

/** The id ranges of a project's metric rows (both metrics) of these hours. */
export function genaiMetricHourRanges(projectId: string, hours: readonly string[]): { from: string; to: string }[] {
  return GENAI_METRIC_NAMES.flatMap((metric) => hours.map((hour) => ({ from: genaiMetricsRowIdPrefix(projectId, metric) + hour + SEP, to: genaiMetricsRowIdPrefix(projectId, metric) + hour + ABOVE_SEP })));
}

const ZERO: SeriesState = { time: 0n, count: 0, sum: 0, buckets: {} };

/**
 * The counter changes of a MetricsExpired event at `position`, from the rows of genaiMetricsExpiryRanges
 * as stored. In the build that folded the expired points it changes nothing but the dropped rows (their
 * series are past the baselines, and their first point is older than them).
 */
export function genaiMetricsExpiryCounters(data: MetricsExpiredData, stored: readonly CounterRow[], position: bigint): CounterRow[] {
  const storedById = new Map(stored.map((r) => [r.id, r]));
  const changes: CounterRow[] = [];
  for (const b of data.baselines) {
    const current = storedById.get(b.seriesId)?.values ?? {};
    const before = recordBefore(current, position);
    const base: SeriesState = { time: BigInt(b.time), count: b.count, sum: b.sum, buckets: b.buckets };
    let next = before;
    if (!before.state || before.state.time < base.time) {
      next = { ...before, state: base, fromBaseline: true };
    } else if (before.gap && before.gap.time > base.time && (before.gapBase ?? ZERO).time < base.time) {
      // The gap point was counted against less than the baseline (nothing, or an older baseline): what lies between leaves its hour.
      const between = difference(before.gapBase ?? ZERO, base);
      if (between && difference(base, before.gap)) {
        const values: Record<string, number> = { count: -between.count, sum: -between.sum };
        for (const [k, v] of Object.entries(between.buckets)) values[k] = -v;
        changes.push(hourRow(b.projectId, b.metric, hourOf(before.gap.time), b, values));
        next = { ...before, gapBase: base };
      }
    }
    if (next === before) continue;
    const row = seriesRowDelta(b.seriesId, { projectId: b.projectId, metric: b.metric, startTimeUnixNano: b.startTimeUnixNano }, current, next, before, position);
    if (row) changes.push(row);
  }
  // The hour rows as they stand after the corrections, then dropped or set.
  const hourPrefix = `${GENAI_METRICS_TABLE}${SEP}${data.projectId}${SEP}`;
  const view = sumCounters([...stored.filter((r) => r.id.startsWith(hourPrefix)), ...changes.filter((r) => r.id.startsWith(hourPrefix))]);
  const cutoffHour = genaiMetricHourOf(data.cutoff);
  const setHours = new Set(data.hours ?? []);
  for (const row of view.values()) {
    const hour = row.dims.hour ?? '';
    if (data.hours === null ? hour < cutoffHour : setHours.has(hour)) changes.push({ id: row.id, dims: row.dims, values: Object.fromEntries(Object.entries(row.values).map(([k, v]) => [k, -v])) });
  }
  if (data.rows) changes.push(...data.rows);
  return counterDelta([], changes);
}

// ---- reading: rows of one metric rolled up into the API's points ----

export type GenaiMetricsBucket = 'hour' | 'day';
export type GenaiMetricsGroupBy = 'model' | 'provider';

export interface GenaiMetricPoint {
  bucketStart: string;
  provider: string | null;
  /** Null when grouped by provider. */
  model: string | null;
  /** gen_ai.client.token.usage only. */
  tokenType?: string | null;
  /** gen_ai.client.operation.duration only. */
  operation?: string | null;
  count: number;
  /** In the metric's unit: tokens, or seconds. */
  sum: number;
  /** Interpolated within the buckets (tokens, or seconds); absent when the points carried no buckets. */
  p50?: number;
  p95?: number;
  p99?: number;
}

/**
 * The p-th percentile (0 < p ≤ 100) of the buckets in `values`: linear inside the bucket that holds
 * the rank; the first bucket starts at 0 (token counts and durations are not negative), and the
 * +Inf bucket answers its lower bound, the largest finite one. Null without buckets.
 */
export function bucketPercentile(values: Record<string, number>, p: number): number | null {
  const buckets: { lower: number; upper: number; count: number }[] = [];
  for (const [key, count] of Object.entries(values)) {
    const bounds = boundsOfKey(key);
    if (bounds && count > 0) buckets.push({ lower: bounds[0], upper: bounds[1], count });
  }
  buckets.sort((a, b) => a.upper - b.upper || a.lower - b.lower);
  const total = buckets.reduce((n, b) => n + b.count, 0);
  if (total === 0) return null;
  const rank = (p / 100) * total;
  let seen = 0;
  for (const { lower, upper, count } of buckets) {
    if (seen + count >= rank) {
      if (upper === Infinity) return lower === -Infinity ? null : lower;
      const from = lower === -Infinity ? Math.min(0, upper) : lower;
      return from + (upper - from) * ((rank - seen) / count);
    }
    seen += count;
  }
  return null;
}

const round = (n: number) => Math.round(n * 1e6) / 1e6;

/** Hourly rows (as stored) of one metric, by hour or day and by model or provider, sorted by time, provider, model, type. */
export function rollupGenaiMetrics(rows: Iterable<CounterRow>, options: { metric: GenaiMetricName; bucket: GenaiMetricsBucket; groupBy: GenaiMetricsGroupBy }): GenaiMetricPoint[] {
  const groups = new Map<string, { key: GenaiMetricPointKey; values: Record<string, number> }>();
  const kindKey = options.metric === GENAI_TOKEN_USAGE ? 'tokenType' : 'operation';
  for (const row of rows) {
    if (row.dims.metric !== options.metric || !row.values.count) continue;
    const hour = row.dims.hour!;
    const key: GenaiMetricPointKey = {
      bucketStart: options.bucket === 'day' ? `${hour.slice(0, 10)}T00:00:00.000Z` : hour,
      provider: row.dims.provider ?? null,
      model: options.groupBy === 'model' ? (row.dims.model ?? null) : null,
      kind: row.dims[kindKey] ?? null,
    };
    const k = JSON.stringify([key.bucketStart, key.provider, key.model, key.kind]);
    let g = groups.get(k);
    if (!g) groups.set(k, (g = { key, values: {} }));
    for (const [name, v] of Object.entries(row.values)) g.values[name] = (g.values[name] ?? 0) + v;
  }
  return [...groups.values()]
    .sort((a, b) => compareGenaiMetricKeys(a.key, b.key))
    .map(({ key, values }) => {
      const point: GenaiMetricPoint = { bucketStart: key.bucketStart, provider: key.provider, model: key.model, [kindKey]: key.kind, count: values.count ?? 0, sum: round((values.sum ?? 0) / SUM_SCALE[options.metric]) };
      const p50 = bucketPercentile(values, 50);
      if (p50 !== null) Object.assign(point, { p50: round(p50), p95: round(bucketPercentile(values, 95)!), p99: round(bucketPercentile(values, 99)!) });
      return point;
    });
}

/** A point's position in the sorted list (the page cursor). */
export interface GenaiMetricPointKey {
  bucketStart: string;
  provider: string | null;
  model: string | null;
  kind: string | null;
}

export function genaiMetricPointKey(p: GenaiMetricPoint): GenaiMetricPointKey {
  return { bucketStart: p.bucketStart, provider: p.provider, model: p.model, kind: p.tokenType ?? p.operation ?? null };
}

export function compareGenaiMetricKeys(a: GenaiMetricPointKey, b: GenaiMetricPointKey): number {
  for (const k of ['bucketStart', 'provider', 'model', 'kind'] as const) {
    const x = a[k] ?? '';
    const y = b[k] ?? '';
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

/** The stored hour key of an ISO time, for range scans over the rows of one metric. */
