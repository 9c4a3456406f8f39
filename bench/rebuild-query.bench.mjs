// Rebuild speed and query latency on the embedded stores (part of `npm run bench`; also runnable alone:
// `npm run build:server && node bench/rebuild-query.bench.mjs`). These machines are noisy: read the ratios.
//
//  1. A realistic log (default 750k events, see TOTAL), generated once into a temp dir with the real SqliteEventStore: agent traces of 4-8
//     spans (invoke_agent -> chat / execute_tool), 8 models of 5 providers, token usage, 3% errors,
//     conversation ids on a third of the traces, content in span attributes (50%), none (30%, capture off)
//     or as GenAI content log records (20%, the OpenAI v2 instrumentation way); 10% of the roots arrive
//     in a later export (late spans); one 1,000-span trace; start times spread over the last 30 days;
//     the shipped price table in the `pricing` stream. Deterministic (seeded PRNG).
//  2. Baseline: reading the whole log alone (readAll pages of 500, JSON parse included), events/s. Also
//     events per CPU-second of the process (less sensitive to other load than wall time).
//  3. Rebuild: what `temps projections rebuild traces` does on a caught-up server: the production wiring
//     (createTraceProjection -> BlueGreenProjection -> bulk load in TEMPS_BUILD_THREADS partitions on threads
//     (default: the cores, at most 4) -> the build's ProjectionRunner), from the first event until the new
//     build has taken over. events/s, and the ratio to (2).
//  4. Queries at that size (>= 100k traces with the default size), on the serving store, through the API's
//     services (TracesQueryService, UsageQueryService; the response JSON-serialized as HTTP would), each
//     over BENCH_QUERY_CALLS calls after a warm-up: trace list first page, a filtered page (one model's
//     errors), the 1,000-span trace's detail, usage over 30 days (daily buckets by model). p50 / p99.
//
// Env: BENCH_REPLAY_EVENTS (default 750,000: see TOTAL), BENCH_QUERY_CALLS (default 200), BENCH_REPLAY_LOG (a
// directory: the generated log is kept there and reused by later runs of the same size), BENCH_DIST (the
// build to measure, default dist/), BENCH_COMPARE_DIST (another build, e.g. a copy of dist/ from before a
// change: its rebuild runs on the same log in the same run, reported as a ratio), TEMPS_BUILD_THREADS, BENCH_BATCH
// (events per batch of a build, default the projector's).
// Results: bench/results/latest.json (gitignored).
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';

const require = createRequire(import.meta.url);
const root = join(import.meta.dirname, '..');

// 750k events make ~103k traces (the query figures are asked at 100k traces) and keep `npm run bench` near 6 minutes
// on a 2-core machine; BENCH_REPLAY_EVENTS=1000000 gives the issue's 1M-event figure (~2 more minutes).
const TOTAL = Number(process.env.BENCH_REPLAY_EVENTS ?? 750_000);
const CALLS = Number(process.env.BENCH_QUERY_CALLS ?? 200);
const PROJECT = '1';
const DAY_MS = 86_400_000;
const BIG_TRACE_SPANS = 1000;
/** Partitions (threads) of a rebuild's bulk load: what the projector uses on this machine (TEMPS_BUILD_THREADS). */
const BUILD_THREADS = Number(process.env.TEMPS_BUILD_THREADS || Math.min(4, availableParallelism()));

/** The SQLite adapter of a store lib: its own entry point, or the lib's index in builds from before the entry points. */
function adapterEntry(d, lib) {
  const entry = join(d, `libs/${lib}/src/sqlite/index.js`);
  return require(existsSync(entry) ? entry : join(d, `libs/${lib}/src`));
}

/** The modules of one build (dist/ or a copy of it). */
export function loadBuild(dir) {
  const d = resolve(root, dir);
  return {
    dir: d,
    SqliteEventStore: adapterEntry(d, 'event-store').SqliteEventStore,
    SqliteTraceReadStore: adapterEntry(d, 'read-store').SqliteTraceReadStore,
    createTraceProjection: require(join(d, 'apps/projector/src/create-trace-projection.js')).createTraceProjection,
    TracesQueryService: require(join(d, 'apps/projector/src/traces-query.service.js')).TracesQueryService,
    UsageQueryService: require(join(d, 'apps/projector/src/usage-query.service.js')).UsageQueryService,
    seedDefaultPrices: require(join(d, 'apps/cli/src/default-prices.js')).seedDefaultPrices,
    domain: require(join(d, 'libs/domain/src')),
    query: queryParser(d),
  };
}

