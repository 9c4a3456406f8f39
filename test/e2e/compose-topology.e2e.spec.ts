import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MongoClient } from 'mongodb';
import { io, type Socket } from 'socket.io-client';
import { caddyAdapt, caddyClosesBodyOnDialRetry, caddyVersion, describeWithCaddy, localizeCaddyConfig, startCaddy, type RunningCaddy } from '../support/caddy';
import { loadCompose, localServiceEnv, runHealthcheck } from '../support/compose-file';
import { sendAgentTrace } from '../support/send-spans';
import { startServiceDns, type ServiceDns } from '../support/service-dns';
import { eventually, getJson, repoRoot, startServer, TEST_API_KEY, type RunningServer } from '../support/temps-server';

/**
 * docker-compose.yml's topology as local processes (no Docker here): its temps services with their replica
 * counts (2 ingest, 2 api, 2 projectors), each a built `temps serve` with the service's environment, each replica
 * on its own loopback address as each container has its own; the proxy service is Caddy itself running
 * deploy/Caddyfile (through `caddy adapt`), its service names answered by a small DNS server as compose's DNS
 * answers them. Swapped, because they cannot run here: KurrentDB for the embedded SQLite event store on one shared
 * data dir, MongoDB for FerretDB when MONGO_URL is set (else the SQLite read store). The seed's agent trace goes in
 * through the proxy, reads back through it, and sockets on both api replicas, through the proxy, hear it live.
 */
jest.setTimeout(180_000);

const compose = loadCompose();
const mongoUrl = process.env.MONGO_URL;
const CONTAINER_ADDRESS = '127.0.0.1:8080';
/** One loopback address per replica, as compose gives each container its own. */
const ADDRESSES: Record<string, string[]> = { ingest: ['127.0.0.11', '127.0.0.12'], api: ['127.0.0.21', '127.0.0.22'], projector: ['127.0.0.31', '127.0.0.32'] };

