// The EventStoreDB production path on the EsdbSimulator (no EventStoreDB server can run here), beside the
// embedded default measured in the same run (these machines are noisy: read the ratios). Part of
// `npm run bench` (BENCH_PARTS=esdb runs it alone); also runnable alone:
//
//   npm run build:server && node bench/esdb-simulator.bench.mjs
//
//  1. Ingest: the OTLP/HTTP receiver as shipped (IngestModule on Nest + Express, a real socket, in this
//     process), 4 concurrent senders posting protobuf requests of 512 spans (128 traces x 4 spans, ~20
//     attributes each), every request once; acked spans/s. Once on the embedded SqliteEventStore, once on
//     EsdbEventStore over the simulator with 8 ms per append (an fsync-bound server; concurrent appends
//     overlap, as with its group commit). Round trips per request (simulator counters), and the ratio.
//  2. Rebuild: a first build of the trace projection (createTraceProjection, the production wiring, one
//     thread) into a fresh SQLite read store, reading the events ingested in (1): from the SQLite log, and
//     from the simulator through the adapter's catch-up reader. events/s and the ratio. The simulator
//     delivers reads without latency: this is the adapter's and the projector's own cost, not a network's.
//
// Env: BENCH_ESDB_BATCHES_PER_SENDER (default 12), BENCH_ESDB_APPEND_MS (default 8), BENCH_DIST (default dist/).
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';

const require = createRequire(import.meta.url);
const root = join(import.meta.dirname, '..');
const SENDERS = 4;
const TRACES_PER_REQUEST = 128;
const SPANS_PER_TRACE = 4;
const SPANS_PER_REQUEST = TRACES_PER_REQUEST * SPANS_PER_TRACE;

/** The simulator is test code (TypeScript): compiled with swc next to the build it runs with. */
function loadSimulator(dist) {
  const { transformFileSync } = require('@swc/core');
  const out = join(dist, 'test/support/esdb-simulator.js');
  const { code } = transformFileSync(join(root, 'test/support/esdb-simulator.ts'), {
    swcrc: false,
    jsc: { parser: { syntax: 'typescript' }, target: 'es2023' },
    module: { type: 'commonjs' },
  });
  mkdirSync(join(dist, 'test/support'), { recursive: true });
  writeFileSync(out, code);
  return require(out).EsdbSimulator;
}

function loadModules(dist) {
  return {
    EsdbSimulator: loadSimulator(dist),
    // The ports alone (EVENT_STORE), and each adapter from its own entry point, as the store modules load them.
    eventStore: require(join(dist, 'libs/event-store/src')),
    sqliteEvents: require(join(dist, 'libs/event-store/src/sqlite')),
    esdbEvents: require(join(dist, 'libs/event-store/src/esdb')),
    sqliteReads: require(join(dist, 'libs/read-store/src/sqlite')),
    access: require(join(dist, 'libs/access/src')),
    ingest: require(join(dist, 'apps/ingest/src')),
    createTraceProjection: require(join(dist, 'apps/projector/src/create-trace-projection.js')).createTraceProjection,
    domain: require(join(dist, 'libs/domain/src')),
    NestFactory: require('@nestjs/core').NestFactory,
    otlp: require(join(root, 'libs/otlp/src/generated/otlp.js')).opentelemetry.proto,
  };
}