/** The query services take validated DTOs (as the HTTP pipe makes them); builds from before the DTOs took the raw query. */
function queryParser(d) {
  const field = join(d, 'apps/projector/src/query-field.js');
  if (!existsSync(field)) return (_dto, raw) => raw;
  const { parseQueryDto } = require(field);
  const dtos = require(join(d, 'apps/projector/src/query-dtos.js'));
  return (dto, raw) => parseQueryDto(dtos[dto], raw);
}

// ---- the log ------------------------------------------------------------------------------------

/** mulberry32: a small seeded PRNG, so every run replays the same log. */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const MODELS = [
  { provider: 'openai', model: 'gpt-4o', response: 'gpt-4o-2024-08-06', w: 5 },
  { provider: 'openai', model: 'gpt-4o-mini', response: 'gpt-4o-mini-2024-07-18', w: 6 },
  { provider: 'openai', model: 'gpt-4.1', response: 'gpt-4.1-2025-04-14', w: 2 },
  { provider: 'anthropic', model: 'claude-sonnet-4-5', response: 'claude-sonnet-4-5-20250929', w: 4 },
  { provider: 'anthropic', model: 'claude-haiku-4-5', response: 'claude-haiku-4-5-20251001', w: 2 },
  { provider: 'gcp.gemini', model: 'gemini-2.5-flash', response: 'gemini-2.5-flash', w: 3 },
  { provider: 'mistral_ai', model: 'mistral-large-latest', response: 'mistral-large-2411', w: 1 },
  { provider: 'deepseek', model: 'deepseek-chat', response: 'deepseek-chat', w: 1 },
];
const MODEL_WEIGHTS = MODELS.reduce((n, m) => n + m.w, 0);
const SERVICES = ['support-bot', 'research-agent', 'billing-assistant', 'code-reviewer', 'sales-copilot'];
const TOOLS = ['search_docs', 'get_weather', 'lookup_order', 'run_sql', 'send_email'];
const QUESTIONS = ['Where is my order #{n}?', 'Summarise the attached report for the board meeting on {n}.', 'What is the weather in Paris tomorrow?', 'Refactor this function to avoid the N+1 query ({n}).', 'Draft a follow-up email to customer {n} about the renewal.'];

const kv = (key, v) => ({
  key,
  value: Array.isArray(v) ? { arrayValue: { values: v.map((s) => ({ stringValue: s })) } } : typeof v === 'number' ? (Number.isInteger(v) ? { intValue: String(v) } : { doubleValue: v }) : typeof v === 'boolean' ? { boolValue: v } : { stringValue: v },
});

/** Generates the log trace by trace; `emit(stream, events)` receives each export (one trace's events). */
class LogGenerator {
  constructor(total) {
    this.total = total;
    this.rand = prng(42);
    this.count = 0;
    this.traces = 0;
    this.now = Date.now();
    this.late = []; // [{ dueAt, stream, events }]
    this.sessions = [];
    this.bigTraceId = null;
  }

  hex(n) {
    let s = '';
    for (let i = 0; i < n; i++) s += ((this.rand() * 16) | 0).toString(16);
    return s;
  }

  pick(list) {
    return list[(this.rand() * list.length) | 0];
  }

  model() {
    let r = this.rand() * MODEL_WEIGHTS;
    for (const m of MODELS) if ((r -= m.w) < 0) return m;
    return MODELS[0];
  }

  meta(receivedAt, schemaVersion) {
    return { projectId: PROJECT, receivedAt, requestId: `bench-${this.traces}`, encoding: 'protobuf', schemaVersion };
  }

  span(traceId, spanId, parent, name, kind, startMs, durMs, attrs, status, service, scopeName) {
    const ns = (ms) => `${BigInt(Math.round(ms * 1000)) * 1000n}`;
    return {
      span: { traceId, spanId, ...(parent ? { parentSpanId: parent } : {}), name, kind, startTimeUnixNano: ns(startMs), endTimeUnixNano: ns(startMs + durMs), attributes: attrs, events: [], links: [], status, flags: 1 },
      resource: { attributes: [kv('service.name', service), kv('service.version', '1.4.2'), kv('deployment.environment.name', 'production'), kv('telemetry.sdk.language', 'python'), kv('telemetry.sdk.name', 'opentelemetry'), kv('telemetry.sdk.version', '1.38.0')] },
      scope: { name: scopeName, version: '2.1b0', attributes: [] },
    };
  }

