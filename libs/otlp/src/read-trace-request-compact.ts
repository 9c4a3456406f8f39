import { isUtf8 } from 'node:buffer';
import type { CompactSpanItem, SpanIdentity } from './decode-trace-request-compact';
import { unsafeKey } from './compact-attributes-json';
import { int64ToDecimal, uint64ToDecimal } from './int64';
import { ItemContext, sharedReason, type Shared } from './item-context';
import { resolveLimits, type DecodeLimits, type DecodeResult } from './limits';
import { base64 } from './protobuf-common';
import { finishCompactSpan } from './finish-item';

/*
 * A hand-written reader of ExportTraceServiceRequest bytes for ingest: it walks the wire format and
 * writes each span's stored JSON straight from the bytes, with no protobufjs message objects (they
 * were a quarter of ingest's CPU and most of its garbage). It gives exactly decodeTraceRequestCompact's
 * output, or gives up (null) on anything where protobufjs' behaviour is subtle: any error, groups,
 * a singular message sent twice (protobufjs merges), two members of AnyValue's oneof, varints longer
 * than needed, invalid UTF-8, deep nesting, Resource.entity_refs. The caller then takes the
 * protobufjs path, which gives the reference result (or error) for those rare bodies.
 *
 * Two passes: `validate` checks the whole body (every field, strings' UTF-8), so the second pass,
 * which writes JSON in the stored field order whatever the wire order, never meets a surprise half
 * way (it still gives up if it does).
 */

const GIVE_UP = new Error('not handled by the hand-written reader');

let buf: Uint8Array = new Uint8Array(0);
/** Node's Buffer slices without toString's encoding switch (undocumented, but what toString calls). */
type TextBuffer = Buffer & { latin1Slice(start: number, end: number): string; utf8Slice(start: number, end: number): string; hexSlice(start: number, end: number): string };
let text = Buffer.alloc(0) as TextBuffer;
let pos = 0;

function giveUp(): never {
  throw GIVE_UP;
}

/** A varint of at most 5 bytes (uint32, int32 as unsigned, tags, lengths); longer ones give up. */
function varint32(end: number): number {
  let b = pos < end ? buf[pos++]! : giveUp();
  let v = b & 127;
  if (b < 128) return v;
  b = pos < end ? buf[pos++]! : giveUp();
  v |= (b & 127) << 7;
  if (b < 128) return v;
  b = pos < end ? buf[pos++]! : giveUp();
  v |= (b & 127) << 14;
  if (b < 128) return v >>> 0;
  b = pos < end ? buf[pos++]! : giveUp();
  v |= (b & 127) << 21;
  if (b < 128) return v >>> 0;
  b = pos < end ? buf[pos++]! : giveUp();
  if (b > 15) giveUp(); // protobufjs reads more bytes (or throws): leave those to it
  return (v | (b << 28)) >>> 0;
}

/** A length: its bytes must lie within `end`. */
function length(end: number): number {
  const n = varint32(end);
  if (n > end - pos) giveUp();
  return n;
}

let lo = 0;
let hi = 0;
/** A 64-bit varint into lo/hi, with protobufjs' readLongVarint bits (at most 10 bytes). */
function varint64(end: number): void {
  lo = 0;
  hi = 0;
  let b = 0;
  for (let i = 0; i < 4; i++) {
    b = pos < end ? buf[pos++]! : giveUp();
    lo = (lo | ((b & 127) << (i * 7))) >>> 0;
    if (b < 128) return;
  }
  b = pos < end ? buf[pos++]! : giveUp();
  lo = (lo | ((b & 127) << 28)) >>> 0;
  hi = (hi | ((b & 127) >> 4)) >>> 0;
  if (b < 128) return;
  for (let i = 0; i < 5; i++) {
    b = pos < end ? buf[pos++]! : giveUp();
    hi = (hi | ((b & 127) << (i * 7 + 3))) >>> 0;
    if (b < 128) return;
  }
  giveUp();
}

/** protobufjs' bool(): any set bit in up to 10 bytes. */
function bool(end: number): boolean {
  let value = false;
  for (let i = 0; i < 10; i++) {
    const b = pos < end ? buf[pos++]! : giveUp();
    if (b & 127) value = true;
    if (b < 128) return value;
  }
  return giveUp();
}

function fixed32(end: number): number {
  if (end - pos < 4) giveUp();
  const v = (buf[pos]! | (buf[pos + 1]! << 8) | (buf[pos + 2]! << 16) | (buf[pos + 3]! << 24)) >>> 0;
  pos += 4;
  return v;
}

