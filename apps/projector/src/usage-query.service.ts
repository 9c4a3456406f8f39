import { BadRequestException, Inject, Injectable } from '@nestjs/common';
import { mappingReport, mappingRowIdPrefix, pageUsagePoints, rollupUsage, usageHourKey, usageRowIdPrefix, type MappingReport, type UsageBucket, type UsageCounters, type UsageGroupBy, type UsagePoint } from '@temps/domain';
import { decodeKeyCursor, encodeKeyCursor, InvalidCursorError, TRACE_READ_STORE, type TraceReadStore } from '@temps/read-store';
import { isoTime, one, oneOf, pageLimit } from './query-params';

const HOUR_MS = 3_600_000;
const MAX_RANGE_DAYS = 400;

export interface UsageResponse {
  from: string;
  to: string;
  bucket: UsageBucket;
  groupBy: UsageGroupBy;
  items: UsagePoint[];
  totals: UsageCounters;
  nextCursor: string | null;
}

/** The first id after every id that starts with `prefix`. */
const endOf = (prefix: string) => `${prefix}\uffff`;

/** Model usage over time and the mapping report, from the counter rows of the read model (no scan of spans). */
@Injectable()
export class UsageQueryService {
  constructor(@Inject(TRACE_READ_STORE) private readonly store: TraceReadStore) {}

  /** Usage is kept per hour: `from` is rounded down and `to` up to whole hours. */
  async usage(projectId: string, raw: Record<string, unknown>): Promise<UsageResponse> {
    const to = isoTime(one(raw.to, 'to'), 'to') ?? new Date().toISOString();
    const from = isoTime(one(raw.from, 'from'), 'from') ?? new Date(Date.parse(to) - 24 * HOUR_MS).toISOString();
    const span = Date.parse(to) - Date.parse(from);
    if (span <= 0) throw new BadRequestException('from must be before to');
    if (span > MAX_RANGE_DAYS * 24 * HOUR_MS) throw new BadRequestException(`the range may cover at most ${MAX_RANGE_DAYS} days`);
    const bucket = oneOf(raw.bucket, 'bucket', ['hour', 'day'] as const) ?? (span > 3 * 24 * HOUR_MS ? 'day' : 'hour');
    const groupBy = oneOf(raw.groupBy, 'groupBy', ['model', 'provider'] as const) ?? 'model';
    const provider = one(raw.provider, 'provider');
    const model = one(raw.model, 'model');
    const limit = pageLimit(raw.limit, { default: 1000, max: 5000 });
    const cursor = one(raw.cursor, 'cursor');

    const prefix = usageRowIdPrefix(projectId);
    const lastHour = usageHourKey(new Date(Math.ceil(Date.parse(to) / HOUR_MS) * HOUR_MS - 1).toISOString());
    const rows = (await this.store.counterRows({ from: prefix + usageHourKey(from), to: endOf(prefix + lastHour) })).filter(
      (r) => (!provider || r.dims.provider === provider) && (!model || r.dims.model === model),
    );
    const { points, totals } = rollupUsage(rows, { bucket, groupBy });
    let after;
    if (cursor) {
      try {
        const c = decodeKeyCursor(cursor);
        const [p, m] = JSON.parse(c.id) as [string | null, string | null];
        after = { bucketStart: c.key, provider: p, model: m };
      } catch {
        throw new BadRequestException(new InvalidCursorError().message);
      }
    }
    const page = pageUsagePoints(points, limit, after);
    const last = page.items[page.items.length - 1];
    return {
      from,
      to,
      bucket,
      groupBy,
      items: page.items,
      totals,
      nextCursor: page.more && last ? encodeKeyCursor(last.bucketStart, JSON.stringify([last.provider, last.model])) : null,
    };
  }

  /** The dialects a project's spans were read with, and the attribute keys no dialect understood. */
  async mapping(projectId: string): Promise<MappingReport> {
    const prefix = mappingRowIdPrefix(projectId);
    return mappingReport(await this.store.counterRows({ from: prefix, to: endOf(prefix) }));
  }
}
