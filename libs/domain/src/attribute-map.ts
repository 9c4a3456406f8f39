import { anyValueToJs, doubleOf, keyValuesToRecord, otlpDouble, type AnyValue, type KeyValue, type OtlpDouble } from './any-value';

/**
 * An OTLP AnyValue in events of schema version 2: the same value in fewer JSON objects. Strings,
 * booleans, arrays, canonical safe integers and non-integral finite doubles are plain JSON; everything
 * JSON alone would blur is tagged ({int}, {double}, {bytes}, {kvlist}); an empty AnyValue is null.
 * NaN and the infinities are {double: "NaN" | "Infinity" | "-Infinity"}, as OTLP/JSON spells them.
 * Lossless: toOtlpValue gives back the OTLP/JSON value exactly. Replays parse these events 2-3x
 * faster than OTLP/JSON and never build the KeyValue wrappers.
 */
export type CompactValue = string | boolean | number | null | CompactValue[] | { int: string } | { double: OtlpDouble } | { bytes: string } | { kvlist: Attributes };

/** Attributes as received: an OTLP KeyValue list (schema version 1, and any list a map cannot hold) or a map (version 2). */
export type Attributes = KeyValue[] | AttributeMap;
export type AttributeMap = { [key: string]: CompactValue };

/** Keys a JSON object would not keep as given: array-index keys are reordered first, `__proto__` is special. */
const mapUnsafeKey = (key: string) => {
  const c = key.charCodeAt(0);
  // Most keys start with a letter: no regex for them (this runs for every attribute ingest stores).
  if (!(c >= 48 && c <= 57)) return key === '__proto__';
  return /^(0|[1-9]\d{0,9})$/.test(key) && Number(key) < 4294967295;
};

/**
 * A KeyValue list as a map, or the list itself where a map would lose something (a duplicate or
 * index-like key, a value of a kind this version does not know). A list stays OTLP/JSON all through
 * (nested kvlists too): readers of lists need one form only.
 */
export function compactAttributes(list: Attributes | undefined): Attributes {
  if (list && !Array.isArray(list)) return list; // a map already
  const out: AttributeMap = {};
  for (const kv of list ?? []) {
    const value = mapUnsafeKey(kv.key) || Object.prototype.hasOwnProperty.call(out, kv.key) ? undefined : compactValue(kv.value);
    if (value === undefined) return [...list!] as KeyValue[];
    out[kv.key] = value;
  }
  return out;
}

/** An AnyValue in compact form; undefined for a kind of value it cannot stand for (kept in OTLP form by the caller). */
export function compactValue(v: AnyValue | CompactValue | undefined): CompactValue | undefined {
  if (v === undefined) return null;
  if (!isOtlpValue(v)) return v; // compact already
  if ('stringValue' in v) return v.stringValue;
  if ('boolValue' in v) return v.boolValue;
  if ('intValue' in v) {
    const n = Number(v.intValue);
    return Number.isSafeInteger(n) && String(n) === v.intValue ? n : { int: v.intValue };
  }
  if ('doubleValue' in v) {
    const d = v.doubleValue;
    if (typeof d !== 'number') return { double: d }; // "NaN", "Infinity", "-Infinity" (or what an old event held)
    // Whole doubles are tagged (a plain whole number reads as an int); NaN and the infinities become their strings, as JSON has no number for them.
    return Number.isFinite(d) && !Number.isInteger(d) ? d : { double: otlpDouble(d) };
  }
  if ('arrayValue' in v) {
    const values = (v.arrayValue.values ?? []).map(compactValue);
    return values.includes(undefined) ? undefined : (values as CompactValue[]);
  }
  if ('kvlistValue' in v) return { kvlist: compactAttributes(v.kvlistValue.values ?? []) };
  if ('bytesValue' in v) return { bytes: v.bytesValue };
  return Object.keys(v).length === 0 ? null : undefined;
}

/** The OTLP/JSON value a compact one stands for. */
export function toOtlpValue(v: CompactValue): AnyValue {
  if (v === null) return {};
  if (typeof v === 'string') return { stringValue: v };
  if (typeof v === 'boolean') return { boolValue: v };
  if (typeof v === 'number') return Number.isInteger(v) ? { intValue: String(v) } : { doubleValue: v };
  if (Array.isArray(v)) return { arrayValue: { values: v.map(toOtlpValue) } };
  if ('int' in v) return { intValue: v.int };
  if ('double' in v) return { doubleValue: v.double };
  if ('bytes' in v) return { bytesValue: v.bytes };
  return { kvlistValue: { values: toOtlpAttributes(v.kvlist) } };
}

/** Attributes in either form as the OTLP KeyValue list they were received as. */
export function toOtlpAttributes(a: Attributes | undefined): KeyValue[] {
  if (!a) return [];
  if (Array.isArray(a)) return a;
  return Object.keys(a).map((key) => ({ key, value: toOtlpValue(a[key]!) }));
}

/** Plain JS view of a compact value: the same as anyValueToJs gives for the OTLP value. */
export function compactToJs(v: CompactValue): unknown {
  if (v === null) return undefined;
  if (typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map(compactToJs);
  if ('int' in v) return anyValueToJs({ intValue: v.int });
  if ('double' in v) return typeof v.double === 'string' ? doubleOf(v.double) : v.double;
  if ('bytes' in v) return v.bytes;
  return attributesToRecord(v.kvlist);
}

/** A value that reads as itself: a string, number or boolean, or an array of those. */
function isPlain(v: CompactValue): boolean {
  if (v === null) return false;
  if (typeof v !== 'object') return true;
  return Array.isArray(v) && v.every((x) => x !== null && typeof x !== 'object');
}

/**
 * Attributes in either form as a plain record (the last duplicate key wins, as in the OTel SDKs). A map of
 * strings, numbers, booleans and arrays of those is its own record: not copied (callers never write to it).
 */
export function attributesToRecord(a: Attributes | undefined): Record<string, unknown> {
  if (a === undefined || Array.isArray(a)) return keyValuesToRecord(a);
  let plain = true;
  for (const key in a) {
    if (!isPlain(a[key]!)) {
      plain = false;
      break;
    }
  }
  if (plain) return a;
  const out: Record<string, unknown> = {};
  for (const key in a) {
    const v = a[key]!;
    out[key] = v !== null && typeof v === 'object' ? compactToJs(v) : v === null ? undefined : v;
  }
  return out;
}

/** A value of schema version 2 (compact) or of version 1 (OTLP/JSON, always an object with one `...Value` key or empty). */
export function isOtlpValue(v: unknown): v is AnyValue {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const keys = Object.keys(v);
  return keys.length === 0 || keys[0]!.endsWith('Value');
}

/** A log body in either form, as plain JS. */
export function bodyToJs(body: AnyValue | CompactValue | undefined): unknown {
  if (body === undefined) return undefined;
  return isOtlpValue(body) ? anyValueToJs(body) : compactToJs(body as CompactValue);
}