  /** One agent trace: its events in export order (children end first, the root last). */
  trace(startMs, spanCount, forceContent) {
    const t = this.traces++;
    const traceId = this.hex(32);
    const rootId = this.hex(16);
    const service = this.pick(SERVICES);
    const content = forceContent ?? (this.rand() < 0.5 ? 'attrs' : this.rand() < 0.6 ? 'none' : 'logs');
    const agent = `${service}-agent`;
    let conversation = null;
    if (this.rand() < 0.33) {
      if (this.sessions.length && this.rand() < 0.8) conversation = this.pick(this.sessions);
      else (conversation = `conv_${this.hex(24)}`), this.sessions.push(conversation), this.sessions.length > 2000 && this.sessions.shift();
    }
    const data = [];
    const logs = [];
    let at = startMs + 5;
    let inTokens = 0;
    let outTokens = 0;
    const failed = this.rand() < 0.03;
    for (let i = 1; i < spanCount; i++) {
      const spanId = this.hex(16);
      if (i % 2 === 1 || i === spanCount - 1) {
        const m = this.model();
        const dur = 300 + this.rand() * 2500;
        const input = 200 + ((this.rand() * 3000) | 0);
        const output = 20 + ((this.rand() * 600) | 0);
        inTokens += input;
        outTokens += output;
        const question = this.pick(QUESTIONS).replace('{n}', String(t));
        const err = failed && i === spanCount - 1;
        const attrs = [
          kv('gen_ai.operation.name', 'chat'),
          kv('gen_ai.provider.name', m.provider),
          kv('gen_ai.request.model', m.model),
          kv('gen_ai.response.model', m.response),
          kv('gen_ai.usage.input_tokens', input),
          kv('gen_ai.usage.output_tokens', output),
          kv('gen_ai.response.finish_reasons', [i === spanCount - 1 ? 'stop' : 'tool_calls']),
          kv('gen_ai.response.id', `chatcmpl-${this.hex(20)}`),
          kv('gen_ai.request.temperature', 0.2),
          kv('gen_ai.request.max_tokens', 2048),
          kv('server.address', `api.${m.provider}.com`),
          kv('server.port', 443),
          ...(conversation ? [kv('gen_ai.conversation.id', conversation)] : []),
          ...(err ? [kv('error.type', 'RateLimitError')] : []),
        ];
        if (this.rand() < 0.3) attrs.push(kv('gen_ai.usage.cache_read.input_tokens', (input / 2) | 0));
        if (content === 'attrs') {
          attrs.push(
            kv('gen_ai.system_instructions', JSON.stringify([{ type: 'text', content: `You are ${agent}, a helpful assistant. Answer briefly and cite your sources.` }])),
            kv('gen_ai.input.messages', JSON.stringify([{ role: 'user', parts: [{ type: 'text', content: question }] }])),
            kv('gen_ai.output.messages', JSON.stringify([{ role: 'assistant', parts: [{ type: 'text', content: `Here is what I found about "${question}": ${'the details are in the attached notes. '.repeat(1 + (t % 4))}` }], finish_reason: 'stop' }])),
          );
        }
        data.push(this.span(traceId, spanId, rootId, `chat ${m.model}`, 3, at, dur, attrs, err ? { code: 2, message: 'Rate limit reached' } : { code: 0 }, service, 'opentelemetry.instrumentation.openai_v2'));
        if (content === 'logs') {
          const ns = `${BigInt(Math.round(at)) * 1_000_000n}`;
          const rec = (eventName, body) => ({
            logRecord: { timeUnixNano: ns, observedTimeUnixNano: ns, severityNumber: 9, eventName, traceId, spanId, attributes: [kv('gen_ai.provider.name', m.provider)], body: { kvlistValue: { values: Object.entries(body).map(([key, v]) => kv(key, v)) } } },
            resource: { attributes: [kv('service.name', service)] },
            scope: { name: 'opentelemetry.instrumentation.openai_v2', attributes: [] },
          });
          logs.push(rec('gen_ai.user.message', { content: question }), rec('gen_ai.choice', { finish_reason: 'stop', index: 0, message: `Answer to ${question}` }));
        }
        at += dur + 3;
      } else {
        const tool = this.pick(TOOLS);
        const dur = 20 + this.rand() * 400;
        const attrs = [
          kv('gen_ai.operation.name', 'execute_tool'),
          kv('gen_ai.tool.name', tool),
          kv('gen_ai.tool.call.id', `call_${this.hex(24)}`),
          kv('gen_ai.tool.type', 'function'),
          ...(content === 'attrs' ? [kv('gen_ai.tool.call.arguments', JSON.stringify({ query: `q${t}`, limit: 5 })), kv('gen_ai.tool.call.result', JSON.stringify({ ok: true, items: [t, t + 1] }))] : []),
        ];
        data.push(this.span(traceId, spanId, rootId, `execute_tool ${tool}`, 1, at, dur, attrs, { code: 0 }, service, 'opentelemetry.instrumentation.openai_v2'));
        at += dur + 3;
      }
    }
    const rootAttrs = [
      kv('gen_ai.operation.name', 'invoke_agent'),
      kv('gen_ai.agent.name', agent),
      kv('gen_ai.agent.id', `agent_${service}`),
      kv('gen_ai.provider.name', 'openai'),
      kv('gen_ai.usage.input_tokens', inTokens),
      kv('gen_ai.usage.output_tokens', outTokens),
      ...(conversation ? [kv('gen_ai.conversation.id', conversation)] : []),
      kv('user.id', `user_${(this.rand() * 500) | 0}`),
    ];
    const rootSpan = this.span(traceId, rootId, null, `invoke_agent ${agent}`, 1, startMs, at - startMs + 2, rootAttrs, failed ? { code: 2, message: 'agent failed' } : { code: 1 }, service, 'opentelemetry.instrumentation.openai_agents');
    return { traceId, stream: `trace-${PROJECT}-${traceId}`, children: [...data, ...logs], root: rootSpan };
  }
}

