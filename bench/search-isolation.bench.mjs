// Ingest beside searches (part `search` of `npm run bench`; also runnable alone after `npm run build:server`:
// `node bench/search-isolation.bench.mjs`). A project with BENCH_SEARCH_SPANS spans (default 50,000) of message
// text (~500 bytes each), then an exporter posting 20-span requests one after another: its latency p50 / p99
// alone, then beside BENCH_SEARCH_LOOPS (8) viewers searching that project in loops (`?q=`: rare strings,
// common words, pairs of words, a word's middle), and /healthz meanwhile; and, as the floor, beside 8 loops of a
// call that reads no store (GET /api/projects). Issue 16: before the query threads,
// 8 loops on a 190k-span project took ingest p50 from ~8 ms to 3 s. Results: bench/results/search-isolation.json.
import { startTempsServer } from './support/temps-server.mjs';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { context, trace, SpanKind } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';

const root = join(import.meta.dirname, '..');
const SPANS = Number(process.env.BENCH_SEARCH_SPANS ?? 50_000);
const LOOPS = Number(process.env.BENCH_SEARCH_LOOPS ?? 8);
const PHASE_MS = Number(process.env.BENCH_SEARCH_PHASE_MS ?? 8_000);
const API_KEY = 'tk_bench_0123456789abcdefghijklmnop';
const headers = { Authorization: `Bearer ${API_KEY}`, 'X-Temps-Project-Id': '1' };
const WORDS = Array.from({ length: 3000 }, (_, i) => `w${(i * 7919).toString(36)}x`);

let seed = 7;
const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
const sentence = (n) => Array.from({ length: n }, () => WORDS[Math.floor(random() * WORDS.length)]).join(' ');
const pct = (values, p) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
};

