import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { MongoClient } from 'mongodb';
import { hourBucket } from '@temps/domain';
import { SqliteEventStore } from '@temps/event-store/sqlite';
import { apiSnapshot } from '../support/api-snapshot';
import { eventually, getJson, projectorCaughtUp, repoRoot, startServer, type RunningServer } from '../support/temps-server';

const DAY_MS = 86_400_000;

/** The server's URL with a database of its own as its path (the default database temps uses). */
function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}
const hex = (bytes: number) => randomBytes(bytes).toString('hex');

/** One trace (a chat span with usage) started `startMs`, sent over OTLP/JSON to project `projectId`. */
async function sendTrace(server: RunningServer, startMs: number, options: { conversation?: string; projectId?: string } = {}): Promise<string> {
  const traceId = hex(16);
  const start = BigInt(startMs) * 1_000_000n;
  const attributes = [
    { key: 'gen_ai.operation.name', value: { stringValue: 'chat' } },
    { key: 'gen_ai.provider.name', value: { stringValue: 'openai' } },
    { key: 'gen_ai.request.model', value: { stringValue: 'gpt-4o' } },
    { key: 'gen_ai.usage.input_tokens', value: { intValue: '100' } },
    { key: 'gen_ai.usage.output_tokens', value: { intValue: '7' } },
    ...(options.conversation ? [{ key: 'gen_ai.conversation.id', value: { stringValue: options.conversation } }] : []),
  ];
  const body = {
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'retention-e2e' } }] },
        scopeSpans: [{ scope: { name: 'e2e' }, spans: [{ traceId, spanId: hex(8), name: 'chat gpt-4o', kind: 3, startTimeUnixNano: String(start), endTimeUnixNano: String(start + 5_000_000n), attributes }] }],
      },
    ],
  };
  const res = await fetch(`${server.url}/api/otel/v1/traces`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${server.apiKey}`, 'x-temps-project-id': options.projectId ?? '1' },
    body: JSON.stringify(body),
  });
  expect(res.status).toBe(200);
  return traceId;
}

const kv = (attrs: Record<string, string>) => Object.entries(attrs).map(([key, value]) => ({ key, value: { stringValue: value } }));
const METRIC_RESOURCE = kv({ 'service.name': 'retention-e2e' });
const POINT_ATTRIBUTES = kv({ 'gen_ai.provider.name': 'openai', 'gen_ai.request.model': 'gpt-4o', 'gen_ai.token.type': 'input' });
const nanos = (ms: number) => String(BigInt(ms) * 1_000_000n);

/** One gen_ai.client.token.usage point of the e2e exporter's series (cumulative since `startMs`), as OTLP/JSON and as ingest stores it. */
function tokenUsagePoint(timeMs: number, startMs: number, count: number, sum: number, buckets: [number, number, number]) {
  const point = { attributes: POINT_ATTRIBUTES, startTimeUnixNano: nanos(startMs), timeUnixNano: nanos(timeMs), count: String(count), sum, bucketCounts: buckets.map(String), explicitBounds: [10, 100] };
  const metric = { name: 'gen_ai.client.token.usage', unit: '{token}', type: 'histogram', aggregationTemporality: 2, dataPoints: [point] };
  return {
    request: { resourceMetrics: [{ resource: { attributes: METRIC_RESOURCE }, scopeMetrics: [{ scope: { name: 'e2e' }, metrics: [{ name: metric.name, unit: metric.unit, histogram: { aggregationTemporality: 2, dataPoints: [point] } }] }] }] },
    stored: { metric, resource: { attributes: METRIC_RESOURCE }, scope: { name: 'e2e' } },
  };
}

async function sendMetrics(server: RunningServer, body: unknown): Promise<void> {
  const res = await fetch(`${server.url}/api/otel/v1/metrics`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${server.apiKey}`, 'x-temps-project-id': '1' }, body: JSON.stringify(body) });
  expect(res.status).toBe(200);
}

/** Token usage by hour over the last 45 days, as the API answers it: [hour, count, sum]. */
async function tokenUsageByHour(server: RunningServer): Promise<[string, number, number][]> {
  const from = new Date(Date.now() - 45 * DAY_MS).toISOString();
  const { status, body } = await getJson(server, `/api/projects/1/ai/metrics?metric=gen_ai.client.token.usage&from=${from}&bucket=hour&groupBy=model&limit=1000`);
  expect(status).toBe(200);
  return body.items.map((p: { bucketStart: string; count: number; sum: number }) => [p.bucketStart, p.count, p.sum]);
}

