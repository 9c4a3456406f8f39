import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteEventStore } from '@temps/event-store/sqlite';
import type { BulkLoadReadModels } from '@temps/read-store';
import { SqliteTraceReadStore } from '@temps/read-store/sqlite';
import { readModel } from '../../../test/support/read-model-snapshot';
import { eventually } from '../../../test/support/temps-server';
import { hex, traceWrite } from '../../../test/support/span-events';
import { bulkLoadTraceBuild } from './bulk-load-trace-build';
import { createTraceProjection } from './create-trace-projection';
import { partitionCheckpointName } from './load-trace-partition';

const t0 = 1_780_000_000_000;

/**
 * A fresh build loaded in bulk (partitions of the log on threads of their own, indexes and sessions made
 * at the end) must give exactly the read model the ordinary runner gives, including after a stop in the
 * middle and for events appended while it loads. Real SQLite stores, real threads.
 */
describe('bulk load of a fresh trace build', () => {
  let dir: string;
  let events: SqliteEventStore;
  const paths = () => ({ events: { kind: 'sqlite' as const, path: join(dir, 'events.db') }, reads: (name: string) => ({ kind: 'sqlite' as const, path: join(dir, name) }) });

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'temps-bulk-'));
    events = SqliteEventStore.open(join(dir, 'events.db'));
  });
  afterEach(async () => {
    await events.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Traces of every kind the fold treats apart: content in attributes, content to join from the stream, conversations, models, a trace sent again later. */
  async function appendTraces(from: number, count: number): Promise<void> {
    for (let i = from; i < from + count; i++) {
      await events.appendMany([
        traceWrite(hex(i), 2 + (i % 4), { startMs: t0 + i * 60_000, conversationId: i % 3 ? `conv-${i % 7}` : undefined, content: i % 2 === 0, model: i % 5 ? 'gpt-4o' : 'gpt-4o-mini' }),
      ]);
      if (i % 10 === 9) await events.appendMany([traceWrite(hex(i - 5), 2 + ((i - 5) % 4), { startMs: t0 + (i - 5) * 60_000, conversationId: 'conv-late', inputTokensPlus: 7, resend: 1 })]);
    }
  }

  /** The read model an ordinary (runner only) build gives for the log as it is now. */
  async function reference() {
    const reads = SqliteTraceReadStore.open(join(dir, `reference-${Date.now()}.db`));
    const p = createTraceProjection({ events, reads, onCommitted: () => undefined, bulkLoad: false, pollMs: 20, idlePollMs: 20 });
    try {
      await p.start();
      await p.whenCaughtUp(30_000);
      return await readModel(reads);
    } finally {
      await p.stop();
      await reads.close();
    }
  }

  it('given a log, when a fresh build is loaded in 3 partitions on threads while more events arrive, then it serves the same read model as an ordinary build, with its checkpoint where the log ends', async () => {
    await appendTraces(1, 120);
    const reads = SqliteTraceReadStore.open(join(dir, 'bulk.db'));
    const logs: string[] = [];
    const p = createTraceProjection({
      events,
      reads,
      onCommitted: () => undefined,
      bulkLoad: { threads: { stores: { events: paths().events, reads: paths().reads('bulk.db') }, count: 3 } },
      firstBulkLoadMinEvents: 0,
      buildBatchSize: 25,
      pollMs: 20,
      idlePollMs: 20,
      log: (m) => logs.push(m),
    });
    try {
      await p.start();
      await appendTraces(121, 15); // during the load: the build's runner takes them after it
      await p.whenCaughtUp(60_000);
      const model = await readModel(reads);
      expect(model.traces).toHaveLength(135);
      expect(model.sessions.length).toBeGreaterThan(0);
      expect(model).toEqual(await reference());
      expect(logs.some((m) => /bulk load of traces_v3: up to position \d+, 3 partitions on threads/.test(m))).toBe(true);
      expect(logs.some((m) => /loaded in bulk/.test(m))).toBe(true);
      expect(await reads.bulkLoads!.plan('traces_v3')).toBeNull();
      expect(await reads.checkpoint('traces_v3')).toBe(await events.headPosition());
      for (let index = 0; index < 3; index++) expect(await reads.checkpoint(partitionCheckpointName('traces_v3', { index, count: 3 }))).toBeNull();
    } finally {
      await p.stop();
      await reads.close();
    }
  }, 120_000);

  it('given a bulk load stopped part way, when it runs again, then it resumes from its partitions and ends with the same read model', async () => {
    await appendTraces(1, 200);
    const reads = SqliteTraceReadStore.open(join(dir, 'resume.db'));
    const threads = { stores: { events: paths().events, reads: paths().reads('resume.db') }, count: 2 };
    try {
      const stop = new AbortController();
      let reported = 0;
      const first = await bulkLoadTraceBuild({
        events,
        reads,
        namespace: 'traces_v3',
        threads,
        batchSize: 2,
        signal: stop.signal,
        onProgress: () => ++reported === 3 && stop.abort(),
      });
      expect(first).toBe('stopped');
      const plan = await reads.bulkLoads!.plan('traces_v3');
      expect(plan).toEqual({ target: await events.headPosition(), partitions: 2 });
      const done = await Promise.all([0, 1].map((index) => reads.checkpoint(partitionCheckpointName('traces_v3', { index, count: 2 }))));
      expect(done.some((c) => c !== null)).toBe(true);

      // Asked again with another thread count, the load keeps the partitions it began with.
      expect(await bulkLoadTraceBuild({ events, reads, namespace: 'traces_v3', threads: { ...threads, count: 4 }, batchSize: 5 })).toBe('loaded');
      await reads.activate('traces', { namespace: 'traces_v3', version: 3 });
      expect(await readModel(reads)).toEqual(await reference());
      // A build that has its checkpoint is not loaded again.
      expect(await bulkLoadTraceBuild({ events, reads, namespace: 'traces_v3', threads })).toBe('not-applicable');
    } finally {
      await reads.close();
    }
  }, 120_000);

  it('given the first build stopped in the middle of its bulk load, when the projection starts again, then the load resumes (not a runner over the half-loaded build) and serves the same read model', async () => {
    await appendTraces(1, 150);
    const reads = SqliteTraceReadStore.open(join(dir, 'restart.db'));
    const threads = { stores: { events: paths().events, reads: paths().reads('restart.db') }, count: 2 };
    try {
      const logs: string[] = [];
      const first = createTraceProjection({ events, reads, onCommitted: () => undefined, bulkLoad: { threads }, firstBulkLoadMinEvents: 0, buildBatchSize: 2, pollMs: 20, idlePollMs: 20, log: (m) => logs.push(m) });
      await first.start();
      await eventually(async () => {
        const r = (await first.status()).rebuild;
        return r && r.position !== null ? true : undefined;
      }, 30_000, 'the load to be part way');
      await first.stop();
      expect(await reads.bulkLoads!.plan('traces_v3')).not.toBeNull();

      const again = createTraceProjection({ events, reads, onCommitted: () => undefined, bulkLoad: { threads }, firstBulkLoadMinEvents: 0, buildBatchSize: 50, pollMs: 20, idlePollMs: 20, log: (m) => logs.push(m) });
      try {
        await again.start();
        await again.whenCaughtUp(60_000);
        expect(logs.filter((m) => /traces_v3 loaded in bulk/.test(m))).toHaveLength(1);
        expect(await reads.bulkLoads!.plan('traces_v3')).toBeNull();
        expect(await readModel(reads)).toEqual(await reference());
      } finally {
        await again.stop();
      }
    } finally {
      await reads.close();
    }
  }, 120_000);

  it('given a bulk load that fails (its end, once), then the failure is reported and the load is tried again, resuming, until the build serves', async () => {
    await appendTraces(1, 40);
    const reads = SqliteTraceReadStore.open(join(dir, 'retry.db'));
    const bulk = reads.bulkLoads!;
    let failures = 0;
    // The same store, whose first `finish` fails as a full disk would.
    const flaky = Object.assign(Object.create(reads) as SqliteTraceReadStore, {
      bulkLoads: { ...bulk, finish: (ns: string, readModels: BulkLoadReadModels) => (failures++ === 0 ? Promise.reject(new Error('disk full (test)')) : bulk.finish(ns, readModels)) },
    });
    const errors: string[] = [];
    const p = createTraceProjection({ events, reads: flaky, onCommitted: () => undefined, onError: (e) => errors.push(String(e)), firstBulkLoadMinEvents: 0, bulkLoadRetryMs: 50, pollMs: 20, idlePollMs: 20 });
    try {
      await p.start();
      await p.whenCaughtUp(30_000);
      expect(errors).toEqual([expect.stringContaining('disk full (test)')]);
      expect(failures).toBe(2);
      expect(await readModel(reads)).toEqual(await reference());
    } finally {
      await p.stop();
      await reads.close();
    }
  }, 60_000);

  it('given no thread configuration, then one partition loads on the caller thread, and an empty log is left to the runner', async () => {
    const reads = SqliteTraceReadStore.open(join(dir, 'inline.db'));
    try {
      expect(await bulkLoadTraceBuild({ events, reads, namespace: 'traces_v3' })).toBe('not-applicable');
      await appendTraces(1, 30);
      expect(await bulkLoadTraceBuild({ events, reads, namespace: 'traces_v3', minEvents: 1_000 })).toBe('not-applicable'); // a short log
      const positions: (bigint | null)[] = [];
      expect(await bulkLoadTraceBuild({ events, reads, namespace: 'traces_v3', batchSize: 10, onProgress: (p) => positions.push(p) })).toBe('loaded');
      expect(positions[positions.length - 1]).toBe(await events.headPosition());
      expect(positions.filter((p) => p !== null).every((p, i, all) => i === 0 || p! >= all[i - 1]!)).toBe(true);
      await reads.activate('traces', { namespace: 'traces_v3', version: 3 });
      expect(await readModel(reads)).toEqual(await reference());
    } finally {
      await reads.close();
    }
  }, 60_000);
});