/** Protobuf requests of 128 GenAI agent traces x 4 spans (invoke_agent -> chat, execute_tool, chat). */
function makeRequests(proto, count) {
  const { ExportTraceServiceRequest } = proto.collector.trace.v1;
  const kv = (key, value) => ({ key, value: typeof value === 'number' ? { intValue: value } : { stringValue: String(value) } });
  const now = BigInt(Date.now()) * 1_000_000n;
  const bodies = [];
  for (let r = 0; r < count; r++) {
    const spans = [];
    for (let t = 0; t < TRACES_PER_REQUEST; t++) {
      const traceId = randomBytes(16);
      const rootId = randomBytes(8);
      for (let c = 0; c < SPANS_PER_TRACE; c++) {
        const start = now + BigInt(r * 1000 + t * 10 + c) * 1_000_000n;
        const tool = c === 2;
        spans.push({
          traceId,
          spanId: c === 0 ? rootId : randomBytes(8),
          parentSpanId: c === 0 ? undefined : rootId,
          name: c === 0 ? 'invoke_agent bench-agent' : tool ? 'execute_tool search' : 'chat gpt-4o',
          kind: c === 0 ? 1 : 3,
          startTimeUnixNano: start.toString(),
          endTimeUnixNano: (start + 120_000_000n).toString(),
          attributes: [
            kv('gen_ai.operation.name', c === 0 ? 'invoke_agent' : tool ? 'execute_tool' : 'chat'),
            kv('gen_ai.system', 'openai'),
            kv('gen_ai.request.model', 'gpt-4o'),
            kv('gen_ai.response.model', 'gpt-4o-2024-08-06'),
            kv('gen_ai.usage.input_tokens', 100 + c),
            kv('gen_ai.usage.output_tokens', 20 + c),
            kv('gen_ai.response.id', `chatcmpl-${r}-${t}-${c}`),
            kv('gen_ai.request.max_tokens', 1024),
            kv('server.address', 'api.openai.com'),
            kv('gen_ai.input.messages', JSON.stringify([{ role: 'user', content: `question ${r}/${t}/${c}: what is the weather in Paris?` }])),
            kv('gen_ai.output.messages', JSON.stringify([{ role: 'assistant', content: 'It is sunny, 21°C.' }])),
            kv('gen_ai.tool.name', 'search'),
            kv('app.user', `user-${t % 17}`),
          ],
        });
      }
    }
    const message = {
      resourceSpans: [{ resource: { attributes: [kv('service.name', 'bench-app')] }, scopeSpans: [{ scope: { name: 'bench' }, spans }] }],
    };
    bodies.push(Buffer.from(ExportTraceServiceRequest.encode(ExportTraceServiceRequest.fromObject(message)).finish()));
  }
  return bodies;
}

/**
 * The shipped receiver on a real socket, over `events`; resolves to its URL and a stop function. Wired as
 * `temps serve --role ingest` wires it (IngestModule.forRoot with the default limits, AccessModule inside it),
 * with `events` as EVENT_STORE in place of EventStoreModule.forRoot (which would open its own connection).
 */
async function startIngest(m, events) {
  const access = new m.access.AccessService(events);
  await access.createProject('1', 'Default project');
  const { secret } = await access.createApiKey({ name: 'bench', role: 'admin' });
  const store = { module: class BenchEventStoreModule {}, global: true, providers: [{ provide: m.eventStore.EVENT_STORE, useValue: events }], exports: [m.eventStore.EVENT_STORE] };
  const app = await m.NestFactory.create({ module: class BenchIngestModule {}, imports: [store, m.ingest.IngestModule.forRoot(m.ingest.DEFAULT_INGEST_LIMITS)] }, { bodyParser: false, logger: ['error'] });
  await app.listen(0, '127.0.0.1');
  const url = `http://127.0.0.1:${app.getHttpServer().address().port}/api/otel/v1/traces`;
  return { url, headers: { 'Content-Type': 'application/x-protobuf', Authorization: `Bearer ${secret}`, 'X-Temps-Project-Id': '1' }, stop: () => app.close() };
}

async function pushAll({ url, headers }, bodies) {
  const queue = [...bodies];
  let acked = 0;
  let retried = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: SENDERS }, async () => {
      for (let b = queue.shift(); b; b = queue.shift()) {
        for (;;) {
          const res = await fetch(url, { method: 'POST', headers, body: b });
          await res.arrayBuffer();
          if (res.status === 200) break;
          if (res.status !== 429 && res.status !== 503) throw new Error(`export answered ${res.status}`);
          retried++;
          await new Promise((r) => setTimeout(r, 50));
        }
        acked += SPANS_PER_REQUEST;
      }
    }),
  );
  return { spansPerSec: acked / ((performance.now() - t0) / 1000), retried };
}

