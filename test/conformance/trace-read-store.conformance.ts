import {
  GENAI_TOKEN_USAGE,
  genaiMetricBaselines,
  genaiMetricCounters,
  genaiMetricHourRanges,
  genaiMetricHours,
  genaiMetricSeriesRanges,
  genaiMetricsExpiryCounters,
  genaiMetricsExpiryRanges,
  genaiMetricsRowIdPrefix,
  rollupGenaiMetrics,
  type GenaiMetricEvent,
  type MetricsExpiredData,
  mappingCounters,
  mappingReport,
  mappingRowIdPrefix,
  planTraceWrites,
  rollupUsage,
  settleBulkClaims,
  summarizeSession,
  summarizeTrace,
  traceReadModelDelta,
  usageCounters,
  usageRowIdPrefix,
  type CounterRow,
  type SpanDocument,
} from '@temps/domain';
import { InvalidCursorError, LeaseLostError, type TraceQuery, type TraceReadStore } from '@temps/read-store';
import { commitSpanBatch } from '../support/commit-span-batch';

type Store = TraceReadStore;

export interface ConformanceOptions {
  /** How `q` matches: any substring (SQLite), or whole words through an index (MongoDB: see its listTraces). */
  freeText: 'substring' | 'words';
  /** The adapter's commit steps, in order: the fault cases crash at each (through the factory's failpoint). */
  commitSteps: readonly string[];
  /**
   * A commit is several writes with an awaited failpoint before each step (no transaction: MongoDB here), so a
   * holder can be paused in the middle of one. Absent: a commit is one transaction (SQLite), which a takeover waits for.
   */
  commitPausesBetweenSteps?: boolean;
}

export interface FactoryOptions {
  namespace?: string;
  /** Called before each commit step; a throw is a crash there (awaited where commitPausesBetweenSteps: a pause there). */
  failpoint?: (step: string) => void | Promise<void>;
}

/**
 * Every member of every port the read store implements (ProjectionCatalog with its checkpoints,
 * TraceWriter, TraceQueries, BulkLoads where offered); each adapter's spec file only wires its factory.
 * Without `namespace` the factory opens FRESH storage, served from the catalog's active build; with
 * one, it opens that build (as a projector does) in the storage of the previous fresh call.
 */
