import { BadRequestException, Inject, Injectable, NotFoundException } from '@nestjs/common';
import type { TraceStatus } from '@temps/domain';
import { toTraceListItem, type TraceListItem } from '@temps/realtime';
import { InvalidCursorError, TRACE_READ_STORE, type TraceQuery, type TraceReadStore } from '@temps/read-store';

const STATUSES: TraceStatus[] = ['ok', 'error', 'unset'];

function one(value: unknown, name: string): string | undefined {
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string') throw new BadRequestException(`query parameter "${name}" must be given once`);
  return value;
}

function isoTime(value: string | undefined, name: string): string | undefined {
  if (value === undefined) return undefined;
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw new BadRequestException(`query parameter "${name}" must be an ISO 8601 time, got "${value}"`);
  return new Date(t).toISOString();
}

/** Turns raw query parameters into a validated TraceQuery, and documents into API shapes. */
@Injectable()
export class TracesQueryService {
  constructor(@Inject(TRACE_READ_STORE) private readonly store: TraceReadStore) {}

  parseQuery(raw: Record<string, unknown>): TraceQuery {
    const status = one(raw.status, 'status');
    if (status && !STATUSES.includes(status as TraceStatus)) throw new BadRequestException(`status must be one of ${STATUSES.join(', ')}`);
    const limitText = one(raw.limit, 'limit');
    const limit = limitText === undefined ? 50 : Number(limitText);
    if (!Number.isInteger(limit) || limit < 1 || limit > 500) throw new BadRequestException('limit must be an integer from 1 to 500');
    const q = one(raw.q, 'q')?.trim();
    if (q && q.length > 200) throw new BadRequestException('q must be at most 200 characters');
    const service = one(raw.service, 'service');
    return {
      provider: one(raw.provider, 'provider'),
      model: one(raw.model, 'model'),
      status: status as TraceStatus | undefined,
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
    try {
      const page = await this.store.listTraces(projectId, this.parseQuery(raw));
      const serviceNames = await this.store.listServiceNames(projectId);
      return { items: page.items.map(toTraceListItem), nextCursor: page.nextCursor, serviceNames };
    } catch (err) {
      if (err instanceof InvalidCursorError) throw new BadRequestException(err.message);
      throw err;
    }
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
