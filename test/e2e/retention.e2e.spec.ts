import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { MongoClient } from 'mongodb';
import { hourBucket } from '@temps/domain';
import { SqliteEventStore } from '@temps/event-store/sqlite';
import { apiSnapshot } from '../support/api-snapshot';
import { eventually, getJson, repoRoot, startServer, type RunningServer } from '../support/temps-server';

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
  afterAll(async () => {
    if (!mongoUrl) return;
    const admin = new MongoClient(mongoUrl);
    for (const [, env] of readStores) if (env.MONGO_URL) await admin.db(new URL(env.MONGO_URL).pathname.slice(1)).dropDatabase().catch(() => undefined);
    await admin.close();
  });

  it.each(readStores)('given a 30-day retention on %s, traces sent 40 days ago leave the API, the log and the sessions while usage stays (the default); new ones are untouched; a rebuild afterwards gives the same read model', async (_name, storeEnv) => {
    server = await startServer({ keepData: true, env: { TEMPS_RETENTION_DAYS: '30', TEMPS_RETENTION_SWEEP_MINUTES: '0.02', ...storeEnv } });
    const s = server;
    const old = Date.now() - 40 * DAY_MS;
    // A log stream of an hour 40 days back (ingest buckets log records by the hour received, which is now:
    // written straight into the log, as a server running for 40 days would have it).
    const oldLogs = `logs-1-${hourBucket(new Date(old).toISOString())}`;
    const newLogs = `logs-1-${hourBucket(new Date().toISOString())}`;
    await withLog(s, (log) => log.appendMany([{ stream: oldLogs, events: [{ id: hex(16), type: 'LogRecordReceived', data: { old: true } }] }, { stream: newLogs, events: [{ id: hex(16), type: 'LogRecordReceived', data: { old: false } }] }]));
    expect((await getJson(s, '/api/projects/1/retention')).body).toEqual({ days: 30, source: 'default', keepUsage: true });

    const expired = [await sendTrace(s, old, { conversation: 'shared' }), await sendTrace(s, old + 1000), await sendTrace(s, old + 2000, { conversation: 'old-only' })];
    const kept = [await sendTrace(s, Date.now() - 29 * DAY_MS, { conversation: 'shared' }), await sendTrace(s, Date.now() - 60_000)];

    await eventually(async () => {
      const { body } = await getJson(s, '/api/projects/1/ai/traces?limit=50');
      const ids = body.items.map((t: { traceId: string }) => t.traceId).sort();
      return JSON.stringify(ids) === JSON.stringify([...kept].sort()) ? true : undefined;
    }, 30_000, 'only the two traces within 30 days listed');
    for (const id of expired) expect((await getJson(s, `/api/projects/1/ai/traces/${id}`)).status).toBe(404);
    for (const id of kept) expect((await getJson(s, `/api/projects/1/ai/traces/${id}`)).status).toBe(200);
    const sessions = (await getJson(s, '/api/projects/1/ai/sessions?limit=50')).body.items;
    expect(sessions.map((x: { sessionId: string; traceCount: number }) => [x.sessionId, x.traceCount])).toEqual([['shared', 1]]);
    // Usage kept (TEMPS_RETENTION_KEEP_USAGE defaults to true): all five calls still count.
    expect(await usageTotals(s)).toMatchObject({ calls: 5, inputTokens: 500, outputTokens: 35 });

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
    });

    // A rebuild reads what remains and ends with the same read model (usage included, through the markers).
    const before = await apiSnapshot(s);
    const rebuilt = await runCli(s.dataDir, ['projections', 'rebuild', 'traces'], storeEnv);
    expect(rebuilt.code).toBe(0);
    expect(await apiSnapshot(s)).toEqual(before);
    expect(await usageTotals(s)).toMatchObject({ calls: 5 });
  }, 120_000);

  it('given a project retention set with the CLI and TEMPS_RETENTION_KEEP_USAGE=false, only that project loses its old traces, with their usage; the rebuild agrees', async () => {
    server = await startServer({ keepData: true, env: { TEMPS_RETENTION_KEEP_USAGE: 'false', TEMPS_RETENTION_SWEEP_MINUTES: '0.02' } });
    const s = server;
    expect((await runCli(s.dataDir, ['project', 'create', '--id', '2', '--name', 'other'])).code).toBe(0);
    await eventually(async () => ((await getJson(s, '/api/projects/2/ai/traces?limit=1')).status === 200 ? true : undefined), 10_000, 'the server sees project 2');
    const old = Date.now() - 40 * DAY_MS;
    const oldInOne = await sendTrace(s, old);
    const newInOne = await sendTrace(s, Date.now() - 1000);
    const oldInTwo = await sendTrace(s, old, { projectId: '2' });
    await eventually(async () => ((await getJson(s, '/api/projects/1/ai/traces?limit=50')).body.items.length === 2 ? true : undefined), 20_000, 'both traces of project 1');
    expect((await getJson(s, '/api/projects/1/retention')).body).toEqual({ days: null, source: 'none', keepUsage: false });

    const set = await runCli(s.dataDir, ['project', 'retention', '--project', '1', '--days', '30']);
    expect(set).toMatchObject({ code: 0 });
    expect((await runCli(s.dataDir, ['project', 'retention', '--project', '1', '--days', '0'])).stderr).toMatch(/--days must be a whole number of days from 1/);
    await eventually(async () => {
      const { body } = await getJson(s, '/api/projects/1/ai/traces?limit=50');
      return body.items.length === 1 && body.items[0].traceId === newInOne ? true : undefined;
    }, 30_000, 'project 1 keeps only its new trace');
    expect((await getJson(s, '/api/projects/1/retention')).body).toEqual({ days: 30, source: 'project', keepUsage: false });
    expect((await getJson(s, `/api/projects/1/ai/traces/${oldInOne}`)).status).toBe(404);
    expect((await getJson(s, `/api/projects/2/ai/traces/${oldInTwo}`)).status).toBe(200);
    expect(await usageTotals(s, '1')).toMatchObject({ calls: 1, inputTokens: 100 });
    expect(await usageTotals(s, '2')).toMatchObject({ calls: 1 });

    const before = await apiSnapshot(s);
    expect((await runCli(s.dataDir, ['projections', 'rebuild', 'traces'])).code).toBe(0);
    expect(await apiSnapshot(s)).toEqual(before);
  }, 120_000);
});
