import type { SpanDocument } from '../span-document';
import { summarizeTrace } from '../trace-summary';
import type { CounterRow } from './read-model-counters';
import { traceReadModelDelta } from './trace-read-model-delta';
import { searchTerms, traceSearchFields, traceServicesRowIdPrefix } from './trace-search';
import { planTraceWrites, recomputeSessions, settleBulkClaims, type TraceStateRequest, type TraceStoredState } from './trace-write-plan';

const span = (traceId: string, extra: Partial<SpanDocument> = {}): SpanDocument =>
  ({
    projectId: '1',
    traceId,
    spanId: `${traceId}-s`,
    parentSpanId: null,
    name: 'chat gpt-4o',
    kind: 'generation',
    operation: 'chat',
    provider: 'openai',
    requestModel: 'gpt-4o',
    responseModel: 'gpt-4o',
    inputTokens: 10,
    outputTokens: 5,
    responseId: null,
    startTime: '2026-11-01T10:00:00.000Z',
    endTime: '2026-11-01T10:00:00.100Z',
    startTimeUnixNano: '1793527200000000000',
    endTimeUnixNano: '1793527200100000000',
    durationMs: 100,
    status: 'ok',
    serviceName: 'svc',
    conversationId: null,
    position: '1',
    ...extra,
  }) as SpanDocument;

const row = (id: string, values: Record<string, number>): CounterRow => ({ id, dims: {}, values });
const empty: TraceStoredState = { mode: 'incremental', traceSearch: false, spans: [], counters: [], claims: [], sessionTraces: [] };

describe('planTraceWrites', () => {
  it('plans counter values after the batch from the stored ones (zeros left out), not increments', async () => {
    const requests: TraceStateRequest[] = [];
    const plan = await planTraceWrites(
      { projection: 'p', position: 9n, spans: [], traces: [], spansBefore: [], spansAfter: [], counters: [row('a', { calls: 2 }), row('b', { calls: -1 })], responses: [], sessions: [] },
      async (request) => (requests.push(request), { ...empty, counters: [row('a', { calls: 3, errors: 1 }), row('b', { calls: 1 })] }),
    );
    expect(requests).toEqual([{ counterIds: ['a', 'b'], responses: [], sessions: [] }]);
    expect(plan.counters).toEqual([
      { id: 'a', dims: {}, values: { calls: 5, errors: 1 }, delta: { calls: 2 } },
      { id: 'b', dims: {}, values: {}, delta: { calls: -1 } },
    ]);
  });

  it('in bulk mode, plans increments, the claim log and no sessions', async () => {
    const s = span('t1', { responseId: 'r1', conversationId: 'c' });
    const delta = traceReadModelDelta([], [s], [summarizeTrace([s])]);
    const plan = await planTraceWrites(
      { projection: 'p', position: 1n, spans: [s], traces: [summarizeTrace([s])], spansBefore: [], spansAfter: [s], counters: delta.counters, responses: delta.responses, sessions: delta.sessions },
      async () => ({ ...empty, mode: 'bulk' }),
    );
    expect(plan.counters.every((c) => c.values === null)).toBe(true);
    expect(plan.counters.reduce((n, c) => n + (c.delta.calls ?? 0), 0)).toBe(1);
    expect(plan.claimLog).toEqual(delta.responses);
    expect(plan.sessions).toEqual({ put: [], remove: [] });
  });

  it('carries per-trace search fields only for a store that filters on them', async () => {
    const s = span('t1', { name: 'invoke_agent Travel-Planner', serviceName: 'planner' });
    const changes = { projection: 'p', position: 1n, spans: [s], traces: [summarizeTrace([s])], spansBefore: [], spansAfter: [s], counters: [], responses: [], sessions: [] };
    expect((await planTraceWrites(changes, async () => empty)).search).toEqual([]);
    const plan = await planTraceWrites(changes, async () => ({ ...empty, traceSearch: true }));
    expect(plan.search).toEqual([{ projectId: '1', traceId: 't1', services: ['planner'], terms: ['invoke', 'agent', 'travel', 'planner'] }]);
    // ... and the per-service trace counts its service list reads: the trace moves from one service to another.
    expect(plan.counters).toEqual([{ id: `${traceServicesRowIdPrefix('1')}planner`, dims: { projectId: '1', service: 'planner' }, values: { traces: 1 }, delta: { traces: 1 } }]);
    const moved = { ...s, serviceName: 'other' };
    const again = await planTraceWrites({ ...changes, spans: [moved], spansBefore: [s], spansAfter: [moved] }, async () => ({ ...empty, traceSearch: true, counters: plan.counters.map((c) => ({ id: c.id, dims: c.dims, values: c.values! })) }));
    expect(again.counters.map((c) => [c.id.slice(traceServicesRowIdPrefix('1').length), c.values])).toEqual([
      ['other', { traces: 1 }],
      ['planner', {}],
    ]);
  });
});

describe('recomputeSessions', () => {
  it('summarizes each session from its stored traces with the batch versions, and removes one left empty', () => {
    const a = summarizeTrace([span('t1', { conversationId: 'c1' })]);
    const b = summarizeTrace([span('t2', { conversationId: 'c1' })]);
    const bMoved = summarizeTrace([span('t2', { conversationId: 'c2', inputTokens: 30 })]);
    const gone = summarizeTrace([span('t3', { conversationId: 'c3' })]);
    const out = recomputeSessions(
      [
        { projectId: '1', sessionId: 'c1' },
        { projectId: '1', sessionId: 'c2' },
        { projectId: '1', sessionId: 'c3' },
      ],
      [a, b, gone],
      [bMoved, { ...gone, conversationId: null }],
    );
    expect(out.put.map((s) => [s.sessionId, s.traceCount, s.inputTokens])).toEqual([
      ['c1', 1, 10],
      ['c2', 1, 30],
    ]);
    expect(out.remove).toEqual([{ projectId: '1', sessionId: 'c3' }]);
  });
});

describe('settleBulkClaims', () => {
  it("keeps each claimant's last version, drops withdrawn claims, and takes out all but the first live claimant's usage", () => {
    const settled = settleBulkClaims([
      { claimant: 'a', rows: [row('u', { calls: 1, in: 10 })] },
      { claimant: 'a', rows: [row('u', { calls: 1, in: 50 })] },
      { claimant: 'b', rows: [row('u', { calls: 1, in: 10 })] },
      { claimant: 'c', rows: [row('u', { calls: 1, in: 7 })] },
      { claimant: 'c', rows: null },
    ]);
    expect(settled.obsolete).toEqual([0, 3, 4]);
    expect(settled.correction).toEqual([row('u', { calls: -1, in: -10 })]);
  });
});

describe('search words', () => {
  it('splits on everything but letters, digits, marks and emoji, lower-cased and distinct', () => {
    expect(searchTerms('Book the NIGHT train; search_web 100%_match héllo 🌍 night')).toEqual(['book', 'the', 'night', 'train', 'search', 'web', '100', 'match', 'héllo', '🌍']);
    expect(searchTerms('%')).toEqual([]);
  });

  it('collects every span of a trace (services sorted)', () => {
    const fields = traceSearchFields([span('t1', { serviceName: 'b', name: 'one' }), span('t1', { spanId: 'x', serviceName: 'a', name: 'two' }), span('t2')], [summarizeTrace([span('t1')])]);
    expect(fields).toEqual([{ projectId: '1', traceId: 't1', services: ['a', 'b'], terms: ['one', 'two'] }]);
  });
});