/** The event as the build's ingest stores it: attribute maps from event schema version 2 on. */
function eventOf(build, d, meta) {
  const { compactSpanData, compactLogRecordData } = build.domain;
  const data = !compactSpanData ? d : d.span ? compactSpanData(d) : compactLogRecordData(d);
  return { id: randomUUID(), type: d.span ? 'SpanReceived' : 'LogRecordReceived', data, metadata: meta };
}

/** The event schema version a build writes (1 before EVENT_SCHEMA_VERSION existed). */
const schemaOf = (build) => build.domain.EVENT_SCHEMA_VERSION ?? 1;

/** Writes the log: returns what the queries need (the big trace's id) and the shape figures. */
async function generateLog(build, path) {
  const events = build.SqliteEventStore.open(path, { synchronous: 'NORMAL' });
  const priceEvents = await build.seedDefaultPrices(events);
  const g = new LogGenerator(TOTAL);
  const start = g.now - 30 * DAY_MS;
  const stepMs = (30 * DAY_MS) / (TOTAL / 7.2); // ~7.2 events per trace
  let clock = start;
  let writes = [];
  let pending = 0;
  const counts = { spans: 0, logs: 0, traces: 0, lateRoots: 0 };
  const flush = async () => {
    if (writes.length) await events.appendMany(writes);
    writes = [];
    pending = 0;
  };
  const push = async (stream, datas, receivedMs) => {
    const meta = g.meta(new Date(Math.min(receivedMs, g.now)).toISOString(), schemaOf(build));
    writes.push({ stream, events: datas.map((d) => eventOf(build, d, meta)) });
    for (const d of datas) d.span ? counts.spans++ : counts.logs++;
    pending += datas.length;
    if (pending >= 512) await flush();
  };
  const bigAt = Math.floor(TOTAL / 2);
  let events0 = priceEvents;
  while (events0 + counts.spans + counts.logs < TOTAL) {
    const done = counts.spans + counts.logs;
    if (g.bigTraceId === null && done >= bigAt) {
      // The 1,000-span trace: a long agent run, exported in chunks of 200 spans as a batch processor would.
      const big = g.trace(clock, BIG_TRACE_SPANS, 'attrs');
      g.bigTraceId = big.traceId;
      counts.traces++;
      const all = [...big.children, big.root];
      for (let i = 0; i < all.length; i += 200) await push(big.stream, all.slice(i, i + 200), clock + 60_000);
      continue;
    }
    const spanCount = 4 + ((g.rand() * 5) | 0);
    const tr = g.trace(clock, spanCount);
    counts.traces++;
    if (g.rand() < 0.1) {
      // The root is exported later (a long-running agent): children now, root a few thousand events on.
      await push(tr.stream, tr.children, clock + 10_000);
      g.late.push({ due: done + 3000, stream: tr.stream, events: [tr.root], at: clock + 20_000 });
      counts.lateRoots++;
    } else {
      await push(tr.stream, [...tr.children, tr.root], clock + 10_000);
    }
    while (g.late.length && g.late[0].due <= counts.spans + counts.logs) {
      const l = g.late.shift();
      await push(l.stream, l.events, l.at);
    }
    clock += stepMs * (0.5 + g.rand());
    if (clock > g.now - 60_000) clock = g.now - 60_000;
  }
  for (const l of g.late) await push(l.stream, l.events, l.at);
  await flush();
  const head = await events.headPosition();
  await events.close();
  return { bigTraceId: g.bigTraceId, events: Number(head) + 1, ...counts, priceEvents };
}

