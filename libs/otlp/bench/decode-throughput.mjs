#!/usr/bin/env node
// Decode throughput of libs/otlp on 1000 "heavy" GenAI spans, protobuf and OTLP/JSON, one core.
//
//   node libs/otlp/bench/decode-throughput.mjs            (needs `npm run gen:proto` once)
//   node libs/otlp/bench/decode-throughput.mjs --baseline DIR  (also time another copy of libs/otlp/src, interleaved)
//   BENCH_ROUNDS=60 BENCH_ONLY=JSON node --cpu-prof libs/otlp/bench/decode-throughput.mjs
//
// The request bodies come from the real OTel SDK and serializers. A heavy span: 24 attributes (GenAI
// request/response/usage, two ~2 KB JSON message strings, an array, a kvlist), 3 events with
// attributes, 1 link. Reports the median and best of interleaved timed rounds, beside the bare
// parse cost (generated ExportTraceServiceRequest.decode, JSON.parse) so the conversion overhead is
// visible. On a shared, loaded machine compare the "best" columns.
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { TracerProvider } from '@opentelemetry/sdk-trace';
import { transformFileSync } from '@swc/core';

const require = createRequire(import.meta.url);
const srcArg = process.argv.indexOf('--src');
const srcDir = srcArg > 0 ? process.argv[srcArg + 1] : join(import.meta.dirname, '../src');
const SPANS = 1000;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 30);

/** Compile the library (no specs) to CommonJS in a temp dir and load it. */
function loadLibrary(dir) {
  // Inside the repository, so that `protobufjs/minimal` resolves from node_modules; removed on exit.
  const out = mkdtempSync(join(import.meta.dirname, '.build-'));
  const walk = (from, to) => {
    mkdirSync(to, { recursive: true });
    for (const e of readdirSync(from, { withFileTypes: true })) {
      const path = join(from, e.name);
      if (e.isDirectory()) walk(path, join(to, e.name));
      else if (e.name.endsWith('.js')) copyFileSync(path, join(to, e.name));
      else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') && !e.name.endsWith('.spec.ts')) {
        const { code } = transformFileSync(path, {
          swcrc: false,
          jsc: { target: 'es2023', parser: { syntax: 'typescript' } },
          module: { type: 'commonjs' },
        });
        writeFileSync(join(to, e.name.replace(/\.ts$/, '.js')), code);
      }
    }
  };
  walk(dir, out);
  process.on('exit', () => rmSync(out, { recursive: true, force: true }));
  return { lib: require(join(out, 'index.js')), generated: require(join(out, 'generated/otlp.js')) };
}