describeWithCaddy(`docker-compose.yml run as local processes behind Caddy (read store: ${mongoUrl ? 'FerretDB' : 'SQLite'})`, () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'temps-compose-'));
  const database = `temps_compose_${randomBytes(4).toString('hex')}`;
  const replicas: Record<string, { server: RunningServer; url: string; address: string }[]> = {};
  let port = 0;
  let dns: ServiceDns;
  let proxy: RunningCaddy;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    for (const name of Object.keys(ADDRESSES)) expect(compose.services[name]!.deploy?.replicas).toBe(ADDRESSES[name]!.length);
    port = await portFreeOn(Object.values(ADDRESSES).flat());
    const readStore = mongoUrl ? Object.assign(new URL(mongoUrl), { pathname: `/${database}` }).toString() : undefined;
    const start = async (name: string, address: string) => {
      const { env } = localServiceEnv(compose.services[name]!, { dataDir, host: address, port, mongoUrl: readStore });
      const server = await startServer({ dataDir, env });
      return { server, url: `http://${address}:${port}`, address };
    };
    // The first ingest alone (it makes project 1, the admin key and the prices), then the other five at once.
    const first = await start('ingest', ADDRESSES.ingest![0]!);
    const [ingest2, api, projector] = await Promise.all([
      start('ingest', ADDRESSES.ingest![1]!),
      Promise.all(ADDRESSES.api!.map((a) => start('api', a))),
      Promise.all(ADDRESSES.projector!.map((a) => start('projector', a))),
    ]);
    Object.assign(replicas, { ingest: [first, ingest2], api, projector });
    dns = await startServiceDns(ADDRESSES);
    const listen = `127.0.0.1:${await portFreeOn(['127.0.0.1'])}`;
    proxy = await startCaddy(localizeCaddyConfig(caddyAdapt(join(repoRoot, 'deploy/Caddyfile')), { listen, upstreamPort: port, resolver: dns.address, bufferRequests: caddyClosesBodyOnDialRetry }), listen);
  });
  afterAll(async () => {
    for (const s of sockets) s.close();
    await proxy?.stop();
    await dns?.close();
    await Promise.all(Object.values(replicas).flat().map((r) => r.server.stop()));
    if (mongoUrl) {
      const admin = new MongoClient(mongoUrl);
      await admin.db(database).dropDatabase().catch(() => undefined);
      await admin.close();
    }
    rmSync(dataDir, { recursive: true, force: true });
  });

  const auth = { Authorization: `Bearer ${TEST_API_KEY}` };
  const otlp = (path: string) => fetch(`${proxy.url}${path}`, { method: 'POST', headers: { ...auth, 'Content-Type': 'application/json', 'X-Temps-Project-Id': '1' }, body: '{}' });

  it('every replica passes its service\'s compose health check; the proxy\'s passes through Caddy', async () => {
    for (const [name, list] of Object.entries(replicas)) {
      for (const r of list) {
        const check = await runHealthcheck(compose.services[name]!.healthcheck!.test, CONTAINER_ADDRESS, `${r.address}:${port}`);
        expect([name, r.address, check.code, check.output]).toEqual([name, r.address, 0, '']);
      }
    }
    const proxyCheck = await runHealthcheck(compose.services.proxy!.healthcheck!.test, CONTAINER_ADDRESS, new URL(proxy.url).host);
    expect([proxyCheck.code, proxyCheck.output]).toEqual([0, '{"status":"ok","role":"api"}']);
  });

  it('Caddy sends each path where the Caddyfile says: OTLP (all three bases) to ingest, the API, /healthz, socket.io and the dashboard to api', async () => {
    // an api replica answers OTLP with 404 and an ingest replica the query API and the dashboard with 404: a 200 says who answered
    for (const path of ['/api/otel/v1/traces', '/api/v1/traces', '/v1/traces', '/api/otel/v1/logs', '/v1/metrics']) expect([path, (await otlp(path)).status]).toEqual([path, 200]);
    // ids in the path: the ingest replica checks them against the credential (an api replica would say 404)
    expect((await otlp('/api/otel/v1/1/production/web-42/traces')).status).not.toBe(404);
    for (const path of ['/api/projects/1/ai/traces', '/api/ai/v1/models', '/api/projections']) expect([path, (await getJson({ url: proxy.url, apiKey: TEST_API_KEY }, path)).status]).toEqual([path, 200]);
    expect(await (await fetch(`${proxy.url}/healthz`)).json()).toEqual({ status: 'ok', role: 'api' });
    const page = await fetch(`${proxy.url}/projects/1/ai/traces`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toMatch(/<!doctype html>/i);
    const asset = /\/_app\/immutable\/[^"']+\.js/.exec(html)![0];
    expect((await fetch(`${proxy.url}${asset}`)).status).toBe(200);
    const handshake = await fetch(`${proxy.url}/socket.io/?EIO=4&transport=polling`);
    expect(handshake.status).toBe(200);
    expect(await handshake.text()).toMatch(/^0\{"sid":/);
    // the upstreams were found by their service names, as compose's DNS answers them
    expect([...dns.asked.keys()].map((n) => n.split('.')[0]).sort()).toEqual(expect.arrayContaining(['api', 'ingest']));
  });

  it('one projector holds the lease, the other stands by', async () => {
    const details = await eventually(async () => {
      const d = await Promise.all(replicas.projector!.map(async (p) => ((await (await fetch(`${p.url}/readyz`)).json()) as { checks: { name: string; detail?: string }[] }).checks.find((c) => c.name === 'projector lease held or followed')?.detail ?? ''));
      return d.filter((x) => x.startsWith('holder')).length === 1 && d.filter((x) => x.startsWith('standby')).length === 1 ? d : undefined;
    }, 30_000, 'one holder and one standby');
    expect(details).toHaveLength(2);
  });

  it('the seed\'s agent trace, sent through the proxy, reads back through it; sockets on both api replicas (websocket and sticky polling), through the proxy, hear trace.updated', async () => {
    // Caddy's cookie policy: a request without the cookie goes to some replica and is told its cookie. One cookie per replica:
    const cookies = new Set<string>();
    for (let i = 0; i < 60 && cookies.size < 2; i++) {
      const res = await fetch(`${proxy.url}/healthz`);
      const cookie = /temps_api=[^;]+/.exec(res.headers.get('set-cookie') ?? '')?.[0];
      if (cookie) cookies.add(cookie);
    }
    expect(cookies.size).toBe(2);
    const [one, two] = [...cookies];
    const connect = (cookie: string, transport: 'websocket' | 'polling') =>
      new Promise<Socket>((resolve, reject) => {
        const socket = io(proxy.url, { auth: { token: TEST_API_KEY, projectId: '1' }, transports: [transport], extraHeaders: { Cookie: cookie }, reconnection: false });
        sockets.push(socket);
        socket.once('connect', () => resolve(socket));
        socket.once('connect_error', reject);
      });
    const heard = (socket: Socket) => {
      const seen = new Set<string>();
      socket.on('trace.updated', (item: { traceId: string; spanCount?: number }) => seen.add(item.traceId));
      return seen;
    };
    const onOne = heard(await connect(one!, 'websocket'));
    const onTwo = heard(await connect(two!, 'websocket'));
    const polling = heard(await connect(one!, 'polling'));
    // each cookie pinned its sockets to one replica: the two websockets are on different api replicas
    const clients = await eventually(async () => {
      const counts = await Promise.all(replicas.api!.map(async (r) => Number(/^temps_socketio_clients (\d+)$/m.exec((await getJson({ url: r.url, apiKey: TEST_API_KEY }, '/metrics')).body as string)?.[1])));
      return counts.sort().join(',') === '1,2' ? counts : undefined;
    }, 10_000, 'one api replica with 2 sockets (cookie one), the other with 1 (cookie two)');
    expect(clients.sort()).toEqual([1, 2]);

    for (const path of ['/api/otel/v1/traces', '/api/v1/traces', '/v1/traces']) {
      const { traceId } = await sendAgentTrace(proxy.url, TEST_API_KEY, '1', { path });
      await eventually(async () => (onOne.has(traceId) && onTwo.has(traceId) && polling.has(traceId) ? true : undefined), 20_000, `trace.updated for ${traceId} (sent to ${path}) on every socket`);
      const trace = await eventually(async () => {
        const { status, body } = await getJson({ url: proxy.url, apiKey: TEST_API_KEY }, `/api/projects/1/ai/traces/${traceId}`);
        return status === 200 && body.spans.length === 4 ? body : undefined;
      }, 20_000, `trace ${traceId} whole through the proxy`);
      expect(trace.trace).toMatchObject({ traceId, spanCount: 4, rootSpanName: 'invoke_agent research-assistant', inputTokens: 560, outputTokens: 128 });
      // and the same from each api replica: one read store behind both
      for (const r of replicas.api!) expect((await getJson({ url: r.url, apiKey: TEST_API_KEY }, `/api/projects/1/ai/traces/${traceId}`)).body.spans).toHaveLength(4);
    }
  });

  const leaseDetail = async (p: { url: string }) => ((await (await fetch(`${p.url}/readyz`)).json()) as { checks: { name: string; detail?: string }[] }).checks.find((c) => c.name === 'projector lease held or followed')?.detail ?? '';

  it('docker compose stop of the lease holder (SIGTERM): it releases the lease, the standby takes over at once (well within the lease), and live updates go on', async () => {
    const ttlMs = Number(compose.services.projector!.environment!.TEMPS_LEASE_TTL_MS);
    const details = await Promise.all(replicas.projector!.map(leaseDetail));
    const holder = replicas.projector![details.findIndex((d) => d.startsWith('holder'))]!;
    const standby = replicas.projector!.find((p) => p !== holder)!;
    const stoppedAt = Date.now();
    await holder.server.stop('SIGTERM');
    expect(holder.server.process.exitCode).toBe(0);
    await eventually(async () => ((await leaseDetail(standby)).startsWith('holder') ? true : undefined), ttlMs * 3, 'the standby holding the lease');
    const takeoverMs = Date.now() - stoppedAt;
    process.stdout.write(`compose topology: standby took over ${takeoverMs} ms after SIGTERM of the holder (lease ${ttlMs} ms)\n`);
    expect(takeoverMs).toBeLessThan(ttlMs);
    const socket = await new Promise<Socket>((resolve, reject) => {
      const s = io(proxy.url, { auth: { token: TEST_API_KEY, projectId: '1' }, transports: ['websocket'], reconnection: false });
      sockets.push(s);
      s.once('connect', () => resolve(s));
      s.once('connect_error', reject);
    });
    const seen = new Set<string>();
    socket.on('trace.updated', (item: { traceId: string }) => seen.add(item.traceId));
    const { traceId } = await sendAgentTrace(proxy.url, TEST_API_KEY, '1');
    await eventually(async () => (seen.has(traceId) ? true : undefined), 20_000, 'trace.updated from the new holder');
  });

  // On a Caddy older than the image compose pins, with the stand-in for its retry fix (test/support/caddy.ts).
  it(`one ingest and one api replica stopped: every request through the proxy still succeeds (Caddy tries another replica within lb_try_duration)${caddyClosesBodyOnDialRetry ? ` (Caddy ${caddyVersion().join('.')}: with buffer_requests, for caddy#7546)` : ''}`, async () => {
    const cookieOf = async () => {
      for (let i = 0; i < 60; i++) {
        const res = await fetch(`${proxy.url}/healthz`);
        const cookie = /temps_api=[^;]+/.exec(res.headers.get('set-cookie') ?? '')?.[0];
        if (cookie) return cookie;
      }
      throw new Error('no temps_api cookie from the proxy');
    };
    // a session pinned to each api replica before one goes
    const pinned = new Set<string>();
    for (let i = 0; i < 60 && pinned.size < 2; i++) pinned.add(await cookieOf());
    await replicas.ingest![1]!.server.stop('SIGTERM');
    await replicas.api![1]!.server.stop('SIGTERM');
    for (let i = 0; i < 6; i++) expect((await otlp('/api/otel/v1/traces')).status).toBe(200);
    for (const cookie of pinned) {
      const res = await fetch(`${proxy.url}/api/projects/1/ai/traces`, { headers: { ...auth, Cookie: cookie } });
      expect(res.status).toBe(200);
    }
    const { traceId } = await sendAgentTrace(proxy.url, TEST_API_KEY, '1');
    await eventually(async () => ((await getJson({ url: proxy.url, apiKey: TEST_API_KEY }, `/api/projects/1/ai/traces/${traceId}`)).body.spans?.length === 4 ? true : undefined), 20_000, 'the trace through the remaining replicas');
  });
});

/** A port free on every one of these loopback addresses (each replica listens on the same port, on its own address). */
async function portFreeOn(addresses: string[]): Promise<number> {
  const listen = (host: string, p: number) =>
    new Promise<number | null>((resolve) => {
      const s = createServer();
      s.once('error', () => resolve(null));
      s.listen(p, host, () => {
        const { port } = s.address() as { port: number };
        s.close(() => resolve(port));
      });
    });
  for (let i = 0; i < 20; i++) {
    const p = await listen(addresses[0]!, 0);
    if (p === null) continue;
    const rest = await Promise.all(addresses.slice(1).map((a) => listen(a, p)));
    if (rest.every((x) => x === p)) return p;
  }
  throw new Error(`no port free on all of ${addresses.join(', ')}`);
}

