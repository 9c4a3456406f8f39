import type { opentelemetry } from './generated/otlp';
import type { ItemContext } from './item-context';
import { signedToString } from './int64';
import { base64 } from './protobuf-common';

type PbAnyValue = opentelemetry.proto.common.v1.AnyValue.$Properties;
type PbKeyValue = opentelemetry.proto.common.v1.KeyValue.$Properties;

/*
 * The JSON text of decoded protobuf attributes in the stored (schema version 2) form, written straight
 * from protobufjs' messages: exactly JSON.stringify(compactAttributes(keyValues(src))) (see
 * @temps/domain's attribute-map), with the same ItemContext calls (limits, truncation marks) in the same
 * order, but without the OTLP/JSON objects, the compact copy of them and the walk JSON.stringify makes.
 * Ingest spends most of its time per span on those three; the property spec checks the equality.
 */

/** Keys a map cannot hold as given (attribute-map's mapUnsafeKey): array-index keys and `__proto__`. */
export function unsafeKey(key: string): boolean {
  const c = key.charCodeAt(0);
  if (!(c >= 48 && c <= 57)) return key === '__proto__';
  return /^(0|[1-9]\d{0,9})$/.test(key) && Number(key) < 4294967295;
}

/**
 * Attribute keys seen lately: their JSON and whether a map can hold them, and the top-level list that
 * last used them (its number), which finds a duplicate with the same one lookup. Senders repeat the same
 * few dozen keys, so quoting each once saves most of the per-key work. Bounded: cleared when it grows.
 */
interface KeyInfo {
  json: string;
  unsafe: boolean;
  list: number;
}
const KEY_CACHE_MAX = 4096;
const keyCache = new Map<string, KeyInfo>();
let listNumber = 0;

function keyInfo(key: string): KeyInfo {
  let info = keyCache.get(key);
  if (info === undefined) {
    info = { json: JSON.stringify(key), unsafe: unsafeKey(key), list: 0 };
    keyCache.set(key, info);
  }
  return info;
}

/** Keys longer than this are not cached (a body's keys must not stay in memory in bulk). */
const MAX_CACHED_KEY_LENGTH = 128;

/**
 * A top-level list's keys through the cache: their infos, 'list' when the list must stay an OTLP list
 * (a key a map would lose or reorder, or a duplicate), or null when a key is too long to cache.
 */
function cachedKeys(src: PbKeyValue[], n: number): KeyInfo[] | 'list' | null {
  const list = ++listNumber;
  if (keyCache.size + n > KEY_CACHE_MAX) keyCache.clear(); // never during the loop: it would forget keys seen in it
  const keys: KeyInfo[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const key = src[i]!.key ?? '';
    if (key.length > MAX_CACHED_KEY_LENGTH) return null;
    const info = (keys[i] = keyInfo(key));
    if (info.unsafe || info.list === list) return 'list';
    info.list = list;
  }
  return keys;
}

/** True when the list has to stay an OTLP KeyValue list: a key a map would lose or reorder, or a duplicate. */
function needsList(src: PbKeyValue[], n: number): boolean {
  if (n > 16) {
    const seen = new Set<string>(); // nested lists have no count limit: no quadratic scan of a long one
    for (let i = 0; i < n; i++) {
      const key = src[i]!.key ?? '';
      if (unsafeKey(key) || seen.has(key)) return true;
      seen.add(key);
    }
    return false;
  }
  for (let i = 0; i < n; i++) {
    const key = src[i]!.key ?? '';
    if (unsafeKey(key)) return true;
    for (let j = 0; j < i; j++) if ((src[j]!.key ?? '') === key) return true;
  }
  return false;
}

