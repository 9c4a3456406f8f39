/** Time range presets shared by the views (the trace list has the same ones), and their URL form. */
export const RANGES: { value: string; label: string; ms: number }[] = [
  { value: '15m', label: 'Last 15 minutes', ms: 15 * 60e3 },
  { value: '1h', label: 'Last hour', ms: 3600e3 },
  { value: '6h', label: 'Last 6 hours', ms: 6 * 3600e3 },
  { value: '24h', label: 'Last 24 hours', ms: 24 * 3600e3 },
  { value: '7d', label: 'Last 7 days', ms: 7 * 24 * 3600e3 },
  { value: '30d', label: 'Last 30 days', ms: 30 * 24 * 3600e3 },
];

export interface RangeParams {
  /** A preset (`24h`), or '' with from/to for a custom range. */
  range: string;
  from: string;
  to: string;
}

export function toIso(v: string): string {
  const t = Date.parse(v);
  return Number.isNaN(t) ? v : new Date(t).toISOString();
}

/** The absolute window of a range, now. `defaultRange` applies when the URL names none. */
export function resolveRange(p: RangeParams, defaultRange: string, now = Date.now()): { fromMs: number | null; toMs: number } {
  if (!p.range && (p.from || p.to)) {
    const from = p.from ? Date.parse(p.from) : NaN;
    const to = p.to ? Date.parse(p.to) : NaN;
    return { fromMs: Number.isNaN(from) ? null : from, toMs: Number.isNaN(to) ? now : to };
  }
  const preset = RANGES.find((r) => r.value === (p.range || defaultRange)) ?? RANGES[3]!;
  return { fromMs: now - preset.ms, toMs: now };
}

/** For <input type="datetime-local">: local wall time without seconds. */
export function toLocalInput(v: string): string {
  const t = Date.parse(v);
  if (Number.isNaN(t)) return '';
  const d = new Date(t - new Date(t).getTimezoneOffset() * 60e3);
  return d.toISOString().slice(0, 16);
}
