import type { SpanDocument } from '../span-document';
import { summarizeTrace } from '../trace-summary';
import { usageContributions, usageCounters } from './model-usage';
import { counterDelta, sumCounters, type CounterRow } from './read-model-counters';
import { resolveResponseUsage, type ResponseClaim, type ResponseUsage } from './response-usage';
import { traceReadModelDelta } from './trace-read-model-delta';

const call = (traceId: string, spanId: string, extra: Partial<SpanDocument> = {}): SpanDocument =>
  ({
    projectId: '1',
    traceId,
    spanId,
    parentSpanId: null,
    name: 'anthropic.chat',
    kind: 'generation',
    operation: 'chat',
    provider: 'anthropic',
    requestModel: 'claude-sonnet-4',
    responseModel: 'claude-sonnet-4',
    inputTokens: 15,
    outputTokens: 12,
    cacheReadInputTokens: 4,
    cacheCreationInputTokens: 2,
    reasoningOutputTokens: null,
    responseId: 'msg_1',
    startTime: '2026-11-01T10:00:00.000Z',
    endTime: '2026-11-01T10:00:00.800Z',
    startTimeUnixNano: '1793527200000000000',
    endTimeUnixNano: '1793527200800000000',
    durationMs: 800,
    status: 'ok',
    cost: { total: 0.0002, input: 0.0001, output: 0.0001, cacheRead: 0, cacheWrite: 0, currency: 'USD' },
    position: '1',
    ...extra,
  }) as SpanDocument;

/** A store of claims and counter rows, written through resolveResponseUsage as the adapters do. */
class ClaimLedger {
  claims = new Map<string, ResponseClaim>();
  counters: CounterRow[] = [];

  commit(changes: readonly ResponseUsage[], shared: readonly CounterRow[] = []) {
    const responses = new Set(changes.map((c) => c.response));
    const stored = [...this.claims.values()].filter((c) => responses.has(c.response));
    const { counters, upserts, deletes } = resolveResponseUsage(stored, changes);
    for (const c of upserts) this.claims.set(`${c.response}/${c.claimant}`, c);
    for (const c of deletes) this.claims.delete(`${c.response}/${c.claimant}`);
    this.counters = counterDelta([], [...this.counters, ...shared, ...counters]);
  }

  /** Each trace folded alone, as the projector does, then committed. */
  commitTraces(before: SpanDocument[], after: SpanDocument[]) {
    const traceIds = new Set([...before, ...after].map((s) => s.traceId));
    const changed = [...traceIds].flatMap((t) => {
      const spans = after.filter((s) => s.traceId === t);
      return spans.length ? [summarizeTrace(spans)] : [];
    });
    const delta = traceReadModelDelta(before, after, changed);
    this.commit(delta.responses, delta.counters.filter((r) => r.id.startsWith('usage')));
  }
}

const permutations = <T>(xs: T[]): T[][] => (xs.length <= 1 ? [xs] : xs.flatMap((x, i) => permutations([...xs.slice(0, i), ...xs.slice(i + 1)]).map((p) => [x, ...p])));

describe('usage of one API response traced twice (two instrumentations, two traces)', () => {
  const a = call('a'.repeat(32), '1'.repeat(16));
  const b = call('b'.repeat(32), '2'.repeat(16), { name: 'anthropic.messages.create' });
  const c = call('c'.repeat(32), '3'.repeat(16), { responseId: 'msg_2' });
  const once = counterDelta([], usageCounters([a, c]));

  it('sets apart the spans that name a response; spans without one are shared', () => {
    const { shared, responses } = usageContributions([a, call('d'.repeat(32), '4'.repeat(16), { responseId: null })]);
    expect(responses).toEqual([{ response: expect.stringContaining('msg_1'), claimant: `${a.traceId}/${a.spanId}`, rows: usageCounters([a]) }]);
    expect(shared).toHaveLength(1);
    expect(shared[0]!.values).toMatchObject({ calls: 1, inputTokens: 15 });
  });

  it('counts the response once whatever order the traces arrive in, and a trace sent again adds nothing', () => {
    for (const order of permutations([a, b, c, a, b])) {
      const ledger = new ClaimLedger();
      const seen: SpanDocument[] = [];
      for (const s of order) {
        const before = seen.filter((x) => x.traceId === s.traceId);
        ledger.commitTraces(before, [s]);
        if (!before.length) seen.push(s);
      }
      expect(ledger.counters).toEqual(once);
      expect(ledger.claims.size).toBe(3);
    }
  });

  it('hands the count over when the counted span stops naming the response, and back', () => {
    const ledger = new ClaimLedger();
    ledger.commitTraces([], [a]);
    ledger.commitTraces([], [b]);
    const moved = { ...a, responseId: 'msg_9', position: '2' };
    ledger.commitTraces([a], [moved]);
    // msg_1 now counts through b, msg_9 through the moved span: two calls.
    expect(ledger.counters).toEqual(counterDelta([], usageCounters([b, moved])));
    ledger.commitTraces([moved], [a]);
    expect(ledger.counters).toEqual(counterDelta([], usageCounters([a])));
  });

  it('replaying the same changes changes nothing', () => {
    const changes = [...traceReadModelDelta([], [a], [summarizeTrace([a])]).responses, ...traceReadModelDelta([], [b], [summarizeTrace([b])]).responses];
    const stored: ResponseClaim[] = [];
    const first = resolveResponseUsage(stored, changes);
    expect([...sumCounters(first.counters).values()].map((r) => r.values.calls)).toEqual([1]);
    expect(resolveResponseUsage(first.upserts, changes).counters).toEqual([]);
  });

  it('a claim changed twice in one batch is written once, as it ends', () => {
    const [claim] = traceReadModelDelta([], [a], [summarizeTrace([a])]).responses;
    const withdrawn = { ...claim!, rows: null };
    expect(resolveResponseUsage([], [claim!, withdrawn, claim!])).toMatchObject({ upserts: [{ claimant: claim!.claimant }], deletes: [] });
    expect(resolveResponseUsage([{ ...claim!, rows: claim!.rows! }], [claim!, withdrawn])).toMatchObject({ upserts: [], deletes: [{ claimant: claim!.claimant }] });
  });

  it('a trace whose spans did not change gives no claim changes', () => {
    expect(traceReadModelDelta([a], [a], [summarizeTrace([a])]).responses).toEqual([]);
  });
});
