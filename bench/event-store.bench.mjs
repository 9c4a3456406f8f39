// Event store write path: the former synchronous writer (`writer: 'inline'`, COMMIT + fsync on the
// caller's event loop) against the writer thread with group commit (`writer: 'thread'`, the default),
// measured in the same run on the same disk (these machines are noisy: read the ratios).
//
//   npm run build:server && node bench/event-store.bench.mjs
//
// For 1, 4 and 16 concurrent callers, each looping appendMany calls of 512 events (~1.5 KB dataJson
// each, grouped like ingest does: 128 trace streams x 4 spans, expected 'any', one shared metadata
// object) on a fresh database file with synchronous=FULL:
//   - acked events/s (an event counts once its call resolved, i.e. after its durable commit);
//   - call latency p50 / p99 (inline: the call's own commit only; its wait for the blocked loop is not in it);
//   - event-loop delay max / p99 during the run (perf_hooks.monitorEventLoopDelay, 1 ms resolution):
//     how long anything else on that loop (HTTP, projector, API) would have had to wait;
//   - commits (onAppended callbacks: one per transaction that stored something) and events per commit;
//   - loop CPU ms/call: CPU time of the calling thread per call (process.threadCpuUsage).
// Then the same for small calls (8 events), where the per-commit fsync dominates and group commit pays
// most; then the read path on this thread: readAll pages of 512, total vs the SQLite step alone.
//
// Env: BENCH_ES_CALLS (512-event calls per case, default 96), BENCH_ES_SMALL_CALLS (default 512, 0 skips),
// BENCH_ES_ROUNDS (default 3; the cases alternate order per round; each figure is the median), BENCH_ES_DIR
// (default: the OS tmpdir).
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';

const require = createRequire(import.meta.url);
const { SqliteEventStore } = require(join(import.meta.dirname, '../dist/libs/event-store/src/sqlite/index.js'));

const EVENTS_PER_CALL = 512;
const STREAMS_PER_CALL = 128;
const CALLS = Number(process.env.BENCH_ES_CALLS ?? 96);
const ROUNDS = Number(process.env.BENCH_ES_ROUNDS ?? 3);
const CONCURRENCY = [1, 4, 16];
const MODES = ['inline', 'thread'];
const baseDir = process.env.BENCH_ES_DIR ?? tmpdir();

/** ~1.5 KB of span-like JSON; a small pool reused (the content does not matter to SQLite, the size does). */
const DATA_POOL = Array.from({ length: 64 }, (_, i) =>
  JSON.stringify({
    traceId: randomUUID().replaceAll('-', ''),
    spanId: randomUUID().slice(0, 16),
    name: i % 4 === 0 ? 'invoke_agent bench-agent' : 'chat gpt-4o',
    kind: 3,
    startTimeUnixNano: '1767225600000000000',
    endTimeUnixNano: '1767225600123456789',
    attributes: {
      'gen_ai.operation.name': 'chat',
      'gen_ai.system': 'openai',
      'gen_ai.request.model': 'gpt-4o',
      'gen_ai.response.model': 'gpt-4o-2024-08-06',
      'gen_ai.usage.input_tokens': 100 + i,
      'gen_ai.usage.output_tokens': 20 + i,
      'gen_ai.input.messages': JSON.stringify([{ role: 'user', content: `question ${i}: what is the weather in Paris? `.repeat(6) }]),
      'gen_ai.output.messages': JSON.stringify([{ role: 'assistant', content: 'It is sunny, 21°C. '.repeat(12) }]),
      'server.address': 'api.openai.com',
      'server.port': 443,
    },
    resource: { 'service.name': 'bench-app', 'deployment.environment': 'bench' },
    status: { code: 1 },
    pad: 'p'.repeat(420),
  }),
);
const avgDataBytes = Math.round(DATA_POOL.reduce((n, s) => n + Buffer.byteLength(s), 0) / DATA_POOL.length);