function fixed64(end: number): void {
  lo = fixed32(end);
  hi = fixed32(end);
}

/** Skips a field protobufjs would skip (unknown, or a known number with another wire type). */
function skip(wire: number, end: number): void {
  if (wire === 0) {
    while ((pos < end ? buf[pos++]! : giveUp()) & 128);
  } else if (wire === 1) {
    if (end - pos < 8) giveUp();
    pos += 8;
  } else if (wire === 2) {
    const n = length(end); // first: `pos += length(end)` would add to the pos read before the length
    pos += n;
  } else if (wire === 5) {
    if (end - pos < 4) giveUp();
    pos += 4;
  } else giveUp(); // groups and invalid wire types
}

/** A tag; field number 0 gives up (protobufjs throws). */
function tag(end: number): number {
  const t = varint32(end);
  if (t >>> 3 === 0) giveUp();
  return t;
}

/** UTF-8 text at [start, end), known valid (validate checked it). */
function textAt(start: number, end: number): string {
  return start === end ? '' : text.utf8Slice(start, end);
}

function checkText(start: number, end: number): void {
  if (end - start > LONG_TEXT) {
    if (!isUtf8(buf.subarray(start, end))) giveUp();
    return;
  }
  for (let i = start; i < end; i++) {
    if (buf[i]! >= 128) {
      if (!isUtf8(buf.subarray(i, end))) giveUp();
      return;
    }
  }
}

/** Longer text is checked natively (a view costs less than the JS scan from about here). */
const LONG_TEXT = 48;

/** Lowercase hex of [start, end), made whole in one native call (a JS loop made a string per byte: ~0.8 KB per span). */
function hexAt(start: number, end: number): string {
  return start === end ? '' : text.hexSlice(start, end);
}

// ---------------------------------------------------------------------------------------------
// Pass 1: validate. Field kinds per message; a message given by number in MESSAGES.
// ---------------------------------------------------------------------------------------------

const STR = 1;
const BYTES = 2;
const U32 = 3; // uint32, int32, enums
const I64 = 4;
const BOOL = 5;
const F64 = 6; // fixed64, double
const F32 = 7;
const REPEATED = 8; // message, repeated
const SINGLE = 9; // message, singular (a second one gives up: protobufjs merges)
const UNSUPPORTED = 10; // a known field this reader does not model: give up

const WIRE: Record<number, number> = { [STR]: 2, [BYTES]: 2, [U32]: 0, [I64]: 0, [BOOL]: 0, [F64]: 1, [F32]: 5, [REPEATED]: 2, [SINGLE]: 2, [UNSUPPORTED]: 2 };

interface Field {
  kind: number;
  wire: number;
  type: number;
}
const f = (kind: number, type = -1): Field => ({ kind, wire: WIRE[kind]!, type });

const REQUEST = 0;
const RESOURCE_SPANS = 1;
const RESOURCE = 2;
const SCOPE_SPANS = 3;
const SCOPE = 4;
const SPAN = 5;
const EVENT = 6;
const LINK = 7;
const STATUS = 8;
const KEY_VALUE = 9;
const ANY_VALUE = 10;
const ARRAY_VALUE = 11;
const KV_LIST = 12;

