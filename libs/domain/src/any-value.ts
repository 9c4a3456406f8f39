/**
 * OTLP AnyValue kept in its canonical OTLP/JSON shape: lossless, self-describing and the
 * form every OTel tool already speaks. int64 values are decimal strings so nothing is rounded.
 */
export type AnyValue =
  | { stringValue: string }
  | { boolValue: boolean }
  | { intValue: string }
  | { doubleValue: number }
  | { arrayValue: { values: AnyValue[] } }
  | { kvlistValue: { values: KeyValue[] } }
  | { bytesValue: string } // base64
  | Record<string, never>; // an empty AnyValue (no value set) is legal OTLP

export interface KeyValue {
  key: string;
  value: AnyValue;
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
  if ('doubleValue' in value) return value.doubleValue;
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
