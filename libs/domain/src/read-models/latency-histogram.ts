/**
 * Latency as a sparse log-scale histogram, so percentiles come from the read model instead of a scan
 * of spans, and histograms of any hours and models add up. Eight bins per doubling: a percentile is
 * reported as the geometric middle of its bin, within ~4.5% of the true value.
 */
const BINS_PER_DOUBLING = 8;
/** Bin 0 holds everything up to 1 ms; the last bin everything past ~2^31 ms (24 days). */
const MAX_BIN = 31 * BINS_PER_DOUBLING;
/** Number of bins (0..MAX_BIN): a dense histogram is an array this long. */
export const LATENCY_BIN_COUNT = MAX_BIN + 1;

export const LATENCY_BIN_PREFIX = 'lat';

/** The bin of a duration: bin i (i ≥ 1) covers (2^((i-1)/8), 2^(i/8)] ms. */
export function latencyBin(ms: number): number {
  if (!(ms > 1)) return 0;
  return Math.min(MAX_BIN, Math.ceil(Math.log2(ms) * BINS_PER_DOUBLING - 1e-9));
}

/** The counter key of a bin, as stored beside the other counters of a usage row (`lat12`). */
export const latencyKey = (bin: number) => `${LATENCY_BIN_PREFIX}${bin}`;

function binMiddleMs(bin: number): number {
  if (bin === 0) return 1;
  return 2 ** ((bin - 0.5) / BINS_PER_DOUBLING);
}

/** p-th percentile of a dense histogram (index = bin), in ms rounded to 0.1; null when empty. */
export function percentileOfCounts(counts: ArrayLike<number>, p: number): number | null {
  let total = 0;
  for (let i = 0; i < counts.length; i++) total += counts[i]!;
  if (total <= 0) return null;
  const rank = Math.max(1, Math.ceil((p / 100) * total));
  let seen = 0;
  let last = 0;
  for (let i = 0; i < counts.length; i++) {
    if (!(counts[i]! > 0)) continue;
    last = i;
    seen += counts[i]!;
    if (seen >= rank) return Math.round(binMiddleMs(i) * 10) / 10;
  }
  return Math.round(binMiddleMs(last) * 10) / 10;
}
