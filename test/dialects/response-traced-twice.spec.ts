import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EVENT_SCHEMA_VERSION, rollupUsage, usageRowIdPrefix, type IngestMetadata } from '@temps/domain';
import { SqliteEventStore } from '@temps/event-store/sqlite';
import { DEFAULT_DECODE_LIMITS } from '@temps/otlp';
import { SqliteTraceReadStore } from '@temps/read-store/sqlite';
import { SIGNAL_CODECS } from '../../apps/ingest/src/otlp-signals';
import { TraceProjectionHandler } from '../../apps/projector/src/trace-projection.handler';
import { readRecordedFixtures } from '../support/recorded-fixtures';

/**
 * The seed's Anthropic example, recorded from the real clients: anthropic>=2 traces its own call
 * (scope com.anthropic.sdk.python) beside OpenLLMetry's instrumentation, each in a trace of its own,
 * both naming the same response id. Both traces are listed; project usage counts the call once.
 */
describe('one API response traced twice (the seed Anthropic example: SDK tracing + OpenLLMetry)', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'temps-twice-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const scenarios = readRecordedFixtures().filter((s) => s.client === 'otel-instrumentation-anthropic-py');

  it('has recordings to check', () => {
    expect(scenarios.map((s) => s.scenario).sort()).toEqual(['seed-capture-false', 'seed-capture-true', 'seed-trace-content-false']);
  });

  for (const batchSize of [1, 100]) {
    it.each(scenarios.map((s) => [s.scenario, s] as const))(`%s, batches of ${batchSize}: two traces listed, usage counted once`, async (_name, scenario) => {
      const events = SqliteEventStore.open(join(dir, 'events.db'));
      const reads = SqliteTraceReadStore.open(join(dir, 'read.db'));
      try {
        for (const [i, request] of scenario.requests.entries()) {
          const codec = SIGNAL_CODECS[request.signal];
          const decoded = codec.decode(request.encoding, request.body, DEFAULT_DECODE_LIMITS);
          const metadata: IngestMetadata = { projectId: '1', receivedAt: '2026-11-27T00:00:00.000Z', requestId: `recorded-${i}`, encoding: request.encoding, schemaVersion: EVENT_SCHEMA_VERSION };
          for (const item of decoded.items) {
            const { stream, event } = (codec.toEvent as (item: unknown, m: IngestMetadata) => ReturnType<typeof codec.toEvent>)(item, metadata);
            await events.appendMany([{ stream, events: [event] }]);
          }
        }
        const store = await reads.forNamespace(TraceProjectionHandler.projectionName);
        const handler = new TraceProjectionHandler(store, events, () => undefined);
        const log = await events.readAll({ limit: 1000 });
        for (let at = 0; at < log.length; at += batchSize) {
          const batch = log.slice(at, at + batchSize);
          await handler.apply(batch, batch[batch.length - 1]!.position);
        }

        const traces = (await store.listTraces('1', { limit: 10 })).items;
        expect(traces).toHaveLength(2);
        for (const t of traces) expect(t).toMatchObject({ inputTokens: 15, outputTokens: 12 }); // each trace shows its own span's usage
        const prefix = usageRowIdPrefix('1');
        const rows = await store.counterRows({ from: prefix, to: `${prefix}\uffff` });
        expect(rollupUsage(rows, { bucket: 'day', groupBy: 'model' }).totals).toMatchObject({ calls: 1, inputTokens: 15, outputTokens: 12, cacheReadInputTokens: 4, cacheCreationInputTokens: 2 });
        await store.close();
      } finally {
        await reads.close();
        await events.close();
      }
    });
  }
});
