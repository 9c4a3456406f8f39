import { Inject, Injectable } from '@nestjs/common';
import { mappingReport, mappingRowIdPrefix, pageUsagePoints, rollupUsage, usageRowIdPrefix, type MappingReport, type UsageBucket, type UsageCounters, type UsageGroupBy, type UsagePoint } from '@temps/domain';
import { TRACE_QUERIES, type TraceQueries } from '@temps/read-store';
import type { UsageQuery } from './query-dtos';
import { decodePointCursor, encodePointCursor, hourlyRange, hourRowsRange, prefixRange } from './query-params';


export interface UsageResponse {
  from: string;
  to: string;
  bucket: UsageBucket;
  groupBy: UsageGroupBy;
  items: UsagePoint[];
  totals: UsageCounters;
  nextCursor: string | null;
}


/** Model usage over time and the mapping report, from the counter rows of the read model (no scan of spans). */
@Injectable()
export class UsageQueryService {
  constructor(@Inject(TRACE_QUERIES) private readonly store: TraceQueries) {}

  /** Usage is kept per hour: `from` is rounded down and `to` up to whole hours. */
  async usage(projectId: string, query: UsageQuery): Promise<UsageResponse> {
    const { from, to, bucket, groupBy, limit } = hourlyRange(query);
    const { provider, model } = query;
    const cursor = decodePointCursor(query.cursor, 2);

    const rows = (await this.store.counterRows(hourRowsRange(usageRowIdPrefix(projectId), from, to))).filter(
      (r) => (!provider || r.dims.provider === provider) && (!model || r.dims.model === model),
    );
    const { points, totals } = rollupUsage(rows, { bucket, groupBy });
    const after = cursor && { bucketStart: cursor.bucketStart, provider: cursor.parts[0]!, model: cursor.parts[1]! };
    const page = pageUsagePoints(points, limit, after);
    const last = page.items[page.items.length - 1];
    const nextCursor = page.more && last ? encodePointCursor(last.bucketStart, [last.provider, last.model]) : null;
    return { from, to, bucket, groupBy, items: page.items, totals, nextCursor };
  }

  /** The dialects a project's spans were read with, and the attribute keys no dialect understood. */
  async mapping(projectId: string): Promise<MappingReport> {
    const prefix = mappingRowIdPrefix(projectId);
    return mappingReport(await this.store.counterRows(prefixRange(prefix)));
  }
}