const MESSAGES: Field[][] = [];
MESSAGES[REQUEST] = [];
MESSAGES[REQUEST][1] = f(REPEATED, RESOURCE_SPANS);
MESSAGES[RESOURCE_SPANS] = [];
MESSAGES[RESOURCE_SPANS][1] = f(SINGLE, RESOURCE);
MESSAGES[RESOURCE_SPANS][2] = f(REPEATED, SCOPE_SPANS);
MESSAGES[RESOURCE_SPANS][3] = f(STR);
MESSAGES[RESOURCE] = [];
MESSAGES[RESOURCE][1] = f(REPEATED, KEY_VALUE);
MESSAGES[RESOURCE][2] = f(U32);
MESSAGES[RESOURCE][3] = f(UNSUPPORTED);
MESSAGES[SCOPE_SPANS] = [];
MESSAGES[SCOPE_SPANS][1] = f(SINGLE, SCOPE);
MESSAGES[SCOPE_SPANS][2] = f(REPEATED, SPAN);
MESSAGES[SCOPE_SPANS][3] = f(STR);
MESSAGES[SCOPE] = [];
MESSAGES[SCOPE][1] = f(STR);
MESSAGES[SCOPE][2] = f(STR);
MESSAGES[SCOPE][3] = f(REPEATED, KEY_VALUE);
MESSAGES[SCOPE][4] = f(U32);
MESSAGES[SPAN] = [];
MESSAGES[SPAN][1] = f(BYTES);
MESSAGES[SPAN][2] = f(BYTES);
MESSAGES[SPAN][3] = f(STR);
MESSAGES[SPAN][4] = f(BYTES);
MESSAGES[SPAN][5] = f(STR);
MESSAGES[SPAN][6] = f(U32);
MESSAGES[SPAN][7] = f(F64);
MESSAGES[SPAN][8] = f(F64);
MESSAGES[SPAN][9] = f(REPEATED, KEY_VALUE);
MESSAGES[SPAN][10] = f(U32);
MESSAGES[SPAN][11] = f(REPEATED, EVENT);
MESSAGES[SPAN][12] = f(U32);
MESSAGES[SPAN][13] = f(REPEATED, LINK);
MESSAGES[SPAN][14] = f(U32);
MESSAGES[SPAN][15] = f(SINGLE, STATUS);
MESSAGES[SPAN][16] = f(F32);
MESSAGES[EVENT] = [];
MESSAGES[EVENT][1] = f(F64);
MESSAGES[EVENT][2] = f(STR);
MESSAGES[EVENT][3] = f(REPEATED, KEY_VALUE);
MESSAGES[EVENT][4] = f(U32);
MESSAGES[LINK] = [];
MESSAGES[LINK][1] = f(BYTES);
MESSAGES[LINK][2] = f(BYTES);
MESSAGES[LINK][3] = f(STR);
MESSAGES[LINK][4] = f(REPEATED, KEY_VALUE);
MESSAGES[LINK][5] = f(U32);
MESSAGES[LINK][6] = f(F32);
MESSAGES[STATUS] = [];
MESSAGES[STATUS][2] = f(STR);
MESSAGES[STATUS][3] = f(U32);
MESSAGES[KEY_VALUE] = [];
MESSAGES[KEY_VALUE][1] = f(STR);
MESSAGES[KEY_VALUE][2] = f(SINGLE, ANY_VALUE);
MESSAGES[ANY_VALUE] = [];
MESSAGES[ANY_VALUE][1] = f(STR);
MESSAGES[ANY_VALUE][2] = f(BOOL);
MESSAGES[ANY_VALUE][3] = f(I64);
MESSAGES[ANY_VALUE][4] = f(F64);
MESSAGES[ANY_VALUE][5] = f(SINGLE, ARRAY_VALUE);
MESSAGES[ANY_VALUE][6] = f(SINGLE, KV_LIST);
MESSAGES[ANY_VALUE][7] = f(BYTES);
MESSAGES[ARRAY_VALUE] = [];
MESSAGES[ARRAY_VALUE][1] = f(REPEATED, ANY_VALUE);
MESSAGES[KV_LIST] = [];
MESSAGES[KV_LIST][1] = f(REPEATED, KEY_VALUE);

/** Nesting this reader takes on (protobufjs takes far more: deeper bodies go to it). */
const MAX_NESTING = 64;