// ---- measurements -------------------------------------------------------------------------------

async function readLogRate(build, path) {
  const events = build.SqliteEventStore.open(path, { readOnly: true });
  let best = 0;
  let n = 0;
  // One pass: the file was just written (or reused), so it is in the page cache as it is for the rebuild.
  for (let pass = 0; pass < 1; pass++) {
    const t0 = performance.now();
    let after;
    n = 0;
    for (;;) {
      const batch = await events.readAll({ after, limit: 500 });
      if (!batch.length) break;
      n += batch.length;
      after = batch[batch.length - 1].position;
    }
    best = Math.max(best, n / ((performance.now() - t0) / 1000));
  }
  await events.close();
  return { eventsPerSec: best, events: n };
}

/**
 * The parallel baseline: the log read (and parsed) in BUILD_THREADS partitions, one thread each, as a
 * bulk load reads it. On machines whose cores share memory bandwidth, this shows what parallel JSON work
 * gets here at best (the single-thread read times the thread count would overstate it).
 */
async function readLogRateParallel(build, path, threads) {
  const lib = join(build.dir, 'libs/event-store/src');
  const code = `
    const { workerData, parentPort } = require('node:worker_threads');
    const { readPartition } = require(workerData.lib);
    const { SqliteEventStore } = require(require('node:fs').existsSync(workerData.lib + '/sqlite') ? workerData.lib + '/sqlite' : workerData.lib);
    (async () => {
      const events = SqliteEventStore.open(workerData.path, { readOnly: true });
      const until = await events.headPosition();
      let after, n = 0;
      for (;;) {
        const batch = await readPartition(events, { after, limit: 500, until, partition: { index: workerData.index, count: workerData.count } });
        if (!batch.length) break;
        n += batch.length;
        after = batch[batch.length - 1].position;
      }
      await events.close();
      parentPort.postMessage(n);
    })();`;
  const t0 = performance.now();
  const counts = await Promise.all(
    Array.from({ length: threads }, (_, index) => new Promise((resolve, reject) => {
      const w = new Worker(code, { eval: true, workerData: { lib, path, index, count: threads } });
      w.once('message', resolve);
      w.once('error', reject);
    })),
  );
  const n = counts.reduce((a, b) => a + b, 0);
  return { eventsPerSec: n / ((performance.now() - t0) / 1000), events: n, threads };
}

/**
 * A forced rebuild on a caught-up server: the serving build is at the head, a rebuild is requested,
 * and the projection (the production wiring) builds a fresh namespace from the first event, then switches.
 */
