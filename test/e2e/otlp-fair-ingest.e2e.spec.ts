import http from 'node:http';
import { gzipSync } from 'node:zlib';
import { buildAgentRequests } from '../support/otlp-bodies';
import { decodeReply, hexId, PROTOBUF, postOtlp, RpcCode, str, traceRequest, type OtlpReply } from '../support/otlp-raw';
import { createApiKey, createDeploymentToken, processMemory, temps } from '../support/server-inspect';
import { tenantExporter } from '../support/tenant-exporter';
import { startServer, type RunningServer } from '../support/temps-server';

/**
 * Fair ingest, tried as an outsider would (real server, real sockets): one tenant's slow senders or
 * gzip burst cost that tenant, never the others; a slow body gets 408 and frees its slot; the in-flight
 * byte budget counts bytes as they are inflated.
 */

const MiB = 1024 * 1024;
const BODY_TIMEOUT_MS = 3_000;
const TRACES = '/api/otel/v1/traces';
/** Google's DEADLINE_EXCEEDED: the 408's google.rpc.Status code. */
const DEADLINE_EXCEEDED = 4;

interface SlowOutcome {
  reply: OtlpReply;
  /** When the answer came, ms after the request head was sent. */
  answeredAfterMs: number;
}

/**
 * Declares a body of `declaredBytes` and sends 100 bytes of it every 250 ms, never finishing: a
 * sender that holds its connection open. Resolves with the server's answer.
 */
function slowSender(url: string, headers: Record<string, string>, declaredBytes: number): Promise<SlowOutcome> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', headers: { ...headers, 'Content-Length': String(declaredBytes) }, agent: false });
    const started = Date.now();
    let answered = false;
    const timer = setInterval(() => answered || req.write(Buffer.alloc(100, 0x0a)), 250);
    req.on('response', (res) => {
      answered = true;
      clearInterval(timer);
      const answeredAfterMs = Date.now() - started;
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const h = new Headers();
        for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) h.set(k, Array.isArray(v) ? v.join(', ') : v);
        resolve({ reply: decodeReply(url, res.statusCode!, h, Buffer.concat(chunks)), answeredAfterMs });
        req.destroy();
      });
      res.on('error', reject);
    });
    // Once answered, the server closes the connection under the rest of the body (EPIPE): expected.
    req.on('error', (err) => (answered ? undefined : (clearInterval(timer), reject(err))));
    req.flushHeaders();
  });
}

const percentile = (values: number[], p: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
};