/** Checks the message of `type` at [pos, end): every field readable, nothing this reader does not model. */
function validate(type: number, end: number, depth: number): void {
  if (depth > MAX_NESTING) giveUp();
  const fields = MESSAGES[type]!;
  let singles = 0; // bit per singular message field number (all below 16), or oneof members seen
  while (pos < end) {
    const t = tag(end);
    const field = fields[t >>> 3];
    const wire = t & 7;
    if (field === undefined || field.wire !== wire) {
      skip(wire, end);
      continue;
    }
    if (type === ANY_VALUE) {
      if (singles) giveUp(); // a second oneof member: protobufjs' oneof setter rules, left to it
      singles = 1;
    }
    switch (field.kind) {
      case STR: {
        const n = length(end);
        checkText(pos, pos + n);
        pos += n;
        break;
      }
      case BYTES: {
        const n = length(end);
        pos += n;
        break;
      }
      case U32:
        varint32(end);
        break;
      case I64:
        varint64(end);
        break;
      case BOOL:
        bool(end);
        break;
      case F64:
        if (end - pos < 8) giveUp();
        pos += 8;
        break;
      case F32:
        fixed32(end);
        break;
      case SINGLE: {
        const bit = 1 << (t >>> 3);
        if (type !== ANY_VALUE && singles & bit) giveUp();
        singles |= bit;
        const n = length(end);
        validate(field.type, pos + n, depth + 1);
        break;
      }
      case REPEATED: {
        const n = length(end);
        validate(field.type, pos + n, depth + 1);
        break;
      }
      default:
        giveUp();
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Pass 2: write the stored JSON (decode-trace-request-compact's and compact-attributes-json's
// output and ItemContext calls, in their order), from the validated bytes.
// ---------------------------------------------------------------------------------------------

/**
 * A KeyValue list: keys, and their values' AnyValue bounds (-1 when the KeyValue has no value); its first
 * `n` entries are the list's (a reused list keeps its arrays' room and stale entries past `n`).
 */
interface KvList {
  n: number;
  keys: string[];
  starts: number[];
  ends: number[];
}

/** Appends the KeyValue at [pos, end) to the list. */
function readKeyValue(list: KvList, end: number): void {
  let key = '';
  let vs = -1;
  let ve = -1;
  while (pos < end) {
    const t = tag(end);
    if (t === 10) {
      const n = length(end);
      key = keyAt(pos, pos + n);
      pos += n;
    } else if (t === 18) {
      const n = length(end);
      vs = pos;
      ve = pos += n;
    } else skip(t & 7, end);
  }
  const i = list.n++;
  list.keys[i] = key;
  list.starts[i] = vs;
  list.ends[i] = ve;
}

/**
 * Attribute keys by their bytes: senders repeat the same few dozen keys, and finding the string already
 * made (by a hash of the bytes, then comparing them) is cheaper than decoding it again. Bounded like the
 * key cache below; a hash collision just decodes.
 */
interface KeyText {
  bytes: Uint8Array;
  key: string;
}
const keyTexts = new Map<number, KeyText>();
const MAX_KEY_TEXT_BYTES = 64;

function keyAt(start: number, end: number): string {
  const n = end - start;
  if (n > MAX_KEY_TEXT_BYTES) return textAt(start, end);
  let h = 0x811c9dc5 ^ n;
  for (let i = start; i < end; i++) h = Math.imul(h ^ buf[i]!, 0x01000193);
  const hit = keyTexts.get(h);
  if (hit !== undefined && hit.bytes.length === n) {
    const b = hit.bytes;
    let i = 0;
    while (i < n && b[i] === buf[start + i]) i++;
    if (i === n) return hit.key;
  }
  const key = textAt(start, end);
  if (keyTexts.size >= KEY_CACHE_MAX) keyTexts.clear();
  keyTexts.set(h, { bytes: buf.slice(start, end), key });
  return key;
}

const newList = (): KvList => ({ n: 0, keys: [], starts: [], ends: [] });

/*
 * The span's attribute list and its events' and links' lists, reused from span to span: each is written
 * whole before it is read, and read to the end before the next is written. Fresh lists grew three arrays
 * per span and per event by pushes (about 1.3 KB of garbage per bench span, a tenth of the reader's).
 */
const spanAttrs = newList();
const childAttrs = newList();
function reused(list: KvList): KvList {
  list.n = 0;
  return list;
}

/** Recently seen attribute keys (see compact-attributes-json: same bounds, same use). */
interface KeyInfo {
  /** The key as a JSON member's start (`"key":`), and the same after a comma: one concatenation per attribute less. */
  member: string;
  next: string;
  unsafe: boolean;
  list: number;
}
const KEY_CACHE_MAX = 4096;
const MAX_CACHED_KEY_LENGTH = 128;
const keyCache = new Map<string, KeyInfo>();
let listNumber = 0;

function cachedKeys(keys: string[], n: number): KeyInfo[] | 'list' | null {
  const list = ++listNumber;
  if (keyCache.size + n > KEY_CACHE_MAX) keyCache.clear();
  const out: KeyInfo[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const key = keys[i]!;
    if (key.length > MAX_CACHED_KEY_LENGTH) return null;
    let info = keyCache.get(key);
    if (info === undefined) {
      const json = JSON.stringify(key);
      info = { member: `${json}:`, next: `,${json}:`, unsafe: unsafeKey(key), list: 0 };
      keyCache.set(key, info);
    }
    out[i] = info;
    if (info.unsafe || info.list === list) return 'list';
    info.list = list;
  }
  return out;
}

function needsList(keys: string[], n: number): boolean {
  if (n > 16) {
    const seen = new Set<string>();
    for (let i = 0; i < n; i++) {
      const key = keys[i]!;
      if (unsafeKey(key) || seen.has(key)) return true;
      seen.add(key);
    }
    return false;
  }
  for (let i = 0; i < n; i++) {
    const key = keys[i]!;
    if (unsafeKey(key)) return true;
    for (let j = 0; j < i; j++) if (keys[j] === key) return true;
  }
  return false;
}

/** The AnyValue's member at [start, end): its field number, with pos at its payload; 0 when none. */
function member(start: number, end: number): number {
  pos = start;
  while (pos < end) {
    const t = tag(end);
    const field = t >>> 3;
    const wire = t & 7;
    if (field >= 1 && field <= 7 && MESSAGES[ANY_VALUE]![field]!.wire === wire) return field;
    skip(wire, end);
  }
  return 0;
}

/** The values of an ArrayValue at [pos, end) as AnyValue bounds. */
function arrayValues(end: number): number[] {
  const bounds: number[] = [];
  while (pos < end) {
    const t = tag(end);
    if (t === 10) {
      const n = length(end);
      bounds.push(pos, pos + n);
      pos += n;
    } else skip(t & 7, end);
  }
  return bounds;
}

function kvListValues(end: number): KvList {
  const list = newList();
  while (pos < end) {
    const t = tag(end);
    if (t === 10) {
      const n = length(end);
      const e = pos + n;
      readKeyValue(list, e);
    } else skip(t & 7, end);
  }
  return list;
}

function intJson(): string {
  return int64ToDecimal(lo, hi);
}

function compactValueJson(start: number, end: number, ctx: ItemContext, key: string, depth: number): string {
  if (depth > ctx.maxDepth) {
    ctx.tooDeep();
    return 'null';
  }
  if (start < 0) return 'null';
  switch (member(start, end)) {
    case 1: {
      const n = length(end);
      const s = textAt(pos, pos + n);
      pos += n;
      return JSON.stringify(ctx.limitString(s, key));
    }
    case 3: {
      varint64(end);
      if (hi === 0) return String(lo); // below 2^32: a plain, exact number
      const s = intJson();
      const n = Number(s);
      return Number.isSafeInteger(n) && String(n) === s ? s : `{"int":"${s}"}`;
    }
    case 4: {
      const d = text.readDoubleLE(pos);
      if (!Number.isFinite(d)) return `{"double":"${String(d)}"}`;
      return Number.isInteger(d) ? `{"double":${JSON.stringify(d)}}` : JSON.stringify(d);
    }
    case 2:
      return bool(end) ? 'true' : 'false';
    case 5: {
      const n = length(end);
      const bounds = arrayValues(pos + n);
      let out = '[';
      for (let i = 0; i < bounds.length; i += 2) out += (i ? ',' : '') + compactValueJson(bounds[i]!, bounds[i + 1]!, ctx, key, depth + 1);
      return out + ']';
    }
    case 6: {
      const n = length(end);
      const list = kvListValues(pos + n);
      return `{"kvlist":${listJson(list, list.n, ctx, key, depth + 1)}}`;
    }
    case 7: {
      const n = length(end);
      return `{"bytes":"${base64(ctx.limitBytes(buf.subarray(pos, pos + n), key))}"}`;
    }
    default:
      return 'null';
  }
}

function otlpValueJson(start: number, end: number, ctx: ItemContext, key: string, depth: number): string {
  if (depth > ctx.maxDepth) {
    ctx.tooDeep();
    return '{}';
  }
  if (start < 0) return '{}';
  switch (member(start, end)) {
    case 1: {
      const n = length(end);
      const s = textAt(pos, pos + n);
      pos += n;
      return `{"stringValue":${JSON.stringify(ctx.limitString(s, key))}}`;
    }
    case 3:
      varint64(end);
      return `{"intValue":"${intJson()}"}`;
    case 4: {
      const d = text.readDoubleLE(pos);
      return Number.isFinite(d) ? `{"doubleValue":${JSON.stringify(d)}}` : `{"doubleValue":"${String(d)}"}`;
    }
    case 2:
      return bool(end) ? '{"boolValue":true}' : '{"boolValue":false}';
    case 5: {
      const n = length(end);
      const bounds = arrayValues(pos + n);
      let out = '{"arrayValue":{"values":[';
      for (let i = 0; i < bounds.length; i += 2) out += (i ? ',' : '') + otlpValueJson(bounds[i]!, bounds[i + 1]!, ctx, key, depth + 1);
      return out + ']}}';
    }
    case 6: {
      const n = length(end);
      const list = kvListValues(pos + n);
      let out = '{"kvlistValue":{"values":[';
      for (let i = 0; i < list.n; i++) {
        out += `${i ? ',' : ''}{"key":${JSON.stringify(list.keys[i])},"value":${otlpValueJson(list.starts[i]!, list.ends[i]!, ctx, key, depth + 1)}}`;
      }
      return out + ']}}';
    }
    case 7: {
      const n = length(end);
      return `{"bytesValue":"${base64(ctx.limitBytes(buf.subarray(pos, pos + n), key))}"}`;
    }
    default:
      return '{}';
  }
}

function listJson(list: KvList, n: number, ctx: ItemContext, key: string | null, depth: number): string {
  if (n === 0) return '{}';
  const keys = key === null ? cachedKeys(list.keys, n) : null;
  if (keys === 'list' || (keys === null && needsList(list.keys, n))) {
    let out = '[';
    for (let i = 0; i < n; i++) {
      const k = list.keys[i]!;
      out += `${i ? ',' : ''}{"key":${JSON.stringify(k)},"value":${otlpValueJson(list.starts[i]!, list.ends[i]!, ctx, key ?? k, depth)}}`;
    }
    return out + ']';
  }
  let out = '{';
  for (let i = 0; i < n; i++) {
    const k = list.keys[i]!;
    out += (keys ? (i ? keys[i]!.next : keys[i]!.member) : `${i ? ',' : ''}${JSON.stringify(k)}:`) + compactValueJson(list.starts[i]!, list.ends[i]!, ctx, key ?? k, depth);
  }
  return out + '}';
}

function attributesJson(list: KvList, ctx: ItemContext): string {
  const n = list.n;
  if (n === 0 || !ctx.checkCount(n)) return '{}';
  return listJson(list, n, ctx, null, 1);
}

const quote = (s: string) => JSON.stringify(s);

/** Resource at [start, end) (start -1: absent) with its ResourceSpans' schema URL. */
function resourceJson(start: number, end: number, schemaUrl: string, ctx: ItemContext): Shared<string> {
  ctx.reset();
  ctx.at('resource ', 'resource.attributes.');
  const attrs = newList();
  let dropped = 0;
  if (start >= 0) {
    pos = start;
    while (pos < end) {
      const t = tag(end);
      if (t === 10) {
        const n = length(end);
        readKeyValue(attrs, pos + n);
      } else if (t === 16) dropped = varint32(end);
      else skip(t & 7, end);
    }
  }
  let json = `{"attributes":${attributesJson(attrs, ctx)}`;
  if (dropped) json += `,"droppedAttributesCount":${dropped}`;
  if (schemaUrl) json += `,"schemaUrl":${quote(schemaUrl)}`;
  return { value: json + '}', reason: ctx.reason, truncated: ctx.truncated };
}

function scopeJson(start: number, end: number, schemaUrl: string, ctx: ItemContext): Shared<string> {
  ctx.reset();
  ctx.at('scope ', 'scope.attributes.');
  const attrs = newList();
  let name = '';
  let version = '';
  let dropped = 0;
  if (start >= 0) {
    pos = start;
    while (pos < end) {
      const t = tag(end);
      if (t === 10 || t === 18) {
        const n = length(end);
        const s = textAt(pos, pos + n);
        pos += n;
        if (t === 10) name = s;
        else version = s;
      } else if (t === 26) {
        const n = length(end);
        readKeyValue(attrs, pos + n);
      } else if (t === 32) dropped = varint32(end);
      else skip(t & 7, end);
    }
  }
  let json = `{"name":${quote(name)},"attributes":${attributesJson(attrs, ctx)}`;
  if (version) json += `,"version":${quote(version)}`;
  if (dropped) json += `,"droppedAttributesCount":${dropped}`;
  if (schemaUrl) json += `,"schemaUrl":${quote(schemaUrl)}`;
  return { value: json + '}', reason: ctx.reason, truncated: ctx.truncated };
}

/** An attribute-carrying child (event or link) read ahead: its scalar fields and its attributes. */
function eventJson(start: number, end: number, i: number, ctx: ItemContext): string {
  pos = start;
  const attrs = reused(childAttrs);
  let name = '';
  let dropped = 0;
  let time = '0';
  while (pos < end) {
    const t = tag(end);
    if (t === 9) {
      fixed64(end);
      time = uint64ToDecimal(lo, hi);
    } else if (t === 18) {
      const n = length(end);
      name = textAt(pos, pos + n);
      pos += n;
    } else if (t === 26) {
      const n = length(end);
      readKeyValue(attrs, pos + n);
    } else if (t === 32) dropped = varint32(end);
    else skip(t & 7, end);
  }
  ctx.at('event ', `events[${i}].attributes.`);
  let json = `{"timeUnixNano":"${time}","name":${quote(name)},"attributes":${attributesJson(attrs, ctx)}`;
  json += dropped ? `,"droppedAttributesCount":${dropped}}` : '}';
  return json;
}

function linkJson(start: number, end: number, i: number, ctx: ItemContext, links: SpanIdentity['links']): string {
  pos = start;
  const attrs = reused(childAttrs);
  let traceId = '';
  let spanId = '';
  let traceState = '';
  let dropped = 0;
  let flags = 0;
  while (pos < end) {
    const t = tag(end);
    if (t === 10 || t === 18) {
      const n = length(end);
      const h = hexAt(pos, pos + n);
      pos += n;
      if (t === 10) traceId = h;
      else spanId = h;
    } else if (t === 26) {
      const n = length(end);
      traceState = textAt(pos, pos + n);
      pos += n;
    } else if (t === 34) {
      const n = length(end);
      readKeyValue(attrs, pos + n);
    } else if (t === 40) dropped = varint32(end);
    else if (t === 53) flags = fixed32(end);
    else skip(t & 7, end);
  }
  links.push({ traceId, spanId });
  ctx.at('link ', `links[${i}].attributes.`);
  let json = `{"traceId":"${traceId}","spanId":"${spanId}","attributes":${attributesJson(attrs, ctx)}`;
  if (traceState) json += `,"traceState":${quote(traceState)}`;
  if (dropped) json += `,"droppedAttributesCount":${dropped}`;
  json += flags ? `,"flags":${flags}}` : '}';
  return json;
}

/** The span at [start, end): its JSON up to (not including) its closing brace, and its identity. */
function spanJson(start: number, end: number, ctx: ItemContext): { identity: SpanIdentity; json: string } {
  pos = start;
  const attrs = reused(spanAttrs);
  let traceId = '';
  let spanId = '';
  let parentSpanId = '';
  let traceState = '';
  let name = '';
  let kind = 0;
  let startTime = '0';
  let endTime = '0';
  let droppedAttributes = 0;
  let droppedEvents = 0;
  let droppedLinks = 0;
  let flags = 0;
  let events: number[] | null = null;
  let linkBounds: number[] | null = null;
  let statusStart = -1;
  let statusEnd = -1;
  while (pos < end) {
    const t = tag(end);
    switch (t) {
      case 10:
      case 18:
      case 34: {
        const n = length(end);
        const h = hexAt(pos, pos + n);
        pos += n;
        if (t === 10) traceId = h;
        else if (t === 18) spanId = h;
        else parentSpanId = h;
        break;
      }
      case 26:
      case 42: {
        const n = length(end);
        const s = textAt(pos, pos + n);
        pos += n;
        if (t === 26) traceState = s;
        else name = s;
        break;
      }
      case 48:
        kind = varint32(end) | 0;
        break;
      case 57:
      case 65:
        fixed64(end);
        if (t === 57) startTime = uint64ToDecimal(lo, hi);
        else endTime = uint64ToDecimal(lo, hi);
        break;
      case 74: {
        const n = length(end);
        readKeyValue(attrs, pos + n);
        break;
      }
      case 80:
        droppedAttributes = varint32(end);
        break;
      case 90: {
        const n = length(end);
        (events ??= []).push(pos, pos + n);
        pos += n;
        break;
      }
      case 96:
        droppedEvents = varint32(end);
        break;
      case 106: {
        const n = length(end);
        (linkBounds ??= []).push(pos, pos + n);
        pos += n;
        break;
      }
      case 112:
        droppedLinks = varint32(end);
        break;
      case 122: {
        const n = length(end);
        statusStart = pos;
        statusEnd = pos += n;
        break;
      }
      case 133: // field 16, fixed32: a two-byte tag (0x85 0x01)
        flags = fixed32(end);
        break;
      default:
        skip(t & 7, end);
    }
  }
  ctx.at('', '');
  let json = `{"traceId":"${traceId}","spanId":"${spanId}","name":${quote(name)},"kind":${kind},"startTimeUnixNano":"${startTime}","endTimeUnixNano":"${endTime}","attributes":${attributesJson(attrs, ctx)},"events":[`;
  if (events) for (let i = 0; i < events.length; i += 2) json += (i ? ',' : '') + eventJson(events[i]!, events[i + 1]!, i / 2, ctx);
  json += '],"links":[';
  const links: SpanIdentity['links'] = [];
  if (linkBounds) for (let i = 0; i < linkBounds.length; i += 2) json += (i ? ',' : '') + linkJson(linkBounds[i]!, linkBounds[i + 1]!, i / 2, ctx, links);
  let code = 0;
  let message = '';
  if (statusStart >= 0) {
    pos = statusStart;
    while (pos < statusEnd) {
      const t = tag(statusEnd);
      if (t === 18) {
        const n = length(statusEnd);
        message = textAt(pos, pos + n);
        pos += n;
      } else if (t === 24) code = varint32(statusEnd) | 0;
      else skip(t & 7, statusEnd);
    }
  }
  json += `],"status":{"code":${code}`;
  json += message ? `,"message":${quote(message)}}` : '}';
  const identity: SpanIdentity = { traceId, spanId, startTimeUnixNano: startTime, endTimeUnixNano: endTime, links };
  if (parentSpanId) {
    identity.parentSpanId = parentSpanId;
    json += `,"parentSpanId":"${parentSpanId}"`;
  }
  if (traceState) json += `,"traceState":${quote(traceState)}`;
  if (droppedAttributes) json += `,"droppedAttributesCount":${droppedAttributes}`;
  if (droppedEvents) json += `,"droppedEventsCount":${droppedEvents}`;
  if (droppedLinks) json += `,"droppedLinksCount":${droppedLinks}`;
  if (flags) json += `,"flags":${flags}`;
  return { identity, json };
}

function readRequest(ctx: ItemContext, result: DecodeResult<CompactSpanItem>): void {
  const end = buf.length;
  pos = 0;
  validate(REQUEST, end, 0);
  pos = 0;
  while (pos < end) {
    const t = tag(end);
    if (t !== 10) {
      skip(t & 7, end);
      continue;
    }
    const rsLength = length(end);
    const rsEnd = pos + rsLength;
    // ResourceSpans: its resource, scope spans and schema URL, in any wire order.
    let resStart = -1;
    let resEnd = -1;
    let schemaUrl = '';
    const scopes: number[] = [];
    while (pos < rsEnd) {
      const u = tag(rsEnd);
      if (u === 10 || u === 18) {
        const n = length(rsEnd);
        if (u === 10) {
          resStart = pos;
          resEnd = pos + n;
        } else scopes.push(pos, pos + n);
        pos += n;
      } else if (u === 26) {
        const n = length(rsEnd);
        schemaUrl = textAt(pos, pos + n);
        pos += n;
      } else skip(u & 7, rsEnd);
    }
    if (scopes.length) readResourceSpans(resStart, resEnd, schemaUrl, scopes, ctx, result);
    pos = rsEnd;
  }
}

function readResourceSpans(resStart: number, resEnd: number, resSchemaUrl: string, scopes: number[], ctx: ItemContext, result: DecodeResult<CompactSpanItem>): void {
  // decodeTraceRequestCompact writes the resource first, whether or not a scope has spans.
  const resource = resourceJson(resStart, resEnd, resSchemaUrl, ctx);
  for (let s = 0; s < scopes.length; s += 2) {
    const ssEnd = scopes[s + 1]!;
    pos = scopes[s]!;
    let scStart = -1;
    let scEnd = -1;
    let schemaUrl = '';
    const spans: number[] = [];
    while (pos < ssEnd) {
      const u = tag(ssEnd);
      if (u === 10 || u === 18) {
        const n = length(ssEnd);
        if (u === 10) {
          scStart = pos;
          scEnd = pos + n;
        } else spans.push(pos, pos + n);
        pos += n;
      } else if (u === 26) {
        const n = length(ssEnd);
        schemaUrl = textAt(pos, pos + n);
        pos += n;
      } else skip(u & 7, ssEnd);
    }
    if (!spans.length) continue;
    const scope = scopeJson(scStart, scEnd, schemaUrl, ctx);
    const shared = sharedReason(resource, scope);
    const tail = `,"resource":${resource.value},"scope":${scope.value}}`;
    for (let i = 0; i < spans.length; i += 2) {
      ctx.reset();
      const { identity, json } = spanJson(spans[i]!, spans[i + 1]!, ctx);
      finishCompactSpan(result, ctx, identity, json, shared, resource, scope, tail);
    }
  }
}

/**
 * decodeTraceRequestCompact's result for `body`, read from the bytes by hand; null when the body has
 * anything this reader leaves to protobufjs (errors included: see the file comment).
 */
export function readTraceRequestCompact(body: Uint8Array, limits?: Partial<DecodeLimits>): DecodeResult<CompactSpanItem> | null {
  const ctx = new ItemContext(resolveLimits(limits));
  const result: DecodeResult<CompactSpanItem> = { items: [], rejected: [] };
  buf = body;
  text = Buffer.from(body.buffer, body.byteOffset, body.byteLength) as TextBuffer;
  try {
    readRequest(ctx, result);
    return result;
  } catch (err) {
    if (err === GIVE_UP) return null;
    throw err;
  } finally {
    buf = new Uint8Array(0);
    text = Buffer.alloc(0) as TextBuffer;
  }
}