export async function rebuild(build, eventsPath, readPath, { threads = BUILD_THREADS } = {}) {
  rmSync(readPath, { force: true });
  rmSync(`${readPath}-wal`, { force: true });
  rmSync(`${readPath}-shm`, { force: true });
  const events = build.SqliteEventStore.open(eventsPath, { readOnly: true });
  const reads = build.SqliteTraceReadStore.open(readPath);
  const { TRACE_PROJECTION } = build.domain;
  const serving = { namespace: `${TRACE_PROJECTION.name}_v${TRACE_PROJECTION.version}`, version: TRACE_PROJECTION.version };
  const head = await events.headPosition();
  await reads.activate(TRACE_PROJECTION.name, serving);
  const servingStore = await reads.forNamespace(serving.namespace);
  // An empty write plan (a build from before write plans took the old commit shape).
  const empty = build.domain.planTraceWrites
    ? { projection: serving.namespace, position: head, spans: [], traces: [], search: [], counters: [], claims: { put: [], remove: [] }, claimLog: [], sessions: { put: [], remove: [] } }
    : { projection: serving.namespace, position: head, spans: [], traces: [], counters: [], sessions: [] };
  await servingStore.commit(empty);
  await reads.requestRebuild(TRACE_PROJECTION.name);
  const errors = [];
  // As the projector thread wires it: a fresh build is bulk-loaded in partitions, one thread each.
  const bulkLoad = threads > 1 ? { threads: { stores: { events: { kind: 'sqlite', path: eventsPath }, reads: { kind: 'sqlite', path: readPath } }, count: threads } } : {};
  const projection = build.createTraceProjection({ events, reads, onCommitted: () => {}, onError: (e) => errors.push(e), pollMs: 50, bulkLoad, ...(process.env.BENCH_BATCH ? { buildBatchSize: Number(process.env.BENCH_BATCH) } : {}) });
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await projection.start();
  let last = performance.now();
  for (;;) {
    await new Promise((r) => setTimeout(r, 50));
    const s = await projection.status();
    if (!s.rebuild && s.serving?.namespace !== serving.namespace) break;
    if (errors.length) throw errors[0];
    if (s.rebuild && performance.now() - last > 15_000) {
      last = performance.now();
      process.stdout.write(`  ... ${Number(s.rebuild.position ?? 0n).toLocaleString('en-US')} / ${Number(head).toLocaleString('en-US')} (${Math.round(s.rebuild.eventsPerSecond).toLocaleString('en-US')} events/s)\n`);
    }
  }
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  await projection.stop();
  const catalog = await reads.catalogEntry(TRACE_PROJECTION.name);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  return { seconds, eventsPerSec: (Number(head) + 1) / seconds, cpuSeconds, eventsPerCpuSec: (Number(head) + 1) / cpuSeconds, namespace: catalog.active?.namespace, reads, events };
}

const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];

async function timeCalls(fn) {
  for (let i = 0; i < 10; i++) await fn();
  const ms = [];
  for (let i = 0; i < CALLS; i++) {
    const t0 = performance.now();
    await fn();
    ms.push(performance.now() - t0);
  }
  ms.sort((a, b) => a - b);
  const r = (x) => Number(x.toFixed(2));
  return { p50: r(pct(ms, 50)), p99: r(pct(ms, 99)), max: r(ms[ms.length - 1]), calls: ms.length };
}

async function queries(build, reads, bigTraceId) {
  const traces = new build.TracesQueryService(reads);
  const usage = new build.UsageQueryService(reads);
  const now = new Date();
  const from30 = new Date(now.getTime() - 30 * DAY_MS).toISOString();
  // Every call is JSON-serialized as the HTTP layer would.
  const list = await timeCalls(async () => JSON.stringify(await traces.list(PROJECT, build.query('TraceListQuery', { limit: '50' }))));
  const filtered = await timeCalls(async () => JSON.stringify(await traces.list(PROJECT, build.query('TraceListQuery', { model: 'claude-sonnet-4-5-20250929', status: 'error', limit: '50' }))));
  const detail = await timeCalls(async () => JSON.stringify(await traces.get(PROJECT, bigTraceId)));
  const usage30 = await timeCalls(async () => JSON.stringify(await usage.usage(PROJECT, build.query('UsageQuery', { from: from30, to: now.toISOString(), bucket: 'day', groupBy: 'model' }))));
  const firstPage = await traces.list(PROJECT, build.query('TraceListQuery', { limit: '50' }));
  const filteredPage = await traces.list(PROJECT, build.query('TraceListQuery', { model: 'claude-sonnet-4-5-20250929', status: 'error', limit: '50' }));
  const big = await traces.get(PROJECT, bigTraceId);
  const u = await usage.usage(PROJECT, build.query('UsageQuery', { from: from30, to: now.toISOString(), bucket: 'day', groupBy: 'model' }));
  return {
    list: { ...list, items: firstPage.items.length },
    filteredList: { ...filtered, items: filteredPage.items.length, filter: 'model=claude-sonnet-4-5-20250929&status=error' },
    detail1000: { ...detail, spans: big.spans.length },
    usage30d: { ...usage30, points: u.items.length, calls30d: u.totals.calls },
  };
}

