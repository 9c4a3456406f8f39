import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { settleBulkClaims, spanSearchText, summarizeSession, type SpanDocument } from '@temps/domain';
import { InvalidCursorError, QueryTimeoutError, type TraceReadStore } from '@temps/read-store';
import { SqliteQueryThreads, SqliteTraceReadStore } from '@temps/read-store/sqlite';
import { commitSpanBatch } from '../../../../test/support/commit-span-batch';

const NS = 'traces_v3';
const tid = (n: number) => n.toString(16).padStart(32, '0');
const sid = (n: number) => n.toString(16).padStart(16, '0');

function span(traceNo: number, spanNo: number, name: string, text: string, extra: Partial<SpanDocument> = {}): SpanDocument {
  const startMs = 1_700_000_000_000 + traceNo * 1000 + spanNo;
  return {
    projectId: '1', traceId: tid(traceNo), spanId: sid(traceNo * 100 + spanNo), parentSpanId: null, name, kind: 'generation', spanKind: 'client', operation: 'chat',
    provider: 'openai', requestModel: 'gpt-4o', responseModel: null, inputTokens: 1, outputTokens: 1, cacheReadInputTokens: null, cacheCreationInputTokens: null,
    reasoningOutputTokens: null, finishReasons: ['stop'], responseId: null, temperature: null, maxTokens: null,
    startTime: new Date(startMs).toISOString(), endTime: new Date(startMs + 1).toISOString(), startTimeUnixNano: `${startMs}000000`, endTimeUnixNano: `${startMs + 1}000000`,
    durationMs: 1, status: 'ok', statusMessage: null, errorType: null, agentName: null, toolName: null, toolCallId: null, toolCallArguments: null, toolCallResult: null,
    inputMessages: [{ role: 'user', parts: [{ type: 'text', content: text }] }], outputMessages: null, systemInstructions: null, conversationId: null,
    serviceName: 'svc', scopeName: null, attributes: {}, resourceAttributes: {}, position: '1', receivedAt: new Date(startMs).toISOString(), ...extra,
  };
}

/** What the projector does with a batch: load, plan in pure code, commit. */
const commit = (target: TraceReadStore, position: bigint, spans: SpanDocument[], projection = NS): Promise<void> => commitSpanBatch(target, projection, position, spans);

// Text with the characters LIKE and GLOB treat specially, mixed case, non-ASCII, words across spaces.
const WORDS = ['Night', 'train', 'to', 'Lisbon', 'héllo', '🌍', '100%', 'a_b', 'star*', 'why?', '[x]', 'q', 'qu', 'quiet', 'Zürich', 'x'];
function textOf(n: number): string {
  const out: string[] = [];
  for (let i = 0; i < 3 + (n % 5); i++) out.push(WORDS[(n * 7 + i * 13) % WORDS.length]!);
  return out.join(' ');
}
const QUERIES = ['q', 'qu', 'qui', 'QUIET', 'night tr', 'ht to', 'lisbon', 'héll', 'ZÜR', '🌍', '%', '100%', 'a_b', '_', '*', 'star*', 'r*', '?', 'why?', '[x]', '[', ']', 'x]', 'no such', 'n t'];

