/**
 * OTLP AnyValue kept in its canonical OTLP/JSON shape: lossless, self-describing and the
 * form every OTel tool already speaks. int64 values are decimal strings so nothing is rounded;
 * a double JSON has no number for is the string OTLP/JSON writes for it (see OtlpDouble).
 */
export type AnyValue =
  | { stringValue: string }
  | { boolValue: boolean }
  | { intValue: string }
  | { doubleValue: OtlpDouble }
  | { arrayValue: { values: AnyValue[] } }
  | { kvlistValue: { values: KeyValue[] } }
  | { bytesValue: string } // base64
  | Record<string, never>; // an empty AnyValue (no value set) is legal OTLP

export interface KeyValue {
  key: string;
  value: AnyValue;
}

/** The doubles JSON has no number for, as OTLP/JSON spells them. */
export type NonFiniteDouble = 'NaN' | 'Infinity' | '-Infinity';

/** An OTLP/JSON double: a finite number, or one of the strings standing for NaN and the infinities. */
export type OtlpDouble = number | NonFiniteDouble;

/** A double in OTLP/JSON form: JSON.stringify would turn NaN and the infinities into null, so they become their strings. */
export function otlpDouble(n: number): OtlpDouble {
  return Number.isFinite(n) ? n : (String(n) as NonFiniteDouble);
}

/** The number an OTLP/JSON double stands for (NaN for anything else, such as the null of an old event). */
export function doubleOf(d: OtlpDouble | null): number {
  return typeof d === 'number' ? d : d === 'NaN' || d === 'Infinity' || d === '-Infinity' ? Number(d) : NaN;
}

/** Plain JS view of an AnyValue: ints become numbers when they fit, else stay strings. */
export function anyValueToJs(value: AnyValue | undefined): unknown {
  if (!value) return undefined;
  if ('stringValue' in value) return value.stringValue;
  if ('boolValue' in value) return value.boolValue;
  if ('intValue' in value) {
    const n = Number(value.intValue);
    return Number.isSafeInteger(n) ? n : value.intValue;
  }
  if ('doubleValue' in value) return typeof value.doubleValue === 'string' ? doubleOf(value.doubleValue) : value.doubleValue;
  if ('arrayValue' in value) return (value.arrayValue.values ?? []).map(anyValueToJs);
  if ('kvlistValue' in value) return keyValuesToRecord(value.kvlistValue.values ?? []);
  if ('bytesValue' in value) return value.bytesValue;
  return undefined;
}

/** Attribute list to a plain record; the last duplicate key wins, as in the OTel SDKs. */
export function keyValuesToRecord(attributes: readonly KeyValue[] | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const kv of attributes ?? []) out[kv.key] = anyValueToJs(kv.value);
  return out;
}
