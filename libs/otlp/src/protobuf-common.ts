import { Reader } from 'protobufjs/minimal';
import { otlpDouble, type AnyValue, type KeyValue, type RawResource, type RawScope } from '@temps/domain';
import type { opentelemetry } from './generated/otlp';
import type { ItemContext, Shared } from './item-context';
import { signedToString } from './int64';
import { OtlpDecodeError } from './otlp-decode-error';

type PbAnyValue = opentelemetry.proto.common.v1.AnyValue.$Properties;
type PbKeyValue = opentelemetry.proto.common.v1.KeyValue.$Properties;
type PbResource = opentelemetry.proto.resource.v1.Resource.$Properties;
type PbScope = opentelemetry.proto.common.v1.InstrumentationScope.$Properties;

/**
 * Message nesting the generated decoders accept (protobufjs' default, 100, is protoc's). An
 * AnyValue level costs 2 (array) or 3 (kvlist) messages and the envelope up to 9, so 100 would fail
 * a whole request on a kvlist nested ~30 deep, before the per-item maxAnyValueDepth check could
 * reject just that item. 3000 lets ~1000 kvlist levels through to that check (far below what
 * overflows the stack); deeper payloads fail as a whole with "max depth exceeded".
 */
const RECURSION_LIMIT = 3000;

interface Decodable<T> {
  decode(reader: Reader): T;
}

/**
 * Decodes `body` as `type` (a generated message class), mapping every failure to OtlpDecodeError
 * with the message name. Unknown fields are skipped, not kept.
 */
export function decodeMessage<T>(type: Decodable<T>, name: string, body: Uint8Array): T {
  // A plain Uint8Array view (no copy), not a Buffer: protobufjs' Reader then returns bytes fields as
  // cheap subarray views, where its BufferReader would build a Buffer per id (measured ~15% slower).
  const bytes = Object.getPrototypeOf(body) === Uint8Array.prototype ? body : new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
  const previousLimit = Reader.recursionLimit;
  Reader.recursionLimit = Math.max(previousLimit, RECURSION_LIMIT);
  try {
    const reader = new Reader(bytes);
    reader.discardUnknown = true; // never re-encoded: do not keep unknown fields around
    return type.decode(reader);
  } catch (err) {
    throw new OtlpDecodeError(`could not decode ${name} protobuf: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  } finally {
    Reader.recursionLimit = previousLimit;
  }
}

const HEX: string[] = Array.from({ length: 256 }, (_, i) => (i < 16 ? '0' : '') + i.toString(16));

/** Lowercase hex of an id (trace/span ids are 16/8 bytes: a table beats a native call at this size). */
export function hex(bytes: Uint8Array | null | undefined): string {
  if (!bytes) return '';
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += HEX[bytes[i]!];
  return s;
}

export function base64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

/**
 * AnyValue in OTLP/JSON shape, within the context's limits (`key`: the top-level attribute key, for
 * truncation marks). Decoded messages hold the set oneof member as an own property and inherit
 * `null` for the others, so testing members directly avoids protobufjs' `value` getter.
 */
export function anyValue(v: PbAnyValue | null | undefined, ctx: ItemContext, key: string, depth: number): AnyValue {
  if (depth > ctx.maxDepth) {
    ctx.tooDeep();
    return {};
  }
  if (!v) return {};
  if (v.stringValue != null) return { stringValue: ctx.limitString(v.stringValue, key) };
  if (v.intValue != null) return { intValue: signedToString(v.intValue) };
  if (v.doubleValue != null) return { doubleValue: otlpDouble(v.doubleValue) }; // NaN, ±Infinity as OTLP/JSON strings: JSON would make them null
  if (v.boolValue != null) return { boolValue: v.boolValue };
  if (v.arrayValue != null) {
    const src = v.arrayValue.values;
    const n = src ? src.length : 0;
    const values: AnyValue[] = new Array(n);
    for (let i = 0; i < n; i++) values[i] = anyValue(src![i], ctx, key, depth + 1);
    return { arrayValue: { values } };
  }
  if (v.kvlistValue != null) {
    const src = v.kvlistValue.values;
    const n = src ? src.length : 0;
    const values: KeyValue[] = new Array(n);
    for (let i = 0; i < n; i++) {
      const kv = src![i]!;
      values[i] = { key: kv.key ?? '', value: anyValue(kv.value, ctx, key, depth + 1) };
    }
    return { kvlistValue: { values } };
  }
  if (v.bytesValue != null) return { bytesValue: base64(ctx.limitBytes(v.bytesValue, key)) };
  return {};
}

/** An attribute list, after ctx.at(...) said which one; checks the count first. */
export function keyValues(src: PbKeyValue[] | null | undefined, ctx: ItemContext): KeyValue[] {
  const n = src ? src.length : 0;
  if (n === 0) return [];
  if (!ctx.checkCount(n)) return [];
  const out: KeyValue[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const kv = src![i]!;
    const key = kv.key ?? '';
    out[i] = { key, value: anyValue(kv.value, ctx, key, 1) };
  }
  return out;
}

export function resourceOf(r: PbResource | null | undefined, schemaUrl: string | null | undefined, ctx: ItemContext): Shared<RawResource> {
  ctx.reset();
  ctx.at('resource ', 'resource.attributes.');
  const value: RawResource = { attributes: keyValues(r?.attributes, ctx) };
  if (r?.droppedAttributesCount) value.droppedAttributesCount = r.droppedAttributesCount;
  if (schemaUrl) value.schemaUrl = schemaUrl;
  return { value, reason: ctx.reason, truncated: ctx.truncated };
}

export function scopeOf(s: PbScope | null | undefined, schemaUrl: string | null | undefined, ctx: ItemContext): Shared<RawScope> {
  ctx.reset();
  ctx.at('scope ', 'scope.attributes.');
  const value: RawScope = { name: s?.name ?? '', attributes: keyValues(s?.attributes, ctx) };
  if (s?.version) value.version = s.version;
  if (s?.droppedAttributesCount) value.droppedAttributesCount = s.droppedAttributesCount;
  if (schemaUrl) value.schemaUrl = schemaUrl;
  return { value, reason: ctx.reason, truncated: ctx.truncated };
}

