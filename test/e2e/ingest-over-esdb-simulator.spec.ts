import 'reflect-metadata';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DynamicModule, INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { EventStoreDBClient } from '@eventstore/db-client';
import { util } from 'protobufjs/minimal';
import { AccessService } from '@temps/access';
import { EventTypes, GENAI_TOKEN_USAGE, genaiMetricsRowIdPrefix, hourBucket, type MetricReceivedData } from '@temps/domain';
import { EVENT_STORE, type EventStore, type EventStoreConfig, type RecordedEvent } from '@temps/event-store';
import { EsdbEventStore } from '@temps/event-store/esdb';
import { EventStoreModule } from '@temps/event-store/nest';
import { DEFAULT_INGEST_LIMITS, IngestModule } from '@temps/ingest';
import { SqliteTraceReadStore } from '@temps/read-store/sqlite';
import { TraceProjectionHandler } from '../../apps/projector/src/trace-projection.handler';
import { storesConfigFromEnv } from '../../apps/cli/src/temps-config';
import { opentelemetry } from '../../libs/otlp/src/generated/otlp';
import { COMPOSE_VARS, dockerfileEnv, loadCompose, serviceEnv } from '../support/compose-file';
import { EsdbSimulator } from '../support/esdb-simulator';
import { hexId, postOtlp, PROTOBUF, str, traceRequest, type SpanSpec } from '../support/otlp-raw';

/**
 * The real OTLP/HTTP receiver (Nest + Express on a real socket, the ingest module as shipped) on the
 * EventStoreDB adapter, over the EsdbSimulator: no EventStoreDB server can run here, so the simulator
 * enforces the server's limits (1 MiB per append) and counts the round trips.
 *
 * The store is opened as docker-compose.yml's ingest service opens it: its container environment (the
 * image's ENV, then the service's) through the real config parser (storesConfigFromEnv) and
 * EventStoreModule.forRoot. Only the connection is faked (it cannot run here): the client's
 * connectionString hands back the simulator, and records the URL it was given.
 */
const composeIngestEnv = () => ({ ...dockerfileEnv(), ...serviceEnv(loadCompose().services.ingest!, COMPOSE_VARS) });

const { ExportMetricsServiceRequest } = opentelemetry.proto.collector.metrics.v1;

type Long = opentelemetry.proto.metrics.v1.NumberDataPoint['timeUnixNano'];
const long = (n: bigint): Long => new util.Long(Number(n & 0xffffffffn) | 0, Number((n >> 32n) & 0xffffffffn) | 0, true) as Long;

function metricsRequest(i: number): Uint8Array {
  const now = long(BigInt(Date.now()) * 1_000_000n + BigInt(i));
  return ExportMetricsServiceRequest.encode({
    resourceMetrics: [
      {
        resource: { attributes: [str('service.name', 'metrics-app')] },
        scopeMetrics: [
          {
            scope: { name: 'simulator-test' },
            metrics: [{ name: 'gen_ai.client.token.usage', unit: '{token}', gauge: { dataPoints: [{ asInt: long(BigInt(i)), timeUnixNano: now, attributes: [str('gen_ai.token.type', 'input')] }] } }],
          },
        ],
      },
    ],
  }).finish();
}

/** The ingest role alone on a real HTTP server over the given event store, with project 1 and an admin key's headers. */
async function startIngestApp(config: EventStoreConfig): Promise<{ app: INestApplication; base: string; headers: Record<string, string> }> {
  const app = await NestFactory.create(
    { module: class TestIngestModule {}, imports: [EventStoreModule.forRoot(config), IngestModule.forRoot(DEFAULT_INGEST_LIMITS)] } as DynamicModule,
    { bodyParser: false, logger: ['error'] },
  );
  const access = new AccessService(app.get<EventStore>(EVENT_STORE));
  await access.createProject('1', 'Default project');
  const { secret } = await access.createApiKey({ name: 'test', role: 'admin' });
  await app.listen(0, '127.0.0.1');
  const base = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
  return { app, base, headers: { 'Content-Type': PROTOBUF, Authorization: `Bearer ${secret}`, 'X-Temps-Project-Id': '1' } };
}

