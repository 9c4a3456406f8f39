import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { io, type Socket } from 'socket.io-client';
import { hexId, JSON_TYPE, logsRequest, postOtlp, PROTOBUF, str, traceRequest, traceRequestJson, type SpanSpec } from '../support/otlp-raw';
import { storedSpanCounts, temps } from '../support/server-inspect';
import { eventually, getJson, startServer, TEST_API_KEY, type RunningServer } from '../support/temps-server';

/**
 * Operations of `temps serve` through the real built server: /metrics after a known load, /readyz
 * against a data dir that stops taking writes, JSON logs, the drain on SIGTERM, and the bootstrap key
 * staying revoked across restarts.
 */

const TRACES = '/api/otel/v1/traces';
const METRICS_TOKEN = 'metrics-token-0123456789abcdef';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

function parseMetrics(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    samples.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return samples;
}

/** The value of the sample with exactly these labels (undefined: no such sample). */
function valueOf(samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  const want = Object.entries(labels);
  return samples.find((s) => s.name === name && Object.keys(s.labels).length === want.length && want.every(([k, v]) => s.labels[k] === v))?.value;
}

async function scrape(url: string, token: string | null = METRICS_TOKEN): Promise<{ status: number; text: string; contentType: string | null }> {
  const res = await fetch(`${url}/metrics`, { headers: token ? { Authorization: `Bearer ${token}` } : {} });
  return { status: res.status, text: await res.text(), contentType: res.headers.get('content-type') };
}

const ingestHeaders = (type = PROTOBUF) => ({ 'Content-Type': type, Authorization: `Bearer ${TEST_API_KEY}`, 'X-Temps-Project-Id': '1' });
const spans = (n: number, extra: Partial<SpanSpec> = {}): SpanSpec[] => {
  const traceId = hexId(16);
  return Array.from({ length: n }, () => ({ traceId, spanId: hexId(8), ...extra }));
};

