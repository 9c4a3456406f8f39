import { otlpDouble, type AnyValue, type KeyValue, type RawResource, type RawScope } from '@temps/domain';
import type { ItemContext, Shared } from './item-context';
import { OtlpDecodeError } from './otlp-decode-error';
import { base64 } from './protobuf-common';

/**
 * OTLP/JSON reading (the protobuf JSON mapping as OTLP narrows it): lowerCamelCase or snake_case
 * keys, unknown keys ignored, `null` = the field's default, 64-bit integers as decimal strings or
 * numbers (kept exact, see quoteBigIntegers), enums as integers or their names, trace/span ids as
 * case-insensitive hex, `bytesValue` as base64. A value of the wrong type anywhere fails the whole
 * request (OtlpDecodeError naming the path), as a malformed protobuf message does; ids and limits
 * are per item (the item is rejected).
 */
export type JsonObject = Record<string, unknown>;

/** A type error at a path inside the request; turned into OtlpDecodeError at the top. */
export class JsonShapeError extends Error {
  constructor(
    public path: string,
    message: string,
  ) {
    super(message);
  }
}

/** Prefixes a JsonShapeError's path with the segment it was found under; rethrows anything else. */
export function within(err: unknown, segment: string): never {
  if (err instanceof JsonShapeError) {
    err.path = err.path === '' ? segment : err.path.charCodeAt(0) === 91 /* [ */ ? segment + err.path : `${segment}.${err.path}`;
  }
  throw err;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return v.length > 40 ? `a string ("${v.slice(0, 40)}…")` : `a string ("${v}")`;
  if (typeof v === 'object') return 'an object';
  return `${typeof v === 'number' ? 'a number' : `a ${typeof v}`} (${String(v)})`;
}

function fail(field: string, expected: string, v: unknown): never {
  throw new JsonShapeError(field, `expected ${expected}, got ${describe(v)}`);
}

/** o[camel], or o[snake] when the camelCase key is absent. */
export function pick(o: JsonObject, camel: string, snake: string): unknown {
  const v = o[camel];
  return v !== undefined ? v : o[snake];
}

export function jObject(v: unknown, field: string): JsonObject | undefined {
  if (v == null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v)) fail(field, 'an object', v);
  return v as JsonObject;
}

export function jArray(v: unknown, field: string): unknown[] {
  if (v == null) return EMPTY;
  if (!Array.isArray(v)) fail(field, 'an array', v);
  return v;
}
const EMPTY: unknown[] = [];

export function jString(v: unknown, field: string): string {
  if (v == null) return '';
  if (typeof v !== 'string') fail(field, 'a string', v);
  return v;
}

export function jBool(v: unknown, field: string): boolean {
  if (v == null) return false;
  if (typeof v !== 'boolean') fail(field, 'true or false', v);
  return v;
}

const DECIMAL_INT = /^-?\d+$/;

function intIn(v: unknown, field: string, min: number, max: number, what: string): number {
  if (v == null) return 0;
  let n: number;
  if (typeof v === 'number') n = v;
  else if (typeof v === 'string' && DECIMAL_INT.test(v)) n = Number(v);
  else fail(field, what, v);
  if (!Number.isInteger(n) || n < min || n > max) fail(field, what, v);
  return n === 0 ? 0 : n; // no -0
}

/** uint32 / fixed32 (counts, flags). */
export function jU32(v: unknown, field: string): number {
  return intIn(v, field, 0, 0xffffffff, 'an unsigned 32-bit integer');
}

/** int32 / sint32 (scale, bucket offset). */
export function jI32(v: unknown, field: string): number {
  return intIn(v, field, -0x80000000, 0x7fffffff, 'a 32-bit integer');
}

/** An enum: its integer value (unknown values kept, proto3 enums are open) or its name. */
export function jEnum(v: unknown, field: string, names: ReadonlyMap<string, number>): number {
  if (typeof v === 'string') {
    const n = names.get(v);
    if (n === undefined) throw new JsonShapeError(field, `unknown enum name "${v.slice(0, 60)}"`);
    return n;
  }
  return intIn(v, field, -0x80000000, 0x7fffffff, 'an enum integer or name');
}