export function describeTraceReadStoreConformance(name: string, factory: (options?: FactoryOptions) => Promise<Store>, conformance: ConformanceOptions): void {
  describe(`TraceReadStore conformance: ${name}`, () => {
    let store: Store;
    beforeEach(async () => {
      store = await factory();
    });
    afterEach(async () => {
      await store.close();
    });

    const span = (projectId: string, traceId: string, spanId: string, startMs: number, extra: Partial<SpanDocument> = {}): SpanDocument => ({
      projectId,
      traceId,
      spanId,
      parentSpanId: null,
      name: `root ${traceId.slice(0, 4)}`,
      kind: 'generation',
      spanKind: 'client',
      operation: 'chat',
      provider: 'openai',
      requestModel: 'gpt-4o',
      responseModel: null,
      inputTokens: 10,
      outputTokens: 5,
      cacheReadInputTokens: null,
      cacheCreationInputTokens: null,
      reasoningOutputTokens: null,
      finishReasons: ['stop'],
      responseId: null,
      temperature: null,
      maxTokens: null,
      startTime: new Date(startMs).toISOString(),
      endTime: new Date(startMs + 10).toISOString(),
      startTimeUnixNano: `${startMs}000000`,
      endTimeUnixNano: `${startMs + 10}000000`,
      durationMs: 10,
      status: 'ok',
      statusMessage: null,
      errorType: null,
      agentName: null,
      toolName: null,
      toolCallId: null,
      toolCallArguments: null,
      toolCallResult: null,
      inputMessages: [{ role: 'user', parts: [{ type: 'text', content: 'héllo 🌍' }] }],
      outputMessages: null,
      systemInstructions: null,
      conversationId: null,
      serviceName: 'svc',
      scopeName: null,
      attributes: { 'gen_ai.request.model': 'gpt-4o' },
      resourceAttributes: {},
      position: '1',
      receivedAt: new Date(startMs).toISOString(),
      ...extra,
    });
    const commitBatch = (target: Store, projection: string, position: bigint, spans: SpanDocument[], counters: CounterRow[] = []) =>
      commitSpanBatch(target, projection, position, spans, counters);
    const commitTraces = (position: bigint, spans: SpanDocument[]) => commitBatch(store, 'traces_v1', position, spans);
    const readModels = { summarizeSession, settleBulkClaims };
    const tid = (n: number) => n.toString(16).padStart(32, '0');

    it('has no checkpoint before the first commit, then the committed one', async () => {
      expect(await store.checkpoint('traces_v1')).toBeNull();
      await commitTraces(41n, [span('1', tid(1), 'a'.repeat(16), 1_000)]);
      expect(await store.checkpoint('traces_v1')).toBe(41n);
      expect(await store.checkpoint('other')).toBeNull();
    });

    it('stores documents that read back unchanged, scoped by project', async () => {
      const s = span('1', tid(1), 'a'.repeat(16), 1_000);
      await commitTraces(1n, [s]);
      const found = await store.getTrace('1', tid(1));
      expect(found?.spans).toEqual([s]);
      expect(found?.trace.traceId).toBe(tid(1));
      expect(await store.getTrace('2', tid(1))).toBeNull();
      expect((await store.load({ traces: [{ projectId: '1', traceId: tid(1) }] })).spans).toEqual([s]);
      expect((await store.load({ traces: [{ projectId: '2', traceId: tid(1) }] })).spans).toEqual([]);
    });

    it('replaces documents on a second commit of the same ids (idempotent writes)', async () => {
      await commitTraces(1n, [span('1', tid(1), 'a'.repeat(16), 1_000)]);
      await commitTraces(2n, [span('1', tid(1), 'a'.repeat(16), 1_000, { inputTokens: 99 })]);
      await commitTraces(2n, [span('1', tid(1), 'a'.repeat(16), 1_000, { inputTokens: 99 })]);
      const found = await store.getTrace('1', tid(1));
      expect(found?.spans).toHaveLength(1);
      expect(found?.trace.inputTokens).toBe(99);
    });

    it('lists newest first, filters, and pages with a cursor without gaps or repeats', async () => {
      const spans: SpanDocument[] = [];
      for (let i = 0; i < 25; i++) {
        spans.push(
          span('1', tid(i + 1), 'b'.repeat(16), 10_000 + (i % 5) * 1000, {
            provider: i % 2 ? 'anthropic' : 'openai',
            responseModel: i % 3 ? 'm-a' : 'm-b',
            status: i === 7 ? 'error' : 'ok',
          }),
        );
      }
      spans.push(span('2', tid(100), 'c'.repeat(16), 99_000));
      await commitTraces(30n, spans);

      const all = await store.listTraces('1', { limit: 100 });
      expect(all.items).toHaveLength(25);
      expect(all.nextCursor).toBeNull();
      const keys = all.items.map((t) => `${t.startKey}|${t.traceId}`);
      expect([...keys].sort().reverse()).toEqual(keys);

      const paged: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await store.listTraces('1', { limit: 4, cursor });
        paged.push(...page.items.map((t) => t.traceId));
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      expect(paged).toEqual(all.items.map((t) => t.traceId));

      expect((await store.listTraces('1', { limit: 100, provider: 'anthropic' })).items).toHaveLength(12);
      expect((await store.listTraces('1', { limit: 100, model: 'm-b' })).items).toHaveLength(9);
      expect((await store.listTraces('1', { limit: 100, status: 'error' })).items.map((t) => t.traceId)).toEqual([tid(8)]);
      const window = await store.listTraces('1', { limit: 100, from: new Date(11_000).toISOString(), to: new Date(13_000).toISOString() });
      expect(window.items).toHaveLength(10);
      expect(window.items.every((t) => t.startTime >= new Date(11_000).toISOString() && t.startTime < new Date(13_000).toISOString())).toBe(true);
    });

    it('filters by service and by free text over span names and message text, and lists service names', async () => {
      const a = tid(1);
      const b = tid(2);
      const c = tid(3);
      await commitTraces(1n, [
        span('1', a, 'a'.repeat(16), 1_000, { name: 'invoke_agent Travel-Planner', serviceName: 'planner' }),
        span('1', a, 'b'.repeat(16), 1_001, {
          parentSpanId: 'a'.repeat(16),
          name: 'chat gpt-4o',
          serviceName: 'llm-gateway',
          systemInstructions: [{ type: 'text', content: 'You are terse.' }],
          outputMessages: [{ role: 'assistant', parts: [{ type: 'text', content: 'Book the NIGHT train' }] }],
        }),
        span('1', b, 'c'.repeat(16), 2_000, { name: 'execute_tool search_web', serviceName: 'planner', inputMessages: null }),
        span('1', c, 'd'.repeat(16), 3_000, { name: 'odd 100%_match', serviceName: null, inputMessages: null }),
        span('2', tid(9), 'e'.repeat(16), 4_000, { name: 'other project', serviceName: 'elsewhere' }),
      ]);
      const ids = async (query: Partial<TraceQuery>) => (await store.listTraces('1', { limit: 100, ...query })).items.map((t) => t.traceId);

      expect(await ids({ service: 'planner' })).toEqual([b, a]);
      expect(await ids({ service: 'llm-gateway' })).toEqual([a]); // any span's service, not only the root's
      expect(await ids({ service: 'elsewhere' })).toEqual([]);
      expect(await ids({ q: 'travel-planner' })).toEqual([a]); // root span name, any case
      expect(await ids({ q: 'chat gpt' })).toEqual([a]); // a child span's name
      expect(await ids({ q: 'night train' })).toEqual([a]); // output message text
      expect(await ids({ q: 'terse' })).toEqual([a]); // system instructions
      expect(await ids({ q: 'héllo 🌍' })).toEqual([a]); // input message text, not ASCII
      expect(await ids({ q: 'search_web' })).toEqual([b]);
      expect(await ids({ q: '100%_' })).toEqual([c]); // % and _ are literal (substring), or not words (words)
      if (conformance.freeText === 'substring') {
        expect(await ids({ q: '%' })).toEqual([c]);
        expect(await ids({ q: 'plan' })).toEqual([a]); // part of a word
        expect(await ids({ q: 'ght tra' })).toEqual([a]); // across words
      } else {
        expect(await ids({ q: '%' })).toEqual([]); // no word in it
        expect(await ids({ q: 'plan' })).toEqual([]); // whole words only
        expect(await ids({ q: 'TRAIN night' })).toEqual([a]); // every word, in any order and case
        expect(await ids({ q: 'train search' })).toEqual([]); // words of two traces: none has both
      }
      expect(await ids({ q: 'no such words' })).toEqual([]);
      expect(await ids({ q: 'chat', service: 'planner' })).toEqual([a]);
      expect(await ids({ q: 'other project' })).toEqual([]); // scoped by project

      expect(await store.listServiceNames('1')).toEqual(['llm-gateway', 'planner']);
      expect(await store.listServiceNames('2')).toEqual(['elsewhere']);
      expect(await store.listServiceNames('3')).toEqual([]);
    });

    it('keeps search text in step with re-sent spans (newest document wins)', async () => {
      await commitTraces(1n, [span('1', tid(1), 'a'.repeat(16), 1_000, { name: 'first name' })]);
      await commitTraces(2n, [span('1', tid(1), 'a'.repeat(16), 1_000, { name: 'second name', serviceName: 'svc2' })]);
      expect((await store.listTraces('1', { limit: 10, q: 'first' })).items).toEqual([]);
      expect((await store.listTraces('1', { limit: 10, q: 'second' })).items).toHaveLength(1);
      expect(await store.listServiceNames('1')).toEqual(['svc2']);
    });

    const until = (prefix: string) => prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);

    it('sets counters from the plan, reads them by id range, and a replayed batch changes nothing', async () => {
      const s1 = span('1', tid(1), 'a'.repeat(16), Date.UTC(2026, 10, 1, 10, 5), { durationMs: 120, cost: { total: 0.5, input: 0.2, output: 0.3, cacheRead: 0, cacheWrite: 0, currency: 'USD' } });
      const s2 = span('1', tid(2), 'b'.repeat(16), Date.UTC(2026, 10, 1, 11, 5), { responseModel: 'gpt-4o-mini', status: 'error', mapping: { dialects: ['semconv'], unmappedKeys: ['gen_ai.x'] } });
      const other = span('2', tid(3), 'c'.repeat(16), Date.UTC(2026, 10, 1, 10, 6));
      const after = [s1, s2, other];
      await commitBatch(store, 'p', 5n, after);
      await commitBatch(store, 'p', 5n, after); // replay: its traces are stored already
      const usage = await store.counterRows({ from: usageRowIdPrefix('1'), to: until(usageRowIdPrefix('1')) });
      expect(usage).toEqual(usageCounters([s1, s2]).sort((a, b) => (a.id < b.id ? -1 : 1)));
      const { points, totals } = rollupUsage(usage, { bucket: 'day', groupBy: 'provider' });
      expect(points).toHaveLength(1);
      expect(totals).toMatchObject({ calls: 2, errors: 1, inputTokens: 20, outputTokens: 10, cost: 0.5, costPartial: false });
      const mapping = mappingReport(await store.counterRows({ from: mappingRowIdPrefix('1'), to: until(mappingRowIdPrefix('1')) }));
      expect(mapping).toEqual(mappingReport(mappingCounters([s1, s2])));
      expect(mapping.unmappedKeys).toEqual([{ key: 'gen_ai.x', spans: 1 }]);

      // The span changes model in a later batch: the delta moves its usage from one row to the other.
      const s2b = { ...s2, responseModel: 'gpt-4o', position: '9' };
      await commitBatch(store, 'p', 9n, [s2b]);
      const moved = await store.counterRows({ from: usageRowIdPrefix('1'), to: until(usageRowIdPrefix('1')) });
      expect(moved).toEqual(usageCounters([s1, s2b]).sort((a, b) => (a.id < b.id ? -1 : 1)));
      expect(await store.pendingBatchEnd('p')).toBeNull();
    });

    it('counts an API response traced twice (two traces naming one response id) once, whichever commits first; a replayed batch adds nothing', async () => {
      const at = Date.UTC(2026, 10, 1, 10, 5);
      const sdk = span('1', tid(7), 'a'.repeat(16), at, { responseId: 'msg_1', provider: 'anthropic' });
      const openllmetry = span('1', tid(8), 'b'.repeat(16), at, { responseId: 'msg_1', provider: 'anthropic', name: 'anthropic.chat' });
      const other = span('1', tid(9), 'c'.repeat(16), at, { responseId: 'msg_2', provider: 'anthropic' });
      const commitTrace = (position: bigint, _before: SpanDocument[], after: SpanDocument[]) => commitBatch(store, 'p', position, after);
      await commitTrace(1n, [], [openllmetry]);
      await commitTrace(2n, [], [other]);
      await commitTrace(2n, [], [other]); // replay of a batch
      await commitTrace(3n, [], [sdk]); // sorts first: it becomes the counted span of msg_1
      const usage = async () => rollupUsage(await store.counterRows({ from: usageRowIdPrefix('1'), to: until(usageRowIdPrefix('1')) }), { bucket: 'day', groupBy: 'provider' }).totals;
      expect(await usage()).toMatchObject({ calls: 2, inputTokens: 20, outputTokens: 10 });
      // The counted span is sent again with other usage: the response now counts with it.
      const resent = { ...sdk, inputTokens: 30, position: '4' };
      await commitTrace(4n, [sdk], [resent]);
      expect(await usage()).toMatchObject({ calls: 2, inputTokens: 40, outputTokens: 10 });
      // It stops naming the response: msg_1 counts through the other trace's span again, and the resent one on its own.
      const renamed = { ...resent, responseId: 'msg_3', position: '5' };
      await commitTrace(5n, [resent], [renamed]);
      expect(await usage()).toMatchObject({ calls: 3, inputTokens: 50, outputTokens: 15 });
    });

    it('removes expired traces (retention): spans, summary, search, claims and their usage go, sessions are recomputed, as a clean build of what remains has them', async () => {
      const at = (m: number) => Date.UTC(2026, 10, 2, 9, m);
      const old = [
        span('1', tid(1), 'a'.repeat(16), at(1), { conversationId: 'conv-a', responseId: 'resp_1', inputTokens: 100 }),
        span('1', tid(2), 'b'.repeat(16), at(2), { conversationId: 'conv-b', name: 'only old' }),
      ];
      const kept = [span('1', tid(3), 'c'.repeat(16), at(3), { conversationId: 'conv-a' }), span('2', tid(1), 'd'.repeat(16), at(1), { conversationId: 'conv-a' })];
      await commitBatch(store, 'traces_v1', 1n, [...old, ...kept]);
      // What TraceProjectionHandler does with a TracesExpired event.
      const removed = [tid(1), tid(2)].map((traceId) => ({ projectId: '1', traceId }));
      const { spans: before } = await store.load({ traces: removed });
      expect(before).toHaveLength(2);
      const delta = traceReadModelDelta(before, [], [], [], removed);
      const plan = await planTraceWrites(
        { projection: 'traces_v1', position: 2n, spans: [], traces: [], spansBefore: before, spansAfter: [], counters: delta.counters, responses: delta.responses, sessions: delta.sessions, removed },
        (request) => store.load(request),
      );
      await store.commit(plan);
      await store.commit(plan); // carried out twice (a redo after a crash) equals once
      expect(await store.getTrace('1', tid(1))).toBeNull();
      expect(await store.getTrace('1', tid(2))).toBeNull();
      expect((await store.load({ traces: removed })).spans).toEqual([]);
      expect((await store.listTraces('1', { limit: 10, q: 'only old' })).items).toEqual([]);

      const clean = await factory();
      try {
        await commitBatch(clean, 'traces_v1', 1n, kept);
        for (const projectId of ['1', '2']) {
          expect(await store.listTraces(projectId, { limit: 10 })).toEqual(await clean.listTraces(projectId, { limit: 10 }));
          expect(await store.listSessions(projectId, { limit: 10 })).toEqual(await clean.listSessions(projectId, { limit: 10 }));
          const usage = (s: Store) => s.counterRows({ from: usageRowIdPrefix(projectId), to: until(usageRowIdPrefix(projectId)) });
          expect(rollupUsage(await usage(store), { bucket: 'hour', groupBy: 'model' })).toEqual(rollupUsage(await usage(clean), { bucket: 'hour', groupBy: 'model' }));
        }
        expect((await store.load({ responses: ['resp_1'] })).claims).toEqual([]);
      } finally {
        await clean.close();
      }
    });

    it('expires GenAI metric hours (retention, MetricsExpired): old rows dropped or kept, a cumulative series carried across the gap, as a clean build of what remains has them; carried out twice equals once', async () => {
      const hour = (h: number) => BigInt(Date.UTC(2026, 10, 2, h, 30)) * 1_000_000n;
      /** One cumulative gen_ai.client.token.usage point of one series (started at 00:00), at hour `h`. */
      const point = (h: number, count: number, sum: number, buckets: number[]): GenaiMetricEvent => ({
        type: 'MetricReceived',
        metadata: { projectId: '1' },
        data: {
          resource: { attributes: [] },
          scope: { name: 'conformance' },
          metric: {
            name: GENAI_TOKEN_USAGE,
            type: 'histogram',
            aggregationTemporality: 2,
            dataPoints: [{ attributes: [{ key: 'gen_ai.provider.name', value: { stringValue: 'openai' } }, { key: 'gen_ai.request.model', value: { stringValue: 'gpt-4o' } }, { key: 'gen_ai.token.type', value: { stringValue: 'input' } }], startTimeUnixNano: String(BigInt(Date.UTC(2026, 10, 2)) * 1_000_000n), timeUnixNano: String(hour(h)), count: String(count), sum, bucketCounts: buckets.map(String), explicitBounds: [10, 100] }],
          },
        },
      });
      /** What TraceProjectionHandler does with a batch of metric points, and with a MetricsExpired event. */
      const fold = async (target: Store, position: bigint, events: GenaiMetricEvent[]) => {
        const { counters: stored } = await target.load({ counterRanges: genaiMetricSeriesRanges(events) });
        const counters = genaiMetricCounters(events, stored, position);
        await target.commit(await planTraceWrites({ projection: 'traces_v1', position, spans: [], traces: [], spansBefore: [], spansAfter: [], counters, responses: [], sessions: [] }, (r) => target.load(r)));
      };
      const expire = async (target: Store, position: bigint, data: MetricsExpiredData) => {
        const { counters: stored } = await target.load({ counterRanges: genaiMetricsExpiryRanges(data) });
        const counters = genaiMetricsExpiryCounters(data, stored, position);
        return planTraceWrites({ projection: 'traces_v1', position, spans: [], traces: [], spansBefore: [], spansAfter: [], counters, responses: [], sessions: [] }, (r) => target.load(r));
      };
      const rows = (target: Store) => target.counterRows({ from: genaiMetricsRowIdPrefix('1', GENAI_TOKEN_USAGE), to: until(genaiMetricsRowIdPrefix('1', GENAI_TOKEN_USAGE)) });
      const hourly = async (target: Store) => rollupGenaiMetrics(await rows(target), { metric: GENAI_TOKEN_USAGE, bucket: 'hour', groupBy: 'model' }).map((p) => [p.bucketStart.slice(11, 13), p.count, p.sum]);

      const expired = [point(1, 2, 30, [1, 1, 0]), point(2, 5, 250, [2, 2, 1])];
      const kept = point(5, 6, 260, [3, 2, 1]);
      const cutoff = new Date(Date.UTC(2026, 10, 2, 4, 15)).toISOString();
      for (const keep of [false, true]) {
        const live = keep ? await factory() : store;
        const clean = await factory();
        try {
          for (const [i, e] of [...expired, kept].entries()) await fold(live, BigInt(i + 1), [e]);
          expect(await hourly(live)).toEqual([['01', 2, 30], ['02', 3, 220], ['05', 1, 10]]);
          const hours = keep ? genaiMetricHours(expired) : null;
          const carried = hours ? (await Promise.all(genaiMetricHourRanges('1', hours).map((r) => live.counterRows(r)))).flat() : null;
          const data: MetricsExpiredData = { projectId: '1', cutoff, streams: ['metrics-1-2026110201', 'metrics-1-2026110202'], baselines: genaiMetricBaselines(expired), hours, rows: carried };
          const plan = await expire(live, 4n, data);
          await live.commit(plan);
          await live.commit(plan); // carried out twice (a redo after a crash) equals once
          const expected = keep ? [['01', 2, 30], ['02', 3, 220], ['05', 1, 10]] : [['05', 1, 10]];
          expect(await hourly(live)).toEqual(expected);

          // A clean build of what remains: the kept point alone (counted in full: 6), then the marker takes the baseline (5) out of its hour.
          await fold(clean, 3n, [kept]);
          expect(await hourly(clean)).toEqual([['05', 6, 260]]);
          await clean.commit(await expire(clean, 4n, data));
          expect(await hourly(clean)).toEqual(expected);
          // The next point of the series counts from the same state in both.
          const next = point(6, 9, 1260, [3, 4, 2]);
          await fold(live, 5n, [next]);
          await fold(clean, 5n, [next]);
          expect(await hourly(clean)).toEqual(await hourly(live));
          expect((await hourly(live)).at(-1)).toEqual(['06', 3, 1000]);
        } finally {
          await clean.close();
          if (live !== store) await live.close();
        }
      }
    });

    it('keeps sessions in step with their traces: list newest first, read one, page its traces oldest first', async () => {
      const at = (m: number) => Date.UTC(2026, 10, 2, 9, m);
      const spans = [
        span('1', tid(1), 'a'.repeat(16), at(1), { conversationId: 'conv-a', userId: 'u1', name: 'turn 1' }),
        span('1', tid(2), 'b'.repeat(16), at(2), { conversationId: 'conv-b' }),
        span('1', tid(3), 'c'.repeat(16), at(3), { conversationId: 'conv-a', status: 'error' }),
        span('1', tid(4), 'd'.repeat(16), at(4), { conversationId: 'conv-a' }),
        span('2', tid(5), 'e'.repeat(16), at(5), { conversationId: 'conv-a' }),
      ];
      await commitBatch(store, 'p', 1n, spans);
      const list = await store.listSessions('1', { limit: 10 });
      expect(list.items.map((s) => s.sessionId)).toEqual(['conv-a', 'conv-b']);
      const a = await store.getSession('1', 'conv-a');
      expect(a).toMatchObject({ traceCount: 3, errorCount: 1, inputTokens: 30, userIds: ['u1'], firstTraceName: 'turn 1' });
      expect(await store.getSession('2', 'conv-b')).toBeNull();
      const page1 = await store.listSessionTraces('1', 'conv-a', { limit: 2 });
      expect(page1.items.map((t) => t.traceId)).toEqual([tid(1), tid(3)]);
      const page2 = await store.listSessionTraces('1', 'conv-a', { limit: 2, cursor: page1.nextCursor! });
      expect(page2).toEqual({ items: [expect.objectContaining({ traceId: tid(4) })], nextCursor: null });
      const firstPage = await store.listSessions('1', { limit: 1 });
      expect((await store.listSessions('1', { limit: 1, cursor: firstPage.nextCursor! })).items.map((s) => s.sessionId)).toEqual(['conv-b']);

      // A trace moves to another conversation: both sessions are recomputed; an emptied one goes.
      const moved = { ...spans[1]!, conversationId: 'conv-c', position: '2' };
      await commitBatch(store, 'p', 2n, [moved]);
      expect((await store.listSessions('1', { limit: 10 })).items.map((s) => s.sessionId)).toEqual(['conv-a', 'conv-c']);
      expect(await store.getSession('1', 'conv-b')).toBeNull();
    });

    it('bulk loads (where the adapter offers them): partitions write out of order under their own checkpoints; finish makes sessions and the build checkpoint, in one go', async () => {
      if (!store.bulkLoads) return void console.log(`${name}: no bulk loads (optional): builds run as one stream`);
      const ns = 'traces_v98';
      await store.bulkLoads.begin(ns, { target: 40n, partitions: 2 });
      expect(await store.bulkLoads.plan(ns)).toEqual({ target: 40n, partitions: 2 });
      const view = await factory({ namespace: ns });
      try {
        const at = (m: number) => Date.UTC(2026, 10, 3, 9, m);
        const a = span('1', tid(1), 'a'.repeat(16), at(1), { conversationId: 'conv-a', position: '30' });
        const b = span('1', tid(2), 'b'.repeat(16), at(2), { conversationId: 'conv-a', position: '12' });
        expect((await view.load({ traces: [] })).mode).toBe('bulk');
        // Partition 1 commits a later position first; partition 0's earlier one must still add up.
        await commitBatch(view, `${ns}#p1of2`, 30n, [a]);
        await commitBatch(view, `${ns}#p0of2`, 12n, [b]);
        // Claims on one API response from traces in both partitions, one re-sent and one withdrawn: counted once at the end.
        const claim = (partition: number, position: bigint, _before: SpanDocument[], after: SpanDocument[]) => commitBatch(view, `${ns}#p${partition}of2`, position, after);
        const c = span('1', tid(3), 'c'.repeat(16), at(3), { responseId: 'msg_dup', provider: 'anthropic' });
        const d = span('1', tid(4), 'd'.repeat(16), at(3), { responseId: 'msg_dup', provider: 'anthropic' });
        const e = span('1', tid(5), 'e'.repeat(16), at(4), { responseId: 'msg_gone', provider: 'anthropic' });
        await claim(1, 32n, [], [d]);
        await claim(0, 14n, [], [c]);
        const c2 = { ...c, inputTokens: 50, position: '16' };
        await claim(0, 16n, [c], [c2]);
        await claim(1, 34n, [], [e]);
        await claim(1, 36n, [e], [{ ...e, responseId: null, position: '36' }]); // no response any more: counted as a shared span
        expect(await view.checkpoint(ns)).toBeNull();
        expect(await view.checkpoint(`${ns}#p0of2`)).toBe(16n);
        // A batch that fails part way (a document that cannot be written) leaves nothing behind, and its retry lands once.
        const f = span('1', tid(6), 'f'.repeat(16), at(5), { position: '18' });
        const unwritable = { ...span('1', tid(6), '0'.repeat(16), at(5)), attributes: { n: 1n } } as unknown as SpanDocument;
        await expect(commitBatch(view, `${ns}#p0of2`, 18n, [f, unwritable])).rejects.toThrow();
        expect(await view.checkpoint(`${ns}#p0of2`)).toBe(16n);
        await commitBatch(view, `${ns}#p0of2`, 18n, [f]);
        const f2 = { ...f, name: 'f again', position: '19' };
        await commitBatch(view, `${ns}#p0of2`, 19n, [f2]);

        await store.bulkLoads.finish(ns, readModels);
        expect(await store.bulkLoads.plan(ns)).toBeNull();
        expect(await store.checkpoint(ns)).toBe(40n);
        expect(await store.checkpoint(`${ns}#p0of2`)).toBeNull();
        expect(await store.checkpoint(`${ns}#p1of2`)).toBeNull();
        await store.activate('traces', { namespace: ns, version: 98 });
        expect(await store.getSession('1', 'conv-a')).toMatchObject({ traceCount: 2, inputTokens: 20 });
        const rows = await store.counterRows({ from: usageRowIdPrefix('1'), to: `${usageRowIdPrefix('1')}\uffff` });
        // a + b, msg_dup once (through c, first in sort order, as re-sent), e as a shared span, f.
        expect(rollupUsage(rows, { bucket: 'day', groupBy: 'model' }).totals).toMatchObject({ calls: 5, inputTokens: 90 });
        expect((await store.listTraces('1', { limit: 10 })).items.map((t) => t.traceId)).toEqual([tid(6), tid(5), tid(4), tid(3), tid(2), tid(1)]);
        expect((await store.getTrace('1', tid(6)))?.spans.map((s) => s.name)).toEqual(['f again']);
        // After the load, plans are incremental again: a batch replayed adds nothing.
        expect((await store.load({ traces: [] })).mode).toBe('incremental');
        await commitBatch(store, ns, 20n, [b]);
        expect(rollupUsage(await store.counterRows({ from: usageRowIdPrefix('1'), to: `${usageRowIdPrefix('1')}\uffff` }), { bucket: 'day', groupBy: 'model' }).totals).toMatchObject({ calls: 5 });
        // And claims resolve batch by batch again: d withdraws, c still counts.
        const dGone = { ...d, responseId: null, position: '41' };
        await commitBatch(store, ns, 41n, [dGone]);
        expect(rollupUsage(await store.counterRows({ from: usageRowIdPrefix('1'), to: `${usageRowIdPrefix('1')}\uffff` }), { bucket: 'day', groupBy: 'model' }).totals).toMatchObject({ calls: 6, inputTokens: 100 });
      } finally {
        await view.close();
      }
    });

    it('loads the state a plan needs: spans of traces, counters by id and by range, claims of responses, traces of sessions', async () => {
      const at = Date.UTC(2026, 10, 4, 9, 0);
      const a = span('1', tid(1), 'a'.repeat(16), at, { conversationId: 'conv-a', responseId: 'msg_1', provider: 'anthropic' });
      const b = span('1', tid(2), 'b'.repeat(16), at + 1000, { conversationId: 'conv-a' });
      const c = span('2', tid(3), 'c'.repeat(16), at + 2000, { conversationId: 'conv-a' });
      await commitBatch(store, 'p', 3n, [a, b, c]);
      const usage = await store.counterRows({ from: usageRowIdPrefix('1'), to: until(usageRowIdPrefix('1')) });
      expect(usage.length).toBeGreaterThan(0);
      const state = await store.load({
        traces: [{ projectId: '1', traceId: tid(2) }],
        counterIds: [usage[0]!.id, 'no such row'],
        counterRanges: [{ from: mappingRowIdPrefix('1'), to: until(mappingRowIdPrefix('1')) }],
        responses: traceReadModelDelta([], [a], [summarizeTrace([a])]).responses.map((r) => r.response),
        sessions: [{ projectId: '1', sessionId: 'conv-a' }],
      });
      expect(state.mode).toBe('incremental');
      expect(state.spans).toEqual([b]);
      expect(state.counters.map((r) => r.id).sort()).toEqual([usage[0]!.id, ...(await store.counterRows({ from: mappingRowIdPrefix('1'), to: until(mappingRowIdPrefix('1')) })).map((r) => r.id)].sort());
      expect(state.counters.find((r) => r.id === usage[0]!.id)).toEqual(usage[0]);
      expect(state.claims).toEqual([expect.objectContaining({ claimant: `${tid(1)}/${'a'.repeat(16)}` })]);
      expect(state.sessionTraces.map((t) => t.traceId).sort()).toEqual([tid(1), tid(2)]); // not project 2's
      expect(await store.load({})).toMatchObject({ spans: [], counters: [], claims: [], sessionTraces: [] });
      expect(await store.pendingBatchEnd('p')).toBeNull(); // nothing pending after whole commits
    });

    it('reads counter rows in [from, to) by id, and rejects cursors it did not make', async () => {
      await commitBatch(store, 'p', 1n, [span('1', tid(1), 'a'.repeat(16), Date.UTC(2026, 10, 1, 10)), span('1', tid(2), 'b'.repeat(16), Date.UTC(2026, 10, 1, 11))]);
      const all = await store.counterRows({ from: usageRowIdPrefix('1'), to: until(usageRowIdPrefix('1')) });
      expect(all).toHaveLength(2);
      expect(await store.counterRows({ from: all[0]!.id, to: all[1]!.id })).toEqual([all[0]]);
      expect(await store.counterRows({ from: all[1]!.id, to: until(usageRowIdPrefix('1')) })).toEqual([all[1]]);
      expect(await store.counterRows({ from: usageRowIdPrefix('2'), to: until(usageRowIdPrefix('2')) })).toEqual([]);
      for (const cursor of ['nonsense', Buffer.from('x|y').toString('base64url')]) {
        await expect(store.listTraces('1', { limit: 1, cursor })).rejects.toBeInstanceOf(InvalidCursorError);
        await expect(store.listSessions('1', { limit: 1, cursor })).rejects.toBeInstanceOf(InvalidCursorError);
        await expect(store.listSessionTraces('1', 'conv', { limit: 1, cursor })).rejects.toBeInstanceOf(InvalidCursorError);
      }
    });

    describe('projection leases (ProjectionLeases): one writer at a time, fenced by epoch', () => {
      const T0 = 1_000_000;

      it('takes a free lease at epoch 1, refuses another holder until it expires, renews only for its holder and epoch, and a takeover increments the epoch', async () => {
        const other = await factory({ namespace: 'traces_v1' }); // a second connection to the same storage (another projector)
        try {
          expect(await store.currentLease('traces')).toBeNull();
          const a = await store.acquireLease('traces', 'a', 5000, { now: T0 });
          expect(a).toEqual({ name: 'traces', holder: 'a', epoch: 1, expiresAt: T0 + 5000 });
          expect(await other.acquireLease('traces', 'b', 5000, { now: T0 + 4999 })).toBeNull();
          expect(await other.currentLease('traces')).toEqual(a);
          // renewal: same epoch, later expiry; re-acquiring one's own lease is a renewal too
          expect(await store.renewLease('traces', 'a', 1, 5000, T0 + 3000)).toBe(true);
          expect(await other.acquireLease('traces', 'b', 5000, { now: T0 + 7999 })).toBeNull();
          expect(await store.acquireLease('traces', 'a', 5000, { now: T0 + 4000 })).toMatchObject({ epoch: 1, expiresAt: T0 + 9000 });
          // expired: another holder takes it over at the next epoch; the old holder can no longer renew
          const b = await other.acquireLease('traces', 'b', 5000, { now: T0 + 9000 });
          expect(b).toEqual({ name: 'traces', holder: 'b', epoch: 2, expiresAt: T0 + 14_000 });
          expect(await store.renewLease('traces', 'a', 1, 5000, T0 + 9001)).toBe(false);
          expect(await store.acquireLease('traces', 'a', 5000, { now: T0 + 9001 })).toBeNull();
          // a lease is per projection name
          expect(await store.acquireLease('other_projection', 'a', 5000, { now: T0 + 9001 })).toMatchObject({ holder: 'a', epoch: 1 });
          // released: the standby takes over at once, at the next epoch
          await other.releaseLease('traces', 'b', 2);
          expect(await store.acquireLease('traces', 'a', 5000, { now: T0 + 9002 })).toMatchObject({ holder: 'a', epoch: 3 });
          // replacing a holder known to be dead (its exact holder and epoch): taken before expiry; a stale `replacing` is not enough
          expect(await other.acquireLease('traces', 'b', 5000, { now: T0 + 9003, replacing: { holder: 'a', epoch: 2 } })).toBeNull();
          expect(await other.acquireLease('traces', 'b', 5000, { now: T0 + 9003, replacing: { holder: 'a', epoch: 3 } })).toMatchObject({ holder: 'b', epoch: 4 });
        } finally {
          await other.close();
        }
      });

      it('gives a contested free or expired lease to exactly one of several connections racing for it', async () => {
        const others = await Promise.all([1, 2, 3].map(() => factory({ namespace: 'traces_v1' })));
        try {
          const all = [store, ...others];
          const first = await Promise.all(all.map((s, i) => s.acquireLease('traces', `h${i}`, 1000, { now: T0 })));
          expect(first.filter((l) => l !== null)).toHaveLength(1);
          // takeovers of an expired lease, raced again and again (an update that is no compare-and-set fails this)
          for (let round = 1; round <= 6; round++) {
            const later = await Promise.all(all.map((s, i) => s.acquireLease('traces', `g${round}.${i}`, 1000, { now: T0 + round * 5000 })));
            const winners = later.filter((l) => l !== null);
            expect(winners).toEqual([expect.objectContaining({ epoch: round + 1 })]);
            expect(await store.currentLease('traces')).toEqual(winners[0]);
          }
        } finally {
          await Promise.all(others.map((o) => o.close()));
        }
      });

      it('fences writes: once another holder took the lease over, a fenced connection commits nothing and changes no catalog entry', async () => {
        const old = await factory({ namespace: 'traces_v1' });
        const next = await factory({ namespace: 'traces_v1' });
        try {
          const a = (await old.acquireLease('traces', 'old', 1000, { now: T0 }))!;
          old.fenceWrites({ name: 'traces', epoch: a.epoch });
          await commitBatch(old, 'traces_v1', 1n, [span('1', tid(1), 'a'.repeat(16), 1_000)]);
          expect(await store.checkpoint('traces_v1')).toBe(1n);
          // the old holder pauses past its lease; the standby takes over
          const b = (await next.acquireLease('traces', 'next', 1000, { now: T0 + 2000 }))!;
          next.fenceWrites({ name: 'traces', epoch: b.epoch });
          // the old holder wakes: its batch is refused, whole
          await expect(commitBatch(old, 'traces_v1', 2n, [span('1', tid(2), 'b'.repeat(16), 2_000)])).rejects.toBeInstanceOf(LeaseLostError);
          expect(await store.checkpoint('traces_v1')).toBe(1n);
          expect(await next.getTrace('1', tid(2))).toBeNull();
          await expect(old.beginBuild('traces', { namespace: 'traces_v9', version: 9 })).rejects.toBeInstanceOf(LeaseLostError);
          await expect(old.activate('traces', { namespace: 'traces_v9', version: 9 })).rejects.toBeInstanceOf(LeaseLostError);
          await expect(old.dropNamespace('traces_v1')).rejects.toBeInstanceOf(LeaseLostError);
          expect((await store.catalogEntry('traces')).active?.namespace).not.toBe('traces_v9');
          expect(await old.renewLease('traces', 'old', a.epoch, 1000, T0 + 2001)).toBe(false);
          // the new holder continues from the checkpoint
          await commitBatch(next, 'traces_v1', 2n, [span('1', tid(2), 'b'.repeat(16), 2_000)]);
          expect(await store.checkpoint('traces_v1')).toBe(2n);
          expect(await next.getTrace('1', tid(2))).not.toBeNull();
          expect(await next.getTrace('1', tid(1))).not.toBeNull();
          // an unfenced connection (the CLI's rebuild request) is not refused
          await store.requestRebuild('traces');
        } finally {
          await old.close();
          await next.close();
        }
      });

      // Each step's failpoint is where the old holder is paused (SIGSTOP, a GC pause) while the standby takes the lease over
      // and projects past it; once resumed, the old holder must write nothing more: no step of its plan (stale whole values
      // over newer ones), no plan of its own into the journal the new holder uses, no checkpoint, no clearing of that journal.
      const pausedAt = conformance.commitPausesBetweenSteps ? it.each(conformance.commitSteps.map((step) => [step])) : it.skip.each([['(a commit is one transaction here: a takeover waits for it)']]);
      pausedAt('fences every write of a commit: a holder paused at %s that loses the lease meanwhile writes nothing once resumed', async (step) => {
        const at = Date.UTC(2026, 10, 5, 9, 30);
        // One usage bucket (same minute, model and provider) and one session: every batch sets the same counters and session anew.
        const docs = Array.from({ length: 8 }, (_, i) => span('1', tid(i + 1), 'a'.repeat(16), at + i, { position: String(i + 1), inputTokens: 10 + i, conversationId: 'conv' }));
        const inBatches = async (target: Store, projection: string, from: number, to: number) => {
          for (let i = from; i < to; i += 2) await commitBatch(target, projection, BigInt(Math.min(i + 2, to)), docs.slice(i, Math.min(i + 2, to)));
        };
        const clean = await factory({ namespace: 'traces_v80' });
        let armed = false;
        let paused!: () => void;
        const pause = new Promise<void>((r) => (paused = r));
        let resume!: () => void;
        const resumed = new Promise<void>((r) => (resume = r));
        const old = await factory({
          namespace: 'traces_v81',
          failpoint: async (s) => {
            if (!armed || s !== step) return;
            armed = false;
            paused();
            await resumed;
          },
        });
        const next = await factory({ namespace: 'traces_v81' });
        try {
          const view = async (s: Store) => ({ traces: (await s.listTraces('1', { limit: 100 })).items, counters: await s.counterRows({ from: '', to: '\uffff' }), sessions: (await s.listSessions('1', { limit: 10 })).items });
          await inBatches(clean, 'traces_v80', 0, 6);
          const cleanAt6 = await view(clean);
          await inBatches(clean, 'traces_v80', 6, 8);
          const a = (await old.acquireLease('traces', 'old', 1000, { now: T0 }))!;
          old.fenceWrites({ name: 'traces', epoch: a.epoch });
          await inBatches(old, 'traces_v81', 0, 2);
          armed = true;
          const stale = inBatches(old, 'traces_v81', 2, 4);
          stale.catch(() => undefined);
          await pause;
          // paused past its lease: the standby takes over and projects everything but the last batch (from its checkpoint;
          // its first load finishes the old holder's plan if that was recorded)
          const b = (await next.acquireLease('traces', 'next', 1000, { now: T0 + 2000 }))!;
          next.fenceWrites({ name: 'traces', epoch: b.epoch });
          await inBatches(next, 'traces_v81', Number(await next.checkpoint('traces_v81')), 6);
          resume();
          await expect(stale).rejects.toBeInstanceOf(LeaseLostError);
          expect(await next.checkpoint('traces_v81')).toBe(6n);
          expect(await view(next)).toEqual(cleanAt6);
          // the new holder goes on (a load of its own finishes whatever plan the journal holds): nothing of the old one's is in the result
          await inBatches(next, 'traces_v81', 6, 8);
          expect(await next.checkpoint('traces_v81')).toBe(8n);
          const expected = await view(clean);
          expect(expected.traces).toHaveLength(8);
          expect(await view(next)).toEqual(expected);
        } finally {
          resume();
          await clean.close();
          await old.close();
          await next.close();
        }
      });
    });

    it('drops a build: its documents, counters and checkpoint go; other builds stay', async () => {
      const doomed = await factory({ namespace: 'traces_v97' });
      const kept = await factory({ namespace: 'traces_v96' });
      try {
        const s = span('1', tid(1), 'a'.repeat(16), 1_000, { conversationId: 'conv-a' });
        await commitBatch(doomed, 'traces_v97', 5n, [s]);
        await commitBatch(kept, 'traces_v96', 6n, [s]);
        await store.dropNamespace('traces_v97');
        expect(await store.checkpoint('traces_v97')).toBeNull();
        expect(await store.checkpoint('traces_v96')).toBe(6n);
        const again = await factory({ namespace: 'traces_v97' });
        try {
          expect(await again.getTrace('1', tid(1))).toBeNull();
          expect(await again.getSession('1', 'conv-a')).toBeNull();
          expect(await again.counterRows({ from: '', to: '\uffff' })).toEqual([]);
        } finally {
          await again.close();
        }
        expect(await kept.getSession('1', 'conv-a')).toMatchObject({ traceCount: 1 });
      } finally {
        await doomed.close();
        await kept.close();
      }
    });

    describe('fault cases: a crash at each step of a commit, then a replay with other batch boundaries, equals a clean build', () => {
      const at = (m: number) => Date.UTC(2026, 10, 5, 9, m);
      /** Span documents as a projector sees them, one position each: traces split over batches, re-sent spans, moves, claims. */
      const history = (): SpanDocument[] => {
        const docs: Partial<SpanDocument & { t: number; s: string }>[] = [
          { t: 1, s: 'a', conversationId: 'conv-a', serviceName: 'planner', name: 'invoke_agent trip' },
          { t: 2, s: 'b', conversationId: 'conv-b' },
          { t: 1, s: 'c', parentSpanId: 'a'.repeat(16), responseId: 'msg_1', provider: 'anthropic', serviceName: 'gateway', name: 'chat claude' },
          { t: 3, s: 'd', responseId: 'msg_1', provider: 'anthropic', name: 'anthropic.chat' },
          { t: 1, s: 'c', parentSpanId: 'a'.repeat(16), responseId: 'msg_1', provider: 'anthropic', serviceName: 'gateway', name: 'chat claude', inputTokens: 70 },
          { t: 2, s: 'b', conversationId: 'conv-a' },
          { t: 4, s: 'e', mapping: { dialects: ['semconv'], unmappedKeys: ['gen_ai.x'] } },
          { t: 3, s: 'd', responseId: null, provider: 'anthropic', name: 'anthropic.chat' },
          { t: 5, s: 'f', conversationId: 'conv-b', status: 'error' },
          { t: 1, s: 'a', conversationId: 'conv-a', serviceName: 'planner', name: 'invoke_agent trip', status: 'error' },
          { t: 4, s: 'e', responseModel: 'gpt-4o-mini' },
          { t: 6, s: 'g', conversationId: 'conv-b', outputMessages: [{ role: 'assistant', parts: [{ type: 'text', content: 'night train' }] }] },
        ];
        return docs.map(({ t, s: sid, ...extra }, i) => span('1', tid(t!), sid!.repeat(16), at(t!) + i, { ...extra, position: String(i + 1), receivedAt: new Date(at(20) + i).toISOString() }));
      };
      const applyInBatches = async (target: Store, projection: string, docs: SpanDocument[], from: number, size: number) => {
        for (let i = from; i < docs.length; i += size) {
          const batch = docs.slice(i, i + size);
          await commitBatch(target, projection, BigInt(batch[batch.length - 1]!.position), batch);
        }
      };
      const snapshot = async (s: Store) => {
        const traces = (await s.listTraces('1', { limit: 100 })).items;
        return {
          traces,
          details: await Promise.all(traces.map((t) => s.getTrace('1', t.traceId))),
          counters: await s.counterRows({ from: '', to: '\uffff' }),
          sessions: (await s.listSessions('1', { limit: 100 })).items,
          sessionTraces: (await s.listSessionTraces('1', 'conv-a', { limit: 100 })).items.map((t) => t.traceId),
          services: await s.listServiceNames('1'),
          found: (await s.listTraces('1', { limit: 100, q: 'night train' })).items.map((t) => t.traceId),
          gateway: (await s.listTraces('1', { limit: 100, service: 'gateway' })).items.map((t) => t.traceId),
        };
      };

      it.each(conformance.commitSteps.map((step) => [step]))('crash at %s', async (step) => {
        const docs = history();
        const clean = await factory({ namespace: 'traces_v90' });
        let armed = false;
        const crashing = await factory({
          namespace: 'traces_v91',
          failpoint: (at) => {
            if (armed && at === step) {
              armed = false;
              throw new Error(`crash at ${at} (test)`);
            }
          },
        });
        let recovered: Store | null = null;
        try {
          await applyInBatches(clean, 'traces_v90', docs, 0, 3);
          // Batches of 4; the third commit crashes at `step`.
          await applyInBatches(crashing, 'traces_v91', docs.slice(0, 8), 0, 4);
          armed = true;
          await expect(applyInBatches(crashing, 'traces_v91', docs, 8, 4)).rejects.toThrow(`crash at ${step} (test)`);
          await crashing.close();
          // A new process: it goes on from its checkpoint (whatever the crash left), in batches of 2.
          recovered = await factory({ namespace: 'traces_v91' });
          const checkpoint = Number((await recovered.checkpoint('traces_v91')) ?? 0n);
          await applyInBatches(recovered, 'traces_v91', docs, checkpoint, 2);
          expect(await recovered.checkpoint('traces_v91')).toBe(BigInt(docs.length));
          expect(await recovered.pendingBatchEnd('traces_v91')).toBeNull();
          const expected = await snapshot(clean);
          expect(expected.counters.length).toBeGreaterThanOrEqual(3);
          expect(expected.found).toEqual([tid(6)]);
          expect(await snapshot(recovered)).toEqual(expected);
        } finally {
          await clean.close();
          await crashing.close().catch(() => undefined);
          await recovered?.close();
        }
      });
    });

    it('opens a view of one build on the same connection (forNamespace): it writes and reads that build alone, and its close leaves the store open', async () => {
      await commitTraces(1n, [span('1', tid(1), 'a'.repeat(16), 1_000, { name: 'served' })]);
      const view = await store.forNamespace('traces_v98');
      await commitBatch(view, 'traces_v98', 5n, [span('1', tid(2), 'b'.repeat(16), 2_000, { name: 'in the view' })]);
      expect(await view.checkpoint('traces_v98')).toBe(5n);
      expect((await view.listTraces('1', { limit: 10 })).items.map((t) => t.traceId)).toEqual([tid(2)]);
      expect((await store.listTraces('1', { limit: 10 })).items.map((t) => t.traceId)).toEqual([tid(1)]); // the served build is another
      await view.close();
      expect((await store.getTrace('1', tid(1)))?.trace.rootSpanName).toBe('served'); // the owner's connection is still open
      const again = await store.forNamespace('traces_v98');
      try {
        expect((await again.getTrace('1', tid(2)))?.trace.rootSpanName).toBe('in the view');
        expect(await store.checkpoint('traces_v98')).toBe(5n);
      } finally {
        await again.close();
      }
    });

    it('serves the active build from the catalog and switches every reader at once (blue/green)', async () => {
      const green = await factory({ namespace: 'traces_v99' });
      try {
        const blueDoc = span('1', tid(1), 'a'.repeat(16), 1_000, { name: 'blue' });
        const greenDoc = span('1', tid(1), 'a'.repeat(16), 1_000, { name: 'green' });
        await commitTraces(1n, [blueDoc]); // the serving store writes its default (active) build
        await commitBatch(green, 'traces_v99', 7n, [greenDoc]);
        expect((await store.getTrace('1', tid(1)))?.trace.rootSpanName).toBe('blue');

        await store.beginBuild('traces', { namespace: 'traces_v99', version: 99 });
        expect((await store.catalogEntry('traces')).building).toMatchObject({ namespace: 'traces_v99', version: 99 });
        expect((await store.getTrace('1', tid(1)))?.trace.rootSpanName).toBe('blue'); // the old build serves while the new one builds

        const before = (await store.catalogEntry('traces')).active;
        await green.activate('traces', { namespace: 'traces_v99', version: 99 });
        expect(await store.catalogEntry('traces')).toMatchObject({ active: { namespace: 'traces_v99', version: 99 }, building: null });
        expect((await store.getTrace('1', tid(1)))?.trace.rootSpanName).toBe('green');
        expect(await store.checkpoint('traces_v99')).toBe(7n);

        if (before) await green.dropNamespace(before.namespace);
        expect((await green.getTrace('1', tid(1)))?.trace.rootSpanName).toBe('green');
        await store.requestRebuild('traces');
        expect((await store.catalogEntry('traces')).rebuildRequestedAt).toEqual(expect.any(String));
      } finally {
        await green.close();
      }
    });
  });
}