describe('GET /metrics after a known load, and the JSON logs', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer({ env: { TEMPS_METRICS_TOKEN: METRICS_TOKEN, TEMPS_LOG_LEVEL: 'debug' } });
  });
  afterAll(() => server?.stop());

  it('counts the accepted and rejected spans, log records and requests exactly', async () => {
    const bytes: number[] = [];
    const post = async (body: Buffer | string, headers: Record<string, string>, path = TRACES) => {
      if (path === TRACES) bytes.push(Buffer.byteLength(body));
      return postOtlp(`${server.url}${path}`, body, headers);
    };
    // 3 requests of 4 valid spans (protobuf), 1 JSON request of 3: 15 spans accepted.
    for (let i = 0; i < 3; i++) expect((await post(traceRequest(spans(4)), ingestHeaders())).status).toBe(200);
    expect((await post(traceRequestJson(spans(3)), ingestHeaders(JSON_TYPE))).status).toBe(200);
    // 2 valid spans, 1 starting before 2000, 2 with an all-zero trace id: 200 with partial_success.
    const mixed = [...spans(2), { traceId: hexId(16), spanId: hexId(8), startNs: 1_000n }, ...spans(2, { traceId: '0'.repeat(32) })];
    const partial = await post(traceRequest(mixed), ingestHeaders());
    expect(partial.status).toBe(200);
    expect(partial.partial?.rejected).toBe(3);
    // Refused whole: no key (401), not protobuf (400), an unsupported Content-Type (415).
    expect((await post(traceRequest(spans(2)), { 'Content-Type': PROTOBUF, 'X-Temps-Project-Id': '1' })).status).toBe(401);
    expect((await post(Buffer.from('this is not protobuf at all'), ingestHeaders())).status).toBe(400);
    expect((await post('plain text', { ...ingestHeaders(), 'Content-Type': 'text/plain' })).status).toBe(415);
    // 6 log records on the logs signal.
    expect((await post(logsRequest(6), ingestHeaders(), '/api/otel/v1/logs')).status).toBe(200);

    const { status, text, contentType } = await scrape(server.url);
    expect(status).toBe(200);
    expect(contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    const m = parseMetrics(text);
    expect(valueOf(m, 'temps_otlp_requests_total', { signal: 'traces', status: '200' })).toBe(5);
    expect(valueOf(m, 'temps_otlp_requests_total', { signal: 'traces', status: '401' })).toBe(1);
    expect(valueOf(m, 'temps_otlp_requests_total', { signal: 'traces', status: '400' })).toBe(1);
    expect(valueOf(m, 'temps_otlp_requests_total', { signal: 'traces', status: '415' })).toBe(1);
    expect(valueOf(m, 'temps_otlp_requests_total', { signal: 'logs', status: '200' })).toBe(1);
    expect(valueOf(m, 'temps_otlp_items_accepted_total', { signal: 'traces' })).toBe(17);
    expect(valueOf(m, 'temps_otlp_items_accepted_total', { signal: 'logs' })).toBe(6);
    expect(valueOf(m, 'temps_otlp_items_rejected_total', { signal: 'traces', reason: 'invalid time' })).toBe(1);
    expect(valueOf(m, 'temps_otlp_items_rejected_total', { signal: 'traces', reason: 'invalid trace id' })).toBe(2);
    expect(m.filter((s) => s.name === 'temps_otlp_items_rejected_total').reduce((n, s) => n + s.value, 0)).toBe(3);
    expect(valueOf(m, 'temps_otlp_request_bytes_total', { signal: 'traces' })).toBe(bytes.reduce((a, b) => a + b, 0));
    // One append per accepted request (5 trace, 1 log) on top of the start's own (project, key, prices).
    expect(valueOf(m, 'temps_event_store_append_seconds_count', { result: 'ok' })).toBeGreaterThanOrEqual(6);
    // This scrape is the only request in flight.
    expect(valueOf(m, 'temps_http_inflight_requests', { kind: 'api' })).toBe(1);
    expect(valueOf(m, 'temps_http_inflight_requests', { kind: 'otlp' })).toBe(0);

    // The projector catches up: lag 0, position = head, batches counted; no rebuild in progress.
    const caughtUp = await eventually(async () => {
      const s = parseMetrics((await scrape(server.url)).text);
      return valueOf(s, 'temps_projector_lag_events', { projection: 'traces' }) === 0 ? s : undefined;
    });
    expect(valueOf(caughtUp, 'temps_projector_position', { projection: 'traces' })).toBe(valueOf(caughtUp, 'temps_projector_head_position', { projection: 'traces' }));
    expect(valueOf(caughtUp, 'temps_projector_lag_seconds', { projection: 'traces' })).toBe(0);
    expect(valueOf(caughtUp, 'temps_projector_batches_total', { projection: 'traces' })).toBeGreaterThanOrEqual(1);
    expect(valueOf(caughtUp, 'temps_projector_batch_seconds_total', { projection: 'traces' })).toBeGreaterThan(0);
    expect(valueOf(caughtUp, 'temps_projection_rebuilding', { projection: 'traces' })).toBe(0);
    expect(valueOf(caughtUp, 'temps_socketio_clients')).toBe(0);

    // A live socket shows up as a socket.io client.
    const socket: Socket = io(server.url, { auth: { token: TEST_API_KEY, projectId: '1' }, transports: ['websocket'] });
    try {
      await new Promise<void>((resolve, reject) => (socket.once('connect', () => resolve()), socket.once('connect_error', reject)));
      expect(valueOf(parseMetrics((await scrape(server.url)).text), 'temps_socketio_clients')).toBe(1);
    } finally {
      socket.close();
    }
  });

  it('asks for an admin API key or TEMPS_METRICS_TOKEN', async () => {
    expect((await scrape(server.url, null)).status).toBe(401);
    expect((await scrape(server.url, 'tk_wrong_0123456789abcdefghijklmnop')).status).toBe(403);
    const viewer = (await temps(server.dataDir, ['api-key', '--name', 'viewer', '--role', 'viewer'])).stdout.trim();
    expect((await scrape(server.url, viewer)).status).toBe(403);
    expect((await scrape(server.url, TEST_API_KEY)).status).toBe(200);
    expect((await scrape(server.url, METRICS_TOKEN)).status).toBe(200);
  });

  it('logs one JSON line per request with its request id, and no key, header or content', async () => {
    const marker = `prompt-content-${hexId(6)}`;
    const res = await fetch(`${server.url}${TRACES}`, {
      method: 'POST',
      headers: { ...ingestHeaders(), 'X-Request-Id': 'ops-test-req-1' },
      body: traceRequest(spans(2, { attributes: [str('gen_ai.operation.name', 'chat'), str('gen_ai.prompt', marker)] })),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-request-id')).toBe('ops-test-req-1');
    // A request without an id gets a fresh one, echoed.
    const other = await fetch(`${server.url}/readyz`);
    const freshId = other.headers.get('x-request-id');
    expect(freshId).toMatch(/^[0-9a-f-]{36}$/);

    const line = await eventually(async () =>
      server
        .output()
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .find((l) => l.reqId === 'ops-test-req-1'),
    );
    expect(line).toMatchObject({ level: 'debug', method: 'POST', path: TRACES, status: 200, signal: 'traces', accepted: 2, rejected: 0, msg: 'request' });
    expect(typeof line.time).toBe('string');
    await eventually(async () => (server.output().includes(freshId!) ? true : undefined));
    // Every log line is JSON; none holds a key, a token, an Authorization header or message content.
    const out = server.output();
    for (const l of out.split('\n').filter((l) => l.startsWith('{'))) expect(() => JSON.parse(l)).not.toThrow();
    for (const secret of [TEST_API_KEY, METRICS_TOKEN, 'Bearer', marker]) expect(out).not.toContain(secret);
  });
});

/** Makes a directory refuse new files, even for root (chattr +i), and undoes it. */
function freeze(dir: string, frozen: boolean): void {
  if (process.getuid?.() === 0) execFileSync('chattr', [frozen ? '+i' : '-i', dir]);
  else chmodSync(dir, frozen ? 0o555 : 0o755);
}

describe('GET /readyz, and /metrics on its own port', () => {
  let server: RunningServer;
  let metricsUrl: string;
  beforeAll(async () => {
    server = await startServer({ env: { TEMPS_METRICS_PORT: '0', TEMPS_READY_MAX_LAG_SECONDS: '30' } });
    metricsUrl = /metrics: +(http:\/\/localhost:\d+)\/metrics \(TEMPS_METRICS_PORT\)/.exec(server.output())![1]!;
  });
  afterAll(() => server?.stop());

  it('is ready when the stores take writes and the projector runs, and not ready while the data dir refuses writes', async () => {
    const ready = await getJson(server, '/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body.status).toBe('ready');
    expect(ready.body.checks.map((c: { name: string }) => c.name)).toEqual([
      'event store reachable',
      'event store writable',
      'read store reachable',
      'read store writable',
      'projector running and caught up',
      'projector lease held or followed',
    ]);
    freeze(server.dataDir, true);
    try {
      const notReady = await getJson(server, '/readyz');
      expect(notReady.status).toBe(503);
      expect(notReady.body.status).toBe('not ready');
      const byName = Object.fromEntries(notReady.body.checks.map((c: { name: string; ok: boolean }) => [c.name, c.ok]));
      expect(byName).toMatchObject({ 'event store reachable': true, 'event store writable': false, 'read store writable': false, 'projector running and caught up': true });
      // Why goes to the log (it may name paths), not to this unauthenticated answer.
      expect(JSON.stringify(notReady.body)).not.toContain(server.dataDir);
      await eventually(async () => (/"msg":"not ready: event store writable: [^"]*(EPERM|EACCES)/.test(server.output()) ? true : undefined));
    } finally {
      freeze(server.dataDir, false);
    }
    expect((await getJson(server, '/readyz')).status).toBe(200);
  });

  it('serves /metrics on TEMPS_METRICS_PORT without a credential, and not on the main port', async () => {
    const res = await fetch(`${metricsUrl}/metrics`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('# TYPE temps_otlp_requests_total counter');
    expect((await fetch(`${metricsUrl}/other`)).status).toBe(404);
    expect((await scrape(server.url, TEST_API_KEY)).status).toBe(404);
  });
});

describe('SIGTERM while requests stream in', () => {
  it('stores every span that got a 200, refuses or drops the rest, and exits 0', async () => {
    const server = await startServer({ env: { TEMPS_SHUTDOWN_TIMEOUT_MS: '15000' } });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => server.process.once('exit', (code, signal) => resolve({ code, signal })));
    const acked: string[] = [];
    const statuses = new Map<string, number>();
    let stopAt = Infinity;
    const sender = async () => {
      // Until the server is gone: each request a new trace of 5 spans.
      for (;;) {
        const batch = spans(5);
        try {
          const res = await fetch(`${server.url}${TRACES}`, { method: 'POST', headers: ingestHeaders(), body: traceRequest(batch) });
          await res.arrayBuffer();
          statuses.set(String(res.status), (statuses.get(String(res.status)) ?? 0) + 1);
          if (res.status === 200) for (const s of batch) acked.push(`${s.traceId}/${s.spanId}`);
        } catch (err) {
          const cause = ((err as Error).cause as { code?: string; message?: string } | undefined);
          const kind = `error ${cause?.code ?? cause?.message ?? (err as Error).message}`;
          statuses.set(kind, (statuses.get(kind) ?? 0) + 1);
          if (Date.now() > stopAt) return; // refused: the server stopped listening
        }
        if (Date.now() > stopAt + 20_000) return;
      }
    };
    const senders = Array.from({ length: 6 }, () => sender());
    await eventually(async () => (acked.length >= 100 ? true : undefined));
    // One request in flight across the signal: half its body before, the rest 500 ms after.
    const slowSpans = spans(3);
    const slowBody = traceRequest(slowSpans);
    const slow = request({ host: '127.0.0.1', port: server.port, method: 'POST', path: TRACES, headers: { ...ingestHeaders(), 'Content-Length': slowBody.length } });
    const slowAnswer = new Promise<number>((resolve, reject) => {
      slow.once('response', (res) => (res.resume(), resolve(res.statusCode!)));
      slow.once('error', reject);
    });
    slow.write(slowBody.subarray(0, 10));
    await new Promise((r) => setTimeout(r, 100));
    const signalledAt = Date.now();
    stopAt = signalledAt;
    server.process.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 500));
    slow.end(slowBody.subarray(10));
    expect(await slowAnswer).toBe(200);
    const { code, signal } = await exited;
    const drainMs = Date.now() - signalledAt;
    await Promise.all(senders);
    console.log(`drain: ${drainMs} ms, ${acked.length} spans acked, answers ${JSON.stringify(Object.fromEntries(statuses))}`);
    try {
      expect({ code, signal }).toEqual({ code: 0, signal: null });
      expect(drainMs).toBeLessThan(15_000);
      // Only answers a client can act on: stored (200), refused while draining (503), or no answer: a new
      // connection refused, or one still in the listen backlog when the server stopped listening (reset).
      const noAnswer = ['error ECONNREFUSED', 'error ECONNRESET', 'error UND_ERR_SOCKET'];
      expect([...statuses.keys()].filter((s) => !['200', '503', ...noAnswer].includes(s))).toEqual([]);
      const stored = storedSpanCounts(server.dataDir);
      for (const s of slowSpans) acked.push(`${s.traceId}/${s.spanId}`);
      const missing = acked.filter((id) => !stored.has(id));
      expect({ acked: acked.length, missing }).toEqual({ acked: acked.length, missing: [] });
      expect(server.output()).toMatch(/"msg":"shut down cleanly"/);
    } finally {
      rmSync(server.dataDir, { recursive: true, force: true });
    }
  });
});

