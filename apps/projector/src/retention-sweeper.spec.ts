import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EventStoreDBClient } from '@eventstore/db-client';
import { AccessService } from '@temps/access';
import { EventTypes, GENAI_TOKEN_USAGE, ID_SEPARATOR, retentionStream, Streams, usageRowIdPrefix, type CounterRow } from '@temps/domain';
import type { EventStore } from '@temps/event-store';
import { EsdbEventStore } from '@temps/event-store/esdb';
import { SqliteEventStore } from '@temps/event-store/sqlite';
import { SqliteTraceReadStore } from '@temps/read-store/sqlite';
import { retentionSpanWrite } from '../../../test/support/chat-span-write';
import { EsdbSimulator } from '../../../test/support/esdb-simulator';
import { RetentionSweeper, retentionOptionsFromEnv } from './retention-sweeper';
import { TraceProjectionHandler } from './trace-projection.handler';

const NOW = Date.parse('2026-12-06T20:15:00Z');
const DAY = 86_400_000;

const spanWrite = (traceId: string, startMs: number) => retentionSpanWrite(traceId, startMs, NOW);

const kv = (attrs: Record<string, string>) => Object.entries(attrs).map(([key, v]) => ({ key, value: { stringValue: v } }));
let metricIds = 0;

/**
 * One gen_ai.client.token.usage point exported at `timeMs` (received then too: its hourly stream), cumulative
 * since `startMs` unless `delta`. Input tokens of openai gpt-4o, buckets over the bounds 10 and 100.
 */
function metricWrite(timeMs: number, point: { count: number; sum: number; buckets: [number, number, number]; startMs?: number; delta?: boolean }) {
  const receivedAt = new Date(timeMs).toISOString();
  const data = {
    resource: { attributes: kv({ 'service.name': 'app' }) },
    scope: { name: 'test' },
    metric: {
      name: GENAI_TOKEN_USAGE,
      type: 'histogram',
      aggregationTemporality: point.delta ? 1 : 2,
      dataPoints: [
        {
          attributes: kv({ 'gen_ai.provider.name': 'openai', 'gen_ai.request.model': 'gpt-4o', 'gen_ai.token.type': 'input' }),
          startTimeUnixNano: String(BigInt(point.startMs ?? timeMs) * 1_000_000n),
          timeUnixNano: String(BigInt(timeMs) * 1_000_000n),
          count: String(point.count),
          sum: point.sum,
          bucketCounts: point.buckets.map(String),
          explicitBounds: [10, 100],
        },
      ],
    },
  };
  const id = `00000000-0000-8000-9000-${String(++metricIds).padStart(12, '0')}`;
  return { stream: Streams.metrics('1', receivedAt), events: [{ id, type: EventTypes.MetricReceived, data, metadata: { projectId: '1', receivedAt } }] };
}

const stores: [string, () => Promise<EventStore>, boolean][] = [
  ['SQLite', async () => SqliteEventStore.open(':memory:'), true],
  ['EventStoreDB (simulator)', async () => EsdbEventStore.fromClient(new EsdbSimulator() as unknown as EventStoreDBClient), false],
];

