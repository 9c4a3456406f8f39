/**
 * `table[key]` for the table's own keys only. Keys come from what clients send: a value such as
 * `toString`, `constructor` or `__proto__` must not find Object.prototype's members.
 */
export function ownValue<T>(table: Readonly<Record<string, T>>, key: string | null | undefined): T | undefined {
  return key !== undefined && key !== null && Object.hasOwn(table, key) ? table[key] : undefined;
}

/**
 * `String(v)` for values from the wire. An object with an own `toString` or `valueOf` key (an OTLP
 * kvlist, parsed JSON) makes String() throw; objects are written as JSON instead.
 */
export function toText(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v === null || typeof v !== 'object') return String(v);
  try {
    return JSON.stringify(v) ?? '';
  } catch {
    return '[unprintable]';
  }
}