/** name -> value of a generated enum object (whose prototype maps value -> name). */
export function enumNames(e: Record<string, number>): ReadonlyMap<string, number> {
  return new Map(Object.keys(e).map((k) => [k, e[k]!]));
}

const U64_CANONICAL = /^(?:0|[1-9]\d{0,18})$/; // < 10^19 < 2^64
const I64_CANONICAL = /^(?:0|-?[1-9]\d{0,17})$/; // |v| < 10^18 < 2^63
const U64_MAX = 18446744073709551615n;
const I64_MIN = -9223372036854775808n;
const I64_MAX = 9223372036854775807n;

/** uint64 / fixed64 as an exact canonical decimal string (what the protobuf decoder gives). */
export function jU64(v: unknown, field: string): string {
  if (v == null) return '0';
  if (typeof v === 'string') {
    if (U64_CANONICAL.test(v)) return v;
    if (DECIMAL_INT.test(v)) {
      const b = BigInt(v);
      if (b >= 0n && b <= U64_MAX) return b.toString();
    }
  } else if (typeof v === 'number' && Number.isInteger(v) && v >= 0) {
    if (v <= Number.MAX_SAFE_INTEGER) return String(v);
    // Beyond 2^53 only a non-integer literal (1.78e18) gets here as a number: its double value.
    if (v < 18446744073709551616) return BigInt(v).toString();
  }
  fail(field, 'an unsigned 64-bit integer (a decimal string or a number)', v);
}

/** int64 / sfixed64 as an exact canonical decimal string. */
export function jI64(v: unknown, field: string): string {
  if (v == null) return '0';
  if (typeof v === 'string') {
    if (I64_CANONICAL.test(v)) return v;
    if (DECIMAL_INT.test(v)) {
      const b = BigInt(v);
      if (b >= I64_MIN && b <= I64_MAX) return b.toString();
    }
  } else if (typeof v === 'number' && Number.isInteger(v)) {
    if (Math.abs(v) <= Number.MAX_SAFE_INTEGER) return String(v === 0 ? 0 : v);
    if (v >= -9223372036854775808 && v < 9223372036854775808) return BigInt(v).toString();
  }
  fail(field, 'a 64-bit integer (a decimal string or a number)', v);
}

const JSON_NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

/** double: a number, or a string holding one, "NaN", "Infinity" or "-Infinity". */
export function jDouble(v: unknown, field: string): number {
  if (v == null) return 0;
  if (typeof v === 'number') return v;
  if (typeof v === 'string') {
    if (v === 'NaN') return NaN;
    if (v === 'Infinity') return Infinity;
    if (v === '-Infinity') return -Infinity;
    if (JSON_NUMBER.test(v)) return Number(v);
  }
  fail(field, 'a number', v);
}

/** An optional double: undefined when absent or null. */
export function jOptionalDouble(v: unknown, field: string): number | undefined {
  return v == null ? undefined : jDouble(v, field);
}

const HEX_ANY_CASE = /^[0-9a-fA-F]*$/;

/**
 * A trace/span id: lowercase hex when the string is hex (any case), the string itself otherwise
 * (validation then names it "not hex"), '' when absent; null when it is not a string at all.
 */
export function jId(v: unknown): string | null {
  if (v == null) return '';
  if (typeof v !== 'string') return null;
  return HEX_ANY_CASE.test(v) ? v.toLowerCase() : v;
}

const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;

/** bytes: standard or URL-safe base64, padded or not. */
export function jBytes(v: unknown, field: string): Buffer {
  if (typeof v !== 'string' || !BASE64.test(v)) fail(field, 'base64', v);
  const padding = v.endsWith('==') ? 2 : v.endsWith('=') ? 1 : 0;
  const data = v.length - padding;
  if ((padding && v.length % 4 !== 0) || data % 4 === 1) fail(field, 'base64', v);
  return Buffer.from(v, 'base64');
}