describe('SQLite free-text search (trigram index) and the query threads', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
  const newPath = () => {
    dirs.push(mkdtempSync(join(tmpdir(), 'temps-search-')));
    return join(dirs[dirs.length - 1]!, 'read.db');
  };
  const ids = async (store: { listTraces: TraceReadStore['listTraces'] }, q: string) => (await store.listTraces('1', { limit: 1000, q })).items.map((t) => t.traceId).sort();
  /** The reference: today's case-insensitive substring over each span's search text. */
  const expected = (spans: SpanDocument[], q: string) => [...new Set(spans.filter((s) => spanSearchText(s).includes(q.toLowerCase())).map((s) => s.traceId))].sort();
  const corpus = () => Array.from({ length: 120 }, (_, i) => span(Math.floor(i / 3), i % 3, `span ${i}`, textOf(i)));

  it('matches exactly what a case-insensitive substring scan matches, from the index for 3+ characters and by a scan below', async () => {
    const path = newPath();
    const store = SqliteTraceReadStore.open(path);
    const spans = corpus();
    await commit(store, 1n, spans);
    for (const q of QUERIES) expect({ q, found: await ids(store, q) }).toEqual({ q, found: expected(spans, q) });

    // Proof that 3+ character searches read the index: emptied behind the store's back, they find nothing; shorter ones still scan.
    const side = new DatabaseSync(path);
    side.exec(`INSERT INTO "${NS}__span_text" ("${NS}__span_text") VALUES ('delete-all')`);
    side.close();
    expect(await ids(store, 'quiet')).toEqual([]);
    expect(await ids(store, 'qu')).toEqual(expected(spans, 'qu'));
    await store.close();
  });

  it('keeps the index in step with commits: re-sent spans replace their text; rows deleted by others leave it', async () => {
    const path = newPath();
    const store = SqliteTraceReadStore.open(path);
    await commit(store, 1n, [span(1, 0, 'first', 'alpha beta')]);
    await commit(store, 2n, [span(1, 0, 'second', 'gamma')]);
    expect(await ids(store, 'alpha')).toEqual([]);
    expect(await ids(store, 'gamma')).toEqual([tid(1)]);
    expect(await ids(store, 'second')).toEqual([tid(1)]);
    await commit(store, 3n, [span(1, 0, 'second', 'gamma', { inputTokens: 7 })]);
    expect(await ids(store, 'gamma')).toEqual([tid(1)]);
    // Retention deletes rows with plain SQL: the index forgets them (an entry left behind would point at no row).
    await commit(store, 4n, [span(2, 0, 'third', 'gamma ray')]);
    const side = new DatabaseSync(path);
    side.exec(`DELETE FROM "${NS}__spans" WHERE trace_id = '${tid(1)}'`);
    side.exec(`INSERT INTO "${NS}__span_text" ("${NS}__span_text") VALUES ('integrity-check')`);
    side.close();
    expect(await ids(store, 'gamma')).toEqual([tid(2)]);
    await store.close();
  });

  it('gives a build written before the index its index when its writer opens it (a migration in place); until then searches scan', async () => {
    const path = newPath();
    const first = SqliteTraceReadStore.open(path);
    const spans = corpus();
    await commit(first, 1n, spans);
    await first.close();
    // As the previous release left it: no text index, no triggers.
    const side = new DatabaseSync(path);
    side.exec(`DROP TABLE "${NS}__span_text"`);
    side.exec(`DROP TRIGGER "${NS}__span_text_delete"`);
    const hasIndex = () => !!side.prepare("SELECT 1 AS x FROM sqlite_master WHERE name = ?").get(`${NS}__span_text`);
    expect(side.prepare("SELECT count(*) AS n FROM sqlite_master WHERE type = 'trigger'").get()).toEqual({ n: 0 });

    const api = SqliteTraceReadStore.open(path);
    expect(await ids(api, 'quiet')).toEqual(expected(spans, 'quiet')); // served by the scan
    expect(hasIndex()).toBe(false); // a query never migrates

    const writer = SqliteTraceReadStore.open(path, { namespace: NS });
    expect(hasIndex()).toBe(true);
    const more = [span(99, 0, 'late arrival', 'quietly')];
    await commit(writer, 2n, more);
    for (const q of ['quiet', 'lisbon', 'late arr']) expect(await ids(api, q)).toEqual(expected([...spans, ...more], q));
    side.exec(`INSERT INTO "${NS}__span_text" ("${NS}__span_text") VALUES ('delete-all')`);
    expect(await ids(api, 'quiet')).toEqual([]); // the API's connection now reads the index
    side.close();
    await Promise.all([writer.close(), api.close()]);
  });

  it('makes the index at the end of a bulk load, from the rows the load wrote', async () => {
    const path = newPath();
    const store = SqliteTraceReadStore.open(path);
    await store.bulkLoads.begin(NS, { target: 5n, partitions: 1 });
    const part = await store.forNamespace(NS);
    const spans = corpus();
    await commit(part, 5n, spans, `${NS}#p0of1`);
    const side = new DatabaseSync(path);
    expect(side.prepare("SELECT 1 AS x FROM sqlite_master WHERE name = ?").get(`${NS}__span_text`)).toBeUndefined();
    await store.bulkLoads.finish(NS, { summarizeSession, settleBulkClaims });
    await store.activate('traces', { namespace: NS, version: 3 });
    for (const q of ['quiet', 'night tr', 'qu']) expect(await ids(store, q)).toEqual(expected(spans, q));
    side.exec(`INSERT INTO "${NS}__span_text" ("${NS}__span_text") VALUES ('delete-all')`);
    expect(await ids(store, 'quiet')).toEqual([]);
    side.close();
    await Promise.all([part.close(), store.close()]);
  });

  describe('over a project big enough for a scan to take a while', () => {
    let path: string;
    let spans: SpanDocument[];
    beforeAll(async () => {
      path = newPath();
      const store = SqliteTraceReadStore.open(path);
      const filler = 'lorem ipsum dolor sit amet '.repeat(250);
      spans = Array.from({ length: 4000 }, (_, i) => span(i, 0, `op ${i}`, `${filler} ${i}`));
      for (let i = 0; i < spans.length; i += 500) await commit(store, BigInt(i + 1), spans.slice(i, i + 500));
      await store.close();
    }, 120_000);

    it('stops a search still scanning at its deadline with QueryTimeoutError (503, a clear message)', async () => {
      const store = SqliteTraceReadStore.open(path);
      // 'zz' (below 3 characters: a scan) matches nothing, so every span's text is read: far more than 1 ms.
      const started = Date.now();
      const err = await store.withDeadline(Date.now() + 1, 1, () => store.listTraces('1', { limit: 50, q: 'zz' })).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(QueryTimeoutError);
      expect(err).toMatchObject({ statusCode: 503, message: expect.stringMatching(/time budget of 1 ms/) });
      expect(Date.now() - started).toBeLessThan(1000);
      // the connection is fine afterwards, and without a deadline the scan completes
      expect((await store.listTraces('1', { limit: 50, q: 'zz' })).items).toEqual([]);
      expect((await store.listTraces('1', { limit: 50, q: ' 3999' })).items.map((t) => t.traceId)).toEqual([tid(3999)]);
      await store.close();
    });

    it('query threads answer as the store does, keep InvalidCursorError, and answer 503 over the budget', async () => {
      const store = SqliteTraceReadStore.open(path);
      const threads = new SqliteQueryThreads(path, { threads: 2, timeoutMs: 5000 });
      try {
        const q = { limit: 20, q: 'ipsum' };
        const page = await threads.listTraces('1', q);
        expect(page).toEqual(await store.listTraces('1', q));
        expect(await threads.listTraces('1', { ...q, cursor: page.nextCursor! })).toEqual(await store.listTraces('1', { ...q, cursor: page.nextCursor! }));
        expect(await threads.getTrace('1', tid(7))).toEqual(await store.getTrace('1', tid(7)));
        expect(await threads.listServiceNames('1')).toEqual(['svc']);
        expect(await threads.listSessions('1', { limit: 5 })).toEqual(await store.listSessions('1', { limit: 5 }));
        expect(await threads.counterRows({ from: '', to: '\uffff' })).toEqual(await store.counterRows({ from: '', to: '\uffff' }));
        await expect(threads.listTraces('1', { limit: 5, cursor: 'garbage' })).rejects.toBeInstanceOf(InvalidCursorError);
        // many at once, spread over both threads
        const all = await Promise.all(Array.from({ length: 8 }, (_, i) => threads.listTraces('1', { limit: 5, q: ` ${3990 + i}` })));
        expect(all.map((p) => p.items.map((t) => t.traceId))).toEqual(Array.from({ length: 8 }, (_, i) => [tid(3990 + i)]));
      } finally {
        await threads.close();
      }
      // 3 ms: a scan of the ~27 MB of span text cannot finish in it (30 ms sometimes could, on a quiet machine), and a
      // call that reaches the thread after its budget is refused before it starts, with the same error.
      const tight = new SqliteQueryThreads(path, { threads: 1, timeoutMs: 3 });
      const serves = async () => {
        for (let i = 0; i < 100; i++) if (await tight.listServiceNames('1').then(() => true, () => false)) return true;
        return false;
      };
      try {
        // the thread is up (its start, slow under jest, is not what is measured)
        expect(await serves()).toBe(true);
        const started = Date.now();
        const err = await tight.listTraces('1', { limit: 50, q: 'zz' }).catch((e: unknown) => e);
        expect(err instanceof QueryTimeoutError ? err : { notAQueryTimeoutError: err }).toBeInstanceOf(QueryTimeoutError);
        expect(err).toMatchObject({ statusCode: 503, message: expect.stringMatching(/time budget of 3 ms/) });
        expect(Date.now() - started).toBeLessThan(1000);
        // the thread serves the next calls (a short one fits the budget whenever it reaches the thread in time)
        expect(await serves()).toBe(true);
      } finally {
        await tight.close();
        await store.close();
      }
    });
  });
});
