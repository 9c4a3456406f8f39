import { BadRequestException } from '@nestjs/common';
import { hourStartOf } from '@temps/domain';
import { decodeKeyCursor, encodeKeyCursor, InvalidCursorError } from '@temps/read-store';

/** A query parameter given at most once ('' counts as absent). */
export function one(value: unknown, name: string): string | undefined {
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string') throw new BadRequestException(`query parameter "${name}" must be given once`);
  return value;
}

export function isoTime(value: string | undefined, name: string): string | undefined {
  if (value === undefined) return undefined;
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw new BadRequestException(`query parameter "${name}" must be an ISO 8601 time, got "${value}"`);
  return new Date(t).toISOString();
}

export function pageLimit(value: unknown, defaults: { default: number; max: number }): number {
  const text = one(value, 'limit');
  const limit = text === undefined ? defaults.default : Number(text);
  if (!Number.isInteger(limit) || limit < 1 || limit > defaults.max) throw new BadRequestException(`limit must be an integer from 1 to ${defaults.max}`);
  return limit;
}

export function oneOf<T extends string>(value: unknown, name: string, allowed: readonly T[]): T | undefined {
  const text = one(value, name);
  if (text !== undefined && !allowed.includes(text as T)) throw new BadRequestException(`${name} must be one of ${allowed.join(', ')}, got "${text}"`);
  return text as T | undefined;
}

const HOUR_MS = 3_600_000;
const MAX_RANGE_DAYS = 400;

/**
 * The time range of an hourly read model (usage, GenAI metrics): `from`/`to` (default: the last 24 h, at
 * most 400 days), `bucket` (hour up to 3 days, day beyond), `groupBy` (model) and `limit`.
 */
export function hourlyRangeQuery(raw: Record<string, unknown>) {
  const to = isoTime(one(raw.to, 'to'), 'to') ?? new Date().toISOString();
  const from = isoTime(one(raw.from, 'from'), 'from') ?? new Date(Date.parse(to) - 24 * HOUR_MS).toISOString();
  const span = Date.parse(to) - Date.parse(from);
  if (span <= 0) throw new BadRequestException('from must be before to');
  if (span > MAX_RANGE_DAYS * 24 * HOUR_MS) throw new BadRequestException(`the range may cover at most ${MAX_RANGE_DAYS} days`);
  const bucket = oneOf(raw.bucket, 'bucket', ['hour', 'day'] as const) ?? (span > 3 * 24 * HOUR_MS ? 'day' : 'hour');
  const groupBy = oneOf(raw.groupBy, 'groupBy', ['model', 'provider'] as const) ?? 'model';
  return { from, to, bucket, groupBy, limit: pageLimit(raw.limit, { default: 1000, max: 5000 }) };
}

/** Every counter row id that starts with `prefix`. */
export const prefixRange = (prefix: string) => ({ from: prefix, to: `${prefix}\uffff` });

/** The ids of hourly rows (`prefix` + hour start + ...) from the hour of `from` through the hour `to` falls in. */
export function hourRowsRange(prefix: string, from: string, to: string): { from: string; to: string } {
  const lastHour = hourStartOf(new Date(Math.ceil(Date.parse(to) / HOUR_MS) * HOUR_MS - 1).toISOString());
  return { from: prefix + hourStartOf(from), to: prefixRange(prefix + lastHour).to };
}

/** Cursor of a chart point: its bucket start and the parts of its series key (provider, model, ...). */
export const encodePointCursor = (bucketStart: string, parts: (string | null)[]) => encodeKeyCursor(bucketStart, JSON.stringify(parts));

/** The point a cursor names, with `count` series key parts (string or null); 400 when it is not one. */
export function decodePointCursor(text: string | undefined, count: number): { bucketStart: string; parts: (string | null)[] } | undefined {
  if (text === undefined) return undefined;
  try {
    const c = decodeKeyCursor(text);
    const parts = JSON.parse(c.id) as unknown[];
    if (Array.isArray(parts) && parts.length === count && parts.every((v) => v === null || typeof v === 'string')) return { bucketStart: c.key, parts: parts as (string | null)[] };
  } catch {
    /* below */
  }
  throw new BadRequestException(new InvalidCursorError().message);
}

/** A read-store query whose cursor the client garbled answers 400, not 500. */
export async function badCursorIs400<T>(query: () => Promise<T>): Promise<T> {
  try {
    return await query();
  } catch (err) {
    if (err instanceof InvalidCursorError) throw new BadRequestException(err.message);
    throw err;
  }
}
