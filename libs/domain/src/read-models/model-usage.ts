import type { SpanDocument } from '../span-document';
import { countedUsageSpans } from '../trace-summary';
import { LATENCY_BIN_COUNT, latencyBin, latencyKey, percentileOfCounts } from './latency-histogram';
import { hourStartOf, ID_SEPARATOR as SEP, sumCounters, type CounterRow } from './read-model-counters';
import { responseKey, type ResponseUsage } from './response-usage';

/** Counter table of model usage: one row per project × hour × provider × model. */
export const USAGE_TABLE = 'usage';

/** Cost is counted in nano-dollars: integers add and subtract exactly, floats would drift over deltas. */
const NANOS_PER_USD = 1e9;

export interface UsageCounters {
  calls: number;
  errors: number;
  inputTokens: number;
  outputTokens: number;
  cacheReadInputTokens: number;
  cacheCreationInputTokens: number;
  reasoningOutputTokens: number;
  /** USD over the spans that had a price; null when none had. */
  cost: number | null;
  /** Some spans with usage had no price: cost is a lower bound. */
  costPartial: boolean;
  /** From the read model's histogram; null without calls. */
  latencyMs: { p50: number; p95: number; p99: number } | null;
}

export interface UsagePoint extends UsageCounters {
  /** Start of the hour or day (UTC). */
  bucketStart: string;
  provider: string | null;
  /** Null when grouped by provider. */
  model: string | null;
}

export type UsageBucket = 'hour' | 'day';
export type UsageGroupBy = 'model' | 'provider';

export const usageRowIdPrefix = (projectId: string) => `${USAGE_TABLE}${SEP}${projectId}${SEP}`;

/** A model call: a generation or embedding span that does not wrap another one (SDK wrappers repeat their child). */
function modelCalls(spans: readonly SpanDocument[]): Set<SpanDocument> {
  const isCall = (s: SpanDocument) => s.kind === 'generation' || s.kind === 'embedding';
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  const wrappers = new Set<string>();
  for (const s of spans) {
    if (!isCall(s)) continue;
    const seen = new Set<string>([s.spanId]);
    for (let p = s.parentSpanId ? byId.get(s.parentSpanId) : undefined; p && !seen.has(p.spanId); p = p.parentSpanId ? byId.get(p.parentSpanId) : undefined) {
      wrappers.add(p.spanId);
      seen.add(p.spanId);
    }
  }
  return new Set(spans.filter((s) => isCall(s) && !wrappers.has(s.spanId)));
}

/**
 * What one trace adds to model usage: calls, errors and latency of its model calls, tokens and cost of
 * the spans counted for usage (never a wrapper that repeats its children), by the hour the span started.
 * Every span counts here; `usageContributions` sets apart the spans that name their API response.
 */
export function usageCounters(spans: readonly SpanDocument[]): CounterRow[] {
  const { shared, responses } = usageContributions(spans);
  return [...sumCounters([...shared, ...responses.flatMap((r) => r.rows ?? [])]).values()];
}

/**
 * One trace's model usage split in two. `shared`: the spans that name no API response, which always
 * count. `responses`: per span that names one (provider + `gen_ai.response.id`), its own usage. Two
 * instrumentations of one call (the Anthropic SDK's own tracing beside OpenLLMetry's, each in a trace
 * of its own) send two spans with the same response: project usage counts the response once, through
 * one of its spans (see resolveResponseUsage), which a fold of one trace cannot see.
 */
export function usageContributions(spans: readonly SpanDocument[]): { shared: CounterRow[]; responses: ResponseUsage[] } {
  const shared = new Map<string, CounterRow>();
  const bySpan = new Map<SpanDocument, { response: string; rows: Map<string, CounterRow> }>();
  const row = (s: SpanDocument) => {
    const hour = hourStartOf(s.startTime);
    const provider = s.provider ?? null;
    const model = s.responseModel ?? s.requestModel ?? null;
    const id = [USAGE_TABLE, s.projectId, hour, provider ?? '', model ?? ''].join(SEP);
    let rows = shared;
    if (s.responseId) {
      let own = bySpan.get(s);
      if (!own) bySpan.set(s, (own = { response: responseKey(s.projectId, provider, s.responseId), rows: new Map() }));
      rows = own.rows;
    }
    let r = rows.get(id);
    if (!r) rows.set(id, (r = { id, dims: { projectId: s.projectId, hour, provider, model }, values: {} }));
    return r.values;
  };
  const add = (v: Record<string, number>, key: string, n: number | null | undefined) => {
    if (n) v[key] = (v[key] ?? 0) + n;
  };
  for (const s of modelCalls(spans)) {
    const v = row(s);
    add(v, 'calls', 1);
    if (s.status === 'error') add(v, 'errors', 1);
    add(v, latencyKey(latencyBin(s.durationMs)), 1);
  }
  for (const s of countedUsageSpans(spans)) {
    const v = row(s);
    add(v, 'inputTokens', s.inputTokens);
    add(v, 'outputTokens', s.outputTokens);
    add(v, 'cacheReadInputTokens', s.cacheReadInputTokens);
    add(v, 'cacheCreationInputTokens', s.cacheCreationInputTokens);
    add(v, 'reasoningOutputTokens', s.reasoningOutputTokens);
    if (s.cost) {
      add(v, 'costNanos', Math.round(s.cost.total * NANOS_PER_USD));
      add(v, 'pricedSpans', 1);
    } else if (s.cost === null) add(v, 'unpricedSpans', 1);
  }
  const responses = [...bySpan].map(([s, own]) => ({ response: own.response, claimant: `${s.traceId}/${s.spanId}`, rows: [...own.rows.values()] }));
  return { shared: [...shared.values()], responses };
}

