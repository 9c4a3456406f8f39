import { randomBytes } from 'node:crypto';
import type { CommandStartedEvent, CommandSucceededEvent, Document } from 'mongodb';
import { summarizeTrace, type SpanDocument, type TraceSummary } from '@temps/domain';
import { MongoTraceReadStore, mongoTraceRow } from '@temps/read-store/mongo';

/**
 * A filtered trace list at 100k traces on a MongoDB-wire server (MONGO_SCALE_TRACES to change the count):
 * the service and word filters are one find each, an equality on an indexed array followed by the list's
 * sort, reading one page. What the adapter reads is counted through the driver's command events (any
 * server); documents examined by the server come from explain's executionStats where the server reports
 * them (MongoDB). FerretDB v1 reports none: it pushes only `_id` equality down to its SQLite backend and
 * scans a collection for every other filter, whatever indexes exist, so there the server-side count
 * cannot be asserted and is logged as such.
 */
const url = process.env.MONGO_URL;
const TRACES = Number(process.env.MONGO_SCALE_TRACES ?? 100_000);
const PAGE = 50;

if (!url) {
  describe('trace list at scale on MongoDB (skipped: MONGO_URL not set)', () => {
    it.skip(`a filtered page at ${TRACES} traces reads O(page) documents`, () => undefined);
  });
} else {
  describe(`trace list at ${TRACES.toLocaleString('en-US')} traces on MongoDB`, () => {
    const database = process.env.MONGO_DATABASE ?? 'temps_test';
    const prefix = `s${randomBytes(4).toString('hex')}_`;
    const namespace = 'traces_vscale';
    let store: MongoTraceReadStore;
    const commands: { started: CommandStartedEvent[]; succeeded: CommandSucceededEvent[] } = { started: [], succeeded: [] };

    const template = (i: number): TraceSummary => {
      const span = {
        projectId: '1',
        traceId: i.toString(16).padStart(32, '0'),
        spanId: 'a'.repeat(16),
        parentSpanId: null,
        name: `invoke_agent agent${i % 100}`,
        startTime: new Date(1_780_000_000_000 + i * 1000).toISOString(),
        endTime: new Date(1_780_000_000_000 + i * 1000 + 10).toISOString(),
        startTimeUnixNano: `${1_780_000_000_000 + i * 1000}000000`,
        endTimeUnixNano: `${1_780_000_000_000 + i * 1000 + 10}000000`,
        durationMs: 10,
        status: 'ok',
        kind: 'agent',
        provider: null,
        requestModel: null,
        responseModel: null,
        inputTokens: null,
        outputTokens: null,
        serviceName: `svc${i % 50}`,
        conversationId: null,
        position: String(i),
        receivedAt: new Date(1_780_000_000_000).toISOString(),
        attributes: {},
        resourceAttributes: {},
      } as unknown as SpanDocument;
      return summarizeTrace([span]);
    };

    beforeAll(async () => {
      store = await MongoTraceReadStore.open(url, { database, collectionPrefix: prefix, namespace, clientOptions: { monitorCommands: true } });
      store.mongoClient.on('commandStarted', (e) => commands.started.push(e));
      store.mongoClient.on('commandSucceeded', (e) => commands.succeeded.push(e));
      // The rows commit would write (mongoTraceRow), inserted in bulk: the test is about reading them.
      const traces = store.database.collection(`${prefix}${namespace}__traces`);
      for (let from = 0; from < TRACES; from += 5000) {
        const rows = [];
        for (let i = from; i < Math.min(TRACES, from + 5000); i++) {
          const t = template(i);
          rows.push(mongoTraceRow(t, { projectId: '1', traceId: t.traceId, services: [`svc${i % 50}`], terms: ['invoke', 'agent', `agent${i % 100}`, `word${i % 1000}`] }) as unknown as Document);
        }
        await traces.insertMany(rows, { ordered: false });
      }
    }, 600_000);
    afterAll(async () => {
      await store?.drop();
      await store?.close();
    });

    /** The documents the driver received for the commands of one call, and those commands. */
    const reads = async (call: () => Promise<unknown>) => {
      commands.started.length = 0;
      commands.succeeded.length = 0;
      await call();
      const docs = commands.succeeded.reduce((n, e) => n + ((e.reply as { cursor?: { firstBatch?: unknown[]; nextBatch?: unknown[] } }).cursor?.firstBatch?.length ?? 0) + ((e.reply as { cursor?: { nextBatch?: unknown[] } }).cursor?.nextBatch?.length ?? 0), 0);
      return { docs, commands: commands.started.map((e) => ({ name: e.commandName, collection: String((e.command as Document)[e.commandName]), filter: (e.command as Document).filter as Document | undefined })) };
    };

    it.each([
      ['service', { service: 'svc7' }, (i: number) => i % 50 === 7, true],
      ['one word', { q: 'agent42' }, (i: number) => i % 100 === 42, true],
      // The index serves one word; the others filter what it yields (O(page) over the rarer word's share).
      ['two words, any order and case', { q: 'WORD42 agent42' }, (i: number) => i % 1000 === 42, false],
    ] as const)('the %s filter: one bounded find, one page read (no $in of trace ids, no regex)', async (_name, filter, matches, pageBound) => {
      const expected = Array.from({ length: TRACES }, (_, i) => i)
        .filter(matches)
        .reverse()
        .map((i) => i.toString(16).padStart(32, '0'));
      let page: Awaited<ReturnType<typeof store.listTraces>> | null = null;
      const { docs, commands: issued } = await reads(async () => (page = await store.listTraces('1', { limit: PAGE, ...filter })));
      expect(page!.items.map((t) => t.traceId)).toEqual(expected.slice(0, PAGE));
      if (page!.nextCursor) expect((await store.listTraces('1', { limit: PAGE, ...filter, cursor: page!.nextCursor })).items.map((t) => t.traceId)).toEqual(expected.slice(PAGE, 2 * PAGE));

      expect(docs).toBeLessThanOrEqual(PAGE + 1);
      const finds = issued.filter((c) => c.name === 'find');
      expect(finds.map((c) => c.collection)).toEqual([`${prefix}${namespace}__traces`]);
      const text = JSON.stringify(finds[0]!.filter);
      expect(text).not.toContain('$in');
      expect(text).not.toContain('$regex');

      const plan = await store.explainListTraces('1', { limit: PAGE, ...filter });
      const stats = plan.executionStats as { totalDocsExamined: number; totalKeysExamined: number } | undefined;
      if (stats && pageBound) {
        expect(stats.totalDocsExamined).toBeLessThanOrEqual(PAGE + 1);
        expect(stats.totalKeysExamined).toBeLessThanOrEqual(PAGE + 2);
      } else if (!stats) {
        console.log(`${plan.serverInfo?.ferretdbVersion ? `FerretDB ${plan.serverInfo.ferretdbVersion}` : 'this server'} reports no executionStats (filterPushdown: ${plan.filterPushdown}): documents examined by the server not asserted; the adapter read ${docs}`);
      }
    }, 600_000);
  });
}
