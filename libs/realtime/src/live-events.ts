import type { TraceSummary } from '@temps/domain';

/** The typed server-to-client event map of the live socket. */
export interface LiveServerEvents {
  'trace.updated': (item: TraceListItem) => void;
}

/** The list item as the query API returns it. */
export type TraceListItem = Omit<TraceSummary, 'projectId' | 'startKey' | 'updatedPosition'>;

export function toTraceListItem(summary: TraceSummary): TraceListItem {
  const { projectId: _p, startKey: _s, updatedPosition: _u, ...item } = summary;
  return item;
}

export const projectRoom = (projectId: string) => `project:${projectId}`;
