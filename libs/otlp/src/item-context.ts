import type { DecodeLimits } from './limits';

/** A resource or scope, converted once and shared by its items, with what the limits found in it. */
export interface Shared<T> {
  value: T;
  reason: string | null;
  truncated: string[] | undefined;
}

/** The first limit the resource or the scope broke, if any: all their items are rejected for it. */
export function sharedReason(resource: Shared<unknown>, scope: Shared<unknown>): string | null {
  return resource.reason ?? scope.reason;
}

/**
 * Per-item decoding state shared by the protobuf and JSON decoders: the limits, the first reason to
 * reject the item, and the attribute paths whose values were truncated. One instance per decode
 * call, `reset()` before each item (the decoders are synchronous).
 *
 * Truncated paths: the item's own attribute keys as they are (`gen_ai.input.messages`); elsewhere
 * a prefix says where (`events[2].attributes.gen_ai.prompt`, `links[0].attributes.k`,
 * `resource.attributes.k`, `scope.attributes.k`, `body`, `dataPoints[3].attributes.k`,
 * `dataPoints[3].exemplars[0].filteredAttributes.k`, `metadata.k`).
 */
export class ItemContext {
  readonly maxAttributes: number;
  readonly maxValueBytes: number;
  /** Strings of at most this many UTF-16 units fit for sure (a unit is at most 3 UTF-8 bytes). */
  readonly safeStringLength: number;
  readonly maxDepth: number;
  /** The first limit (or exemplar id) problem found. */
  reason: string | null = null;
  /** The first problem with the item's own ids: reported before any other reason. */
  idReason: string | null = null;
  truncated: string[] | undefined = undefined;
  /** Prefix for truncated paths of the list being converted. */
  path = '';
  /** Qualifier in reasons of the list being converted: '' (the item's own), 'event ', 'resource '... */
  where = '';

  constructor(limits: DecodeLimits) {
    this.maxAttributes = limits.maxAttributesPerItem;
    this.maxValueBytes = limits.maxAttributeValueBytes;
    this.safeStringLength = Math.floor(limits.maxAttributeValueBytes / 3);
    this.maxDepth = limits.maxAnyValueDepth;
  }

  reset(): void {
    this.reason = null;
    this.idReason = null;
    this.truncated = undefined;
    this.path = '';
    this.where = '';
  }

  /** Sets what the next attribute list is (see the class comment). */
  at(where: string, path: string): void {
    this.where = where;
    this.path = path;
  }

  reject(reason: string): void {
    if (this.reason === null) this.reason = reason;
  }

  rejectId(reason: string): void {
    if (this.idReason === null) this.idReason = reason;
  }

  /** False (and the item rejected) when a list has more attributes than allowed. */
  checkCount(n: number): boolean {
    if (n <= this.maxAttributes) return true;
    this.reject(`too many ${this.where}attributes: ${n} > ${this.maxAttributes}`);
    return false;
  }

  tooDeep(): void {
    this.reject(this.where === 'body' ? `body nested too deep: more than ${this.maxDepth} levels` : `${this.where}attribute value nested too deep: more than ${this.maxDepth} levels`);
  }

  markTruncated(key: string): void {
    const path = this.path + key;
    if (!this.truncated) this.truncated = [path];
    else if (!this.truncated.includes(path)) this.truncated.push(path);
  }

  /** Adds paths marked elsewhere (a shared resource or scope). */
  addTruncated(paths: readonly string[] | undefined): void {
    if (paths) for (const p of paths) this.markTruncatedPath(p);
  }

  private markTruncatedPath(path: string): void {
    if (!this.truncated) this.truncated = [path];
    else if (!this.truncated.includes(path)) this.truncated.push(path);
  }

  /** `s`, or its longest prefix of at most maxValueBytes UTF-8 bytes (marking `key`) when longer. */
  limitString(s: string, key: string): string {
    if (s.length <= this.safeStringLength) return s;
    const cut = truncateUtf8(s, this.maxValueBytes);
    if (cut === null) return s;
    this.markTruncated(key);
    return cut;
  }

  limitBytes(b: Uint8Array, key: string): Uint8Array {
    if (b.length <= this.maxValueBytes) return b;
    this.markTruncated(key);
    return b.subarray(0, this.maxValueBytes);
  }
}

/**
 * The longest prefix of `s` whose UTF-8 encoding has at most `maxBytes` bytes, never splitting a
 * character; null when all of `s` fits. (Lone surrogates count as U+FFFD, 3 bytes, as Buffer encodes them.)
 */
export function truncateUtf8(s: string, maxBytes: number): string | null {
  if (s.length > maxBytes) {
    // Certainly too long: only the first maxBytes UTF-16 units can be part of the result.
  } else if (Buffer.byteLength(s, 'utf8') <= maxBytes) {
    return null;
  }
  let head = s.length > maxBytes ? s.slice(0, maxBytes) : s;
  // Do not let the slice end in the middle of a surrogate pair (it would encode as U+FFFD).
  const last = head.charCodeAt(head.length - 1);
  if (last >= 0xd800 && last <= 0xdbff) head = head.slice(0, -1);
  const bytes = Buffer.from(head, 'utf8');
  if (bytes.length <= maxBytes) return head;
  let end = maxBytes;
  // bytes[end] is the first byte left out: when it continues a character, that character goes too.
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--;
  return bytes.toString('utf8', 0, end);
}
