import { Inject, Injectable } from '@nestjs/common';
import {
  compareGenaiMetricKeys,
  genaiMetricPointKey,
  genaiMetricsRowIdPrefix,
  rollupGenaiMetrics,
  type GenaiMetricName,
  type GenaiMetricPoint,
  type GenaiMetricPointKey,
  type GenaiMetricsBucket,
  type GenaiMetricsGroupBy,
} from '@temps/domain';
import { TRACE_QUERIES, type TraceQueries } from '@temps/read-store';
import type { GenaiMetricsQuery } from './query-dtos';
import { decodePointCursor, encodePointCursor, hourlyRange, hourRowsRange } from './query-params';

export interface GenaiMetricsResponse {
  metric: GenaiMetricName;
  from: string;
  to: string;
  bucket: GenaiMetricsBucket;
  groupBy: GenaiMetricsGroupBy;
  items: GenaiMetricPoint[];
  nextCursor: string | null;
}

/** GenAI metrics received over OTLP, from the counter rows of the read model (hour rows rolled up). */
@Injectable()
export class GenaiMetricsQueryService {
  constructor(@Inject(TRACE_QUERIES) private readonly store: TraceQueries) {}

  /** Rows are kept per hour: `from` is rounded down and `to` up to whole hours, as for usage. */
  async metrics(projectId: string, query: GenaiMetricsQuery): Promise<GenaiMetricsResponse> {
    const { metric } = query;
    const { from, to, bucket, groupBy, limit } = hourlyRange(query);
    const cursor = decodePointCursor(query.cursor, 3);
    const after: GenaiMetricPointKey | undefined = cursor && { bucketStart: cursor.bucketStart, provider: cursor.parts[0]!, model: cursor.parts[1]!, kind: cursor.parts[2]! };

    const rows = await this.store.counterRows(hourRowsRange(genaiMetricsRowIdPrefix(projectId, metric), from, to));
    const points = rollupGenaiMetrics(rows, { metric, bucket, groupBy });
    let start = after ? points.findIndex((p) => compareGenaiMetricKeys(genaiMetricPointKey(p), after) > 0) : 0;
    if (start < 0) start = points.length;
    const items = points.slice(start, start + limit);
    const last = items[items.length - 1];
    const more = start + limit < points.length;
    return { metric, from, to, bucket, groupBy, items, nextCursor: more && last ? pointCursor(genaiMetricPointKey(last)) : null };
  }
}

const pointCursor = (key: GenaiMetricPointKey) => encodePointCursor(key.bucketStart, [key.provider, key.model, key.kind]);
