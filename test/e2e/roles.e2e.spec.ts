import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sendAgentTrace } from '../support/send-spans';
import { eventually, getJson, startServer, type RunningServer } from '../support/temps-server';

/**
 * The scaled-out topology on one machine: an ingest-only and an `api,projector` `temps serve` (what
 * `projector` meant before the api role), two processes on the same SQLite data dir (the shared event
 * store), started at the same time. The roles one by one, two of each: projector-lease.e2e.spec.ts.
 */
describe('temps serve roles: TEMPS_ROLE=ingest and TEMPS_ROLE=api,projector as two processes', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'temps-roles-'));
  let ingest: RunningServer;
  let projector: RunningServer;

  beforeAll(async () => {
    // At once: both bootstrap the same store (project 1, the key, the default prices) without tripping on each other.
    [ingest, projector] = await Promise.all([
      startServer({ dataDir, env: { TEMPS_ROLE: 'ingest' } }),
      startServer({ dataDir, env: { TEMPS_ROLE: 'projector,api' } }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([ingest?.stop(), projector?.stop()]);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('given a trace sent to the ingest process, then it appears in the projector process\'s query API', async () => {
    const { traceId } = await sendAgentTrace(ingest.url, ingest.apiKey, '1');
    const item = await eventually(async () => {
      const { body } = await getJson(projector, '/api/projects/1/ai/traces');
      return body.items?.find((t: any) => t.traceId === traceId && t.spanCount === 4);
    }, 20_000, `trace ${traceId} in the projector's list`);
    expect(item).toMatchObject({ rootSpanName: 'invoke_agent research-assistant', inputTokens: 560, outputTokens: 128 });
    const { status, body } = await getJson(projector, `/api/projects/1/ai/traces/${traceId}`);
    expect(status).toBe(200);
    expect(body.spans).toHaveLength(4);
  });

  it('each process serves only its side', async () => {
    // ingest: no query API, no dashboard
    expect((await getJson(ingest, '/api/projects/1/ai/traces')).status).toBe(404);
    expect((await fetch(`${ingest.url}/`)).status).toBe(404);
    // projector: no OTLP receiver
    const otlp = await fetch(`${projector.url}/api/otel/v1/traces`, { method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${projector.apiKey}`, 'X-Temps-Project-Id': '1' }, body: '{}' });
    expect(otlp.status).toBe(404);
    expect(ingest.output()).toContain('role:            ingest');
    expect(ingest.output()).not.toContain('dashboard:');
    expect(projector.output()).toContain('role:            api,projector');
    expect(projector.output()).not.toContain('OTLP endpoint:');
  });

  it('access works in both roles: unknown keys are refused by both, the shared key is accepted by both', async () => {
    const bad = 'tk_unknown_0123456789abcdefghijkl';
    const refused = await fetch(`${ingest.url}/api/otel/v1/traces`, { method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${bad}`, 'X-Temps-Project-Id': '1' }, body: '{}' });
    expect(refused.status).toBe(401);
    expect((await getJson(projector, '/api/projects/1/ai/traces', bad)).status).toBe(401);
    const accepted = await fetch(`${ingest.url}/api/otel/v1/traces`, { method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${ingest.apiKey}`, 'X-Temps-Project-Id': '1' }, body: '{}' });
    expect(accepted.status).toBe(200);
    expect((await getJson(projector, '/api/projects/1/ai/traces')).status).toBe(200);
  });

  it('both answer /healthz with their role', async () => {
    for (const [server, role] of [[ingest, 'ingest'], [projector, 'api,projector']] as const) {
      const res = await fetch(`${server.url}/healthz`);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ status: 'ok', role });
    }
  });
});
