// A small driver for profiling ingest (not part of `npm run bench`): the bench's protobuf ingest (4 senders,
// 512-span requests) against a fresh `temps serve`, printing the CPU seconds each server thread used while it
// ran, beside protobuf decode alone measured in the same run. On a shared machine wall-clock figures swing
// 2-4x from run to run; the per-thread CPU split and the same-run ratio are what to compare.
//
//   node bench/ingest-threads.mjs                      one round of 12 requests per sender
//   DRIVE_BATCHES=24 DRIVE_REPEAT=2                    requests per sender, rounds on the same server
//   DRIVE_BURST=2                                      then that many 96-request bursts (in-flight bound 16), peak RSS
//   DRIVE_NICE=10                                      renice the projector thread from outside (an A/B without a rebuild)
//   DRIVE_ENV='{"TEMPS_PROJECTOR_NICE":"0"}'           extra server environment
//   DRIVE_PAUSE=5000                                   ms between rounds (the projector drains the round before)
//   BENCH_SERVER_STDOUT=/tmp/opt.txt BENCH_SERVER_NODE_ARGS=--trace-opt    the server's stdout copied to a file
//   BENCH_SERVER_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof"   profile every server thread
// Per round it prints the CPU seconds and the run-queue wait (runnable, not running: the cores were busy) of
// each server thread, and the CPU of this process (the senders share the 2 cores with the server).
import { benchServerNodeArgs, startTempsServer } from './support/temps-server.mjs';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { agentTraceRequests as makeRequests } from './support/agent-trace-requests.mjs';
import { otlpPoster } from './support/otlp-poster.mjs';

