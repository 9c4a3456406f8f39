import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Streams } from '@temps/domain';
import { hexId, JSON_TYPE, nowNanos, postOtlp, PROTOBUF, traceRequest, traceRequestJson, type SpanSpec } from '../support/otlp-raw';
import { createApiKey, readEvents } from '../support/server-inspect';
import { eventually, getJson, repoRoot, startServer, type RunningServer } from '../support/temps-server';

/**
 * What an outside probe sees: security headers on the dashboard and the APIs (against the real built server
 * and dashboard), `/api/projections` as a key of one project sees it, and spans with absurd times rejected by
 * item in partial_success (protobuf and JSON), so a u64-max start cannot sort first in "newest first"; log
 * records and metrics at absurd times too (their own time names their hourly stream).
 */
const U64_MAX = 18446744073709551615n;
const haveDashboard = existsSync(join(repoRoot, 'apps/web/build/index.html'));

describe('security headers, project-scoped projection status, absurd span times', () => {
  let server: RunningServer;
  const headers = () => ({ Authorization: `Bearer ${server.apiKey}`, 'X-Temps-Project-Id': server.projectId });

  beforeAll(async () => {
    server = await startServer();
  }, 60_000);
  afterAll(() => server?.stop());

  const expectCommonHeaders = (res: Response) => {
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
  };

  (haveDashboard ? it : it.skip)('the dashboard page: a CSP whose script hashes are exactly its inline scripts, no framing, nosniff', async () => {
    for (const path of ['/', '/projects/1/ai/traces/0af7651916cd43dd8448eb211c80319c']) {
      const res = await fetch(`${server.url}${path}`);
      expect(res.status).toBe(200);
      expectCommonHeaders(res);
      const csp = res.headers.get('content-security-policy')!;
      const html = await res.text();
      const inline = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => `'sha256-${createHash('sha256').update(m[1]!).digest('base64')}'`);
      expect(inline.length).toBeGreaterThanOrEqual(2); // SvelteKit's bootstrap and the theme script
      const scriptSrc = /script-src ([^;]*)/.exec(csp)![1]!.split(' ');
      expect(scriptSrc.sort()).toEqual(["'self'", ...inline].sort());
      expect(csp).not.toMatch(/script-src[^;]*'unsafe-inline'/);
      expect(csp).toContain("connect-src 'self'");
      expect(csp).toContain("object-src 'none'");
    }
    const page = await (await fetch(`${server.url}/`)).text();
    const asset = /\/_app\/immutable\/[^"]+\.js/.exec(page)![0];
    const js = await fetch(`${server.url}${asset}`);
    expect(js.status).toBe(200);
    expect(js.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('API JSON: Cache-Control no-store, a closed CSP, nosniff; errors too; OTLP answers too', async () => {
    for (const [path, key, status] of [
      ['/api/projects', server.apiKey, 200],
      [`/api/projects/${server.projectId}/ai/traces`, server.apiKey, 200],
      ['/api/projections', server.apiKey, 200],
      ['/api/projects', 'tk_wrong_key_000000000000000000000000', 401],
    ] as const) {
      const res = await fetch(`${server.url}${path}`, { headers: { Authorization: `Bearer ${key}` } });
      expect([path, res.status]).toEqual([path, status]);
      expect(res.headers.get('content-type')).toContain('application/json');
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(res.headers.get('content-security-policy')).toBe("default-src 'none'; frame-ancestors 'none'");
      expectCommonHeaders(res);
    }
    const health = await fetch(`${server.url}/healthz`);
    expect(health.headers.get('cache-control')).toBe('no-store');
    const otlp = await fetch(`${server.url}/api/otel/v1/traces`, { method: 'POST', body: traceRequest([{ traceId: hexId(16), spanId: hexId(8) }]), headers: { ...headers(), 'Content-Type': PROTOBUF } });
    expect(otlp.status).toBe(200);
    expectCommonHeaders(otlp);
    expect(otlp.headers.get('cache-control')).toBe('no-store');
  });

  it('/api/projections: a key of one project sees state and progress, not the global positions; an all-projects key sees them', async () => {
    const scoped = await createApiKey(server.dataDir, 'one project viewer', 'viewer', server.projectId);
    const unscoped = await createApiKey(server.dataDir, 'all projects viewer', 'viewer');

    const all = await getJson(server, '/api/projections', unscoped.secret);
    expect(all.status).toBe(200);
    expect(all.body.items[0]).toEqual(expect.objectContaining({ name: 'traces', position: expect.stringMatching(/^\d+$/), head: expect.stringMatching(/^\d+$/), lagEvents: expect.any(Number) }));

    const mine = await getJson(server, '/api/projections', scoped.secret);
    expect(mine.status).toBe(200);
    const item = mine.body.items[0];
    expect(item).toEqual({ name: 'traces', version: expect.any(Number), state: expect.any(String), lagSeconds: expect.any(Number), serving: expect.objectContaining({ namespace: expect.any(String) }), rebuild: null });
    expect(JSON.stringify(mine.body)).not.toMatch(/"(position|head|lagEvents|lastError|eventsPerSecond)"/);
  });

  describe('absurd span, log record and metric times are rejected by item in partial_success', () => {
    const span = (traceId: string, startNs?: bigint, durationNs?: bigint): SpanSpec => ({ traceId, spanId: hexId(8), startNs, durationNs });

    async function listedTraceIds(): Promise<string[]> {
      const { body } = await getJson(server, `/api/projects/${server.projectId}/ai/traces?limit=500`);
      return body.items.map((t: { traceId: string }) => t.traceId);
    }

    it('log records and metrics: their own time names their hourly stream, so one before 2000 or more than a day ahead is rejected by item (a metric whole, counting its points); a record without any time is kept', async () => {
      const post = (signal: string, body: unknown) => postOtlp(`${server.url}/api/otel/v1/${signal}`, JSON.stringify(body), { ...headers(), 'Content-Type': JSON_TYPE });
      const run = hexId(6);
      const now = nowNanos();
      const ahead = String(now + 2n * 86_400_000_000_000n);
      const records = [{ timeUnixNano: '1' }, { timeUnixNano: String(now) }, { observedTimeUnixNano: ahead }, {}].map((r, i) => ({ ...r, body: { stringValue: `${run} ${i}` } }));
      const logs = await post('logs', { resourceLogs: [{ resource: { attributes: [] }, scopeLogs: [{ scope: { name: run }, logRecords: records }] }] });
      expect(logs.status).toBe(200);
      expect(logs.partial).toEqual({ rejected: 2, errorMessage: '1 rejected: invalid time: before 2000-01-01; 1 rejected: invalid time: more than a day in the future' });
      const stored = readEvents(server.dataDir, { streamPrefix: `logs-${server.projectId}-` }).filter((e) => e.data.scope.name === run);
      expect(stored.map((e) => e.data.logRecord.body)).toEqual([`${run} 1`, `${run} 3`]);
      expect(stored[0]!.stream).toBe(Streams.logs(server.projectId, new Date(Number(now / 1_000_000n)).toISOString()));

      const sum = (name: string, times: string[]) => ({ name, sum: { aggregationTemporality: 1, isMonotonic: true, dataPoints: times.map((timeUnixNano) => ({ timeUnixNano, asInt: '1' })) } });
      const metrics = await post('metrics', { resourceMetrics: [{ resource: { attributes: [] }, scopeMetrics: [{ scope: { name: run }, metrics: [sum('ok', [String(now)]), sum('mixed', [String(now), ahead, String(now)])] }] }] });
      expect(metrics.status).toBe(200);
      expect(metrics.partial).toEqual({ rejected: 3, errorMessage: '3 rejected: invalid time: more than a day in the future' });
      const points = readEvents(server.dataDir, { streamPrefix: `metrics-${server.projectId}-` }).filter((e) => e.data.scope.name === run);
      expect(points.map((e) => [e.stream, e.data.metric.name])).toEqual([[Streams.metrics(server.projectId, new Date(Number(now / 1_000_000n)).toISOString()), 'ok']]);
    });

    for (const encoding of ['protobuf', 'json'] as const) {
      it(`${encoding}: u64-max start, a start at 1 ns and one two days ahead rejected with reasons; the good span stored and first in newest first`, async () => {
        const good = span(hexId(16));
        const u64 = span(hexId(16), U64_MAX, 0n);
        const epoch = span(hexId(16), 1n);
        const ahead = span(hexId(16), nowNanos() + 2n * 86_400_000_000_000n);
        const spans = [u64, good, epoch, ahead];
        const body = encoding === 'json' ? traceRequestJson(spans) : traceRequest(spans);
        const reply = await postOtlp(`${server.url}/api/otel/v1/traces`, body, { ...headers(), 'Content-Type': encoding === 'json' ? JSON_TYPE : PROTOBUF });
        expect(reply.status).toBe(200);
        expect(reply.partial?.rejected).toBe(3);
        expect(reply.partial?.errorMessage).toContain('2 rejected: invalid time: more than a day in the future');
        expect(reply.partial?.errorMessage).toContain('1 rejected: invalid time: start before 2000-01-01');

        for (const bad of [u64, epoch, ahead]) expect(readEvents(server.dataDir, { stream: Streams.trace(server.projectId, bad.traceId) })).toEqual([]);
        expect(readEvents(server.dataDir, { stream: Streams.trace(server.projectId, good.traceId) })).toHaveLength(1);
        const listed = await eventually(async () => {
          const ids = await listedTraceIds();
          return ids.includes(good.traceId) ? ids : undefined;
        }, 15_000, 'the good trace in the list');
        expect(listed[0]).toBe(good.traceId);
        for (const bad of [u64, epoch, ahead]) expect(listed).not.toContain(bad.traceId);
      });
    }
  });
});