/**
 * The e2e exporter's series: points 40 and 35 days ago written straight into their hours' metric streams (as a server
 * running for 40 days would have them), then one sent now over OTLP. Returns the streams and the hours.
 */
async function seedTokenUsage(server: RunningServer) {
  const start = Date.now() - 40 * DAY_MS - 3_600_000;
  const old = [Date.now() - 40 * DAY_MS, Date.now() - 35 * DAY_MS];
  const oldStreams = old.map((ms) => `metrics-1-${hourBucket(new Date(ms).toISOString())}`);
  await withLog(server, (log) =>
    log.appendMany(
      old.map((ms, i) => ({
        stream: oldStreams[i]!,
        events: [{ id: `00000000-0000-8000-a000-${hex(6)}`, type: 'MetricReceived', data: tokenUsagePoint(ms, start, i === 0 ? 2 : 5, i === 0 ? 30 : 250, i === 0 ? [1, 1, 0] : [2, 2, 1]).stored, metadata: { projectId: '1', receivedAt: new Date(ms).toISOString(), requestId: 'seed', encoding: 'json', schemaVersion: 1 } }],
      })),
    ),
  );
  const now = Date.now() - 60_000;
  await sendMetrics(server, tokenUsagePoint(now, start, 9, 1260, [3, 4, 2]).request);
  const hourOf = (ms: number) => `${new Date(ms).toISOString().slice(0, 13)}:00:00.000Z`;
  // Named by the point's own hour (not the hour it is received in, which may be the next one).
  return { oldStreams, newStream: `metrics-1-${hourBucket(new Date(now).toISOString())}`, oldHours: old.map(hourOf), newHour: hourOf(now) };
}

