/**
 * `table[key]` for the table's own keys only. Keys come from what clients send: a value such as
 * `toString`, `constructor` or `__proto__` must not find Object.prototype's members.
 */
export function ownValue<T>(table: Readonly<Record<string, T>>, key: string | null | undefined): T | undefined {
  return key !== undefined && key !== null && Object.hasOwn(table, key) ? table[key] : undefined;
}
