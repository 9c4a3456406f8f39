// npm run bench: ingest throughput and ack-to-visible latency of `temps serve`, each beside a
// baseline measured in the same run (these machines are noisy: read the ratios, not the raw numbers).
//
//  1. Baseline: protobuf decode alone (the generated ExportTraceServiceRequest.decode) of the exact
//     request bodies the senders will post, in spans/s on one core.
//  2. Ingest: 4 concurrent senders POST 512-span protobuf batches to a fresh `temps serve`; acked spans/s. They
//     post as the OTel SDK's OTLP/HTTP exporters do (node:http, keep-alive: bench/support/otlp-poster.mjs).
//     Then as many other spans again at once: the same server once V8 has compiled its code (the first
//     round pays for that, about a third more CPU), with the projector still behind from the first.
//     Ratio = ingest / decode baseline.
//  3. The same spans as OTLP/JSON and as gzip'd protobuf (each on a fresh server), ratio to (2).
//  4. Ack-to-visible: one 4-span trace at a time; time from the 200 to the trace being returned by the
//     query API with all its spans (polled every 2 ms). p50 / p99.
//  5. Overload: 96 requests at once, against a server with the in-flight bound (16) and one without
//     (the same-run baseline); peak RSS (VmHWM) of each and the 429s: the bound turns load into 429s,
//     not memory growth.
//  6. Rebuild and queries (bench/rebuild-query.bench.mjs): replay speed of a forced rebuild (750k events, BENCH_REPLAY_EVENTS)
//     on the embedded stores beside a raw log read in the same run; list / detail / usage p50 and p99.
//  7. AI Gateway overhead (bench/gateway.bench.mjs): p50 / p99 of a chat call through /api/ai/v1 vs straight to the
//     same local mock provider, non-streaming and time to first token, in the same run.
//  8. EventStoreDB on the simulator (bench/esdb-simulator.bench.mjs): ingest and a first build through the ESDB
//     adapter at 8 ms per append, beside the embedded store in the same run; round trips per request.
//
// BENCH_PARTS=ingest,search,rebuild,gateway,esdb (default all five) runs a part alone; `search`: ingest p50 / p99
// alone and beside 8 search loops on a 50k-span project, and /healthz (bench/search-isolation.bench.mjs).
import { benchServerNodeArgs, startTempsServer } from './support/temps-server.mjs';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { JsonTraceSerializer } from '@opentelemetry/otlp-transformer';
import { agentTraceRequests as makeRequests } from './support/agent-trace-requests.mjs';
import { otlpPoster } from './support/otlp-poster.mjs';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { runGatewayBench } from './gateway.bench.mjs';
import { runRebuildQueryBench } from './rebuild-query.bench.mjs';
import { runEsdbSimulatorBench } from './esdb-simulator.bench.mjs';
import { runSearchIsolationBench } from './search-isolation.bench.mjs';

const root = join(import.meta.dirname, '..');
const require = createRequire(import.meta.url);
const BATCH = 512;
const SENDERS = 4;
const BATCHES_PER_SENDER = Number(process.env.BENCH_BATCHES_PER_SENDER ?? 12);
const LATENCY_SAMPLES = Number(process.env.BENCH_LATENCY_SAMPLES ?? 100);
const API_KEY = 'tk_bench_0123456789abcdefghijklmnop';

const startServer = (dataDir, env = {}) => startTempsServer({ dataDir, apiKey: API_KEY, env, nodeArgs: benchServerNodeArgs() });

/** Runs `fn` against a fresh server on a fresh data dir; returns fn's result and the server's peak RSS. */
async function withServer(fn, env) {
  const dataDir = mkdtempSync(join(tmpdir(), 'temps-bench-'));
  const { child, url } = await startServer(dataDir, env);
  try {
    const result = await fn(url);
    const peakRssMiB = Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))[1]) / 1024;
    return { ...result, peakRssMiB: Math.round(peakRssMiB) };
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const auth = { Authorization: `Bearer ${API_KEY}`, 'X-Temps-Project-Id': '1' };
const protobufHeaders = { 'Content-Type': 'application/x-protobuf', ...auth };
const poster = otlpPoster();
const post = (url, body, headers = protobufHeaders) => poster.post(url, '/api/otel/v1/traces', body, headers);

/** `senders` concurrent loops post every body once (a 429/503 is retried after a short pause); acked spans/s. */
async function pushAll(url, bodies, senders, headers) {
  const queue = [...bodies];
  let acked = 0;
  let throttled = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: senders }, async () => {
      for (let b = queue.shift(); b; b = queue.shift()) {
        for (;;) {
          const status = await post(url, b, headers);
          if (status === 200) break;
          if (status !== 429 && status !== 503) throw new Error(`export answered ${status}`);
          throttled++;
          await new Promise((r) => setTimeout(r, 50));
        }
        acked += BATCH;
      }
    }),
  );
  return { spansPerSec: acked / ((performance.now() - t0) / 1000), throttled };
}