/** The log in `dir` as `build` writes it: reused when kept from an earlier run of the same size and event schema. */
async function ensureLog(build, dir, keep) {
  mkdirSync(dir, { recursive: true });
  const infoPath = join(dir, 'log.json');
  const old = keep && existsSync(infoPath) ? JSON.parse(readFileSync(infoPath, 'utf8')) : null;
  if (old && old.requested === TOTAL && (old.schemaVersion ?? 1) === schemaOf(build)) {
    console.log(`rebuild   reusing the log in ${dir}`);
    return old;
  }
  for (const f of ['events.db', 'events.db-wal', 'events.db-shm']) rmSync(join(dir, f), { force: true });
  process.stdout.write(`rebuild   generating a log of ${TOTAL.toLocaleString('en-US')} events (agent traces, 30 days, event schema ${schemaOf(build)})...`);
  const t0 = performance.now();
  const log = { requested: TOTAL, schemaVersion: schemaOf(build), ...(await generateLog(build, join(dir, 'events.db'))) };
  console.log(` ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  if (keep) writeFileSync(infoPath, JSON.stringify(log));
  return log;
}

export async function runRebuildQueryBench() {
  const build = loadBuild(process.env.BENCH_DIST ?? 'dist');
  const compare = process.env.BENCH_COMPARE_DIST ? loadBuild(process.env.BENCH_COMPARE_DIST) : null;
  const keep = process.env.BENCH_REPLAY_LOG;
  const dir = keep ? resolve(keep) : mkdtempSync(join(tmpdir(), 'temps-rebuild-'));
  mkdirSync(dir, { recursive: true });
  const eventsPath = join(dir, 'events.db');
  try {
    const log = await ensureLog(build, dir, Boolean(keep));
    // A build of an older event schema replays the same log as that build's ingest would have written it.
    const compareDir = compare && schemaOf(compare) !== schemaOf(build) ? join(dir, `schema-v${schemaOf(compare)}`) : dir;
    if (compareDir !== dir) {
      console.log(`rebuild   the compared build writes event schema ${schemaOf(compare)} (this one ${schemaOf(build)}): it replays the same log in its own form, ${compareDir}`);
      await ensureLog(compare, compareDir, Boolean(keep));
    }
    console.log(
      `rebuild   log: ${log.events.toLocaleString('en-US')} events: ${log.spans.toLocaleString('en-US')} spans + ${log.logs.toLocaleString('en-US')} content log records in ${log.traces.toLocaleString('en-US')} traces (${log.lateRoots.toLocaleString('en-US')} late roots, one ${BIG_TRACE_SPANS}-span trace), ${log.priceEvents} prices`,
    );

    // The parallel read first: it also brings a reused log into the page cache for the single-thread read.
    const parallelRead = BUILD_THREADS > 1 ? await readLogRateParallel(build, eventsPath, BUILD_THREADS) : null;
    const read = await readLogRate(build, eventsPath);
    console.log(`rebuild   baseline: read the log alone ${Math.round(read.eventsPerSec).toLocaleString('en-US')} events/s`);
    if (parallelRead) {
      console.log(`rebuild   baseline: read the log in ${BUILD_THREADS} partitions on ${BUILD_THREADS} threads ${Math.round(parallelRead.eventsPerSec).toLocaleString('en-US')} events/s (x${(parallelRead.eventsPerSec / read.eventsPerSec).toFixed(2)} the single-thread read)`);
    }
    const runs = [];
    if (compare) runs.push(['compare', compare]);
    runs.push(['current', build]);
    const out = {};
    for (const [label, b] of runs) {
      console.log(`rebuild   ${label} build (${b.dir.replace(`${root}/`, '')}) ...`);
      const r = await rebuild(b, label === 'compare' ? join(compareDir, 'events.db') : eventsPath, join(dir, `read-${label}.db`));
      out[label] = r;
      console.log(`rebuild   ${label}: ${Math.round(r.eventsPerSec).toLocaleString('en-US')} events/s (${r.seconds.toFixed(1)} s, ${r.cpuSeconds.toFixed(1)} s CPU), ratio to log read ${(r.eventsPerSec / read.eventsPerSec).toFixed(3)}`);
      if (label === 'compare') {
        await r.reads.close();
        await r.events.close();
      }
    }
    const cur = out.current;
    console.log(`queries   on the rebuilt read model (${log.traces.toLocaleString('en-US')} traces), ${CALLS} calls each ...`);
    const q = await queries(build, cur.reads, log.bigTraceId);
    await cur.reads.close();
    await cur.events.close();

    const ratio = (a, b) => Number((a / b).toFixed(3));
    const result = {
      date: new Date().toISOString(),
      node: process.version,
      log: { ...log, days: 30 },
      baselineLogReadEventsPerSec: Math.round(read.eventsPerSec),
      ...(parallelRead ? { baselineParallelLogRead: { threads: BUILD_THREADS, eventsPerSec: Math.round(parallelRead.eventsPerSec), speedupOverOneThread: ratio(parallelRead.eventsPerSec, read.eventsPerSec) } } : {}),
      rebuild: {
        eventsPerSec: Math.round(cur.eventsPerSec),
        seconds: Number(cur.seconds.toFixed(1)),
        cpuSeconds: Number(cur.cpuSeconds.toFixed(1)),
        eventsPerCpuSec: Math.round(cur.eventsPerCpuSec),
        ratioToLogRead: ratio(cur.eventsPerSec, read.eventsPerSec),
        ...(parallelRead ? { ratioToParallelLogRead: ratio(cur.eventsPerSec, parallelRead.eventsPerSec) } : {}),
        threads: BUILD_THREADS,
        goalEventsPerSec: 20000,
        ...(out.compare
          ? { compare: { dist: process.env.BENCH_COMPARE_DIST, eventsPerSec: Math.round(out.compare.eventsPerSec), eventsPerCpuSec: Math.round(out.compare.eventsPerCpuSec), seconds: Number(out.compare.seconds.toFixed(1)), ratioToLogRead: ratio(out.compare.eventsPerSec, read.eventsPerSec), speedup: ratio(cur.eventsPerSec, out.compare.eventsPerSec), cpuSpeedup: ratio(cur.eventsPerCpuSec, out.compare.eventsPerCpuSec) } }
          : {}),
      },
      queriesMs: q,
    };
    const line = (name, r, extra) => console.log(`  ${name.padEnd(40)} ${String(r.p50).padStart(8)} ${String(r.p99).padStart(8)} ${String(r.max).padStart(8)}   ${extra}`);
    console.log('');
    console.log(`  ${`rebuild of ${log.events} events`.padEnd(40)} ${'events/s'.padStart(8)} ${'ratio to log read'.padStart(18)} ${'events/CPU-s'.padStart(13)}`);
    console.log(`  ${'log read alone (baseline)'.padEnd(40)} ${String(result.baselineLogReadEventsPerSec).padStart(8)} ${'1'.padStart(18)}`);
    if (parallelRead) console.log(`  ${`log read, ${BUILD_THREADS} threads (parallel baseline)`.padEnd(40)} ${String(result.baselineParallelLogRead.eventsPerSec).padStart(8)} ${String(result.baselineParallelLogRead.speedupOverOneThread).padStart(18)}`);
    if (out.compare) console.log(`  ${`rebuild, ${process.env.BENCH_COMPARE_DIST}`.padEnd(40)} ${String(result.rebuild.compare.eventsPerSec).padStart(8)} ${String(result.rebuild.compare.ratioToLogRead).padStart(18)} ${String(result.rebuild.compare.eventsPerCpuSec).padStart(13)}`);
    console.log(`  ${`rebuild, this build (${BUILD_THREADS} threads)`.padEnd(40)} ${String(result.rebuild.eventsPerSec).padStart(8)} ${String(result.rebuild.ratioToLogRead).padStart(18)} ${String(result.rebuild.eventsPerCpuSec).padStart(13)}${out.compare ? `   x${result.rebuild.compare.speedup} (CPU x${result.rebuild.compare.cpuSpeedup}) vs ${process.env.BENCH_COMPARE_DIST}` : ''}   goal >= 20,000 events/s${parallelRead ? `; ${result.rebuild.ratioToParallelLogRead} of the parallel read` : ''}`);
    console.log('');
    console.log(`  ${`query (ms, ${log.traces} traces)`.padEnd(40)} ${'p50'.padStart(8)} ${'p99'.padStart(8)} ${'max'.padStart(8)}`);
    line('trace list, first page (50)', q.list, `${q.list.items} items`);
    line('trace list, model + status=error', q.filteredList, `${q.filteredList.items} items`);
    line(`trace detail, ${BIG_TRACE_SPANS}-span trace`, q.detail1000, `${q.detail1000.spans} spans`);
    line('usage, 30 days by day x model', q.usage30d, `${q.usage30d.points} points`);
    mkdirSync(join(root, 'bench/results'), { recursive: true });
    writeFileSync(join(root, 'bench/results/latest.json'), JSON.stringify(result, null, 2));
    console.log(`results   bench/results/latest.json`);
    return result;
  } finally {
    if (!keep) rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  runRebuildQueryBench().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
