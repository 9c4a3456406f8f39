import { util } from 'protobufjs/minimal';

/** What protobufjs gives for a 64-bit field: a Long (exact) or, without the `long` package, a number. */
export type Int64Like = number | { low: number; high: number; unsigned?: boolean };

// Exactness guard. protobufjs decodes 64-bit fields to Long when the `long` package (its own
// dependency) loads, and to lossy numbers otherwise; nanosecond timestamps (~1.8e18) exceed 2^53, so a
// lossy decoder would silently corrupt every span. Fail at load time rather than at the first request.
if (!util.Long) {
  throw new Error('protobufjs could not load the "long" package: 64-bit OTLP fields would lose precision. Reinstall dependencies.');
}

const TWO_POW_32 = 4294967296;
const DECIMAL_PAD = ['', '0', '00', '000', '0000', '00000', '000000'];

function pad7(n: number): string {
  const s = String(n);
  return s.length >= 7 ? s : DECIMAL_PAD[7 - s.length] + s;
}

/**
 * Exact decimal of the unsigned 64-bit value hi*2^32 + lo (both taken as unsigned 32-bit).
 * Below 2^53 a double is exact; above, split into 24/24/16-bit limbs and carry in base 1e7
 * (the technique of Closure's / protobuf-es' int64 conversion): no BigInt, no Long division.
 */
export function uint64ToDecimal(lo: number, hi: number): string {
  lo >>>= 0;
  hi >>>= 0;
  if (hi <= 0x1fffff) return String(hi * TWO_POW_32 + lo);
  const low = lo & 0xffffff;
  const mid = ((lo >>> 24) | (hi << 8)) & 0xffffff;
  const high = (hi >>> 16) & 0xffff;
  // 2^24 = 1_6777216 and 2^48 = 28_1474_9767106_56: spread each limb's weight over base-1e7 digits.
  let digitA = low + mid * 6777216 + high * 6710656;
  let digitB = mid + high * 8147497;
  let digitC = high * 2;
  const base = 10000000;
  if (digitA >= base) {
    digitB += Math.floor(digitA / base);
    digitA %= base;
  }
  if (digitB >= base) {
    digitC += Math.floor(digitB / base);
    digitB %= base;
  }
  // hi > 0x1fffff means value >= 2^53 > 1e15, so digitC > 0: no leading zero.
  return String(digitC) + pad7(digitB) + pad7(digitA);
}

/** Exact decimal of a two's-complement signed 64-bit value. */
export function int64ToDecimal(lo: number, hi: number): string {
  if (hi & 0x80000000) {
    // Negate: ~x + 1 across both words.
    let nlo = ~lo + 1;
    let nhi = ~hi;
    if ((nlo >>> 0) === 0) nhi += 1;
    return '-' + uint64ToDecimal(nlo, nhi);
  }
  return uint64ToDecimal(lo, hi);
}

/** Decimal string of an unsigned 64-bit field (fixed64 timestamps). */
export function unsignedToString(v: Int64Like | null | undefined): string {
  if (v == null) return '0';
  if (typeof v === 'number') return String(v);
  return uint64ToDecimal(v.low, v.high);
}

/** Decimal string of a signed 64-bit field (AnyValue.int_value). */
export function signedToString(v: Int64Like | null | undefined): string {
  if (v == null) return '0';
  if (typeof v === 'number') return String(v);
  return v.unsigned ? uint64ToDecimal(v.low, v.high) : int64ToDecimal(v.low, v.high);
}
