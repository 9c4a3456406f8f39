// npm run bench: ingest throughput and ack-to-visible latency of `temps serve`, each beside a
// baseline measured in the same run (these machines are noisy: read the ratios, not the raw numbers).
//
//  1. Baseline: protobuf decode alone (the generated ExportTraceServiceRequest.decode) of the exact
//     request bodies the senders will post, in spans/s on one core.
//  2. Ingest: 4 concurrent senders POST 512-span protobuf batches to a fresh `temps serve`; acked spans/s.
//     Ratio = ingest / decode baseline.
//  3. Ack-to-visible: one 4-span trace at a time; time from the 200 to the trace being returned by the
//     query API with all its spans (polled every 2 ms). p50 / p99.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { context, trace, SpanKind } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';

const root = join(import.meta.dirname, '..');
const require = createRequire(import.meta.url);
const BATCH = 512;
const SENDERS = 4;
const BATCHES_PER_SENDER = Number(process.env.BENCH_BATCHES_PER_SENDER ?? 12);
const LATENCY_SAMPLES = Number(process.env.BENCH_LATENCY_SAMPLES ?? 100);
const API_KEY = 'tk_bench_0123456789abcdefghijklmnop';

/** Real SDK spans, serialized by the real OTel serializer: a GenAI agent trace shape, 20-ish attributes per span. */
function makeRequests(count, spansPerRequest) {
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'bench-app', 'deployment.environment': 'bench' }),
    spanProcessors: [new SimpleSpanProcessor({ exporter })],
  });
  const tracer = provider.getTracer('bench');
  const bodies = [];
  for (let r = 0; r < count; r++) {
    exporter.reset();
    for (let t = 0; t < spansPerRequest / 4; t++) {
      const agent = tracer.startSpan('invoke_agent bench-agent', { attributes: { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': 'bench-agent' } });
      const ctx = trace.setSpan(context.active(), agent);
      for (let c = 0; c < 3; c++) {
        const s = tracer.startSpan(c === 1 ? 'execute_tool search' : 'chat gpt-4o', { kind: SpanKind.CLIENT }, ctx);
        s.setAttributes({
          'gen_ai.operation.name': c === 1 ? 'execute_tool' : 'chat',
          'gen_ai.system': 'openai',
          'gen_ai.request.model': 'gpt-4o',
          'gen_ai.response.model': 'gpt-4o-2024-08-06',
          'gen_ai.usage.input_tokens': 100 + c,
          'gen_ai.usage.output_tokens': 20 + c,
          'gen_ai.response.finish_reasons': ['stop'],
          'gen_ai.response.id': `chatcmpl-${r}-${t}-${c}`,
          'gen_ai.request.temperature': 0.7,
          'gen_ai.request.max_tokens': 1024,
          'server.address': 'api.openai.com',
          'server.port': 443,
          'gen_ai.input.messages': JSON.stringify([{ role: 'user', content: `question ${r}/${t}/${c}: what is the weather in Paris?` }]),
          'gen_ai.output.messages': JSON.stringify([{ role: 'assistant', content: 'It is sunny, 21°C.' }]),
          'gen_ai.tool.name': 'search',
          'gen_ai.tool.call.arguments': '{"q":"weather paris"}',
          'gen_ai.tool.call.result': '{"temp":21}',
          'app.user': `user-${t % 17}`,
        });
        s.end();
      }
      agent.end();
    }
    bodies.push(Buffer.from(ProtobufTraceSerializer.serializeRequest(exporter.getFinishedSpans())));
  }
  return bodies;
}

function startServer(dataDir) {
  const child = spawn(process.execPath, [...(process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean), join(root, 'bin/temps.js'), 'serve'], {
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', TEMPS_DATA_DIR: dataDir, TEMPS_BOOTSTRAP_API_KEY: API_KEY },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = /listening on http:\/\/localhost:(\d+)/.exec(out);
      if (m) resolve({ child, url: `http://127.0.0.1:${m[1]}` });
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code}: ${out}`)));
  });
}

const headers = { 'Content-Type': 'application/x-protobuf', Authorization: `Bearer ${API_KEY}`, 'X-Temps-Project-Id': '1' };
async function post(url, body) {
  const res = await fetch(`${url}/api/otel/v1/traces`, { method: 'POST', headers, body });
  await res.arrayBuffer();
  if (res.status !== 200) throw new Error(`export answered ${res.status}`);
}

const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
const fmt = (n) => Math.round(n).toLocaleString('en-US');

async function main() {
  console.log(`preparing ${SENDERS * BATCHES_PER_SENDER} requests of ${BATCH} spans with the OTel SDK serializer...`);
  const bodies = makeRequests(SENDERS * BATCHES_PER_SENDER, BATCH);
  const totalSpans = bodies.length * BATCH;
  const avgKb = bodies.reduce((a, b) => a + b.length, 0) / bodies.length / 1024;

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

  const dataDir = mkdtempSync(join(tmpdir(), 'temps-bench-'));
  const { child, url } = await startServer(dataDir);
  try {
    await post(url, bodies[0]); // warm-up (also the first trace ids: re-posting it later is a dedup no-op)
    // 2. Ingest throughput.
    const queue = bodies.slice(1);
    const t0 = performance.now();
    let acked = 0;
    await Promise.all(
      Array.from({ length: SENDERS }, async () => {
        for (let b = queue.shift(); b; b = queue.shift()) {
          await post(url, b);
          acked += BATCH;
        }
      }),
    );
    const ingestSeconds = (performance.now() - t0) / 1000;
    const ingestRate = acked / ingestSeconds;

    // Let the projector drain the backlog before measuring latency: wait for the last trace posted.
    const lastReq = Req.decode(bodies[bodies.length - 1]).resourceSpans[0].scopeSpans[0].spans;
    const lastHex = Buffer.from(lastReq[lastReq.length - 1].traceId).toString("hex");
    const drainStart = performance.now();
    while ((await fetch(`${url}/api/projects/1/ai/traces/${lastHex}`, { headers })).status !== 200) {
      if (performance.now() - drainStart > 180_000) throw new Error("projector did not drain the backlog in 3 minutes");
      await new Promise((r2) => setTimeout(r2, 100));
    }
    const drainSeconds = (performance.now() - drainStart) / 1000;
    // 3. Ack-to-visible latency.
    const single = makeRequests(LATENCY_SAMPLES, 4);
    const latencies = [];
    const idle = await new Promise((r) => setTimeout(r, 1000));
    void idle;
    for (const body of single) {
      const traceId = Req.decode(body).resourceSpans[0].scopeSpans[0].spans[0].traceId;
      const hex = Buffer.from(traceId).toString('hex');
      await post(url, body);
      const acked = performance.now();
      for (;;) {
        const r = await fetch(`${url}/api/projects/1/ai/traces/${hex}`, { headers });
        if (r.status === 200) {
          const j = await r.json();
          if (j.spans.length === 4) break;
        } else await r.arrayBuffer();
        await new Promise((r2) => setTimeout(r2, 2));
      }
      latencies.push(performance.now() - acked);
    }
    latencies.sort((a, b) => a - b);

    const result = {
      date: new Date().toISOString(),
      node: process.version,
      requests: bodies.length,
      spansPerRequest: BATCH,
      avgRequestKiB: Math.round(avgKb),
      senders: SENDERS,
      baselineDecodeSpansPerSec: Math.round(decodeRate),
      ingestAckedSpansPerSec: Math.round(ingestRate),
      ingestToDecodeRatio: Number((ingestRate / decodeRate).toFixed(3)),
      ackToVisibleMs: { p50: Number(pct(latencies, 50).toFixed(1)), p99: Number(pct(latencies, 99).toFixed(1)), samples: latencies.length },
    };
    console.log('');
    console.log(`baseline  protobuf decode alone      ${fmt(decodeRate)} spans/s (${result.requests} x ${BATCH}-span requests, ${result.avgRequestKiB} KiB each)`);
    console.log(`ingest    acked by temps serve       ${fmt(ingestRate)} spans/s with ${SENDERS} concurrent senders`);
    console.log(`ratio     ingest / decode            ${result.ingestToDecodeRatio}`);
    console.log(`latency   ack -> visible in query API p50 ${result.ackToVisibleMs.p50} ms, p99 ${result.ackToVisibleMs.p99} ms (${latencies.length} traces)`);
    mkdirSync(join(root, 'test/artifacts'), { recursive: true });
    writeFileSync(join(root, 'test/artifacts/bench.json'), JSON.stringify(result, null, 2));
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