describe.each(stores)('RetentionSweeper over the %s event store and the SQLite read store', (_name, open, listsStreams) => {
  let dir: string;
  let events: EventStore;
  let reads: SqliteTraceReadStore;
  let access: AccessService;
  let handler: TraceProjectionHandler;
  let position: bigint | undefined;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'temps-retention-sweeper-'));
    events = await open();
    reads = SqliteTraceReadStore.open(join(dir, 'reads.db'));
    access = new AccessService(events);
    await access.createProject('1', 'one');
    handler = new TraceProjectionHandler(reads, events, () => undefined);
    position = undefined;
  });
  afterEach(async () => {
    await reads.close();
    await events.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** The projector: folds what the log holds past its last batch. */
  async function project(): Promise<void> {
    const batch = await events.readAll({ ...(position === undefined ? {} : { after: position }), limit: 10_000 });
    if (!batch.length) return;
    position = batch[batch.length - 1]!.position;
    await handler.apply(batch, position);
  }

  const usageCalls = async () => {
    const rows = await reads.counterRows({ from: usageRowIdPrefix('1'), to: usageRowIdPrefix('1') + '\uffff' });
    return rows.reduce((n, r) => n + (r.values.calls ?? 0), 0);
  };

  it('deletes the expired traces and hourly log streams, the fold removes them (usage kept by default), and a second sweep finds nothing', async () => {
    const old = ['a'.repeat(32), 'b'.repeat(32)];
    const fresh = 'c'.repeat(32);
    await events.appendMany([spanWrite(old[0]!, NOW - 40 * DAY), spanWrite(old[1]!, NOW - 31 * DAY), spanWrite(fresh, NOW - 29 * DAY)]);
    await events.append('logs-1-2026110519', [{ id: '00000000-0000-8000-8000-000000000001', type: EventTypes.LogRecordReceived, data: {} }]);
    await events.append('logs-1-2026110620', [{ id: '00000000-0000-8000-8000-000000000002', type: EventTypes.LogRecordReceived, data: {} }]);
    await project();
    expect(await usageCalls()).toBe(3);

    const sweeper = new RetentionSweeper(events, reads, access, { ...retentionOptionsFromEnv({ TEMPS_RETENTION_DAYS: '30' }), batch: 1 });
    const result = await sweeper.sweep(NOW);
    expect(result.traces).toBe(2);
    for (const id of old) expect(await events.readStream(Streams.trace('1', id))).toEqual([]);
    expect(await events.readStream(Streams.trace('1', fresh))).toHaveLength(1);
    expect(await events.readStream('logs-1-2026110519')).toEqual([]);
    expect(await events.readStream('logs-1-2026110620')).toHaveLength(1); // the cutoff's own hour stays
    if (listsStreams) expect(result.logStreams).toBe(1);
    expect((await events.readStream(retentionStream('1'))).map((e) => e.type)).toEqual([EventTypes.TracesExpired, EventTypes.TracesExpired]);

    // Until the projector folds the markers, the read model still lists them; then they are gone.
    expect((await reads.listTraces('1', { limit: 10 })).items).toHaveLength(3);
    await project();
    expect((await reads.listTraces('1', { limit: 10 })).items.map((t) => t.traceId)).toEqual([fresh]);
    expect(await usageCalls()).toBe(3);
    expect(await sweeper.sweep(NOW)).toMatchObject({ traces: 0 });
  });

  /** The hourly GenAI metric rows of project 1 (what GET /ai/metrics rolls up), by id. */
  const metricRows = async (store: SqliteTraceReadStore) => {
    const prefix = ['genai_metrics', '1', ''].join(ID_SEPARATOR);
    return (await store.counterRows({ from: prefix, to: prefix + '\uffff' })).map((r: CounterRow) => [r.id.split(ID_SEPARATOR)[3], r.values] as const);
  };

  /** A rebuild: a fresh read store folding what the log holds now, in batches of three events. */
  async function rebuiltMetricRows() {
    const fresh = SqliteTraceReadStore.open(join(dir, `rebuild-${Math.random()}.db`));
    try {
      const rebuild = new TraceProjectionHandler(fresh, events, () => undefined);
      let after: bigint | undefined;
      for (;;) {
        const batch = await events.readAll({ ...(after === undefined ? {} : { after }), limit: 3 });
        if (!batch.length) break;
        after = batch[batch.length - 1]!.position;
        await rebuild.apply(batch, after);
      }
      return await metricRows(fresh);
    } finally {
      await fresh.close();
    }
  }

  it.each([
    ['kept (the default)', 'true'],
    ['dropped (TEMPS_RETENTION_KEEP_USAGE=false)', 'false'],
  ])('given hourly metric streams older than 30 days and a cumulative series running across the cutoff, then the old streams leave the log, their rows are %s, the new rows stay, and a rebuild of what remains gives the same rows, after a second sweep too', async (_name, keepUsage) => {
    const start = NOW - 40 * DAY;
    // One exporter's cumulative series from 40 days ago (totals since start), and a delta point in an old hour.
    await events.appendMany([
      metricWrite(NOW - 40 * DAY, { startMs: start, count: 2, sum: 30, buckets: [1, 1, 0] }),
      metricWrite(NOW - 35 * DAY, { startMs: start, count: 5, sum: 250, buckets: [2, 2, 1] }),
      metricWrite(NOW - 33 * DAY, { count: 4, sum: 8, buckets: [4, 0, 0], delta: true }),
      metricWrite(NOW - 29 * DAY, { startMs: start, count: 6, sum: 260, buckets: [3, 2, 1] }),
      metricWrite(NOW - 2 * 3_600_000, { startMs: start, count: 9, sum: 1260, buckets: [3, 4, 2] }),
    ]);
    await project();
    const before = await metricRows(reads);
    // The cumulative series counts each point's increment in its own hour: 2, 3 (5-2), 1 (6-5), 3 (9-6).
    expect(before.map(([hour, v]) => [hour!.slice(0, 13), v.count])).toEqual([
      [new Date(NOW - 40 * DAY).toISOString().slice(0, 13), 2],
      [new Date(NOW - 35 * DAY).toISOString().slice(0, 13), 3],
      [new Date(NOW - 33 * DAY).toISOString().slice(0, 13), 4],
      [new Date(NOW - 29 * DAY).toISOString().slice(0, 13), 1],
      [new Date(NOW - 2 * 3_600_000).toISOString().slice(0, 13), 3],
    ]);
    const cutoffHour = new Date(NOW - 30 * DAY).toISOString().slice(0, 13);
    const recent = (rows: typeof before) => rows.filter(([hour]) => hour!.slice(0, 13) >= cutoffHour);

    const options = { ...retentionOptionsFromEnv({ TEMPS_RETENTION_DAYS: '30', TEMPS_RETENTION_KEEP_USAGE: keepUsage }), lookbackHours: 15 * 24 };
    const sweeper = new RetentionSweeper(events, reads, access, options);
    const result = await sweeper.sweep(NOW);
    expect(result.metricStreams).toBe(3);
    for (const days of [40, 35, 33]) expect(await events.readStream(Streams.metrics('1', new Date(NOW - days * DAY).toISOString()))).toEqual([]);
    for (const ms of [29 * DAY, 2 * 3_600_000]) expect(await events.readStream(Streams.metrics('1', new Date(NOW - ms).toISOString()))).toHaveLength(1);
    // One marker per page of streams (on EventStoreDB, pages of named hours), naming the streams that held events.
    const markers = await events.readStream(retentionStream('1'));
    expect(new Set(markers.map((e) => e.type))).toEqual(new Set([EventTypes.MetricsExpired]));
    expect(markers.flatMap((e) => (e.data as { streams: string[] }).streams).sort()).toEqual([40, 35, 33].map((days) => Streams.metrics('1', new Date(NOW - days * DAY).toISOString())).sort());
    await project();
    const after = await metricRows(reads);
    expect(after).toEqual(keepUsage === 'true' ? before : recent(before));
    // Without the baseline the rebuild would count the 29-day point's whole total (6) in its hour.
    expect(await rebuiltMetricRows()).toEqual(after);

    // A point after the sweep counts from the series' state in both; a second sweep, two days on, expires the 29-day point too.
    await events.appendMany([metricWrite(NOW - 3_600_000, { startMs: start, count: 10, sum: 1300, buckets: [4, 4, 2] })]);
    await project();
    expect(await rebuiltMetricRows()).toEqual(await metricRows(reads));
    expect(await sweeper.sweep(NOW + 2 * DAY)).toMatchObject({ metricStreams: 1 });
    await project();
    const second = await metricRows(reads);
    expect(second.map(([, v]) => v.count).reduce((a, b) => a + b, 0)).toBe(keepUsage === 'true' ? 14 : 4);
    expect(await rebuiltMetricRows()).toEqual(second);
    expect(await sweeper.sweep(NOW + 2 * DAY)).toMatchObject({ metricStreams: 0 });
  });

  it.each([
    ['kept (the default)', 'true'],
    ['dropped (TEMPS_RETENTION_KEEP_USAGE=false)', 'false'],
  ])('given a point that arrives late, stamped in an hour a sweep already expired, then its stream starts again, the next sweep names it in a new marker and deletes it, and a rebuild gives the same rows (%s)', async (_name, keepUsage) => {
    const oldHour = NOW - 40 * DAY;
    await events.appendMany([metricWrite(oldHour, { count: 4, sum: 8, buckets: [4, 0, 0], delta: true }), metricWrite(NOW - 2 * 3_600_000, { count: 1, sum: 5, buckets: [1, 0, 0], delta: true })]);
    await project();
    const options = { ...retentionOptionsFromEnv({ TEMPS_RETENTION_DAYS: '30', TEMPS_RETENTION_KEEP_USAGE: keepUsage }), lookbackHours: 15 * 24 };
    const sweeper = new RetentionSweeper(events, reads, access, options);
    expect(await sweeper.sweep(NOW)).toMatchObject({ metricStreams: 1 });
    await project();
    // Streams are named by the point's own hour: a late export for the expired hour lands in its deleted stream.
    const late = metricWrite(oldHour + 60_000, { count: 3, sum: 6, buckets: [3, 0, 0], delta: true });
    expect(late.stream).toBe(Streams.metrics('1', new Date(oldHour).toISOString()));
    await events.appendMany([late]);
    await project();
    expect(await events.readStream(late.stream)).toHaveLength(1);
    expect(await sweeper.sweep(NOW)).toMatchObject({ metricStreams: 1 });
    expect(await events.readStream(late.stream)).toEqual([]);
    const markers = (await events.readStream(retentionStream('1'))).filter((e) => e.type === EventTypes.MetricsExpired);
    expect(markers.map((e) => (e.data as { streams: string[] }).streams)).toEqual([[late.stream], [late.stream]]);
    expect(new Set(markers.map((e) => e.id)).size).toBe(2);
    await project();
    const rows = await metricRows(reads);
    const oldRow = rows.find(([hour]) => hour!.slice(0, 13) === new Date(oldHour).toISOString().slice(0, 13));
    expect(oldRow?.[1].count).toBe(keepUsage === 'true' ? 7 : undefined);
    expect(await rebuiltMetricRows()).toEqual(rows);
    expect(await sweeper.sweep(NOW)).toMatchObject({ metricStreams: 0 });
  });

  it.each([
    ['kept (the default)', 'true'],
    ['dropped (TEMPS_RETENTION_KEEP_USAGE=false)', 'false'],
  ])('given a late point for an expired hour that arrives while the sweep is between its marker and the deletion, then that stream is left whole, the next sweep takes it, and a rebuild gives the same rows (%s)', async (_name, keepUsage) => {
    const oldHour = NOW - 40 * DAY;
    const first = metricWrite(oldHour, { count: 4, sum: 8, buckets: [4, 0, 0], delta: true });
    await events.appendMany([first, metricWrite(NOW - 2 * 3_600_000, { count: 1, sum: 5, buckets: [1, 0, 0], delta: true })]);
    await project();
    const late = metricWrite(oldHour + 60_000, { count: 3, sum: 6, buckets: [3, 0, 0], delta: true });
    let sent = false;
    // The exporter's late point lands right after the marker, before the sweep deletes the stream.
    const racing: EventStore = Object.assign(Object.create(events) as EventStore, {
      append: async (stream: string, list: Parameters<EventStore['append']>[1]) => {
        const result = await events.append(stream, list);
        if (stream === retentionStream('1') && !sent) (sent = true), await events.appendMany([late]);
        return result;
      },
    });
    const options = { ...retentionOptionsFromEnv({ TEMPS_RETENTION_DAYS: '30', TEMPS_RETENTION_KEEP_USAGE: keepUsage }), lookbackHours: 15 * 24 };
    expect(await new RetentionSweeper(racing, reads, access, options).sweep(NOW)).toMatchObject({ metricStreams: 1 });
    expect((await events.readStream(first.stream)).map((e) => e.id)).toEqual([...first.events, ...late.events].map((e) => e.id));
    await project();
    expect(await rebuiltMetricRows()).toEqual(await metricRows(reads));
    expect(await new RetentionSweeper(events, reads, access, options).sweep(NOW)).toMatchObject({ metricStreams: 1 });
    expect(await events.readStream(first.stream)).toEqual([]);
    await project();
    const rows = await metricRows(reads);
    const oldRow = rows.find(([hour]) => hour!.slice(0, 13) === new Date(oldHour).toISOString().slice(0, 13));
    expect(oldRow?.[1].count).toBe(keepUsage === 'true' ? 7 : undefined);
    expect(await rebuiltMetricRows()).toEqual(rows);
  });

  it('given mayGoOn turning false after the first page (the lease lost mid-sweep), then the sweep stops before the next page (of traces, log or metric streams) and says so; the next sweep finishes', async () => {
    const old = ['d'.repeat(32), 'e'.repeat(32)];
    await events.appendMany(old.map((id) => spanWrite(id, NOW - 40 * DAY)));
    await events.append('logs-1-2026110519', [{ id: '00000000-0000-8000-8000-000000000003', type: EventTypes.LogRecordReceived, data: {} }]);
    const oldMetrics = metricWrite(NOW - 40 * DAY, { count: 1, sum: 5, buckets: [1, 0, 0] });
    await events.appendMany([oldMetrics]);
    await project();
    const sweeper = new RetentionSweeper(events, reads, access, { ...retentionOptionsFromEnv({ TEMPS_RETENTION_DAYS: '30' }), batch: 1, lookbackHours: 15 * 24 });
    let asked = 0;
    const first = await sweeper.sweep(NOW, async () => ++asked <= 1);
    expect(first).toEqual({ traces: 1, logStreams: 0, metricStreams: 0, stopped: true });
    expect((await Promise.all(old.map((id) => events.readStream(Streams.trace('1', id))))).filter((e) => e.length === 0)).toHaveLength(1);
    expect(await events.readStream('logs-1-2026110519')).toHaveLength(1);
    expect(await events.readStream(oldMetrics.stream)).toHaveLength(1);
    expect(await events.readStream(retentionStream('1'))).toHaveLength(1); // the first page's TracesExpired only
    await project();
    const second = await sweeper.sweep(NOW);
    expect(second).toMatchObject({ traces: 1, metricStreams: 1 });
    expect(second.stopped).toBeUndefined();
    for (const id of old) expect(await events.readStream(Streams.trace('1', id))).toEqual([]);
    expect(await events.readStream('logs-1-2026110519')).toEqual([]);
    expect(await events.readStream(oldMetrics.stream)).toEqual([]);
  });

  it('given a sweep that dies between deleting the streams and appending the marker (a crash, simulated by a failing append), then the next sweep finds the traces again and finishes: the same end state', async () => {
    const old = 'f'.repeat(32);
    await events.appendMany([spanWrite(old, NOW - 40 * DAY), spanWrite('0'.repeat(31) + '1', NOW - DAY)]);
    await project();
    let failNext = true;
    const crashing: EventStore = Object.assign(Object.create(events) as EventStore, {
      append: (stream: string, list: Parameters<EventStore['append']>[1]) => {
        if (stream === retentionStream('1') && failNext) {
          failNext = false;
          return Promise.reject(new Error('crash before the marker'));
        }
        return events.append(stream, list);
      },
    });
    const options = retentionOptionsFromEnv({ TEMPS_RETENTION_DAYS: '30' });
    await expect(new RetentionSweeper(crashing, reads, access, options).sweep(NOW)).rejects.toThrow('crash before the marker');
    expect(await events.readStream(Streams.trace('1', old))).toEqual([]); // deleted from the log...
    await project();
    expect((await reads.getTrace('1', old))?.trace.traceId).toBe(old); // ...but still listed: the next sweep finds it
    expect(await new RetentionSweeper(events, reads, access, options).sweep(NOW)).toMatchObject({ traces: 1 });
    await project();
    expect(await reads.getTrace('1', old)).toBeNull();
    expect(await usageCalls()).toBe(2);
    expect(await events.readStream(retentionStream('1'))).toHaveLength(1);
  });

  it("given projects '1' and '1-2' (one id a prefix of the other's streams), then project 1's sweep leaves project 1-2's hourly streams alone", async () => {
    // 'logs-1-2-2026120601' sorts inside project 1's expired range ['logs-1-', 'logs-1-2026110620'): '-' < '0'.
    await access.createProject('1-2', 'one-two');
    await access.setProjectRetention('1-2', 365);
    const fresh = ['logs-1-2-2026120601', 'logs-1-2-2026110519', 'logs-1-1-2026120601'];
    await access.createProject('1-1', 'one-one');
    await access.setProjectRetention('1-1', 365);
    for (const [i, stream] of fresh.entries()) {
      await events.append(stream, [{ id: `00000000-0000-8000-8000-0000000001${String(i).padStart(2, '0')}`, type: EventTypes.LogRecordReceived, data: {} }]);
    }
    const theirMetrics = { ...metricWrite(NOW - 40 * DAY, { count: 1, sum: 5, buckets: [1, 0, 0] }) };
    theirMetrics.stream = theirMetrics.stream.replace('metrics-1-', 'metrics-1-2-');
    await events.appendMany([theirMetrics]);
    await events.append('logs-1-2026110519', [{ id: '00000000-0000-8000-8000-000000000199', type: EventTypes.LogRecordReceived, data: {} }]);
    await project();
    const sweeper = new RetentionSweeper(events, reads, access, { ...retentionOptionsFromEnv({ TEMPS_RETENTION_DAYS: '30' }), batch: 1, lookbackHours: 15 * 24 });
    const result = await sweeper.sweep(NOW);
    if (listsStreams) expect(result).toMatchObject({ logStreams: 1, metricStreams: 0 });
    expect(await events.readStream('logs-1-2026110519')).toEqual([]);
    for (const stream of fresh) expect(await events.readStream(stream)).toHaveLength(1);
    expect(await events.readStream(theirMetrics.stream)).toHaveLength(1);
    expect((await events.readStream(retentionStream('1'))).map((e) => e.type)).not.toContain(EventTypes.MetricsExpired);
  });

  it('given TEMPS_RETENTION_KEEP_USAGE=false and a project retention of 35 days over a default of 30, only traces older than 35 days go, with their usage', async () => {
    await events.appendMany([spanWrite('d'.repeat(32), NOW - 40 * DAY), spanWrite('e'.repeat(32), NOW - 31 * DAY)]);
    await project();
    await access.setProjectRetention('1', 35);
    const sweeper = new RetentionSweeper(events, reads, access, retentionOptionsFromEnv({ TEMPS_RETENTION_DAYS: '30', TEMPS_RETENTION_KEEP_USAGE: 'false' }));
    expect(await sweeper.inForce('1')).toEqual({ days: 35, source: 'project', keepUsage: false });
    expect(await sweeper.sweep(NOW)).toMatchObject({ traces: 1 });
    await project();
    expect((await reads.listTraces('1', { limit: 10 })).items.map((t) => t.traceId)).toEqual(['e'.repeat(32)]);
    expect(await usageCalls()).toBe(1);
  });
});

describe('retentionOptionsFromEnv', () => {
  it('defaults to no retention, usage kept, hourly sweeps; refuses values it cannot use, naming the variable', () => {
    expect(retentionOptionsFromEnv({})).toEqual({ defaultDays: null, keepUsage: true, intervalMs: 3_600_000 });
    expect(retentionOptionsFromEnv({ TEMPS_RETENTION_DAYS: '30', TEMPS_RETENTION_KEEP_USAGE: 'off', TEMPS_RETENTION_SWEEP_MINUTES: '0.5' })).toEqual({ defaultDays: 30, keepUsage: false, intervalMs: 30_000 });
    expect(() => retentionOptionsFromEnv({ TEMPS_RETENTION_DAYS: '30d' })).toThrow(/TEMPS_RETENTION_DAYS must be a whole number of days/);
    expect(() => retentionOptionsFromEnv({ TEMPS_RETENTION_KEEP_USAGE: 'maybe' })).toThrow(/TEMPS_RETENTION_KEEP_USAGE must be true/);
    expect(() => retentionOptionsFromEnv({ TEMPS_RETENTION_SWEEP_MINUTES: '0' })).toThrow(/TEMPS_RETENTION_SWEEP_MINUTES must be/);
  });
});
