import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteEventStore } from '@temps/event-store/sqlite';
import { BlueGreenProjection } from '@temps/projection-runtime';
import { type TraceReadStore } from '@temps/read-store';
import { SqliteTraceReadStore } from '@temps/read-store/sqlite';
import { readModel } from '../../../test/support/read-model-snapshot';
import { hex, traceWrite } from '../../../test/support/span-events';
import { eventually } from '../../../test/support/temps-server';
import { TraceProjectionHandler } from './trace-projection.handler';

/**
 * The rebuild test of the read-models issue, on the real trace handler and SQLite stores: a new
 * version builds beside the old one while the old one serves, the switch happens, and the result
 * equals a build from scratch.
 */
describe('blue/green builds of the trace projection', () => {
  let dir: string;
  let events: SqliteEventStore;
  let serving: SqliteTraceReadStore;
  const running: BlueGreenProjection[] = [];

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'temps-bluegreen-'));
    events = SqliteEventStore.open(join(dir, 'events.db'));
    serving = SqliteTraceReadStore.open(join(dir, 'read.db'));
  });
  afterEach(async () => {
    for (const p of running.splice(0)) await p.stop();
    await serving.close();
    await events.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** The projection at a code version; `delayMs(namespace)` slows each batch of a build so that it stays in progress. */
  function projection(version: number, delayMs: (namespace: string) => number = () => 0, store: TraceReadStore = serving): BlueGreenProjection {
    const p = new BlueGreenProjection({
      name: 'traces',
      version,
      events,
      catalog: store,
      async openBuild(namespace) {
        const view = await store.forNamespace(namespace);
        const handler = new TraceProjectionHandler(view, events, () => undefined, { name: namespace });
        const apply = handler.apply.bind(handler);
        handler.apply = async (batch, last) => {
          const ms = delayMs(namespace);
          if (ms) await new Promise((r) => setTimeout(r, ms));
          return apply(batch, last);
        };
        return { handler, close: () => view.close() };
      },
      runner: { batchSize: 20, idlePollMs: 20 },
      pollMs: 20,
    });
    running.push(p);
    return p;
  }

  const append = async (from: number, count: number) => {
    for (let i = from; i < from + count; i++) await events.appendMany([traceWrite(hex(i), 3, { startMs: 1_780_000_000_000 + i * 60_000, conversationId: `conv-${i % 4}` })]);
  };

  it('builds a new version beside the old one, which serves meanwhile; switches; equals a build from scratch', async () => {
    await append(1, 30);
    const v2 = projection(2);
    await v2.start();
    await v2.whenCaughtUp(10_000);
    const old = await readModel(serving);
    expect(old.traces).toHaveLength(30);
    await v2.stop();

    // Version 3: a slow build, so that the old documents must serve while it runs.
    await append(31, 10);
    const v3 = projection(3, () => 100);
    await v3.start();
    expect(await serving.catalogEntry('traces')).toMatchObject({ active: { namespace: 'traces_v2', version: 2 }, building: { namespace: 'traces_v3', version: 3 } });
    const status = await v3.status();
    expect(status).toMatchObject({ state: 'rebuilding', version: 3, serving: { namespace: 'traces_v2', version: 2 }, rebuild: { namespace: 'traces_v3' } });
    expect(await readModel(serving)).toEqual(old); // frozen old build answers, complete
    const progress = await eventually(async () => {
      const rebuild = (await v3.status()).rebuild;
      return rebuild && rebuild.eventsPerSecond > 0 ? rebuild : undefined;
    }, 10_000, 'a measured build speed');
    expect(progress.etaSeconds).toBeGreaterThan(0);
    expect(await readModel(serving)).toEqual(old); // still the old build

    await v3.whenCaughtUp(20_000);
    expect(await serving.catalogEntry('traces')).toMatchObject({ active: { namespace: 'traces_v3', version: 3 }, building: null });
    const rebuilt = await readModel(serving);
    expect(rebuilt.traces).toHaveLength(40);
    const tables = (serving as unknown as { db: import('node:sqlite').DatabaseSync }).db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'traces_v2__%'").all();
    expect(tables).toEqual([]); // the old build is dropped

    // A from-scratch build of the same log, in another file, reads the same.
    const fresh = SqliteTraceReadStore.open(join(dir, 'fresh.db'));
    try {
      const scratch = projection(3, () => 0, fresh);
      await scratch.start();
      await scratch.whenCaughtUp(10_000);
      expect(await readModel(fresh)).toEqual(rebuilt);
    } finally {
      await fresh.close();
    }
  });

  it('keeps the serving build live during a forced rebuild of the same version, then switches to the fresh one', async () => {
    await append(1, 20);
    const p = projection(2, (ns) => (ns === 'traces_v2' ? 0 : 100));
    await p.start();
    await p.whenCaughtUp(10_000);
    await serving.requestRebuild('traces');
    await eventually(async () => ((await serving.catalogEntry('traces')).building ? true : undefined), 5_000, 'the build to start');
    const { building } = await serving.catalogEntry('traces');
    expect(building!.namespace).toMatch(/^traces_v2_r\w+$/);
    // Spans arriving now reach the serving build at once, not only after the switch.
    await append(21, 1);
    await eventually(async () => ((await serving.getTrace('1', hex(21))) ? true : undefined), 5_000, 'the live trace in the serving build');
    expect((await serving.catalogEntry('traces')).active?.namespace).toBe('traces_v2');
    await eventually(async () => ((await serving.catalogEntry('traces')).active?.namespace === building!.namespace ? true : undefined), 20_000, 'the switch');
    await p.whenCaughtUp(10_000);
    expect((await readModel(serving)).traces).toHaveLength(21);
  });
});