/** `count` requests of `traces` agent traces (4 spans each) through the OTel SDK's protobuf serializer; `text`: message text per span. */
function requests(count, traces, text, offset = 0) {
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({ resource: resourceFromAttributes({ 'service.name': 'search-bench' }), spanProcessors: [new SimpleSpanProcessor({ exporter })] });
  const tracer = provider.getTracer('bench');
  const out = [];
  for (let r = 0; r < count; r++) {
    exporter.reset();
    for (let t = 0; t < traces; t++) {
      const n = offset + r * traces + t;
      const agent = tracer.startSpan('invoke_agent researcher', { attributes: { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.input.messages': JSON.stringify([{ role: 'user', content: `${text()} needle-${n}.` }]) } });
      const ctx = trace.setSpan(context.active(), agent);
      for (let c = 0; c < 3; c++) {
        const s = tracer.startSpan('chat gpt-4o', { kind: SpanKind.CLIENT }, ctx);
        s.setAttributes({ 'gen_ai.operation.name': 'chat', 'gen_ai.system': 'openai', 'gen_ai.request.model': 'gpt-4o', 'gen_ai.input.messages': JSON.stringify([{ role: 'user', content: text() }]) });
        s.end();
      }
      agent.end();
    }
    out.push(Buffer.from(ProtobufTraceSerializer.serializeRequest(exporter.getFinishedSpans())));
  }
  return out;
}

const startServer = (dataDir) => startTempsServer({ dataDir, apiKey: API_KEY });

async function timed(fn) {
  const t0 = performance.now();
  const status = await fn();
  return { status, ms: performance.now() - t0 };
}
const post = (url, body) => fetch(`${url}/api/otel/v1/traces`, { method: 'POST', headers: { ...headers, 'Content-Type': 'application/x-protobuf' }, body }).then(async (r) => (await r.arrayBuffer(), r.status));
const get = (url, path) => fetch(`${url}${path}`, { headers }).then(async (r) => (await r.arrayBuffer(), r.status));

export async function runSearchIsolationBench() {
  const load = requests(Math.ceil(SPANS / 400), 100, () => sentence(60));
  const exports = requests(50, 5, () => sentence(10), 10_000_000);
  const dataDir = mkdtempSync(join(tmpdir(), 'temps-bench-search-'));
  const { child, url } = await startServer(dataDir);
  try {
    console.log(`search    loading ${load.length * 400} spans (~500 bytes of message text each) into project 1...`);
    const t0 = performance.now();
    let next = 0;
    await Promise.all(Array.from({ length: 4 }, async () => {
      for (let i = next++; i < load.length; i = next++) if ((await post(url, load[i])) !== 200) throw new Error('load request refused');
    }));
    for (;;) {
      const res = await fetch(`${url}/api/projections`, { headers });
      if ((await res.json()).items?.[0]?.lagEvents === 0) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    const loadSeconds = (performance.now() - t0) / 1000;

    let k = 0;
    const exporter = async (ms) => {
      const out = [];
      for (const until = performance.now() + ms; performance.now() < until; ) {
        const r = await timed(() => post(url, exports[k++ % exports.length]));
        if (r.status !== 200) throw new Error(`export answered ${r.status}`);
        out.push(r.ms);
        await new Promise((r2) => setTimeout(r2, 20));
      }
      return out;
    };
    const healthLoop = (state) => (async () => {
      const out = [];
      while (!state.stop) {
        out.push((await timed(() => get(url, '/healthz'))).ms);
        await new Promise((r) => setTimeout(r, 100));
      }
      return out;
    })();

    await exporter(1_000); // warm
    const idleState = { stop: false };
    const idleHealth = healthLoop(idleState);
    const idle = await exporter(PHASE_MS);
    idleState.stop = true;

    // The floor: the same 8 loops on a call that reads no store (GET /api/projects): what HTTP handling alone on
    // the main thread costs the exporter, whatever the queries do.
    const floorState = { stop: false };
    const floorCalls = [];
    const floorLoops = Array.from({ length: LOOPS }, async () => {
      while (!floorState.stop) floorCalls.push(await timed(() => get(url, '/api/projects')));
    });
    await new Promise((r) => setTimeout(r, 500));
    const floor = await exporter(PHASE_MS);
    floorState.stop = true;
    await Promise.all(floorLoops);

    const state = { stop: false };
    const searches = [];
    const loops = Array.from({ length: LOOPS }, async (_, i) => {
      for (let n = i; !state.stop; n += LOOPS) {
        const q = [`needle-${(n * 7919) % (load.length * 100)}.`, WORDS[(n * 31) % WORDS.length], `${WORDS[n % WORDS.length]} ${WORDS[(n + 1) % WORDS.length]}`, WORDS[(n * 13) % WORDS.length].slice(1, 5)][n % 4];
        searches.push(await timed(() => get(url, `/api/projects/1/ai/traces?limit=50&q=${encodeURIComponent(q)}`)));
      }
    });
    await new Promise((r) => setTimeout(r, 500));
    const busyHealth = healthLoop(state);
    const busy = await exporter(PHASE_MS);
    state.stop = true;
    await Promise.all(loops);

    const result = {
      date: new Date().toISOString(),
      spans: load.length * 400,
      loadSeconds: Number(loadSeconds.toFixed(1)),
      searchLoops: LOOPS,
      ingestMs: {
        idle: { p50: Number(pct(idle, 50).toFixed(1)), p99: Number(pct(idle, 99).toFixed(1)), samples: idle.length },
        beside: { p50: Number(pct(busy, 50).toFixed(1)), p99: Number(pct(busy, 99).toFixed(1)), samples: busy.length },
        p99Ratio: Number((pct(busy, 99) / pct(idle, 99)).toFixed(2)),
        besideTrivialCalls: { p50: Number(pct(floor, 50).toFixed(1)), p99: Number(pct(floor, 99).toFixed(1)), samples: floor.length, calls: floorCalls.length },
      },
      healthzP99Ms: { idle: Number(pct(await idleHealth, 99).toFixed(1)), beside: Number(pct(await busyHealth, 99).toFixed(1)) },
      searches: {
        count: searches.length,
        perSecond: Number((searches.length / (PHASE_MS / 1000)).toFixed(1)),
        p50Ms: Math.round(pct(searches.map((s) => s.ms), 50)),
        status503: searches.filter((s) => s.status === 503).length,
        other: searches.filter((s) => s.status !== 200 && s.status !== 503).length,
      },
    };
    mkdirSync(join(root, 'bench/results'), { recursive: true });
    writeFileSync(join(root, 'bench/results/search-isolation.json'), JSON.stringify(result, null, 2));
    const r = result.ingestMs;
    console.log(`search    ${result.spans.toLocaleString('en-US')} spans loaded and projected in ${result.loadSeconds} s`);
    console.log(`search    ingest (20-span exports) alone:               p50 ${r.idle.p50} ms   p99 ${r.idle.p99} ms   (${r.idle.samples} exports)`);
    console.log(`search    ingest beside ${LOOPS} search loops:             p50 ${r.beside.p50} ms   p99 ${r.beside.p99} ms   p99 ratio ${r.p99Ratio} (goal <= 2)`);
    console.log(`search    ingest beside ${LOOPS} loops of GET /api/projects: p50 ${r.besideTrivialCalls.p50} ms   p99 ${r.besideTrivialCalls.p99} ms   (no store read: HTTP handling alone)`);
    console.log(`search    /healthz p99: alone ${result.healthzP99Ms.idle} ms, beside the searches ${result.healthzP99Ms.beside} ms`);
    console.log(`search    searches: ${result.searches.count} in ${PHASE_MS / 1000} s, p50 ${result.searches.p50Ms} ms, ${result.searches.status503} answered 503 (over TEMPS_QUERY_TIMEOUT_MS)`);
    return result;
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  await runSearchIsolationBench();
}
