import { DatabaseSync } from 'node:sqlite';
import { TRACE_PROJECTION } from '@temps/domain';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { otelPipeline, sendAgentTrace } from '../support/send-spans';
import { temps } from '../support/server-inspect';
import { allTraces, apiSnapshot as snapshot } from '../support/api-snapshot';
import { eventually, getJson, repoRoot, startServer, type RunningServer } from '../support/temps-server';

/** Sends `count` small traces (root + chat child) through one real exporter pipeline; returns their ids. */
async function sendTraces(server: RunningServer, count: number, label: string): Promise<string[]> {
  const { flush, tracer } = otelPipeline(`${server.url}/api/otel/v1/traces`, { Authorization: `Bearer ${server.apiKey}`, 'X-Temps-Project-Id': '1' });
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const root = tracer.startSpan(`${label} ${i}`);
    root.setAttribute('gen_ai.conversation.id', `${label}-conv-${i % 5}`);
    const { context, trace } = await import('@opentelemetry/api');
    const chat = tracer.startSpan('chat gpt-4o', {}, trace.setSpan(context.active(), root));
    chat.setAttributes({ 'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'openai', 'gen_ai.request.model': 'gpt-4o', 'gen_ai.usage.input_tokens': 10, 'gen_ai.usage.output_tokens': 2 });
    chat.end();
    root.end();
    ids.push(root.spanContext().traceId);
  }
  await flush();
  return ids;
}

function runCli(dataDir: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [join(repoRoot, 'bin/temps.js'), ...args], { cwd: repoRoot, env: { ...process.env, TEMPS_DATA_DIR: dataDir }, timeout: 60_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('temps projections rebuild', () => {
  let server: RunningServer;
  let first: string[];
  afterEach(async () => {
    await server?.stop();
  });

  it('rebuilds beside the serving build under live ingest: the API keeps answering, nothing is lost, the result equals the old build', async () => {
    server = await startServer({ keepData: true });
    first = await sendTraces(server, 400, 'before');
    await eventually(async () => ((await allTraces(server)).size === 400 ? true : undefined), 20_000, '400 traces');
    const before = await snapshot(server);

    const rebuild = runCli(server.dataDir, ['projections', 'rebuild', 'traces']);
    // Meanwhile: spans keep arriving and the dashboard's queries keep being answered.
    let answered = 0;
    let polling = true;
    const poller = (async () => {
      while (polling) {
        const { status, body } = await getJson(server, '/api/projects/1/ai/traces?limit=10');
        expect(status).toBe(200);
        expect(body.items.length).toBe(10);
        answered++;
      }
    })();
    const during = await sendTraces(server, 200, 'during');
    const result = await rebuild;
    polling = false;
    await poller;
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/the running server is building traces_v3_r\w+/);
    expect(result.stdout).toMatch(/traces_v3_r\w+ built .* and now serves/);
    expect(answered).toBeGreaterThan(0);

    const after = await eventually(async () => {
      const all = await allTraces(server);
      return all.size === 600 ? all : undefined;
    }, 20_000, 'all 600 traces after the switch');
    for (const id of [...first, ...during]) expect(after.get(id)?.spanCount).toBe(2);

    // The first 400 traces read the same from the new build as from the old one (usage and sessions included).
    const now = await snapshot(server);
    expect(now.traces.filter((t: any) => first.includes(t.traceId))).toEqual(before.traces);
    expect(now.usage.totals.calls).toBe(600);
    expect(now.sessions.filter((s: any) => s.sessionId.startsWith('before-'))).toEqual(before.sessions);
  });

  it('builds in the CLI itself when no server runs, with a progress line, and the next server serves the new build', async () => {
    server = await startServer({ keepData: true });
    await sendTraces(server, 50, 'offline');
    await eventually(async () => ((await allTraces(server)).size === 50 ? true : undefined), 20_000, '50 traces');
    const before = await snapshot(server);
    const dataDir = server.dataDir;
    await server.stop();

    const result = await runCli(dataDir, ['projections', 'rebuild', 'traces']);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/no running server picked the request up .* building here/);
    expect(result.stdout).toMatch(/traces_v3_r\w+ built .* and now serves/);
    expect((await temps(dataDir, ['projections', 'status'])).stdout).toMatch(/^traces\s+3\s+traces_v3_r\w+\s+\d+\s+\d+\s+0\s+0 s\s+caught up$/m);

    server = await startServer({ dataDir });
    expect(await snapshot(server)).toEqual(before);
    expect((await runCli(dataDir, ['projections', 'rebuild', 'nothing'])).stderr).toMatch(/no projection "nothing"/);
  });

  it('upgrades a version 1 read model: the new version builds beside it at start, then takes over and the old tables go', async () => {
    server = await startServer({ keepData: true });
    const ids = await sendTraces(server, 30, 'legacy');
    await eventually(async () => ((await allTraces(server)).size === 30 ? true : undefined), 20_000, '30 traces');
    const expected = await snapshot(server);
    const dataDir = server.dataDir;
    await server.stop();

    // Turn read.db into what version 1 wrote: unprefixed tables, a `traces_v1` checkpoint, no catalog.
    const db = new DatabaseSync(join(dataDir, 'read.db'));
    db.exec(`
      CREATE TABLE spans AS SELECT project_id, trace_id, span_id, doc FROM traces_v3__spans;
      CREATE TABLE traces AS SELECT project_id, trace_id, start_key, status, providers, models, doc FROM traces_v3__traces WHERE trace_id != '${ids[0]}';
      CREATE TABLE span_search AS SELECT project_id, trace_id, span_id, service, text FROM traces_v3__spans;
      DROP TABLE traces_v3__spans; DROP TABLE traces_v3__traces;
      DROP TABLE traces_v3__counters; DROP TABLE traces_v3__sessions; DROP TABLE traces_v3__responses; DROP TABLE projection_catalog;
      UPDATE checkpoints SET name = 'traces_v1';
    `);
    db.close();

    server = await startServer({ dataDir });
    // The version 1 documents serve at once (one trace is missing from them on purpose) ...
    expect((await getJson(server, '/api/projects/1/ai/traces?limit=100')).status).toBe(200);
    // ... until the current version has caught up and takes over: then everything is there, usage and sessions included.
    await eventually(async () => ((await allTraces(server)).has(ids[0]!) ? true : undefined), 20_000, 'the new build to serve');
    expect(await snapshot(server)).toEqual(expected);
    expect(server.output()).toMatch(new RegExp(`version ${TRACE_PROJECTION.version} replaces version 1`));
    const tables = new DatabaseSync(join(dataDir, 'read.db'), { readOnly: true });
    const names = (tables.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((r) => r.name);
    tables.close();
    expect(names).not.toContain('traces');
    expect(names).toContain('traces_v3__traces');
  });
});
