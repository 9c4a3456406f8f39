import type { UsageBucket, UsageGroupBy, UsagePoint } from './types';

export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

/** Hourly up to two days, daily beyond. */
export function autoBucket(fromMs: number | null, toMs: number): UsageBucket {
  return fromMs !== null && toMs - fromMs <= 2 * DAY_MS ? 'hour' : 'day';
}

export const bucketMs = (b: UsageBucket) => (b === 'hour' ? HOUR_MS : DAY_MS);

export interface UsageGroup {
  key: string;
  label: string;
  provider: string | null;
  model: string | null;
  calls: number;
  errors: number;
  inputTokens: number;
  outputTokens: number;
  cost: number | null;
  /** Bucket start (ms) -> its point. */
  points: Map<number, UsagePoint>;
}

const groupKey = (p: UsagePoint, by: UsageGroupBy) => (by === 'model' ? `${p.provider ?? ''}\u0000${p.model ?? ''}` : (p.provider ?? ''));

/** Points grouped per model (or provider), biggest first (tokens, then calls). */
export function groupPoints(items: UsagePoint[], by: UsageGroupBy): UsageGroup[] {
  const groups = new Map<string, UsageGroup>();
  for (const p of items) {
    const key = groupKey(p, by);
    let g = groups.get(key);
    if (!g) {
      const label = by === 'model' ? (p.model ?? '(no model)') : (p.provider ?? '(unknown provider)');
      g = { key, label, provider: p.provider, model: by === 'model' ? p.model : null, calls: 0, errors: 0, inputTokens: 0, outputTokens: 0, cost: null, points: new Map() };
      groups.set(key, g);
    }
    g.calls += p.calls;
    g.errors += p.errors;
    g.inputTokens += p.inputTokens;
    g.outputTokens += p.outputTokens;
    if (p.cost != null) g.cost = (g.cost ?? 0) + p.cost;
    g.points.set(Date.parse(p.bucketStart), p);
  }
  const list = [...groups.values()];
  // The same model name under two providers: say which is which.
  const counts = new Map<string, number>();
  for (const g of list) counts.set(g.label, (counts.get(g.label) ?? 0) + 1);
  for (const g of list) if ((counts.get(g.label) ?? 0) > 1 && g.provider) g.label = `${g.label} (${g.provider})`;
  return list.sort((a, b) => b.inputTokens + b.outputTokens - (a.inputTokens + a.outputTokens) || b.calls - a.calls || a.label.localeCompare(b.label));
}

/**
 * The x axis: every bucket of the window (so quiet hours show as zero), plus any bucket the server
 * returned that falls outside that grid. At most 2,000 grid buckets.
 */
export function bucketGrid(items: UsagePoint[], fromMs: number | null, toMs: number, bucket: UsageBucket): number[] {
  const step = bucketMs(bucket);
  const starts = new Set(items.map((p) => Date.parse(p.bucketStart)));
  const first = fromMs ?? Math.min(toMs, ...starts);
  const start = Math.floor(first / step) * step;
  if ((toMs - start) / step <= 2000) for (let t = start; t <= toMs; t += step) starts.add(t);
  return [...starts].filter(Number.isFinite).sort((a, b) => a - b);
}

/** 1.2K, 34K, 1.5M (as formatTokens writes them): for axes and legends. */
const compactFmt = new Intl.NumberFormat('en-US', { notation: 'compact', maximumFractionDigits: 1 });
export function formatCompact(n: number): string {
  if (!Number.isFinite(n)) return '–';
  return Math.abs(n) < 1000 ? String(Math.round(n * 100) / 100) : compactFmt.format(n);
}

export function formatPercent(x: number | null | undefined): string {
  if (x == null || !Number.isFinite(x)) return '–';
  if (x === 0) return '0%';
  if (x < 0.1) return '<0.1%';
  return `${x < 10 ? x.toFixed(1) : Math.round(x)}%`;
}
