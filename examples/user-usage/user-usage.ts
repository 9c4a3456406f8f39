import { countedUsageSpans, extensionRowId, type CounterRow, type ReadModelExtension, type SpanDocument } from '@temps/domain';

/**
 * Tokens and cost per end user (`user.id`, `langfuse.user.id`, ... as normalized into SpanDocument.userId):
 * a pure function of one trace. The trace's user is the first user id any of its spans carries (often
 * only the root has it), and the trace's counted usage (never a wrapper's repeat) goes to that user.
 */
export const userUsage: ReadModelExtension = {
  name: 'user_usage',
  version: 1,
  contribute(spans: readonly SpanDocument[]): CounterRow[] {
    const userId = spans.find((s) => s.userId)?.userId;
    if (!userId) return [];
    const projectId = spans[0]!.projectId;
    const values: Record<string, number> = { traces: 1, errors: spans.some((s) => s.status === 'error') ? 1 : 0 };
    for (const s of countedUsageSpans(spans)) {
      values.inputTokens = (values.inputTokens ?? 0) + (s.inputTokens ?? 0);
      values.outputTokens = (values.outputTokens ?? 0) + (s.outputTokens ?? 0);
      // nano-dollars: integers add and subtract exactly when a trace changes
      if (s.cost) values.costNanos = (values.costNanos ?? 0) + Math.round(s.cost.total * 1e9);
    }
    return [{ id: extensionRowId('user_usage', projectId, userId), dims: { projectId, userId }, values }];
  },
};

export interface UserUsage {
  userId: string;
  traces: number;
  errors: number;
  inputTokens: number;
  outputTokens: number;
  cost: number;
}

/** The stored rows of a project as the API's answer: the most expensive users first. */
export function userUsageReport(rows: readonly CounterRow[]): UserUsage[] {
  return rows
    .map((r) => ({
      userId: r.dims.userId ?? '',
      traces: r.values.traces ?? 0,
      errors: r.values.errors ?? 0,
      inputTokens: r.values.inputTokens ?? 0,
      outputTokens: r.values.outputTokens ?? 0,
      cost: (r.values.costNanos ?? 0) / 1e9,
    }))
    .filter((u) => u.traces > 0)
    .sort((a, b) => b.cost - a.cost || b.inputTokens + b.outputTokens - (a.inputTokens + a.outputTokens) || (a.userId < b.userId ? -1 : 1));
}