describe('fair ingest: one tenant slow or bursting costs that tenant, never the others', () => {
  let server: RunningServer;
  let dt: string;
  let otherKey: string;
  let otherProject: string;
  const exports = buildAgentRequests(200, 5); // 20 spans each, fresh ids: the other tenant's normal traffic

  beforeAll(async () => {
    server = await startServer({ env: { TEMPS_INGEST_BODY_TIMEOUT_MS: String(BODY_TIMEOUT_MS) } });
    dt = await createDeploymentToken(server.dataDir, '1', 'prod', 'web-1');
    otherProject = (await temps(server.dataDir, ['project', 'create', '--name', 'other-tenant'])).stdout.trim();
    otherKey = (await createApiKey(server.dataDir, 'other-exporter', 'member', otherProject)).secret;
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
  });

  const abuser = () => ({ Authorization: `Bearer ${dt}`, 'Content-Type': PROTOBUF });
  const other = () => ({ Authorization: `Bearer ${otherKey}`, 'X-Temps-Project-Id': otherProject, 'Content-Type': PROTOBUF });
  /** The other tenant's exporter: one export after another for `ms`; every status and latency. */
  const otherTenantExports = tenantExporter(() => `${server.url}${TRACES}`, exports, other);

  it('the other tenant exports alone: 200s', async () => {
    const { statuses } = await otherTenantExports(1_000);
    expect(new Set(statuses)).toEqual(new Set([200]));
  });

  for (const [label, declared] of [
    ['16 MiB bodies (the byte share runs out first)', 16 * MiB],
    ['64 KiB bodies (the request share runs out first)', 64 * 1024],
  ] as const) {
    it(`20 slow senders with one dt_ token declaring ${label}: 429 past its share, 408 after TEMPS_INGEST_BODY_TIMEOUT_MS, while the other tenant keeps getting 200 in its normal latency`, async () => {
      // The other tenant's normal latency, just before (this machine's load changes from minute to minute).
      const alone = await otherTenantExports(1_500);
      const idle = { p50: percentile(alone.latencies, 50), p99: percentile(alone.latencies, 99) };
      const url = `${server.url}${TRACES}`;
      const slow = Promise.all(Array.from({ length: 20 }, () => slowSender(url, abuser(), declared)));
      await new Promise((r) => setTimeout(r, 200)); // the slow ones are in
      const during = await otherTenantExports(BODY_TIMEOUT_MS - 600);
      const outcomes = await slow;

      // The other tenant: every export accepted, at about its usual speed.
      expect(new Set(during.statuses)).toEqual(new Set([200]));
      const p50 = percentile(during.latencies, 50);
      const p99 = percentile(during.latencies, 99);
      console.log(
        `other tenant alone: p50 ${idle.p50.toFixed(1)} ms, p99 ${idle.p99.toFixed(1)} ms; beside 20 slow senders (${label}): ${during.latencies.length} exports, p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms`,
      );
      // Before fair shares these were 429s for as long as the slow senders stayed (Node's 300 s request timeout).
      expect(p50).toBeLessThan(idle.p50 * 3 + 50);
      expect(p99).toBeLessThan(idle.p99 * 3 + 250);

      // The abuser: what its share admits waits out the deadline and gets 408; the rest gets 429 at once.
      const timedOut = outcomes.filter((o) => o.reply.status === 408);
      const refused = outcomes.filter((o) => o.reply.status === 429);
      expect(timedOut.length + refused.length).toBe(outcomes.length);
      // Defaults: a credential holds at most 16 of the 64 slots and 16 of the 64 MiB (one body of 16 MiB).
      expect(timedOut.length).toBe(declared === 16 * MiB ? 1 : 16);
      for (const o of timedOut) {
        expect(o.answeredAfterMs).toBeGreaterThanOrEqual(BODY_TIMEOUT_MS - 50);
        expect(o.answeredAfterMs).toBeLessThan(BODY_TIMEOUT_MS + 2_000);
        expect(o.reply.headers.get('connection')).toBe('close');
        expect(o.reply.contentType).toBe(PROTOBUF);
        expect(o.reply.rpc).toMatchObject({ code: DEADLINE_EXCEEDED, message: expect.stringMatching(/not received within 3000 ms/) });
      }
      for (const o of refused) {
        expect(o.answeredAfterMs).toBeLessThan(1_000);
        expect(o.reply.headers.get('retry-after')).toBe('1');
        expect(o.reply.rpc).toMatchObject({ code: RpcCode.RESOURCE_EXHAUSTED, message: expect.stringMatching(/in flight for this credential/) });
      }
    });
  }

  it('after the 408s the slow tenant has its whole share back: 16 concurrent exports with its dt_ token are all accepted', async () => {
    const batch = buildAgentRequests(16, 2);
    const replies = await Promise.all(batch.map((r) => postOtlp(`${server.url}${TRACES}`, r.body, abuser())));
    expect(replies.map((r) => r.status)).toEqual(Array(16).fill(200));
  });
});