describe('OTLP ingest over the EventStoreDB adapter on the simulator (real HTTP server, compose ingest env, simulated EventStoreDB connection)', () => {
  let sim: EsdbSimulator;
  let connect: jest.SpyInstance;
  let events: EsdbEventStore;
  let app: INestApplication;
  let base: string;
  let headers: Record<string, string>;

  beforeAll(async () => {
    sim = new EsdbSimulator(); // the server's defaults: MaxAppendSize 1 MiB
    connect = jest.spyOn(EventStoreDBClient, 'connectionString').mockImplementation(() => sim as unknown as EventStoreDBClient);
    const stores = storesConfigFromEnv(composeIngestEnv());
    ({ app, base, headers } = await startIngestApp(stores.events));
    events = app.get<EsdbEventStore>(EVENT_STORE);
  });
  afterAll(async () => {
    await app?.close(); // EventStoreModule closes the store
    connect?.mockRestore();
  });

  it('opens the EventStoreDB adapter as the compose ingest service configures it: its EVENTSTORE_URL, appends of at most 1 MiB', () => {
    expect(connect.mock.calls).toEqual([['esdb://eventstore:2113?tls=false']]);
    expect(events).toBeInstanceOf(EsdbEventStore);
    expect(events.maxAppendBytes).toBe(1_048_576);
  });

  /** Streams read by anything but the access list's periodic refresh (AccessService: once a while, its tail only). */
  const readsBesidesAccess = () => [...sim.streamReads.keys()].filter((s) => s !== 'access');

  /** One trace of `spans` spans with a 2.6 KB attribute each. */
  function bigTrace(spans: number): { traceId: string; body: Buffer } {
    const traceId = hexId(16);
    const specs: SpanSpec[] = Array.from({ length: spans }, (_, i) => ({
      traceId,
      spanId: hexId(8),
      name: `chat ${i}`,
      attributes: [str('gen_ai.operation.name', 'chat'), str('gen_ai.system', 'openai'), str('gen_ai.prompt', `${i} `.padEnd(2600, 'p'))],
    }));
    return { traceId, body: traceRequest(specs) };
  }

  it('given a 5 MiB trace in one request, then it is stored whole in appends under 1 MiB, with one 200 and no 500', async () => {
    const { traceId, body } = bigTrace(2000);
    expect(body.byteLength).toBeGreaterThan(5 * 1024 * 1024);
    sim.resetCounters();
    const reply = await postOtlp(`${base}/api/otel/v1/traces`, body, headers);
    expect(reply.status).toBe(200);
    expect(sim.storedStream(`trace-1-${traceId}`)).toHaveLength(2000);
    expect(sim.appendsOverMaxSize).toBe(0);
    expect(sim.calls.append).toBeGreaterThanOrEqual(6); // > 5 MiB of events, at most 1 MiB each
    expect(readsBesidesAccess()).toEqual([]);
    expect(sim.callsWithoutDeadline).toBe(0);
  });

  it('given the server fails the third append of a 5 MiB trace, then the request answers 503 with Retry-After, and its retry answers 200 with every span stored once', async () => {
    const { traceId, body } = bigTrace(2000);
    sim.inject('append', 'unavailable', { nth: 3 });
    const failed = await postOtlp(`${base}/api/otel/v1/traces`, body, headers);
    expect(failed.status).toBe(503);
    expect(failed.headers.get('retry-after')).toBe('2');
    const stored = sim.storedStream(`trace-1-${traceId}`).length;
    expect(stored).toBeGreaterThan(0); // two appends went through before the failure
    expect(stored).toBeLessThan(2000);
    const retried = await postOtlp(`${base}/api/otel/v1/traces`, body, headers);
    expect(retried.status).toBe(200);
    const ids = sim.storedStream(`trace-1-${traceId}`).map((e) => e.id);
    expect(ids).toHaveLength(2000);
    expect(new Set(ids).size).toBe(2000);
  });

  it('given one span larger than an append may be (1.2 MB) beside a normal one, then the big one is rejected alone (200, partial success) and the other stored', async () => {
    const traceId = hexId(16);
    const huge = Array.from({ length: 20 }, (_, i) => str(`app.blob.${i}`, 'b'.repeat(60_000)));
    const body = traceRequest([{ traceId, spanId: hexId(8), attributes: huge }, { traceId, spanId: hexId(8) }]);
    const reply = await postOtlp(`${base}/api/otel/v1/traces`, body, headers);
    expect(reply.status).toBe(200);
    expect(reply.partial).toEqual({ rejected: 1, errorMessage: expect.stringMatching(/1 rejected: item larger than the event store's maximum append size \(1048576 bytes, TEMPS_ESDB_MAX_APPEND_BYTES\)/) });
    expect(sim.storedStream(`trace-1-${traceId}`)).toHaveLength(1);
  });

  it.each([
    ['not leader', 'not_leader'],
    ['a deadline', 'deadline'],
  ] as const)('given %s on an append, then the answer is 503 with Retry-After, never 500', async (_label, kind) => {
    sim.inject('append', kind);
    const reply = await postOtlp(`${base}/api/otel/v1/traces`, traceRequest([{ traceId: hexId(16), spanId: hexId(8) }]), headers);
    expect(reply.status).toBe(503);
    expect(reply.headers.get('retry-after')).toBe('2');
  });

  it('given a request with spans of N = 12 traces, then it costs at most N + 1 round trips (one append per trace), and as many when the traces continue', async () => {
    const traceIds = Array.from({ length: 12 }, () => hexId(16));
    const spans = (round: number) => traceIds.flatMap((traceId) => Array.from({ length: 3 }, (_, i) => ({ traceId, spanId: hexId(8), name: `r${round} s${i}` })));
    for (const round of [1, 2]) {
      sim.resetCounters();
      const reply = await postOtlp(`${base}/api/otel/v1/traces`, traceRequest(spans(round)), headers);
      expect(reply.status).toBe(200);
      expect(sim.roundTrips).toBeLessThanOrEqual(traceIds.length + 1); // + the access list refresh, at most once a while
      expect(sim.calls.append).toBe(traceIds.length);
    }
    for (const traceId of traceIds) expect(sim.storedStream(`trace-1-${traceId}`)).toHaveLength(6);
  });

  it('given 300 metric exports, then each is one append to the hourly metrics stream and reads back no events (O(1), not O(stream))', async () => {
    sim.resetCounters();
    for (let i = 0; i < 300; i++) {
      const reply = await postOtlp(`${base}/api/otel/v1/metrics`, Buffer.from(metricsRequest(i)), headers);
      expect(reply.status).toBe(200);
    }
    expect(sim.calls.append).toBe(300);
    // The only reads: the access list's periodic refresh, from its next revision (no events unless keys changed).
    expect(readsBesidesAccess()).toEqual([]);
    expect(sim.eventsRead).toBe(0);
    const buckets = sim.streamNames().filter((s) => s.startsWith('metrics-1-'));
    expect(buckets.length).toBeGreaterThanOrEqual(1);
    expect(buckets.length).toBeLessThanOrEqual(2); // an hour may turn during the test
    for (const b of buckets) expect(b).toMatch(/^metrics-1-\d{10}$/);
    expect(buckets.reduce((n, b) => n + sim.storedStream(b).length, 0)).toBe(300);
  });
});

describe('TEMPS_ESDB_MAX_APPEND_BYTES beside the compose ingest env reaches the adapter (simulated EventStoreDB connection)', () => {
  it('given 8192 and a server whose MaxAppendSize is 8192, then a 40 KB stream goes in appends the server accepts', async () => {
    const sim = new EsdbSimulator({ maxAppendSize: 8192 });
    const connect = jest.spyOn(EventStoreDBClient, 'connectionString').mockImplementation(() => sim as unknown as EventStoreDBClient);
    try {
      const app = await NestFactory.createApplicationContext(
        { module: class TestStoreModule {}, imports: [EventStoreModule.forRoot(storesConfigFromEnv({ ...composeIngestEnv(), TEMPS_ESDB_MAX_APPEND_BYTES: '8192' }).events)] } as DynamicModule,
        { logger: ['error'] },
      );
      const events = app.get<EsdbEventStore>(EVENT_STORE);
      expect(events.maxAppendBytes).toBe(8192);
      const batch = Array.from({ length: 20 }, (_, i) => ({ id: crypto.randomUUID(), type: 'TestEvent', data: { i, pad: 'x'.repeat(2000) } }));
      await expect(events.append('trace-1-big', batch)).resolves.toMatchObject({ appended: 20 });
      expect(sim.appendsOverMaxSize).toBe(0);
      expect(sim.calls.append).toBeGreaterThanOrEqual(5);
      expect(sim.storedStream('trace-1-big')).toHaveLength(20);
      await app.close();
    } finally {
      connect.mockRestore();
    }
  });
});

/**
 * A retry received after the hour turned stores nothing twice. Untraced log records and metrics go to
 * hourly streams; EventStoreDB recognises a re-sent event only in the stream it was first written to, so
 * the stream of an item must not depend on when it is received. The clock is injected by faking Date only
 * (timers stay real: the HTTP server, the simulator and the SQLite writer thread run as they do), so the
 * first attempt is received in one hour and its retry in the next.
 */
const { ExportLogsServiceRequest } = opentelemetry.proto.collector.logs.v1;
const REAL_TIMERS = ['hrtime', 'nextTick', 'performance', 'queueMicrotask', 'requestAnimationFrame', 'cancelAnimationFrame', 'requestIdleCallback', 'cancelIdleCallback', 'setImmediate', 'clearImmediate', 'setInterval', 'clearInterval', 'setTimeout', 'clearTimeout'] as const;

/** One DELTA gen_ai.client.token.usage histogram point (5 calls, 100 tokens) stamped at `ms`. */
function deltaTokenUsage(ms: number): Buffer {
  const t = long(BigInt(ms) * 1_000_000n);
  const point = { startTimeUnixNano: long(BigInt(ms - 60_000) * 1_000_000n), timeUnixNano: t, count: long(5n), sum: 100, bucketCounts: [long(3n), long(2n), long(0n)], explicitBounds: [10, 100], attributes: [str('gen_ai.provider.name', 'openai'), str('gen_ai.request.model', 'gpt-4o'), str('gen_ai.token.type', 'input')] };
  return Buffer.from(
    ExportMetricsServiceRequest.encode({
      resourceMetrics: [{ resource: { attributes: [str('service.name', 'retry-app')] }, scopeMetrics: [{ scope: { name: 'retry' }, metrics: [{ name: 'gen_ai.client.token.usage', unit: '{token}', histogram: { aggregationTemporality: 1, dataPoints: [point] } }] }] }],
    }).finish(),
  );
}

/** Two untraced log records stamped at `ms`, then one with trace context (its own stream: a second append). */
function mixedLogs(ms: number, traceId: string): Buffer {
  const t = long(BigInt(ms) * 1_000_000n);
  const record = (i: number, trace?: string) => ({ timeUnixNano: t, observedTimeUnixNano: t, severityNumber: 9, body: { stringValue: `line ${i} ${traceId}` }, ...(trace ? { traceId: Buffer.from(trace, 'hex'), spanId: Buffer.from(hexId(8), 'hex') } : {}) });
  return Buffer.from(
    ExportLogsServiceRequest.encode({
      resourceLogs: [{ resource: { attributes: [str('service.name', 'retry-app')] }, scopeLogs: [{ scope: { name: 'retry' }, logRecords: [record(1), record(2), record(3, traceId)] }] }],
    }).finish(),
  );
}

describe.each([
  ['EventStoreDB (simulator)', 'esdb'],
  ['SQLite', 'sqlite'],
] as const)('a retry of a log or metric export received after the hour turned, on %s (real HTTP server; Date faked to turn the hour)', (_name, kind) => {
  let dir: string;
  let sim: EsdbSimulator;
  let connect: jest.SpyInstance;
  let events: EventStore;
  let app: INestApplication;
  let base: string;
  let headers: Record<string, string>;
  /** The next hour boundary at least a minute away: the first attempts come before it, the retries after. */
  let hour: number;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'temps-hour-retry-'));
    sim = new EsdbSimulator();
    connect = jest.spyOn(EventStoreDBClient, 'connectionString').mockImplementation(() => sim as unknown as EventStoreDBClient);
    const config: EventStoreConfig = kind === 'esdb' ? { kind, url: 'esdb://eventstore:2113?tls=false' } : { kind, path: join(dir, 'events.db') };
    ({ app, base, headers } = await startIngestApp(config));
    events = app.get<EventStore>(EVENT_STORE);
    hour = Math.ceil((Date.now() + 60_000) / 3_600_000) * 3_600_000;
  });
  afterEach(() => {
    jest.useRealTimers();
  });
  afterAll(async () => {
    await app?.close();
    connect?.mockRestore();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Receive what follows at `ms` (Date only; the clock stands still there). */
  const receiveAt = (ms: number) => jest.useFakeTimers({ now: ms, doNotFake: [...REAL_TIMERS] });

  /** Every event of the log, through the store's own readAll (all streams). */
  async function storedLog(): Promise<RecordedEvent[]> {
    const out: RecordedEvent[] = [];
    for (let after: bigint | undefined; ; ) {
      const page = await events.readAll({ ...(after === undefined ? {} : { after }), limit: 1000 });
      if (!page.length) return out;
      out.push(...page);
      after = page[page.length - 1]!.position;
    }
  }

  /** What the real projection handler makes of the log: the GenAI token usage rows' count, summed. */
  async function projectedTokenCalls(log: RecordedEvent[]): Promise<number> {
    const reads = SqliteTraceReadStore.open(join(dir, `reads-${Math.random()}.db`));
    try {
      const handler = new TraceProjectionHandler(reads, events, () => undefined);
      await handler.apply(log, log[log.length - 1]!.position);
      const prefix = genaiMetricsRowIdPrefix('1', GENAI_TOKEN_USAGE);
      return (await reads.counterRows({ from: prefix, to: `${prefix}\uffff` })).reduce((n, r) => n + (r.values.count ?? 0), 0);
    } finally {
      await reads.close();
    }
  }

  it('given a delta metric export whose acknowledgement is lost, retried after the hour turned, then it is stored once and counted once in the metrics read model', async () => {
    const body = deltaTokenUsage(hour - 30_000);
    receiveAt(hour - 5_000);
    if (kind === 'esdb') {
      // The server commits the append, the answer never reaches the adapter: 503, and the exporter retries.
      sim.inject('append', 'unavailable', { afterCommit: true });
      expect((await postOtlp(`${base}/api/otel/v1/metrics`, body, headers)).status).toBe(503);
    } else {
      // SQLite commits and answers; the exporter never gets the answer (a dropped connection) and retries.
      expect((await postOtlp(`${base}/api/otel/v1/metrics`, body, headers)).status).toBe(200);
    }
    receiveAt(hour + 5_000);
    expect((await postOtlp(`${base}/api/otel/v1/metrics`, body, headers)).status).toBe(200);
    jest.useRealTimers();
    const log = (await storedLog()).filter((e) => e.type === EventTypes.MetricReceived && (e.data as MetricReceivedData).scope.name === 'retry');
    expect(await projectedTokenCalls(log)).toBe(5);
    expect(log.map((e) => e.stream)).toEqual([`metrics-1-${hourBucket(new Date(hour - 30_000).toISOString())}`]);
  });

  it('given a log export that fails part way (its trace stream append refused: 503) with its untraced records stored, retried after the hour turned, then every record is stored once', async () => {
    const traceId = hexId(16);
    const body = mixedLogs(hour - 30_000, traceId);
    receiveAt(hour - 5_000);
    if (kind === 'esdb') {
      sim.inject('append', 'unavailable', { nth: 2 }); // the untraced records' stream goes first, the trace's fails
      expect((await postOtlp(`${base}/api/otel/v1/logs`, body, headers)).status).toBe(503);
      expect(sim.storedStream(`logs-1-${hourBucket(new Date(hour - 30_000).toISOString())}`).length).toBeGreaterThan(0);
    } else {
      // SQLite commits a request whole or not at all: the part-way failure is the lost answer again.
      expect((await postOtlp(`${base}/api/otel/v1/logs`, body, headers)).status).toBe(200);
    }
    receiveAt(hour + 5_000);
    expect((await postOtlp(`${base}/api/otel/v1/logs`, body, headers)).status).toBe(200);
    jest.useRealTimers();
    const mine = (await storedLog()).filter((e) => e.type === EventTypes.LogRecordReceived && JSON.stringify(e.data).includes(traceId));
    expect(mine.map((e) => e.stream).sort()).toEqual([`logs-1-${hourBucket(new Date(hour - 30_000).toISOString())}`, `logs-1-${hourBucket(new Date(hour - 30_000).toISOString())}`, `trace-1-${traceId}`]);
    expect(new Set(mine.map((e) => e.id)).size).toBe(3);
  });
});