/** One AnyValue in compact form (attribute-map's compactValue of protobuf-common's anyValue). */
function compactValueJson(v: PbAnyValue | null | undefined, ctx: ItemContext, key: string, depth: number): string {
  if (depth > ctx.maxDepth) {
    ctx.tooDeep();
    return 'null';
  }
  if (!v) return 'null';
  if (v.stringValue != null) return JSON.stringify(ctx.limitString(v.stringValue, key));
  if (v.intValue != null) {
    const s = signedToString(v.intValue);
    const n = Number(s);
    return Number.isSafeInteger(n) && String(n) === s ? s : `{"int":"${s}"}`;
  }
  if (v.doubleValue != null) {
    const d = v.doubleValue;
    if (!Number.isFinite(d)) return `{"double":"${String(d)}"}`; // NaN, Infinity, -Infinity as OTLP/JSON spells them
    return Number.isInteger(d) ? `{"double":${JSON.stringify(d)}}` : JSON.stringify(d); // a whole double is tagged: plain reads as an int
  }
  if (v.boolValue != null) return v.boolValue ? 'true' : 'false';
  if (v.arrayValue != null) {
    const src = v.arrayValue.values;
    const n = src ? src.length : 0;
    let out = '[';
    for (let i = 0; i < n; i++) out += (i ? ',' : '') + compactValueJson(src![i], ctx, key, depth + 1);
    return out + ']';
  }
  if (v.kvlistValue != null) {
    const src = v.kvlistValue.values;
    return `{"kvlist":${listJson(src ?? [], src ? src.length : 0, ctx, key, depth + 1)}}`;
  }
  if (v.bytesValue != null) return `{"bytes":"${base64(ctx.limitBytes(v.bytesValue, key))}"}`;
  return 'null';
}

/** One AnyValue in OTLP/JSON form (protobuf-common's anyValue), for lists a map cannot hold. */
function otlpValueJson(v: PbAnyValue | null | undefined, ctx: ItemContext, key: string, depth: number): string {
  if (depth > ctx.maxDepth) {
    ctx.tooDeep();
    return '{}';
  }
  if (!v) return '{}';
  if (v.stringValue != null) return `{"stringValue":${JSON.stringify(ctx.limitString(v.stringValue, key))}}`;
  if (v.intValue != null) return `{"intValue":"${signedToString(v.intValue)}"}`;
  if (v.doubleValue != null) {
    const d = v.doubleValue;
    return Number.isFinite(d) ? `{"doubleValue":${JSON.stringify(d)}}` : `{"doubleValue":"${String(d)}"}`;
  }
  if (v.boolValue != null) return v.boolValue ? '{"boolValue":true}' : '{"boolValue":false}';
  if (v.arrayValue != null) {
    const src = v.arrayValue.values;
    const n = src ? src.length : 0;
    let out = '{"arrayValue":{"values":[';
    for (let i = 0; i < n; i++) out += (i ? ',' : '') + otlpValueJson(src![i], ctx, key, depth + 1);
    return out + ']}}';
  }
  if (v.kvlistValue != null) {
    const src = v.kvlistValue.values;
    const n = src ? src.length : 0;
    let out = '{"kvlistValue":{"values":[';
    for (let i = 0; i < n; i++) {
      const kv = src![i]!;
      out += `${i ? ',' : ''}{"key":${JSON.stringify(kv.key ?? '')},"value":${otlpValueJson(kv.value, ctx, key, depth + 1)}}`;
    }
    return out + ']}}';
  }
  if (v.bytesValue != null) return `{"bytesValue":"${base64(ctx.limitBytes(v.bytesValue, key))}"}`;
  return '{}';
}

/**
 * A KeyValue list: a map when it can be one (compact values inside), else the OTLP list all through.
 * `key` is the top-level attribute key (truncation marks name it), or null for a top-level list.
 */
function listJson(src: PbKeyValue[], n: number, ctx: ItemContext, key: string | null, depth: number): string {
  if (n === 0) return '{}';
  // Only a top-level list uses the key cache: nested ones are met while it is being written, and their
  // own list numbers would overwrite its marks.
  const keys = key === null ? cachedKeys(src, n) : null;
  if (keys === 'list' || (keys === null && needsList(src, n))) {
    let out = '[';
    for (let i = 0; i < n; i++) {
      const kv = src[i]!;
      const k = kv.key ?? '';
      out += `${i ? ',' : ''}{"key":${JSON.stringify(k)},"value":${otlpValueJson(kv.value, ctx, key ?? k, depth)}}`;
    }
    return out + ']';
  }
  let out = '{';
  for (let i = 0; i < n; i++) {
    const kv = src[i]!;
    const k = kv.key ?? '';
    out += (i ? ',' : '') + (keys ? keys[i]!.json : JSON.stringify(k)) + ':' + compactValueJson(kv.value, ctx, key ?? k, depth);
  }
  return out + '}';
}

/** An attribute list (after ctx.at(...) said which one), count checked first: '{}' when over the limit. */
export function compactAttributesJson(src: PbKeyValue[] | null | undefined, ctx: ItemContext): string {
  const n = src ? src.length : 0;
  if (n === 0 || !ctx.checkCount(n)) return '{}';
  return listJson(src!, n, ctx, null, 1);
}