describe('fair ingest: a gzip burst is bounded by its inflated bytes (default limits)', () => {
  let server: RunningServer;
  let otherProject: string;

  beforeAll(async () => {
    server = await startServer();
    otherProject = (await temps(server.dataDir, ['project', 'create', '--name', 'other-tenant'])).stdout.trim();
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
  });

  it('60 concurrent gzip exports (~0.9 MiB each, ~14 MiB inflated): the in-flight bytes are counted inflated, the excess gets 429, peak RSS stays bounded', async () => {
    // Six distinct exports, each sent ten times (a copy's spans are stored once: less disk for the same work).
    const distinct = Array.from({ length: 6 }, (_, i) => bigExport(i));
    const gzipped = distinct.map((b) => gzipSync(b));
    const bodies = Array.from({ length: 60 }, (_, i) => gzipped[Math.floor(i / 10)]!);
    const inflated = distinct[0]!.length;
    expect(bodies[0]!.length).toBeGreaterThan(0.8 * MiB);
    expect(bodies[0]!.length).toBeLessThan(1 * MiB);
    expect(inflated).toBeGreaterThan(13 * MiB);
    expect(inflated).toBeLessThan(16 * MiB);

    // Four credentials on two projects, 15 requests each: the total budget binds, not only one share.
    const senders: Record<string, string>[] = [
      { Authorization: `Bearer ${server.apiKey}`, 'X-Temps-Project-Id': '1' },
      { Authorization: `Bearer ${await createDeploymentToken(server.dataDir, '1', 'prod', 'web-2')}` },
      { Authorization: `Bearer ${(await createApiKey(server.dataDir, 'burst-1', 'member', otherProject)).secret}`, 'X-Temps-Project-Id': otherProject },
      { Authorization: `Bearer ${(await createApiKey(server.dataDir, 'burst-2', 'member', otherProject)).secret}`, 'X-Temps-Project-Id': otherProject },
    ];
    const before = processMemory(server.process.pid!);
    const replies = await Promise.all(
      bodies.map((body, i) => postOtlp(`${server.url}${TRACES}`, body, { ...senders[i % senders.length]!, 'Content-Type': PROTOBUF, 'Content-Encoding': 'gzip' })),
    );
    const after = processMemory(server.process.pid!);
    const accepted = replies.filter((r) => r.status === 200).length;
    const refused = replies.filter((r) => r.status === 429);
    // A writer that cannot keep up with 14 MiB appends answers 503 + Retry-After: back-pressure too, retried by exporters.
    const unavailable = replies.filter((r) => r.status === 503);
    console.log(
      `gzip burst: ${accepted} x 200, ${refused.length} x 429, ${unavailable.length} x 503; peak RSS ${(before.peakRss / MiB).toFixed(0)} MiB before, ${(after.peakRss / MiB).toFixed(0)} MiB after`,
    );
    expect(replies.map((r) => r.status).filter((s) => s !== 200 && s !== 429 && s !== 503)).toEqual([]);
    expect(accepted).toBeGreaterThan(0);
    expect(refused.length).toBeGreaterThan(20);
    for (const r of refused) {
      expect(r.headers.get('retry-after')).toBe('1');
      expect(r.rpc).toMatchObject({ code: RpcCode.RESOURCE_EXHAUSTED, message: expect.stringMatching(/in flight/) });
    }
    for (const r of unavailable) expect(r.rpc).toMatchObject({ code: RpcCode.UNAVAILABLE });
    // 60 x 14 MiB inflated at once would be 840 MiB of bodies alone (2.25 GiB RSS measured before the fix).
    expect(after.peakRss).toBeLessThan(BURST_PEAK_RSS_BOUND);
  }, 120_000);
});

/** Peak RSS allowed for the gzip burst: the process (~190 MiB), 64 MiB of bodies in flight with their decoding and append, and the projector folding what was accepted (612 MiB measured). */
const BURST_PEAK_RSS_BOUND = 768 * MiB;

const WORDS = 'the model answered tool call with a long reasoning trace about weather in Paris tokens assistant user system message content function result json value error retry agent step plan search document chunk'.split(' ');

/** An OTLP trace export of ~14 MiB of text-like attributes (sentences of a small vocabulary) that gzip to ~0.9 MiB, with fresh ids. */
function bigExport(seed: number): Buffer {
  let state = seed + 1;
  const next = () => (state = (state * 1103515245 + 12345) & 0x7fffffff);
  const sentences = Array.from({ length: 24 }, () => `${Array.from({ length: 8 }, () => WORDS[next() % WORDS.length]).join(' ')}. `);
  const text = (bytes: number) => {
    const parts: string[] = [];
    for (let n = 0; n < bytes; ) {
      const part = `${sentences[next() % sentences.length]}${next() % 1000} `;
      parts.push(part);
      n += part.length;
    }
    return parts.join('').slice(0, bytes);
  };
  const traceId = hexId(16);
  const spans = Array.from({ length: 112 }, () => ({
    traceId,
    spanId: hexId(8),
    name: 'chat gpt-4o',
    attributes: [0, 1, 2, 3].map((k) => str(`app.text.${k}`, text(32 * 1024))),
  }));
  return traceRequest(spans, 'burst-app');
}