function heavySpans() {
  const spans = [];
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'bench-app', 'service.version': '1.2.3', 'deployment.environment': 'bench', 'process.pid': 4242 }),
    spanProcessors: [{ onStart() {}, onEnd: (s) => spans.push(s), forceFlush: async () => {}, shutdown: async () => {} }],
  });
  const tracer = provider.getTracer('bench-scope', '1.0.0');
  const message = (role, i) => JSON.stringify([{ role, parts: [{ type: 'text', content: `${role} turn ${i}: ${'lorem ipsum dolor sit amet, consectetur adipiscing elit '.repeat(34)}` }] }]);
  let i = 0;
  while (spans.length < SPANS) {
    const agent = tracer.startSpan('invoke_agent bench-agent', { attributes: { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': 'bench-agent' } });
    const ctx = trace.setSpan(context.active(), agent);
    for (let c = 0; c < 3; c++, i++) {
      const s = tracer.startSpan('chat gpt-4o', { kind: SpanKind.CLIENT, links: [{ context: agent.spanContext(), attributes: { 'link.kind': 'retry' } }] }, ctx);
      s.setAttributes({
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': 'openai',
        'gen_ai.request.model': 'gpt-4o',
        'gen_ai.response.model': 'gpt-4o-2024-08-06',
        'gen_ai.response.id': `chatcmpl-${i}`,
        'gen_ai.usage.input_tokens': 1200 + i,
        'gen_ai.usage.output_tokens': 300 + c,
        'gen_ai.request.temperature': 0.7,
        'gen_ai.request.top_p': 0.95,
        'gen_ai.request.max_tokens': 1024,
        'gen_ai.request.stream': false,
        'gen_ai.response.finish_reasons': ['stop'],
        'gen_ai.conversation.id': `conv-${i >> 4}`,
        'server.address': 'api.openai.com',
        'server.port': 443,
        'http.response.status_code': 200,
        'gen_ai.input.messages': message('user', i),
        'gen_ai.output.messages': message('assistant', i),
        'gen_ai.system_instructions': 'You are a helpful assistant. Answer briefly.',
        'gen_ai.tool.definitions': JSON.stringify([{ name: 'get_weather', parameters: { location: 'string' } }]),
        'app.user.tier': 'pro',
        'app.request.tags': ['a', 'b', 'c'],
        'app.cost.usd': 0.00123,
        'app.retry': c,
      });
      for (let e = 0; e < 3; e++) s.addEvent(`gen_ai.choice ${e}`, { index: e, 'finish_reason': 'stop', 'gen_ai.system': 'openai' });
      s.setStatus({ code: SpanStatusCode.OK });
      s.end();
    }
    agent.end();
    spans.push(agent);
    for (const s of spans.splice(spans.length - 1)) spans.splice(spans.length - 3, 0, s);
  }
  return spans.slice(0, SPANS);
}

/** Runs the cases interleaved (noisy shared machines): median and best of ROUNDS per case. */
function measureAll(cases) {
  for (const c of cases) for (let i = 0; i < 5; i++) c.fn();
  const times = cases.map(() => []);
  for (let r = 0; r < ROUNDS; r++) {
    cases.forEach((c, i) => {
      const t = performance.now();
      c.fn();
      times[i].push(performance.now() - t);
    });
  }
  cases.forEach((c, i) => {
    const sorted = times[i].sort((a, b) => a - b);
    const median = sorted[sorted.length >> 1];
    const best = sorted[0];
    const rate = (ms) => Math.round((SPANS / ms) * 1000).toLocaleString('en').padStart(9);
    console.log(
      `${c.label.padEnd(48)} median ${median.toFixed(2).padStart(7)} ms (${rate(median)} spans/s, ${((c.bytes / 1048576) / (median / 1000)).toFixed(0).padStart(4)} MiB/s)   best ${best.toFixed(2).padStart(7)} ms (${rate(best)} spans/s)`,
    );
  });
}

const baselineArg = process.argv.indexOf('--baseline');
const { lib, generated } = loadLibrary(srcDir);
const baseline = baselineArg > 0 ? loadLibrary(process.argv[baselineArg + 1]).lib : null;
const spans = heavySpans();
const pb = ProtobufTraceSerializer.serializeRequest(spans);
const json = JsonTraceSerializer.serializeRequest(spans);
// The same JSON with every 64-bit time as a bare number literal (what some hand-rolled senders do):
// this takes quoteBigIntegers' scanning path.
const jsonNumbers = new TextEncoder().encode(new TextDecoder().decode(json).replace(/"(startTimeUnixNano|endTimeUnixNano|timeUnixNano)":"(\d+)"/g, '"$1":$2'));
console.log(`${SPANS} heavy spans: protobuf ${(pb.length / 1024).toFixed(0)} KiB, JSON ${(json.length / 1024).toFixed(0)} KiB; library from ${srcDir}; node ${process.version}; ${ROUNDS} interleaved rounds`);

const { ExportTraceServiceRequest } = generated.opentelemetry.proto.collector.trace.v1;
const { Reader } = require('protobufjs/minimal');
const count = (out) => (Array.isArray(out) ? out.length : out.items.length);
const check = (out) => {
  if (count(out) !== SPANS) throw new Error('lost spans');
};
const cases = [
  {
    label: 'protobuf: generated decode only',
    bytes: pb.length,
    fn: () => {
      const r = new Reader(pb);
      r.discardUnknown = true;
      ExportTraceServiceRequest.decode(r);
    },
  },
  ...(baseline ? [{ label: 'protobuf: decodeTraceRequest (baseline)', bytes: pb.length, fn: () => check(baseline.decodeTraceRequest(pb)) }] : []),
  { label: 'protobuf: decodeTraceRequest', bytes: pb.length, fn: () => check(lib.decodeTraceRequest(pb)) },
  { label: 'JSON: TextDecoder + JSON.parse only', bytes: json.length, fn: () => JSON.parse(new TextDecoder().decode(json)) },
];
if (lib.decodeTraceRequestJson) {
  cases.push({ label: 'JSON: decodeTraceRequestJson', bytes: json.length, fn: () => check(lib.decodeTraceRequestJson(json)) });
  cases.push({ label: 'JSON: decodeTraceRequestJson, int64 as numbers', bytes: jsonNumbers.length, fn: () => check(lib.decodeTraceRequestJson(jsonNumbers)) });
}
// BENCH_ONLY=substring runs only the matching cases (e.g. under --cpu-prof).
measureAll(process.env.BENCH_ONLY ? cases.filter((c) => c.label.includes(process.env.BENCH_ONLY)) : cases);
