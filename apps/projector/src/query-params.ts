import { BadRequestException } from '@nestjs/common';
import { hourStartOf } from '@temps/domain';
import { decodeKeyCursor, encodeKeyCursor, InvalidCursorError } from '@temps/read-store';
import type { HourlyRangeQuery } from './query-dtos';

const HOUR_MS = 3_600_000;
const MAX_RANGE_DAYS = 400;

/**
 * The time range of an hourly read model (usage, GenAI metrics), from its validated query: `from`/`to`
 * (default: the last 24 h, at most 400 days), `bucket` (hour up to 3 days, day beyond), `groupBy` (model) and `limit`.
 */
export function hourlyRange(query: HourlyRangeQuery) {
  const to = query.to ?? new Date().toISOString();
  const from = query.from ?? new Date(Date.parse(to) - 24 * HOUR_MS).toISOString();
  const span = Date.parse(to) - Date.parse(from);
  if (span <= 0) throw new BadRequestException('from must be before to');
  if (span > MAX_RANGE_DAYS * 24 * HOUR_MS) throw new BadRequestException(`the range may cover at most ${MAX_RANGE_DAYS} days`);
  const bucket = query.bucket ?? (span > 3 * 24 * HOUR_MS ? 'day' : 'hour');
  const groupBy = query.groupBy ?? 'model';
  return { from, to, bucket, groupBy, limit: query.limit };
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