const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
const fmt = (n) => Math.round(n).toLocaleString('en-US');
const ratio = (a, b) => Number((a / b).toFixed(3));

const PARTS = new Set((process.env.BENCH_PARTS ?? 'ingest,search,rebuild,gateway,esdb').split(',').map((p) => p.trim()));

async function main() {
  if (PARTS.has('ingest')) await ingestBench();
  poster.close();
  if (PARTS.has('search')) {
    console.log('');
    await runSearchIsolationBench();
  }
  if (PARTS.has('rebuild')) {
    console.log('');
    await runRebuildQueryBench();
  }
  if (PARTS.has('gateway')) {
    console.log('');
    await runGatewayBench();
  }
  if (PARTS.has('esdb')) {
    console.log('');
    await runEsdbSimulatorBench();
  }
}

async function ingestBench() {
  const count = SENDERS * BATCHES_PER_SENDER;
  console.log(`preparing ${count} requests of ${BATCH} spans with the OTel SDK serializers (protobuf, JSON)...`);
  const bodies = makeRequests(count, BATCH);
  const warmBodies = makeRequests(count, BATCH);
  const jsonBodies = makeRequests(count, BATCH, JsonTraceSerializer);
  const gzipBodies = makeRequests(count, BATCH).map((b) => gzipSync(b));
  const overloadBodies = makeRequests(96, BATCH);
  const totalSpans = bodies.length * BATCH;
  const kib = (list) => Math.round(list.reduce((a, b) => a + b.length, 0) / list.length / 1024);

  // 1. Baseline: protobuf decode alone, same bytes, best of 3 passes.
  const otlp = require(join(root, 'libs/otlp/src/generated/otlp.js'));
  const Req = otlp.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
  let best = Infinity;
  for (let pass = 0; pass < 3; pass++) {
    const t0 = performance.now();
    for (const b of bodies) Req.decode(b);
    best = Math.min(best, performance.now() - t0);
  }
  const decodeRate = totalSpans / (best / 1000);

  // 2 + 4. Protobuf ingest, then ack-to-visible latency on the same server.
  const protobuf = await withServer(async (url) => {
    const ingest = await pushAll(url, bodies, SENDERS, protobufHeaders);
    // The same load again at once on the same server (other spans): a server whose code V8 has compiled by now.
    const warm = await pushAll(url, warmBodies, SENDERS, protobufHeaders);
    // Let the projector drain the backlog before measuring latency: wait for the last trace posted.
    const lastSpans = Req.decode(warmBodies[warmBodies.length - 1]).resourceSpans[0].scopeSpans[0].spans;
    const lastHex = Buffer.from(lastSpans[lastSpans.length - 1].traceId).toString('hex');
    const drainStart = performance.now();
    while ((await fetch(`${url}/api/projects/1/ai/traces/${lastHex}`, { headers: auth })).status !== 200) {
      if (performance.now() - drainStart > 180_000) throw new Error('projector did not drain the backlog in 3 minutes');
      await new Promise((r) => setTimeout(r, 100));
    }
    const drainSeconds = (performance.now() - drainStart) / 1000;
    const latencies = [];
    for (const body of makeRequests(LATENCY_SAMPLES, 4)) {
      const hex = Buffer.from(Req.decode(body).resourceSpans[0].scopeSpans[0].spans[0].traceId).toString('hex');
      if ((await post(url, body)) !== 200) throw new Error('latency export failed');
      const acked = performance.now();
      for (;;) {
        const r = await fetch(`${url}/api/projects/1/ai/traces/${hex}`, { headers: auth });
        if (r.status === 200 && (await r.json()).spans.length === 4) break;
        if (r.status !== 200) await r.arrayBuffer();
        await new Promise((r2) => setTimeout(r2, 2));
      }
      latencies.push(performance.now() - acked);
    }
    latencies.sort((a, b) => a - b);
    return { ...ingest, warmSpansPerSec: warm.spansPerSec, drainSeconds, latencies };
  });

  // 3. JSON and gzip'd protobuf, each on a fresh server.
  const json = await withServer((url) => pushAll(url, jsonBodies, SENDERS, { ...protobufHeaders, 'Content-Type': 'application/json' }));
  const gzip = await withServer((url) => pushAll(url, gzipBodies, SENDERS, { ...protobufHeaders, 'Content-Encoding': 'gzip' }));

  // 5. Overload: all requests at once, bounded vs unbounded in-flight work.
  const burst = async (url) => {
    const results = await Promise.all(overloadBodies.map((b) => post(url, b)));
    const statuses = {};
    for (const s of results) statuses[s] = (statuses[s] ?? 0) + 1;
    return { throttled: results.filter((s) => s === 429).length, ok: results.filter((s) => s === 200).length, statuses };
  };
  const overload = await withServer(burst, { TEMPS_MAX_INFLIGHT_REQUESTS: process.env.BENCH_OVERLOAD_INFLIGHT ?? '16' });
  const unbounded = await withServer(burst, { TEMPS_MAX_INFLIGHT_REQUESTS: '100000', TEMPS_MAX_INFLIGHT_BYTES: String(2 ** 40) });

  const lat = protobuf.latencies;
  const result = {
    date: new Date().toISOString(),
    node: process.version,
    requests: bodies.length,
    spansPerRequest: BATCH,
    requestKiB: { protobuf: kib(bodies), json: kib(jsonBodies), gzip: kib(gzipBodies) },
    senders: SENDERS,
    baselineDecodeSpansPerSec: Math.round(decodeRate),
    ingest: {
      protobuf: { spansPerSec: Math.round(protobuf.spansPerSec), ratioToDecode: ratio(protobuf.spansPerSec, decodeRate), peakRssMiB: protobuf.peakRssMiB },
      protobufWarm: { spansPerSec: Math.round(protobuf.warmSpansPerSec), ratioToDecode: ratio(protobuf.warmSpansPerSec, decodeRate) },
      json: { spansPerSec: Math.round(json.spansPerSec), ratioToProtobuf: ratio(json.spansPerSec, protobuf.spansPerSec), peakRssMiB: json.peakRssMiB },
      gzipProtobuf: { spansPerSec: Math.round(gzip.spansPerSec), ratioToProtobuf: ratio(gzip.spansPerSec, protobuf.spansPerSec), peakRssMiB: gzip.peakRssMiB },
    },
    projectorDrainSeconds: Number(protobuf.drainSeconds.toFixed(2)),
    ackToVisibleMs: { p50: Number(pct(lat, 50).toFixed(1)), p99: Number(pct(lat, 99).toFixed(1)), samples: lat.length },
    overload: {
      concurrent: overloadBodies.length,
      bounded: { ok: overload.ok, throttled429: overload.throttled, statuses: overload.statuses, peakRssMiB: overload.peakRssMiB },
      unbounded: { ok: unbounded.ok, throttled429: unbounded.throttled, statuses: unbounded.statuses, peakRssMiB: unbounded.peakRssMiB },
      peakRssRatioBoundedToUnbounded: ratio(overload.peakRssMiB, unbounded.peakRssMiB),
    },
  };
  console.log('');
  console.log(`baseline  protobuf decode alone         ${fmt(decodeRate)} spans/s (${result.requests} x ${BATCH}-span requests, ${result.requestKiB.protobuf} KiB each)`);
  console.log(`ingest    protobuf, ${SENDERS} senders        ${fmt(protobuf.spansPerSec)} spans/s   ratio to decode ${result.ingest.protobuf.ratioToDecode}   (a fresh server's first ${fmt(totalSpans)} spans)`);
  console.log(`ingest    same, next ${fmt(totalSpans)} spans     ${fmt(protobuf.warmSpansPerSec)} spans/s   ratio to decode ${result.ingest.protobufWarm.ratioToDecode}   (at once after, the projector still behind)`);
  console.log(`ingest    JSON (${result.requestKiB.json} KiB requests)     ${fmt(json.spansPerSec)} spans/s   ratio to protobuf ingest ${result.ingest.json.ratioToProtobuf}`);
  console.log(`ingest    gzip protobuf (${result.requestKiB.gzip} KiB)     ${fmt(gzip.spansPerSec)} spans/s   ratio to protobuf ingest ${result.ingest.gzipProtobuf.ratioToProtobuf}`);
  console.log(`projector drained the protobuf backlog ${result.projectorDrainSeconds} s after the last ack`);
  console.log(`latency   ack -> visible in query API    p50 ${result.ackToVisibleMs.p50} ms, p99 ${result.ackToVisibleMs.p99} ms (${lat.length} traces)`);
  console.log(`overload  ${overloadBodies.length} requests at once, bounded    statuses ${JSON.stringify(overload.statuses)}, peak RSS ${overload.peakRssMiB} MiB`);
  console.log(`overload  same, in-flight unbounded       statuses ${JSON.stringify(unbounded.statuses)}, peak RSS ${unbounded.peakRssMiB} MiB (bounded/unbounded ${result.overload.peakRssRatioBoundedToUnbounded})`);
  mkdirSync(join(root, 'test/artifacts'), { recursive: true });
  writeFileSync(join(root, 'test/artifacts/bench.json'), JSON.stringify(result, null, 2));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