const poster = otlpPoster();
const root = join(import.meta.dirname, '..');
const require = createRequire(import.meta.url);
const BATCH = 512, SENDERS = 4;
const PER = Number(process.env.DRIVE_BATCHES ?? 12);
const API_KEY = 'tk_bench_0123456789abcdefghijklmnop';
let seed = Number(process.env.DRIVE_SEED ?? 0);
const startServer = (dataDir, env = {}) => startTempsServer({ dataDir, apiKey: API_KEY, env, nodeArgs: benchServerNodeArgs() });
const auth = { Authorization: `Bearer ${API_KEY}`, 'X-Temps-Project-Id': '1' };
const headers = { 'Content-Type': 'application/x-protobuf', ...auth };
async function post(url, body) {
  for (let attempt = 0; ; attempt++) {
    try {
      return await poster.post(url, '/api/otel/v1/traces', body, headers);
    } catch (err) {
      // an idle keep-alive socket the server closed as this request went out (seen between rounds under load)
      if (attempt > 0 || err?.code !== 'ECONNRESET') throw err;
    }
  }
}
async function pushAll(url, bodies) {
  const queue = [...bodies]; let acked = 0, throttled = 0; const t0 = performance.now();
  await Promise.all(Array.from({ length: SENDERS }, async () => {
    for (let b = queue.shift(); b; b = queue.shift()) {
      for (;;) { const s = await post(url, b); if (s === 200) break; if (s !== 429 && s !== 503) throw new Error(`export answered ${s}`); throttled++; await new Promise((r) => setTimeout(r, 50)); }
      acked += BATCH;
    }
  }));
  return { spansPerSec: acked / ((performance.now() - t0) / 1000), throttled };
}
const otlp = require(join(root, 'libs/otlp/src/generated/otlp.js'));
const Req = otlp.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
function decodeRate(bodies) {
  let best = Infinity;
  for (let pass = 0; pass < 3; pass++) { const t0 = performance.now(); for (const b of bodies) Req.decode(b); best = Math.min(best, performance.now() - t0); }
  return bodies.length * BATCH / (best / 1000);
}
function threads(pid, file = 'stat') {
  const out = {};
  for (const t of readdirSync(`/proc/${pid}/task`)) {
    try {
      const comm = readFileSync(`/proc/${pid}/task/${t}/comm`, 'utf8').trim();
      if (file === 'sched') {
        const waitNs = Number(readFileSync(`/proc/${pid}/task/${t}/schedstat`, 'utf8').split(' ')[1]);
        out[`${comm}#${t}`] = waitNs / 1e7; // in the ticks' unit (10 ms), as the CPU times
        continue;
      }
      if (file === 'io') {
        out[`${comm}#${t}`] = Number(/wchar: (\d+)/.exec(readFileSync(`/proc/${pid}/task/${t}/io`, 'utf8'))[1]);
        continue;
      }
      const f = readFileSync(`/proc/${pid}/task/${t}/stat`, 'utf8').split(') ')[1].split(' ');
      const ticks = Number(f[11]) + Number(f[12]);
      out[`${comm}#${t}`] = ticks;
    } catch {}
  }
  return out;
}
/** CPU (or wait) seconds per thread name (threads of one name summed), and their total. */
function diffThreads(a, b) {
  const by = new Map(); let total = 0;
  for (const [k, v] of Object.entries(b)) { const d = v - (a[k] ?? 0); const n = k.replace(/#.*/, ''); by.set(n, (by.get(n) ?? 0) + d); total += d; }
  return [...by].filter(([, d]) => d > 1).map(([n, d]) => `${n}=${(d / 100).toFixed(2)}s`).join(' ') + ` total=${(total / 100).toFixed(2)}s`;
}
/** Bytes each thread handed to write() per span (wchar: WAL, checkpoints, sockets). */
function diffWritten(a, b, spans) { const o = []; for (const [k, v] of Object.entries(b)) { const d = (v - (a[k] ?? 0)) / spans; if (d >= 10) o.push(`${k.replace(/#.*/, '')}=${Math.round(d)}`); } return o.join(' '); }
const rss = (pid) => Math.round(Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024);
const env = JSON.parse(process.env.DRIVE_ENV ?? '{}');
const rounds = Number(process.env.DRIVE_REPEAT ?? 1);
const all = PER > 0 ? makeRequests(SENDERS * PER * rounds, BATCH) : [];
if (PER > 0) {
const dataDir = mkdtempSync(join(tmpdir(), 'temps-drive-'));
const { child, url } = await startServer(dataDir, env);
if (process.env.DRIVE_NICE) {
  const { setPriority } = await import('node:os');
  await new Promise((r) => setTimeout(r, 500));
  for (const t of readdirSync(`/proc/${child.pid}/task`)) {
    const comm = readFileSync(`/proc/${child.pid}/task/${t}/comm`, 'utf8').trim();
    if (comm === 'temps-projector') { setPriority(Number(t), Number(process.env.DRIVE_NICE)); console.log('reniced', t); }
  }
}
try {
  for (let r = 0; r < rounds; r++) {
    const bodies = all.slice(r * SENDERS * PER, (r + 1) * SENDERS * PER);
    if (r > 0 && process.env.DRIVE_PAUSE) await new Promise((res) => setTimeout(res, Number(process.env.DRIVE_PAUSE)));
    const before = decodeRate(bodies);
    const th0 = threads(child.pid);
    const io0 = threads(child.pid, 'io');
    const sw0 = threads(child.pid, 'sched');
    const cu0 = process.cpuUsage();
    const ing = await pushAll(url, bodies);
    const cu = process.cpuUsage(cu0);
    const th1 = threads(child.pid);
    console.log(`  run-queue wait: ${diffThreads(sw0, threads(child.pid, 'sched'))}; senders' cpu ${((cu.user + cu.system) / 1e6).toFixed(2)}s`);
    const io1 = threads(child.pid, 'io');
    const spans = bodies.length * BATCH;
    console.log(`  cpu during ingest (wall ${(spans / ing.spansPerSec).toFixed(1)}s): ${diffThreads(th0, th1)}; bytes written per span: ${diffWritten(io0, io1, spans)}`);
    const after = decodeRate(bodies);
    const dec = Math.max(before, after);
    console.log(`round ${r}: ingest ${Math.round(ing.spansPerSec)} spans/s, decode ${Math.round(dec)} spans/s, ratio ${(ing.spansPerSec / dec).toFixed(3)}, throttled ${ing.throttled}, peak RSS ${rss(child.pid)} MiB`);
  }
} finally {
  child.kill('SIGTERM'); await new Promise((r) => child.once('exit', r)); rmSync(dataDir, { recursive: true, force: true });
}
}
poster.close();
const burstBodies = process.env.DRIVE_BURST ? makeRequests(96, BATCH) : [];
for (let rep = 0; rep < Number(process.env.DRIVE_BURST ?? 0); rep++) {
  const dd = mkdtempSync(join(tmpdir(), 'temps-drive-'));
  const s = await startServer(dd, { TEMPS_MAX_INFLIGHT_REQUESTS: '16', ...env });
  try {
    const base = rss(s.child.pid);
    const results = await Promise.all(burstBodies.map((b) => post(s.url, b)));
    const st = {}; for (const x of results) st[x] = (st[x] ?? 0) + 1;
    console.log(`burst 96: ${JSON.stringify(st)} peak RSS ${rss(s.child.pid)} MiB (at start ${base})`);
  } finally { s.child.kill('SIGTERM'); await new Promise((r) => s.child.once('exit', r)); rmSync(dd, { recursive: true, force: true }); }
}
