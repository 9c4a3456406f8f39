import { BadRequestException, Inject, Injectable } from '@nestjs/common';
import {
  compareGenaiMetricKeys,
  GENAI_METRIC_NAMES,
  genaiMetricPointKey,
  genaiMetricsHourKey,
  genaiMetricsRowIdPrefix,
  rollupGenaiMetrics,
  type GenaiMetricName,
  type GenaiMetricPoint,
  type GenaiMetricPointKey,
  type GenaiMetricsBucket,
  type GenaiMetricsGroupBy,
} from '@temps/domain';
import { decodeKeyCursor, encodeKeyCursor, InvalidCursorError, TRACE_READ_STORE, type TraceReadStore } from '@temps/read-store';
import { isoTime, one, oneOf, pageLimit } from './query-params';

const HOUR_MS = 3_600_000;
const MAX_RANGE_DAYS = 400;

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
  constructor(@Inject(TRACE_READ_STORE) private readonly store: TraceReadStore) {}

  /** Rows are kept per hour: `from` is rounded down and `to` up to whole hours, as for usage. */
  async metrics(projectId: string, raw: Record<string, unknown>): Promise<GenaiMetricsResponse> {
    const metric = oneOf(raw.metric, 'metric', GENAI_METRIC_NAMES);
    if (!metric) throw new BadRequestException(`query parameter "metric" is required: one of ${GENAI_METRIC_NAMES.join(', ')}`);
    const to = isoTime(one(raw.to, 'to'), 'to') ?? new Date().toISOString();
    const from = isoTime(one(raw.from, 'from'), 'from') ?? new Date(Date.parse(to) - 24 * HOUR_MS).toISOString();
    const range = Date.parse(to) - Date.parse(from);
    if (range <= 0) throw new BadRequestException('from must be before to');
    if (range > MAX_RANGE_DAYS * 24 * HOUR_MS) throw new BadRequestException(`the range may cover at most ${MAX_RANGE_DAYS} days`);
    const bucket = oneOf(raw.bucket, 'bucket', ['hour', 'day'] as const) ?? (range > 3 * 24 * HOUR_MS ? 'day' : 'hour');
    const groupBy = oneOf(raw.groupBy, 'groupBy', ['model', 'provider'] as const) ?? 'model';
    const limit = pageLimit(raw.limit, { default: 1000, max: 5000 });
    const after = this.cursor(one(raw.cursor, 'cursor'));

    const prefix = genaiMetricsRowIdPrefix(projectId, metric);
    const lastHour = genaiMetricsHourKey(new Date(Math.ceil(Date.parse(to) / HOUR_MS) * HOUR_MS - 1).toISOString());
    const rows = await this.store.counterRows({ from: prefix + genaiMetricsHourKey(from), to: `${prefix}${lastHour}\uffff` });
    const points = rollupGenaiMetrics(rows, { metric, bucket, groupBy });
    let start = after ? points.findIndex((p) => compareGenaiMetricKeys(genaiMetricPointKey(p), after) > 0) : 0;
    if (start < 0) start = points.length;
    const items = points.slice(start, start + limit);
    const last = items[items.length - 1];
    const more = start + limit < points.length;
    return { metric, from, to, bucket, groupBy, items, nextCursor: more && last ? this.encode(genaiMetricPointKey(last)) : null };
  }

  private encode(key: GenaiMetricPointKey): string {
    return encodeKeyCursor(key.bucketStart, JSON.stringify([key.provider, key.model, key.kind]));
  }

  private cursor(text: string | undefined): GenaiMetricPointKey | undefined {
    if (text === undefined) return undefined;
    try {
      const c = decodeKeyCursor(text);
      const [provider, model, kind, ...rest] = JSON.parse(c.id) as unknown[];
      const ok = (v: unknown): v is string | null => v === null || typeof v === 'string';
      if (ok(provider) && ok(model) && ok(kind) && rest.length === 0) return { bucketStart: c.key, provider, model, kind };
    } catch {
      /* below */
    }
    throw new BadRequestException(new InvalidCursorError().message);
  }
}