describe('the bootstrap key', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
  const fresh = () => {
    const d = mkdtempSync(join(tmpdir(), 'temps-ops-'));
    dirs.push(d);
    return d;
  };

  it('stays revoked across restarts (TEMPS_BOOTSTRAP_API_KEY)', async () => {
    const dataDir = fresh();
    const first = await startServer({ dataDir });
    expect((await getJson(first, '/api/projects')).status).toBe(200);
    const keyId = /^(\S+) .*bootstrap/m.exec((await temps(dataDir, ['api-key', 'list'])).stdout)![1]!;
    await temps(dataDir, ['api-key', 'revoke', keyId]);
    expect((await getJson(first, '/api/projects')).status).toBe(401);
    await first.stop();

    const second = await startServer({ dataDir });
    try {
      expect((await getJson(second, '/api/projects')).status).toBe(401);
      expect(second.output()).toContain('TEMPS_BOOTSTRAP_API_KEY is not a live key here');
      const keys = (await temps(dataDir, ['api-key', 'list'])).stdout.trim().split('\n');
      expect(keys).toHaveLength(1);
      expect(keys[0]).toContain('revoked');
    } finally {
      await second.stop();
    }
  });

  it('is not made again once the first admin key was revoked (no TEMPS_BOOTSTRAP_API_KEY)', async () => {
    const dataDir = fresh();
    const env = { TEMPS_BOOTSTRAP_API_KEY: '' };
    const first = await startServer({ dataDir, env });
    const secret = /admin API key: +(tk_\S+)/.exec(first.output())![1]!;
    expect((await getJson(first, '/api/projects', secret)).status).toBe(200);
    const keyId = /^(\S+) /m.exec((await temps(dataDir, ['api-key', 'list'])).stdout)![1]!;
    await temps(dataDir, ['api-key', 'revoke', keyId]);
    await first.stop();

    const second = await startServer({ dataDir, env });
    try {
      expect(second.output()).not.toContain('admin API key:');
      expect((await getJson(second, '/api/projects', secret)).status).toBe(401);
      expect((await temps(dataDir, ['api-key', 'list'])).stdout.trim().split('\n')).toHaveLength(1);
    } finally {
      await second.stop();
    }
  });
});