const COUNTER_KEYS = ['calls', 'errors', 'inputTokens', 'outputTokens', 'cacheReadInputTokens', 'cacheCreationInputTokens', 'reasoningOutputTokens', 'costNanos', 'pricedSpans', 'unpricedSpans'] as const;

/**
 * A rollup adds thousands of rows of ~50 counters (30 days x models): into dense arrays, by a key
 * index, which is several times faster than adding into objects keyed by string.
 */
const SLOT = new Map<string, number>([
  ...COUNTER_KEYS.map((k, i) => [k, i] as const),
  ...Array.from({ length: LATENCY_BIN_COUNT }, (_, bin) => [latencyKey(bin), COUNTER_KEYS.length + bin] as const),
]);
const SLOTS = COUNTER_KEYS.length + LATENCY_BIN_COUNT;
const slotOf = (key: (typeof COUNTER_KEYS)[number]) => COUNTER_KEYS.indexOf(key);

/** Adds a row's values into a dense accumulator; false when the row holds nothing (all zero). */
function accumulate(into: Float64Array, values: Record<string, number>): boolean {
  let any = false;
  for (const k in values) {
    const slot = SLOT.get(k);
    const v = values[k]!;
    if (slot === undefined || !v) continue;
    into[slot]! += v;
    any = true;
  }
  return any;
}

function toCounters(a: Float64Array): UsageCounters {
  const n = (k: (typeof COUNTER_KEYS)[number]) => a[slotOf(k)]!;
  const latency = a.subarray(COUNTER_KEYS.length);
  const p50 = percentileOfCounts(latency, 50);
  return {
    calls: n('calls'),
    errors: n('errors'),
    inputTokens: n('inputTokens'),
    outputTokens: n('outputTokens'),
    cacheReadInputTokens: n('cacheReadInputTokens'),
    cacheCreationInputTokens: n('cacheCreationInputTokens'),
    reasoningOutputTokens: n('reasoningOutputTokens'),
    cost: n('pricedSpans') > 0 ? n('costNanos') / NANOS_PER_USD : null,
    costPartial: n('pricedSpans') > 0 && n('unpricedSpans') > 0,
    latencyMs: p50 === null ? null : { p50, p95: percentileOfCounts(latency, 95)!, p99: percentileOfCounts(latency, 99)! },
  };
}

/**
 * Hourly usage rows (as stored) rolled up into the points of a chart: by hour or day, per model or per
 * provider, sorted by time then provider then model; and the totals of the whole range.
 */
export function rollupUsage(rows: Iterable<CounterRow>, options: { bucket: UsageBucket; groupBy: UsageGroupBy }): { points: UsagePoint[]; totals: UsageCounters } {
  const groups = new Map<string, { bucketStart: string; provider: string | null; model: string | null; values: Float64Array }>();
  const scratch = new Float64Array(SLOTS);
  for (const row of rows) {
    scratch.fill(0);
    if (!accumulate(scratch, row.values)) continue;
    const hour = row.dims.hour!;
    const bucketStart = options.bucket === 'day' ? `${hour.slice(0, 10)}T00:00:00.000Z` : hour;
    const provider = row.dims.provider ?? null;
    const model = options.groupBy === 'model' ? (row.dims.model ?? null) : null;
    const key = `${bucketStart}${SEP}${provider ?? ''}${SEP}${model ?? ''}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { bucketStart, provider, model, values: new Float64Array(SLOTS) }));
    for (let i = 0; i < SLOTS; i++) g.values[i]! += scratch[i]!;
  }
  const total = new Float64Array(SLOTS);
  for (const g of groups.values()) for (let i = 0; i < SLOTS; i++) total[i]! += g.values[i]!;
  const points = [...groups.values()].map((g) => ({ bucketStart: g.bucketStart, provider: g.provider, model: g.model, ...toCounters(g.values) })).sort(compareUsagePoints);
  return { points, totals: toCounters(total) };
}

function compareUsagePoints(a: Pick<UsagePoint, 'bucketStart' | 'provider' | 'model'>, b: Pick<UsagePoint, 'bucketStart' | 'provider' | 'model'>): number {
  for (const k of ['bucketStart', 'provider', 'model'] as const) {
    const x = a[k] ?? '';
    const y = b[k] ?? '';
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

export type UsagePointKey = Pick<UsagePoint, 'bucketStart' | 'provider' | 'model'>;

/** One page of points after `after` (the key of the previous page's last point); `more`: points remain. */
export function pageUsagePoints(points: readonly UsagePoint[], limit: number, after?: UsagePointKey): { items: UsagePoint[]; more: boolean } {
  let start = 0;
  if (after) {
    start = points.findIndex((p) => compareUsagePoints(p, after) > 0);
    if (start < 0) start = points.length;
  }
  return { items: points.slice(start, start + limit), more: start + limit < points.length };
}

