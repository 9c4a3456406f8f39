import { BadRequestException, Inject, Injectable, NotFoundException } from '@nestjs/common';
import type { TraceStatus } from '@temps/domain';
import { toTraceListItem, type TraceListItem } from '@temps/realtime';
import { TRACE_READ_STORE, type TraceQuery, type TraceQueries } from '@temps/read-store';
import { badCursorIs400, isoTime, one, oneOf, pageLimit } from './query-params';

const STATUSES: TraceStatus[] = ['ok', 'error', 'unset'];

/** Turns raw query parameters into a validated TraceQuery, and documents into API shapes. */
@Injectable()
export class TracesQueryService {
  constructor(@Inject(TRACE_READ_STORE) private readonly store: TraceQueries) {}

  parseQuery(raw: Record<string, unknown>): TraceQuery {
    const status = oneOf(raw.status, 'status', STATUSES);
    const limit = pageLimit(raw.limit, { default: 50, max: 500 });
    const q = one(raw.q, 'q')?.trim();
    if (q && q.length > 200) throw new BadRequestException('q must be at most 200 characters');
    const service = one(raw.service, 'service');
    return {
      provider: one(raw.provider, 'provider'),
      model: one(raw.model, 'model'),
      status,
      from: isoTime(one(raw.from, 'from'), 'from'),
      to: isoTime(one(raw.to, 'to'), 'to'),
      service,
      q: q || undefined,
      limit,
      cursor: one(raw.cursor, 'cursor'),
    };
  }

  /** A page of traces, plus `serviceNames`: every service seen in the project (for the service filter). */
  async list(
    projectId: string,
    raw: Record<string, unknown>,
  ): Promise<{ items: TraceListItem[]; nextCursor: string | null; serviceNames: string[] }> {
    const page = await badCursorIs400(() => this.store.listTraces(projectId, this.parseQuery(raw)));
    const serviceNames = await this.store.listServiceNames(projectId);
    return { items: page.items.map(toTraceListItem), nextCursor: page.nextCursor, serviceNames };
  }

  async get(projectId: string, traceId: string) {
    const found = await this.store.getTrace(projectId, traceId.toLowerCase());
    if (!found) throw new NotFoundException(`trace ${traceId} not found in project ${projectId}`);
    return {
      trace: toTraceListItem(found.trace),
      spans: found.spans.map(({ projectId: _p, ...span }) => span),
    };
  }
}
