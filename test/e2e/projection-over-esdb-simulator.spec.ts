import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EventStoreDBClient } from '@eventstore/db-client';
import { EsdbEventStore } from '@temps/event-store/esdb';
import { BlueGreenProjection } from '@temps/projection-runtime';
import { SqliteTraceReadStore } from '@temps/read-store/sqlite';
import { TraceProjectionHandler } from '../../apps/projector/src/trace-projection.handler';
import { EsdbSimulator } from '../support/esdb-simulator';
import { readModel } from '../support/read-model-snapshot';
import { hex, traceWrite } from '../support/span-events';
import { eventually } from '../support/temps-server';

/**
 * The blue/green projection (real runtime, real trace handler, a real SQLite read store) reading the log
 * through the EventStoreDB adapter over the EsdbSimulator (no EventStoreDB server can run here): during a
 * forced rebuild the serving build and the new build pull at different positions, and status probes read
 * one event ahead of each; every consumer keeps its own catch-up subscription instead of reopening the other's.
 */
describe('blue/green rebuild over the EventStoreDB adapter on the simulator', () => {
  let dir: string;
  let sim: EsdbSimulator;
  let events: EsdbEventStore;
  let reads: SqliteTraceReadStore;
  let projection: BlueGreenProjection | undefined;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'temps-esdb-bluegreen-'));
    sim = new EsdbSimulator({ appendLatencyMs: 1 });
    events = await EsdbEventStore.fromClient(sim as unknown as EventStoreDBClient);
    reads = SqliteTraceReadStore.open(join(dir, 'read.db'));
  });
  afterEach(async () => {
    await projection?.stop();
    await reads.close();
    await events.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const append = async (from: number, count: number) => {
    for (let i = from; i < from + count; i++) await events.appendMany([traceWrite(hex(i), 3, { startMs: 1_780_000_000_000 + i * 60_000 })]);
  };

  it('given a forced rebuild while the serving build stays live and status is polled, then the two builds use one subscription each and the result is complete', async () => {
    await append(1, 80);
    projection = new BlueGreenProjection({
      name: 'traces',
      version: 2,
      events,
      catalog: reads,
      async openBuild(namespace) {
        const view = await reads.forNamespace(namespace);
        const handler = new TraceProjectionHandler(view, events, () => undefined, { name: namespace });
        const apply = handler.apply.bind(handler);
        // The new build is slow, so that both builds pull for a while.
        handler.apply = async (batch, last) => (namespace === 'traces_v2' ? apply(batch, last) : (await new Promise((r) => setTimeout(r, 20)), apply(batch, last)));
        return { handler, close: () => view.close() };
      },
      runner: { batchSize: 10, idlePollMs: 20 },
      pollMs: 20,
    });
    await projection.start();
    await projection.whenCaughtUp(10_000);
    const before = sim.calls.subscribe;
    await reads.requestRebuild('traces');
    await eventually(async () => ((await reads.catalogEntry('traces')).building ? true : undefined), 5_000, 'the build to start');
    const { building } = await reads.catalogEntry('traces');
    let probes = 0;
    const p = projection;
    await eventually(async () => {
      await p.status(); // what the dashboard and `temps projections status` poll
      probes++;
      if (probes % 5 === 0) await append(100 + probes, 1); // live traffic for the serving build meanwhile
      return (await reads.catalogEntry('traces')).active?.namespace === building!.namespace ? true : undefined;
    }, 30_000, 'the switch');
    await p.whenCaughtUp(10_000);
    expect(probes).toBeGreaterThan(5);
    // The serving build's reader and the new build's reader (and none per probe or per pull).
    expect(sim.calls.subscribe - before).toBeLessThanOrEqual(3);
    const live = Math.floor(probes / 5);
    expect((await readModel(reads)).traces).toHaveLength(80 + live);
    expect((await reads.getTrace('1', hex(80)))?.spans).toHaveLength(3);
    expect(sim.callsWithoutDeadline).toBe(0);
  });
});