/** AnyValue in the shape the protobuf decoder gives (see protobuf-common anyValue): same limits, same order of checks. */
export function jAnyValue(v: unknown, ctx: ItemContext, key: string, depth: number): AnyValue {
  if (depth > ctx.maxDepth) {
    ctx.tooDeep();
    return {};
  }
  if (v == null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) fail('', 'an AnyValue object', v);
  const o = v as JsonObject;
  let x = pick(o, 'stringValue', 'string_value');
  if (x != null) return { stringValue: ctx.limitString(jString(x, 'stringValue'), key) };
  x = pick(o, 'intValue', 'int_value');
  if (x != null) return { intValue: jI64(x, 'intValue') };
  x = pick(o, 'doubleValue', 'double_value');
  if (x != null) return { doubleValue: otlpDouble(jDouble(x, 'doubleValue')) };
  x = pick(o, 'boolValue', 'bool_value');
  if (x != null) return { boolValue: jBool(x, 'boolValue') };
  x = pick(o, 'arrayValue', 'array_value');
  if (x != null) {
    const src = jArray(jObject(x, 'arrayValue')!.values, 'arrayValue.values');
    const n = src.length;
    const values: AnyValue[] = new Array(n);
    for (let i = 0; i < n; i++) {
      try {
        values[i] = jAnyValue(src[i], ctx, key, depth + 1);
      } catch (err) {
        within(err, `arrayValue.values[${i}]`);
      }
    }
    return { arrayValue: { values } };
  }
  x = pick(o, 'kvlistValue', 'kvlist_value');
  if (x != null) {
    const src = jArray(jObject(x, 'kvlistValue')!.values, 'kvlistValue.values');
    const n = src.length;
    const values: KeyValue[] = new Array(n);
    for (let i = 0; i < n; i++) {
      try {
        const kv = jObject(src[i], '') ?? fail('', 'a KeyValue object', src[i]);
        values[i] = { key: jString(kv.key, 'key'), value: jValueField(kv.value, ctx, key, depth + 1) };
      } catch (err) {
        within(err, `kvlistValue.values[${i}]`);
      }
    }
    return { kvlistValue: { values } };
  }
  x = pick(o, 'bytesValue', 'bytes_value');
  if (x != null) return { bytesValue: base64(ctx.limitBytes(jBytes(x, 'bytesValue'), key)) };
  return {};
}

/** KeyValue.value: errors inside it get the `value` path segment. */
function jValueField(v: unknown, ctx: ItemContext, key: string, depth: number): AnyValue {
  try {
    return jAnyValue(v, ctx, key, depth);
  } catch (err) {
    within(err, 'value');
  }
}

/** An attribute list (after ctx.at(...)): count checked first, as in the protobuf decoder. */
export function jKeyValues(v: unknown, field: string, ctx: ItemContext): KeyValue[] {
  const src = jArray(v, field);
  const n = src.length;
  if (n === 0) return [];
  if (!ctx.checkCount(n)) return [];
  const out: KeyValue[] = new Array(n);
  for (let i = 0; i < n; i++) {
    try {
      const kv = jObject(src[i], '') ?? fail('', 'a KeyValue object', src[i]);
      const key = jString(kv.key, 'key');
      out[i] = { key, value: jValueField(kv.value, ctx, key, 1) };
    } catch (err) {
      within(err, `${field}[${i}]`);
    }
  }
  return out;
}

export function jResourceOf(v: unknown, schemaUrl: string, ctx: ItemContext): Shared<RawResource> {
  ctx.reset();
  ctx.at('resource ', 'resource.attributes.');
  try {
    const r = jObject(v, '');
    const value: RawResource = { attributes: r ? jKeyValues(r.attributes, 'attributes', ctx) : [] };
    const dropped = r ? jU32(pick(r, 'droppedAttributesCount', 'dropped_attributes_count'), 'droppedAttributesCount') : 0;
    if (dropped) value.droppedAttributesCount = dropped;
    if (schemaUrl) value.schemaUrl = schemaUrl;
    return { value, reason: ctx.reason, truncated: ctx.truncated };
  } catch (err) {
    within(err, 'resource');
  }
}

