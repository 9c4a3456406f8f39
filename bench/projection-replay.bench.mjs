// node bench/projection-replay.bench.mjs [events]: replay speed of the trace projection (a rebuild
// from the first event) on the embedded stores, beside a baseline measured in the same run: reading
// the same events from the log alone. Run `npm run build:server` first.
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { randomBytes } from 'node:crypto';

const require = createRequire(import.meta.url);
const root = join(import.meta.dirname, '..');
const { SqliteEventStore } = require(join(root, 'dist/libs/event-store/src/sqlite'));
const { SqliteTraceReadStore } = require(join(root, 'dist/libs/read-store/src/sqlite'));
const { ProjectionRunner } = require(join(root, 'dist/libs/projection-runtime/src'));
const { TraceProjectionHandler } = require(join(root, 'dist/apps/projector/src/trace-projection.handler.js'));

const TOTAL = Number(process.argv[2] ?? 100_000);
const kv = (key, v) => ({ key, value: typeof v === 'number' ? { intValue: String(v) } : { stringValue: v } });

/** Agent traces of 4 spans (agent -> chat, tool, chat), GenAI attributes as the seed's example sets them. */
function traceEvents(t) {
  const traceId = randomBytes(16).toString('hex');
  const root = randomBytes(8).toString('hex');
  const start = BigInt(Date.now() - 86_400_000 + t) * 1_000_000n;
  const mk = (spanId, parent, name, attrs, i) => ({
    span: { traceId, spanId, parentSpanId: parent, name, kind: 1, startTimeUnixNano: String(start + BigInt(i) * 1000n), endTimeUnixNano: String(start + 900_000_000n), attributes: attrs, events: [], links: [], status: { code: 1 } },
    resource: { attributes: [kv('service.name', 'replay-app')] },
    scope: { name: 'bench', attributes: [] },
  });
  const chat = (i) => [kv('gen_ai.operation.name', 'chat'), kv('gen_ai.system', 'openai'), kv('gen_ai.request.model', 'gpt-4o'), kv('gen_ai.response.model', 'gpt-4o-2024-08-06'), kv('gen_ai.usage.input_tokens', 100 + i), kv('gen_ai.usage.output_tokens', 20), kv('gen_ai.input.messages', JSON.stringify([{ role: 'user', content: `question ${t}` }])), kv('gen_ai.output.messages', JSON.stringify([{ role: 'assistant', content: 'answer' }]))];
  return [
    mk(root, undefined, 'invoke_agent bench', [kv('gen_ai.operation.name', 'invoke_agent'), kv('gen_ai.agent.name', 'bench')], 0),
    mk(randomBytes(8).toString('hex'), root, 'chat gpt-4o', chat(1), 1),
    mk(randomBytes(8).toString('hex'), root, 'execute_tool search', [kv('gen_ai.operation.name', 'execute_tool'), kv('gen_ai.tool.name', 'search'), kv('gen_ai.tool.call.arguments', '{"q":"x"}')], 2),
    mk(randomBytes(8).toString('hex'), root, 'chat gpt-4o', chat(2), 3),
  ];
}

const dir = mkdtempSync(join(tmpdir(), 'temps-replay-'));
try {
  const events = SqliteEventStore.open(join(dir, 'events.db'), { synchronous: 'NORMAL' });
  const meta = { projectId: '1', receivedAt: new Date().toISOString(), requestId: 'bench', encoding: 'protobuf', schemaVersion: 1 };
  process.stdout.write(`writing ${TOTAL.toLocaleString('en-US')} SpanReceived events...`);
  for (let t = 0; t < TOTAL / 4; ) {
    const writes = [];
    for (let k = 0; k < 128 && t < TOTAL / 4; k++, t++) {
      const datas = traceEvents(t);
      writes.push({ stream: `trace-1-${datas[0].span.traceId}`, events: datas.map((d) => ({ id: crypto.randomUUID(), type: 'SpanReceived', data: d, metadata: meta })) });
    }
    await events.appendMany(writes);
  }
  console.log(' done');

  // Baseline: pulling the same events from the log alone (what any replay must at least do).
  let t0 = performance.now();
  let after;
  for (;;) {
    const batch = await events.readAll({ after, limit: 500 });
    if (!batch.length) break;
    after = batch[batch.length - 1].position;
  }
  const readRate = TOTAL / ((performance.now() - t0) / 1000);

  // Replay: the trace projection from the first event into an empty read model.
  const reads = SqliteTraceReadStore.open(join(dir, 'read.db'));
  const runner = new ProjectionRunner(events, new TraceProjectionHandler(reads, events, () => {}), { batchSize: 500 });
  t0 = performance.now();
  await runner.start();
  await runner.whenCaughtUp(600_000);
  const replaySeconds = (performance.now() - t0) / 1000;
  await runner.stop();
  const replayRate = TOTAL / replaySeconds;
  console.log(`baseline  read the log alone      ${Math.round(readRate).toLocaleString('en-US')} events/s`);
  console.log(`replay    trace projection        ${Math.round(replayRate).toLocaleString('en-US')} events/s (${replaySeconds.toFixed(1)} s)   ratio ${(replayRate / readRate).toFixed(3)}`);
  await reads.close();
  await events.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
