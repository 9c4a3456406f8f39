import type { TraceSummary } from '../trace-summary';

/** A conversation (gen_ai.conversation.id, session.id, ...): the traces that carried its id. */
export interface SessionSummary {
  projectId: string;
  sessionId: string;
  traceCount: number;
  inputTokens: number;
  outputTokens: number;
  /** USD over the traces that had a cost; null when none had. */
  cost: number | null;
  costPartial: boolean;
  /** Traces that ended in error. */
  errorCount: number;
  firstSeen: string;
  lastSeen: string;
  /** Zero-padded start of the newest trace: sessions sort on it (newest first). */
  lastKey: string;
  models: string[];
  userIds: string[];
  /** Root span name of the first trace: what the conversation started with. */
  firstTraceName: string;
  agentNames: string[];
}

/** The session row is a pure function of its traces: recomputed whenever one of them changes. */
export function summarizeSession(traces: readonly TraceSummary[]): SessionSummary {
  if (traces.length === 0) throw new Error('summarizeSession needs at least one trace');
  const ordered = [...traces].sort((a, b) => (a.startKey < b.startKey ? -1 : a.startKey > b.startKey ? 1 : a.traceId < b.traceId ? -1 : 1));
  const first = ordered[0]!;
  const last = ordered[ordered.length - 1]!;
  const distinct = (values: string[]) => [...new Set(values)].sort();
  let cost: number | null = null;
  let partial = false;
  for (const t of ordered) {
    if (typeof t.cost === 'number') cost = (cost ?? 0) + t.cost;
    if (t.costPartial || t.cost === null) partial = true;
  }
  const lastEnd = ordered.reduce((max, t) => (t.endTime > max ? t.endTime : max), last.endTime);
  return {
    projectId: first.projectId,
    sessionId: first.conversationId!,
    traceCount: ordered.length,
    inputTokens: ordered.reduce((n, t) => n + t.inputTokens, 0),
    outputTokens: ordered.reduce((n, t) => n + t.outputTokens, 0),
    cost,
    costPartial: cost !== null && partial,
    errorCount: ordered.filter((t) => t.status === 'error').length,
    firstSeen: first.startTime,
    lastSeen: lastEnd,
    lastKey: last.startKey,
    models: distinct(ordered.flatMap((t) => t.models)),
    userIds: distinct(ordered.flatMap((t) => t.userIds ?? [])),
    firstTraceName: first.rootSpanName,
    agentNames: distinct(ordered.flatMap((t) => t.agentNames)),
  };
}