export function jScopeOf(v: unknown, schemaUrl: string, ctx: ItemContext): Shared<RawScope> {
  ctx.reset();
  ctx.at('scope ', 'scope.attributes.');
  try {
    const s = jObject(v, '');
    const value: RawScope = { name: s ? jString(s.name, 'name') : '', attributes: s ? jKeyValues(s.attributes, 'attributes', ctx) : [] };
    const version = s ? jString(s.version, 'version') : '';
    if (version) value.version = version;
    const dropped = s ? jU32(pick(s, 'droppedAttributesCount', 'dropped_attributes_count'), 'droppedAttributesCount') : 0;
    if (dropped) value.droppedAttributesCount = dropped;
    if (schemaUrl) value.schemaUrl = schemaUrl;
    return { value, reason: ctx.reason, truncated: ctx.truncated };
  } catch (err) {
    within(err, 'scope');
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** A number token that may not survive JSON.parse: an integer of 16+ digits (2^53 has 16). */
const MAYBE_BIG_INTEGER = /[:,[]\s*-?\d{16}/;
const BIG_INTEGER = /(?<![\d.eE+-])-?\d{16,}(?![\d.eE])/g;

/**
 * Puts quotes around integer literals of 16 or more digits outside strings, so JSON.parse keeps
 * them exact (as strings; every numeric reader here accepts strings, and a double field gets the
 * same Number() value JSON.parse would have given). String contents are never touched: the scan
 * skips from quote to unescaped quote with indexOf. Returns `text` itself when there is nothing
 * to quote (the common case: the OTel SDKs send 64-bit times as strings already).
 */
export function quoteBigIntegers(text: string): string {
  if (!MAYBE_BIG_INTEGER.test(text)) return text;
  let out = '';
  let copied = 0;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const q = text.indexOf('"', i);
    const end = q === -1 ? n : q;
    if (end - i >= 16) {
      // Structural text between strings: numbers, punctuation, literals, whitespace. Searched as
      // its own slice so that a search never runs on into the following strings.
      const segment = text.slice(i, end);
      BIG_INTEGER.lastIndex = 0;
      let m: RegExpExecArray | null;
      while ((m = BIG_INTEGER.exec(segment)) !== null) {
        const at = i + m.index;
        out += text.slice(copied, at) + '"' + m[0] + '"';
        copied = at + m[0].length;
      }
    }
    if (q === -1) break;
    // Skip the string: the next quote not escaped by an odd run of backslashes.
    let j = q + 1;
    for (;;) {
      j = text.indexOf('"', j);
      if (j === -1) {
        j = n; // unterminated: JSON.parse reports it
        break;
      }
      let k = j - 1;
      while (text.charCodeAt(k) === 92) k--;
      if ((j - 1 - k) % 2 === 0) break;
      j++;
    }
    i = j + 1;
  }
  return copied === 0 ? text : out + text.slice(copied);
}

/**
 * Parses an OTLP/JSON request body (UTF-8; an empty body is an empty request) into its top-level
 * object. Throws OtlpDecodeError for invalid UTF-8, invalid JSON or a top level that is not an object.
 */
export function parseJsonBody(body: Uint8Array, name: string): JsonObject {
  if (body.length === 0) return {};
  let text: string;
  try {
    text = utf8.decode(body);
  } catch (err) {
    throw new OtlpDecodeError(`could not decode ${name} JSON: the body is not valid UTF-8`, { cause: err });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(quoteBigIntegers(text));
  } catch (err) {
    throw new OtlpDecodeError(`could not decode ${name} JSON: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new OtlpDecodeError(`could not decode ${name} JSON: expected an object at the top level, got ${describe(parsed)}`);
  }
  return parsed as JsonObject;
}

/** Runs a request walker, turning a JsonShapeError into OtlpDecodeError with its path. */
export function walkJson<T>(name: string, walk: () => T): T {
  try {
    return walk();
  } catch (err) {
    if (err instanceof JsonShapeError) {
      throw new OtlpDecodeError(`could not decode ${name} JSON: ${err.path ? `${err.path}: ` : ''}${err.message}`, { cause: err });
    }
    if (err instanceof RangeError) {
      // Defensive: nothing here recurses beyond maxAnyValueDepth, but a stack overflow must still be a 400.
      throw new OtlpDecodeError(`could not decode ${name} JSON: ${err.message}`, { cause: err });
    }
    throw err;
  }
}
