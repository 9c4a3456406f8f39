import { Inject, Injectable, NotFoundException } from '@nestjs/common';
import { toTraceListItem, type TraceListItem } from '@temps/realtime';
import { TRACE_QUERIES, type TraceQueries } from '@temps/read-store';
import type { TraceListQuery } from './query-dtos';
import { badCursorIs400 } from './query-params';

/** Pages of traces for a validated query (TraceListQuery), and documents into API shapes. */
@Injectable()
export class TracesQueryService {
  constructor(@Inject(TRACE_QUERIES) private readonly store: TraceQueries) {}

  /** A page of traces, plus `serviceNames`: every service seen in the project (for the service filter). */
  async list(
    projectId: string,
    query: TraceListQuery,
  ): Promise<{ items: TraceListItem[]; nextCursor: string | null; serviceNames: string[] }> {
    const { provider, model, status, from, to, service, q, limit, cursor } = query;
    const page = await badCursorIs400(() => this.store.listTraces(projectId, { provider, model, status, from, to, service, q, limit, cursor }));
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
