import { Inject, Injectable, NotFoundException } from '@nestjs/common';
import type { SessionSummary } from '@temps/domain';
import { toTraceListItem, type TraceListItem } from '@temps/realtime';
import { TRACE_READ_STORE, type TraceQueries } from '@temps/read-store';
import { badCursorIs400, one, pageLimit } from './query-params';

/** Conversations (gen_ai.conversation.id, session.id, ...) and their traces, oldest first. */
@Injectable()
export class SessionsQueryService {
  constructor(@Inject(TRACE_READ_STORE) private readonly store: TraceQueries) {}

  async list(projectId: string, raw: Record<string, unknown>): Promise<{ items: SessionSummary[]; nextCursor: string | null }> {
    return badCursorIs400(() => this.store.listSessions(projectId, { limit: pageLimit(raw.limit, { default: 50, max: 500 }), cursor: one(raw.cursor, 'cursor') }));
  }

  async get(projectId: string, sessionId: string, raw: Record<string, unknown>): Promise<{ session: SessionSummary; traces: { items: TraceListItem[]; nextCursor: string | null } }> {
    const session = await this.store.getSession(projectId, sessionId);
    if (!session) throw new NotFoundException(`session ${sessionId} not found in project ${projectId}`);
    const page = await badCursorIs400(() =>
      this.store.listSessionTraces(projectId, sessionId, { limit: pageLimit(raw.limit, { default: 100, max: 500 }), cursor: one(raw.cursor, 'cursor') }),
    );
    return { session, traces: { items: page.items.map(toTraceListItem), nextCursor: page.nextCursor } };
  }
}