/** A first build of the trace projection into a fresh SQLite read store, until it serves at the head. */
async function firstBuild(m, events, readPath) {
  const reads = m.sqliteReads.SqliteTraceReadStore.open(readPath);
  const head = await events.headPosition();
  // Positions are not counts on EventStoreDB (byte offsets): count the events once.
  let count = 0;
  for (let after, page; (page = await events.readAll(after === undefined ? { limit: 1000 } : { after, limit: 1000 })).length; after = page[page.length - 1].position) count += page.length;
  const errors = [];
  const projection = m.createTraceProjection({ events, reads, onCommitted: () => {}, onError: (e) => errors.push(e), pollMs: 50 });
  const t0 = performance.now();
  await projection.start();
  for (;;) {
    await new Promise((r) => setTimeout(r, 50));
    if (errors.length) throw errors[0];
    const s = await projection.status();
    if (!s.rebuild && s.serving && s.position !== null && s.position >= head) break;
  }
  const seconds = (performance.now() - t0) / 1000;
  await projection.stop();
  await reads.close?.();
  return { eventsPerSec: count / seconds, seconds, count };
}

const fmt = (n) => Math.round(n).toLocaleString('en-US');
const ratio = (a, b) => Number((a / b).toFixed(3));

export async function runEsdbSimulatorBench() {
  const dist = resolve(root, process.env.BENCH_DIST ?? 'dist');
  const m = loadModules(dist);
  const perSender = Number(process.env.BENCH_ESDB_BATCHES_PER_SENDER ?? 12);
  const appendMs = Number(process.env.BENCH_ESDB_APPEND_MS ?? 8);
  const bodies = makeRequests(m.otlp, SENDERS * perSender);
  const dir = mkdtempSync(join(tmpdir(), 'temps-esdb-bench-'));
  try {
    console.log(`EventStoreDB adapter on the simulator (${appendMs} ms per append) vs the embedded SQLite store: ${bodies.length} requests of ${SPANS_PER_REQUEST} spans (${TRACES_PER_REQUEST} traces), ${SENDERS} senders`);

    // 1. Ingest, embedded first (the same-run baseline), then on the simulator.
    const sqlite = m.sqliteEvents.SqliteEventStore.open(join(dir, 'events.db'));
    let server = await startIngest(m, sqlite);
    const embedded = await pushAll(server, bodies);
    await server.stop();

    const sim = new m.EsdbSimulator({ appendLatencyMs: appendMs });
    const esdb = await m.esdbEvents.EsdbEventStore.fromClient(sim);
    server = await startIngest(m, esdb);
    sim.resetCounters();
    const simulated = await pushAll(server, bodies);
    const roundTrips = sim.roundTrips / bodies.length;
    const appendsPerRequest = sim.calls.append / bodies.length;
    await server.stop();

    console.log(`  acked spans/s      embedded ${fmt(embedded.spansPerSec)}   esdb-simulator ${fmt(simulated.spansPerSec)}   ratio ${ratio(simulated.spansPerSec, embedded.spansPerSec)}   (503/429 retried: ${embedded.retried} / ${simulated.retried})`);
    console.log(`  round trips/request  ${roundTrips.toFixed(2)} (appends ${appendsPerRequest.toFixed(2)}) for ${TRACES_PER_REQUEST} traces: N + 1 = ${TRACES_PER_REQUEST + 1} at most`);

    // 2. Rebuild from each log into a fresh read store.
    const fromSqlite = await firstBuild(m, sqlite, join(dir, 'reads-sqlite.db'));
    const fromSim = await firstBuild(m, esdb, join(dir, 'reads-esdb.db'));
    console.log(`  first build events/s  embedded ${fmt(fromSqlite.eventsPerSec)}   esdb-simulator ${fmt(fromSim.eventsPerSec)}   ratio ${ratio(fromSim.eventsPerSec, fromSqlite.eventsPerSec)}   (${fmt(fromSim.count)} events)`);
    await esdb.close();
    await sqlite.close();
    return {
      appendMs,
      requests: bodies.length,
      ingest: { embeddedSpansPerSec: embedded.spansPerSec, simulatorSpansPerSec: simulated.spansPerSec, ratio: ratio(simulated.spansPerSec, embedded.spansPerSec) },
      roundTripsPerRequest: roundTrips,
      rebuild: { embeddedEventsPerSec: fromSqlite.eventsPerSec, simulatorEventsPerSec: fromSim.eventsPerSec, ratio: ratio(fromSim.eventsPerSec, fromSqlite.eventsPerSec) },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  runEsdbSimulatorBench().then(
    () => process.exit(0),
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}
