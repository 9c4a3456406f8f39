import { Inject, Injectable, NotFoundException } from '@nestjs/common';
import type { SessionSummary } from '@temps/domain';
import { toTraceListItem, type TraceListItem } from '@temps/realtime';
import { TRACE_QUERIES, type TraceQueries } from '@temps/read-store';
import type { SessionListQuery, SessionTracesQuery } from './query-dtos';
import { badCursorIs400 } from './query-params';

/** Conversations (gen_ai.conversation.id, session.id, ...) and their traces, oldest first. */
@Injectable()
export class SessionsQueryService {
  constructor(@Inject(TRACE_QUERIES) private readonly store: TraceQueries) {}

  async list(projectId: string, query: SessionListQuery): Promise<{ items: SessionSummary[]; nextCursor: string | null }> {
    return badCursorIs400(() => this.store.listSessions(projectId, { limit: query.limit, cursor: query.cursor }));
  }

  async get(projectId: string, sessionId: string, query: SessionTracesQuery): Promise<{ session: SessionSummary; traces: { items: TraceListItem[]; nextCursor: string | null } }> {
    const session = await this.store.getSession(projectId, sessionId);
    if (!session) throw new NotFoundException(`session ${sessionId} not found in project ${projectId}`);
    const page = await badCursorIs400(() =>
      this.store.listSessionTraces(projectId, sessionId, { limit: query.limit, cursor: query.cursor }),
    );
    return { session, traces: { items: page.items.map(toTraceListItem), nextCursor: page.nextCursor } };
  }
}