/** Builds every call of a case before timing it (ids unique, so nothing is skipped as a retry). */
function makeCalls(count, eventsPerCall = EVENTS_PER_CALL, streamsPerCall = STREAMS_PER_CALL) {
  let d = 0;
  return Array.from({ length: count }, () => {
    const metadata = { projectId: 'bench', receivedAt: new Date().toISOString(), requestId: randomUUID(), encoding: 'protobuf', schemaVersion: 1 };
    const perStream = eventsPerCall / streamsPerCall;
    return Array.from({ length: streamsPerCall }, () => {
      const trace = randomUUID().replaceAll('-', '');
      return {
        stream: `trace-${trace}`,
        expected: 'any',
        events: Array.from({ length: perStream }, () => {
          const dataJson = DATA_POOL[d++ % DATA_POOL.length];
          return { id: randomUUID(), type: 'SpanReceived', data: undefined, dataJson, metadata };
        }),
      };
    });
  });
}

function quantile(sorted, q) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

async function runCase(mode, concurrency, calls = CALLS, eventsPerCall = EVENTS_PER_CALL, streamsPerCall = STREAMS_PER_CALL) {
  const dir = mkdtempSync(join(baseDir, 'temps-es-bench-'));
  const store = SqliteEventStore.open(join(dir, 'events.db'), { writer: mode });
  try {
    let commits = 0;
    store.onAppended(() => commits++);
    await store.appendMany(makeCalls(1)[0]); // warm-up: schema, writer thread up, caches
    commits = 0;
    const work = makeCalls(calls, eventsPerCall, streamsPerCall);
    const latencies = [];
    const loop = monitorEventLoopDelay({ resolution: 1 });
    let next = 0;
    let acked = 0;
    loop.enable();
    const cpu = process.threadCpuUsage();
    const started = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < work.length) {
          const writes = work[next++];
          const t = performance.now();
          const r = await store.appendMany(writes);
          latencies.push(performance.now() - t);
          acked += r.appended;
          // the next request arrives from the network: a macrotask, so the loop turns between calls
          // (without this the inline path would run every call back to back in one microtask chain)
          await new Promise(setImmediate);
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    const cpuUsed = process.threadCpuUsage(cpu);
    await new Promise((resolve) => setTimeout(resolve, 5)); // let the monitor sample the last turn
    loop.disable();
    if (acked !== calls * eventsPerCall) throw new Error(`acked ${acked} events, expected ${calls * eventsPerCall}`);
    latencies.sort((a, b) => a - b);
    return {
      eventsPerSec: acked / seconds,
      callsPerSec: calls / seconds,
      /** CPU time of THIS thread (the event loop) per call: what the store costs the server's loop. */
      mainCpuMsPerCall: (cpuUsed.user + cpuUsed.system) / 1000 / calls,
      p50: quantile(latencies, 0.5),
      p99: quantile(latencies, 0.99),
      loopMax: loop.max / 1e6,
      loopP99: loop.percentile(99) / 1e6,
      commits,
      eventsPerCommit: acked / Math.max(1, commits),
    };
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Reads stay on the caller's thread: how much of a readAll page is SQLite (what a worker could take) vs JSON.parse. */
async function readPath() {
  const dir = mkdtempSync(join(baseDir, 'temps-es-bench-'));
  const file = join(dir, 'events.db');
  const store = SqliteEventStore.open(file);
  try {
    for (const writes of makeCalls(40)) await store.appendMany(writes);
    const raw = new DatabaseSync(file, { readOnly: true });
    const stmt = raw.prepare('SELECT position, id, stream, revision, type, data, metadata, created FROM events WHERE position > ? ORDER BY position LIMIT ?');
    stmt.setReadBigInts(true);
    const page = 512;
    const time = (fn) => {
      let after = -1n;
      let pages = 0;
      const t = performance.now();
      for (;;) {
        const rows = fn(after);
        if (rows.length === 0) break;
        after = rows[rows.length - 1].position;
        pages++;
      }
      return (performance.now() - t) / pages;
    };
    let full = 0;
    let sqlOnly = 0;
    for (let i = 0; i < 3; i++) {
      sqlOnly += time((after) => stmt.all(after, page)) / 3;
      // readAll is async in signature but synchronous inside: measure it the same way
      const all = [];
      let after = -1n;
      const t = performance.now();
      let pages = 0;
      for (;;) {
        const rows = await store.readAll({ after, limit: page });
        if (rows.length === 0) break;
        all.push(rows.length);
        after = rows[rows.length - 1].position;
        pages++;
      }
      full += (performance.now() - t) / pages / 3;
    }
    raw.close();
    return { full, sqlOnly };
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const fmt = (n, d = 0) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });

console.log(`event store bench: ${CALLS} appendMany calls per case, ${EVENTS_PER_CALL} events each (${STREAMS_PER_CALL} streams), ~${avgDataBytes} B dataJson, synchronous=FULL, dir ${baseDir}`);
const results = {};
for (let round = 0; round < ROUNDS; round++) {
  for (const c of CONCURRENCY) {
    for (const mode of round % 2 ? [...MODES].reverse() : MODES) {
      const r = await runCase(mode, c);
      (results[`${mode}/${c}`] ??= []).push(r);
    }
  }
}
/** Per metric, the median over the rounds (the machines are noisy: one bad round must not decide). */
const median = (list) => {
  const out = {};
  for (const key of Object.keys(list[0])) {
    const values = list.map((r) => r[key]).sort((a, b) => a - b);
    out[key] = values.length % 2 ? values[values.length >> 1] : (values[values.length / 2 - 1] + values[values.length / 2]) / 2;
  }
  return out;
};

function table(title, results, concurrency) {
  console.log('');
  console.log(title);
  console.log('callers  writer   events/s    calls/s  call p50 ms  call p99 ms  loop max ms  loop p99 ms  loop CPU ms/call  commits  events/commit');
  for (const c of concurrency) {
    for (const mode of MODES) {
      const r = median(results[`${mode}/${c}`]);
      console.log(
        `${String(c).padStart(7)}  ${mode.padEnd(7)} ${fmt(r.eventsPerSec).padStart(10)} ${fmt(r.callsPerSec).padStart(10)} ${fmt(r.p50, 1).padStart(12)} ${fmt(r.p99, 1).padStart(12)} ${fmt(r.loopMax, 1).padStart(12)} ${fmt(r.loopP99, 1).padStart(12)} ${fmt(r.mainCpuMsPerCall, 2).padStart(17)} ${fmt(r.commits).padStart(8)} ${fmt(r.eventsPerCommit).padStart(14)}`,
      );
    }
  }
  console.log('ratios thread / inline (events/s: higher is better; event-loop delay and loop CPU: lower is better)');
  for (const c of concurrency) {
    const i = median(results[`inline/${c}`]);
    const t = median(results[`thread/${c}`]);
    console.log(
      `  ${String(c).padStart(2)} callers: events/s x${fmt(t.eventsPerSec / i.eventsPerSec, 2)}; loop max ${fmt(i.loopMax, 1)} -> ${fmt(t.loopMax, 1)} ms (x${fmt(t.loopMax / i.loopMax, 2)}); loop p99 ${fmt(i.loopP99, 1)} -> ${fmt(t.loopP99, 1)} ms (x${fmt(t.loopP99 / i.loopP99, 2)}); loop CPU/call ${fmt(i.mainCpuMsPerCall, 2)} -> ${fmt(t.mainCpuMsPerCall, 2)} ms (x${fmt(t.mainCpuMsPerCall / i.mainCpuMsPerCall, 2)})`,
    );
  }
}

table(`512-event calls (${CALLS} per case)`, results, CONCURRENCY);

// Small calls (many SDK exporters sending a few spans each): where one fsync per call dominates and group commit pays most.
const SMALL = { calls: Number(process.env.BENCH_ES_SMALL_CALLS ?? 512), events: 8, streams: 2, concurrency: [16, 64] };
if (SMALL.calls > 0) {
  const small = {};
  for (let round = 0; round < ROUNDS; round++) {
    for (const c of SMALL.concurrency) {
      for (const mode of round % 2 ? [...MODES].reverse() : MODES) {
        (small[`${mode}/${c}`] ??= []).push(await runCase(mode, c, SMALL.calls, SMALL.events, SMALL.streams));
      }
    }
  }
  table(`${SMALL.events}-event calls (${SMALL.calls} per case)`, small, SMALL.concurrency);
}

const reads = await readPath();
console.log('');
console.log(
  `reads (main thread): readAll page of 512 = ${fmt(reads.full, 2)} ms, of which the SQLite step = ${fmt(reads.sqlOnly, 2)} ms (${fmt((100 * reads.sqlOnly) / reads.full)}%, the most a reader thread could take off this loop; the rest is JSON.parse, needed here anyway)`,
);
