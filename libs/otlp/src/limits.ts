/**
 * Limits every OTLP decoder applies to each item (span, log record, metric). The body size cap is
 * the caller's (ingest reads at most maxBodyBytes); these bound what one item may carry.
 */
export interface DecodeLimits {
  /**
   * Most attributes one attribute list may hold: the item's own, and each of its events, links,
   * data points and exemplars, and the resource and scope it comes under. More makes the item
   * rejected (`too many attributes: 10000 > 1024`): never silently cut. Default 1024.
   */
  maxAttributesPerItem: number;
  /**
   * Longest string (UTF-8 bytes) or bytes value kept, anywhere inside an attribute value or a log
   * body. Longer values are cut to that many bytes (on a character boundary) and listed in the
   * item's `truncatedAttributes`; never rejected. Default 64 KiB.
   */
  maxAttributeValueBytes: number;
  /**
   * Deepest AnyValue nesting accepted: a plain value is depth 1, an array of plain values depth 2.
   * Deeper makes the item rejected. Default 32.
   */
  maxAnyValueDepth: number;
}

export const DEFAULT_DECODE_LIMITS: Readonly<DecodeLimits> = Object.freeze({
  maxAttributesPerItem: 1024,
  maxAttributeValueBytes: 64 * 1024,
  maxAnyValueDepth: 32,
});

/** An item the decoder did not return, and why (a stable string: group rejections by it). */
export interface Rejection {
  reason: string;
}

/**
 * A rejected metric. `count` is its number of data points: what OTLP's rejected_data_points counts
 * (0 for a metric that had none).
 */
export interface MetricRejection extends Rejection {
  count: number;
}

/** What every decoder returns: the accepted items in request order, and the rejected ones. */
export interface DecodeResult<T, R extends Rejection = Rejection> {
  items: T[];
  rejected: R[];
}

/** The defaults overridden by `limits`; throws a RangeError on a value that is not a usable limit. */
export function resolveLimits(limits?: Partial<DecodeLimits>): DecodeLimits {
  if (!limits || limits === DEFAULT_DECODE_LIMITS) return DEFAULT_DECODE_LIMITS;
  const out: DecodeLimits = { ...DEFAULT_DECODE_LIMITS };
  for (const key of Object.keys(DEFAULT_DECODE_LIMITS) as (keyof DecodeLimits)[]) {
    const v = limits[key];
    if (v === undefined) continue;
    const min = key === 'maxAnyValueDepth' ? 1 : 0;
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) throw new RangeError(`DecodeLimits.${key} must be an integer >= ${min}, got ${String(v)}`);
    out[key] = v;
  }
  return out;
}