function runCli(dataDir: string, args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [join(repoRoot, 'bin/temps.js'), ...args], { cwd: repoRoot, env: { ...process.env, TEMPS_DATA_DIR: dataDir, ...env }, timeout: 60_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/** The events of the server's log, through a second connection to its file (as the CLI opens it). */
async function withLog<T>(server: RunningServer, use: (log: SqliteEventStore) => Promise<T>): Promise<T> {
  const log = SqliteEventStore.open(join(server.dataDir, 'events.db'), { writer: 'inline' });
  try {
    return await use(log);
  } finally {
    await log.close();
  }
}

const usageTotals = async (server: RunningServer, projectId = '1') => {
  const from = new Date(Date.now() - 60 * DAY_MS).toISOString();
  const { status, body } = await getJson(server, `/api/projects/${projectId}/ai/usage?from=${from}&bucket=day&groupBy=model`);
  expect(status).toBe(200);
  return body.totals;
};

describe('retention (TEMPS_RETENTION_DAYS, temps project retention)', () => {
  let server: RunningServer | undefined;
  afterEach(async () => {
    await server?.stop();
    server = undefined;
  });

  const mongoUrl = process.env.MONGO_URL;
  /** The read stores to run on: SQLite always, MongoDB when MONGO_URL is set (FerretDB: scripts/ferretdb.mjs), in a database of its own. */
  const readStores: [string, Record<string, string>][] = [
    ['the SQLite read store', {}],
    ...(mongoUrl ? [['the MongoDB read store', { TEMPS_READ_STORE: 'mongo', MONGO_URL: withDatabase(mongoUrl, `temps_retention_${hex(4)}`) }] as [string, Record<string, string>]] : []),
  ];
  /** A test's own MongoDB database (each starts on a fresh log): the store's name with a suffix. */
  const ownDatabase = (env: Record<string, string>, suffix: string) => (env.MONGO_URL ? { ...env, MONGO_URL: withDatabase(env.MONGO_URL, new URL(env.MONGO_URL).pathname.slice(1) + suffix) } : env);
  afterAll(async () => {
    if (!mongoUrl) return;
    const admin = new MongoClient(mongoUrl);
    for (const [, env] of readStores) for (const e of [env, ownDatabase(env, '_drop')]) if (e.MONGO_URL) await admin.db(new URL(e.MONGO_URL).pathname.slice(1)).dropDatabase().catch(() => undefined);
    await admin.close();
  });

  it.each(readStores)('given a 30-day retention on %s, traces sent 40 days ago leave the API, the log and the sessions, old log and metric streams leave the log, while usage and metric hours stay (the default); new ones are untouched; a rebuild afterwards gives the same read model', async (_name, storeEnv) => {
    server = await startServer({ keepData: true, env: { TEMPS_RETENTION_DAYS: '30', TEMPS_RETENTION_SWEEP_MINUTES: '0.02', ...storeEnv } });
    const s = server;
    const old = Date.now() - 40 * DAY_MS;
    // Ingest names a log record's stream by the record's own hour: one stamped 40 days ago, sent now over OTLP,
    // lands in that expired hour's stream (before or after a sweep: the next one deletes it). The current
    // hour's stream is written straight into the log.
    const oldLogs = `logs-1-${hourBucket(new Date(old).toISOString())}`;
    const newLogs = `logs-1-${hourBucket(new Date().toISOString())}`;
    const oldLog = { resourceLogs: [{ resource: { attributes: METRIC_RESOURCE }, scopeLogs: [{ scope: { name: 'e2e' }, logRecords: [{ timeUnixNano: nanos(old), body: { stringValue: 'late' } }] }] }] };
    const sent = await fetch(`${s.url}/api/otel/v1/logs`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${s.apiKey}`, 'x-temps-project-id': '1' }, body: JSON.stringify(oldLog) });
    expect(sent.status).toBe(200);
    await withLog(s, (log) => log.appendMany([{ stream: newLogs, events: [{ id: hex(16), type: 'LogRecordReceived', data: { old: false } }] }]));
    expect((await getJson(s, '/api/projects/1/retention')).body).toEqual({ days: 30, source: 'default', keepUsage: true });
    const metrics = await seedTokenUsage(s);

    const expired = [await sendTrace(s, old, { conversation: 'shared' }), await sendTrace(s, old + 1000), await sendTrace(s, old + 2000, { conversation: 'old-only' })];
    const kept = [await sendTrace(s, Date.now() - 29 * DAY_MS, { conversation: 'shared' }), await sendTrace(s, Date.now() - 60_000)];

    await eventually(async () => {
      const { body } = await getJson(s, '/api/projects/1/ai/traces?limit=50');
      const ids = body.items.map((t: { traceId: string }) => t.traceId).sort();
      return JSON.stringify(ids) === JSON.stringify([...kept].sort()) ? true : undefined;
    }, 30_000, 'only the two traces within 30 days listed');
    // On MongoDB a commit's steps land one after another (traces, then sessions, usage...): the projection is
    // caught up before the other read models are read.
    await projectorCaughtUp(s);
    for (const id of expired) expect((await getJson(s, `/api/projects/1/ai/traces/${id}`)).status).toBe(404);
    for (const id of kept) expect((await getJson(s, `/api/projects/1/ai/traces/${id}`)).status).toBe(200);
    const sessions = (await getJson(s, '/api/projects/1/ai/sessions?limit=50')).body.items;
    expect(sessions.map((x: { sessionId: string; traceCount: number }) => [x.sessionId, x.traceCount])).toEqual([['shared', 1]]);
    // Usage kept (TEMPS_RETENTION_KEEP_USAGE defaults to true): all five calls still count.
    expect(await usageTotals(s)).toMatchObject({ calls: 5, inputTokens: 500, outputTokens: 35 });

    await eventually(() => withLog(s, async (log) => ((await Promise.all([oldLogs, ...metrics.oldStreams].map((x) => log.readStream(x)))).every((e) => e.length === 0) ? true : undefined)), 30_000, 'the old log and metric streams deleted');
    await projectorCaughtUp(s);
    // The log: the expired traces' streams and the old hour's log stream are gone, the rest stays.
    await withLog(s, async (log) => {
      for (const id of expired) expect(await log.readStream(`trace-1-${id}`)).toEqual([]);
      for (const id of kept) expect(await log.readStream(`trace-1-${id}`)).toHaveLength(1);
      expect(await log.readStream(oldLogs)).toEqual([]);
      expect(await log.readStream(newLogs)).toHaveLength(1);
      const all = await log.readAll({ limit: 100_000 });
      expect(all.filter((e) => expired.some((id) => e.stream === `trace-1-${id}`))).toEqual([]);
      const markers = all.filter((e) => e.type === 'TracesExpired');
      expect(markers.flatMap((e) => (e.data as { traceIds: string[] }).traceIds).sort()).toEqual([...expired].sort());
      // The old hours' metric streams too, after a MetricsExpired marker naming them; the current hour's stays.
      for (const stream of metrics.oldStreams) expect(await log.readStream(stream)).toEqual([]);
      expect(await log.readStream(metrics.newStream)).toHaveLength(1);
      expect(all.filter((e) => e.type === 'MetricsExpired').flatMap((e) => (e.data as { streams: string[] }).streams).sort()).toEqual([...metrics.oldStreams].sort());
    });
    // Metric rows of the expired hours are kept with the usage; the new point counts its increment over the 35-day one (9 - 5).
    const byHour = [[metrics.oldHours[0], 2, 30], [metrics.oldHours[1], 3, 220], [metrics.newHour, 4, 1010]];
    expect(await tokenUsageByHour(s)).toEqual(byHour);

    // A rebuild reads what remains and ends with the same read model (usage included, through the markers).
    const before = await apiSnapshot(s);
    const rebuilt = await runCli(s.dataDir, ['projections', 'rebuild', 'traces'], storeEnv);
    expect(rebuilt.code).toBe(0);
    expect(await apiSnapshot(s)).toEqual(before);
    expect(await usageTotals(s)).toMatchObject({ calls: 5 });
    // The rebuild never read the expired points: the marker carries their rows and the series' baseline (else the new hour would count 9).
    expect(await tokenUsageByHour(s)).toEqual(byHour);
  }, 120_000);

  it.each(readStores)('given a project retention set with the CLI and TEMPS_RETENTION_KEEP_USAGE=false on %s, only that project loses its old traces and metric hours, with their usage; the rebuild agrees', async (_name, sharedEnv) => {
    const storeEnv = ownDatabase(sharedEnv, '_drop');
    server = await startServer({ keepData: true, env: { TEMPS_RETENTION_KEEP_USAGE: 'false', TEMPS_RETENTION_SWEEP_MINUTES: '0.02', ...storeEnv } });
    const s = server;
    expect((await runCli(s.dataDir, ['project', 'create', '--id', '2', '--name', 'other'])).code).toBe(0);
    await eventually(async () => ((await getJson(s, '/api/projects/2/ai/traces?limit=1')).status === 200 ? true : undefined), 10_000, 'the server sees project 2');
    const metrics = await seedTokenUsage(s);
    const old = Date.now() - 40 * DAY_MS;
    const oldInOne = await sendTrace(s, old);
    const newInOne = await sendTrace(s, Date.now() - 1000);
    const oldInTwo = await sendTrace(s, old, { projectId: '2' });
    await eventually(async () => ((await getJson(s, '/api/projects/1/ai/traces?limit=50')).body.items.length === 2 ? true : undefined), 20_000, 'both traces of project 1');
    expect((await getJson(s, '/api/projects/1/retention')).body).toEqual({ days: null, source: 'none', keepUsage: false });
    await eventually(async () => ((await tokenUsageByHour(s)).length === 3 ? true : undefined), 20_000, 'the three metric hours of project 1');
    expect(await tokenUsageByHour(s)).toEqual([[metrics.oldHours[0], 2, 30], [metrics.oldHours[1], 3, 220], [metrics.newHour, 4, 1010]]);

    const set = await runCli(s.dataDir, ['project', 'retention', '--project', '1', '--days', '30']);
    expect(set).toMatchObject({ code: 0 });
    expect((await runCli(s.dataDir, ['project', 'retention', '--project', '1', '--days', '0'])).stderr).toMatch(/--days must be a whole number of days from 1/);
    await eventually(async () => {
      const { body } = await getJson(s, '/api/projects/1/ai/traces?limit=50');
      return body.items.length === 1 && body.items[0].traceId === newInOne ? true : undefined;
    }, 30_000, 'project 1 keeps only its new trace');
    await projectorCaughtUp(s);
    expect((await getJson(s, '/api/projects/1/retention')).body).toEqual({ days: 30, source: 'project', keepUsage: false });
    expect((await getJson(s, `/api/projects/1/ai/traces/${oldInOne}`)).status).toBe(404);
    expect((await getJson(s, `/api/projects/2/ai/traces/${oldInTwo}`)).status).toBe(200);
    expect(await usageTotals(s, '1')).toMatchObject({ calls: 1, inputTokens: 100 });
    expect(await usageTotals(s, '2')).toMatchObject({ calls: 1 });
    // Metrics go with the usage: the old hours leave the API and the log, the new hour keeps its increment.
    await eventually(async () => ((await tokenUsageByHour(s)).length === 1 ? true : undefined), 20_000, 'the old metric hours dropped');
    await projectorCaughtUp(s);
    expect(await tokenUsageByHour(s)).toEqual([[metrics.newHour, 4, 1010]]);
    await withLog(s, async (log) => {
      for (const stream of metrics.oldStreams) expect(await log.readStream(stream)).toEqual([]);
      expect(await log.readStream(metrics.newStream)).toHaveLength(1);
    });

    const before = await apiSnapshot(s);
    expect((await runCli(s.dataDir, ['projections', 'rebuild', 'traces'], storeEnv)).code).toBe(0);
    expect(await apiSnapshot(s)).toEqual(before);
    expect(await tokenUsageByHour(s)).toEqual([[metrics.newHour, 4, 1010]]);
  }, 120_000);
});
