// Decode+build CPU of ingest's protobuf path on the bench's bodies (bench/run.mjs: 512-span agent-trace
// requests), as ratios to protobufjs decode alone measured in the same run (not part of `npm run bench`):
// the hand-written reader (decodeTraceRequestCompact) and the protobufjs path it replaces
// (decodeTraceRequestCompactViaProtobufjs), interleaved, best of N.
//
//   npm run build:server && node bench/compact-decode-cpu.mjs        BENCH_ROUNDS=15 BENCH_REQUESTS=24
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { agentTraceRequests } from './support/agent-trace-requests.mjs';

const require = createRequire(import.meta.url);
const dist = join(import.meta.dirname, '../dist/libs/otlp/src');
const { decodeTraceRequestCompact, decodeTraceRequestCompactViaProtobufjs } = require(join(dist, 'decode-trace-request-compact.js'));
const Req = require(join(dist, 'generated/otlp.js')).opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 15);
const bodies = agentTraceRequests(Number(process.env.BENCH_REQUESTS ?? 24), 512).map((b) => new Uint8Array(b));

// Same output first (the property spec is the real check; this guards the figures).
for (const b of bodies) {
  if (JSON.stringify(decodeTraceRequestCompact(b)) !== JSON.stringify(decodeTraceRequestCompactViaProtobufjs(b))) throw new Error('outputs differ');
}
const cases = {
  'protobufjs decode alone': (b) => Req.decode(b),
  'protobufjs path (decode + build)': (b) => decodeTraceRequestCompactViaProtobufjs(b),
  'hand-written reader (decode + build)': (b) => decodeTraceRequestCompact(b),
};
const best = Object.fromEntries(Object.keys(cases).map((k) => [k, Infinity]));
for (let r = 0; r < ROUNDS; r++) {
  for (const [name, run] of Object.entries(cases)) {
    const t0 = performance.now();
    for (const b of bodies) run(b);
    best[name] = Math.min(best[name], performance.now() - t0);
  }
}
const spans = bodies.length * 512;
const base = best['protobufjs decode alone'];
for (const [name, ms] of Object.entries(best)) {
  console.log(`${name.padEnd(40)} best ${ms.toFixed(1).padStart(7)} ms  ${Math.round(spans / (ms / 1000)).toLocaleString('en-US').padStart(10)} spans/s  ${(ms / base).toFixed(2)}x decode alone`);
}
