import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import { AccessService } from '@temps/access';
import { retentionStream, Streams } from '@temps/domain';
import { SqliteEventStore } from '@temps/event-store/sqlite';
import { SqliteTraceReadStore } from '@temps/read-store/sqlite';
import { LiveUpdates } from '@temps/realtime';
import { retentionSpanWrite } from '../../../test/support/chat-span-write';
import { retentionOptionsFromEnv } from './retention-sweeper';
import { RetentionSweeperService } from './retention-sweeper.service';
import { TraceProjectorService } from './trace-projector.service';

const DAY = 86_400_000;

const spanWrite = (traceId: string, startMs: number) => retentionSpanWrite(traceId, startMs, Date.now());

async function eventually(check: () => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** One projector process: its own connections to the shared files, its leased in-process projection and its sweeper. */
interface Process {
  events: SqliteEventStore;
  reads: SqliteTraceReadStore;
  projector: TraceProjectorService;
  sweeper: RetentionSweeperService;
}

describe.each([
  ['in-process', false],
  ['thread', true],
])('RetentionSweeperService under the projection lease: two projector processes (%s projection, on one SQLite event store and read store)', (_mode, threaded) => {
  let dir: string;
  let processes: Process[];
  let errors: string[];

  async function start(holder: string, intervalMs = 50): Promise<Process> {
    const events = SqliteEventStore.open(join(dir, 'events.db'));
    const reads = SqliteTraceReadStore.open(join(dir, 'read.db'));
    const thread = threaded ? { stores: { events: { kind: 'sqlite' as const, path: join(dir, 'events.db') }, reads: { kind: 'sqlite' as const, path: join(dir, 'read.db') } } } : null;
    const projector = new TraceProjectorService(events, reads, new LiveUpdates(), { thread, idlePollMs: 20, lease: { holder, ttlMs: 2000, intervalMs } });
    await projector.onApplicationBootstrap();
    // Sweeps only when asked (sweepNow): its timer is not started.
    const sweeper = new RetentionSweeperService(events, reads, new AccessService(events), projector, { ...retentionOptionsFromEnv({ TEMPS_RETENTION_DAYS: '30' }), batch: 1 });
    const p = { events, reads, projector, sweeper };
    processes.push(p);
    return p;
  }

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'temps-retention-lease-'));
    processes = [];
    errors = [];
    jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    jest.spyOn(Logger.prototype, 'error').mockImplementation((message: unknown) => void errors.push(String(message)));
  });
  afterEach(async () => {
    for (const p of processes) {
      p.sweeper.beforeApplicationShutdown();
      await p.projector.beforeApplicationShutdown();
      await p.reads.close();
      await p.events.close();
    }
    jest.restoreAllMocks();
    rmSync(dir, { recursive: true, force: true });
  });

  it('only the lease holder sweeps (the standby skips, deleting and appending nothing); after a takeover the other one sweeps', async () => {
    const a = await start('host:1:a');
    const b = await start('host:2:b');
    expect(await a.projector.holdsLease()).toBe(true);
    expect(await b.projector.holdsLease()).toBe(false);
    await new AccessService(a.events).createProject('1', 'one');
    const old = ['a'.repeat(32), 'b'.repeat(32)];
    const fresh = 'c'.repeat(32);
    await a.events.appendMany([spanWrite(old[0]!, Date.now() - 40 * DAY), spanWrite(old[1]!, Date.now() - 31 * DAY), spanWrite(fresh, Date.now() - DAY)]);
    await a.projector.whenCaughtUp(10_000);
    const listed = async () => (await a.reads.listTraces('1', { limit: 10 })).items.map((t) => t.traceId).sort();
    expect(await listed()).toEqual([...old, fresh]);

    // The standby: nothing deleted, no TracesExpired appended.
    // (a skip, not a sweep that failed on the standby's projection)
    expect(await b.sweeper.sweepNow()).toBeNull();
    expect(errors).toEqual([]);
    for (const id of old) expect(await a.events.readStream(Streams.trace('1', id))).toHaveLength(1);
    expect(await a.events.readStream(retentionStream('1'))).toEqual([]);

    // The holder: both expired traces, folded away by its projection before sweepNow resolves.
    expect(await a.sweeper.sweepNow()).toEqual({ traces: 2, logStreams: 0, metricStreams: 0 });
    for (const id of old) expect(await a.events.readStream(Streams.trace('1', id))).toEqual([]);
    expect(await a.events.readStream(retentionStream('1'))).toHaveLength(2);
    expect(await listed()).toEqual([fresh]);

    // Takeover: the holder stops (releasing the lease), the standby takes it at its next try and sweeps from then on.
    const older = 'd'.repeat(32);
    await a.events.appendMany([spanWrite(older, Date.now() - 50 * DAY)]);
    await a.projector.beforeApplicationShutdown();
    expect(await a.projector.holdsLease()).toBe(false);
    expect(await a.sweeper.sweepNow()).toBeNull();
    await eventually(() => b.projector.holdsLease(), 'the standby taking the lease');
    expect(await b.sweeper.sweepNow()).toEqual({ traces: 1, logStreams: 0, metricStreams: 0 });
    expect(await b.events.readStream(Streams.trace('1', older))).toEqual([]);
    expect(await b.events.readStream(retentionStream('1'))).toHaveLength(3);
    expect((await b.reads.listTraces('1', { limit: 10 })).items.map((t) => t.traceId)).toEqual([fresh]);
    expect(errors).toEqual([]);
  });

  it('a holder whose lease the store gives to another (taken over before it noticed) does not sweep', async () => {
    // Renewing only once a minute: A does not notice the takeover within the test, its own view stays `holder`.
    const a = await start('host:1:a', 60_000);
    expect(await a.projector.holdsLease()).toBe(true);
    // Another process takes the lease in the store, replacing A as if A were known dead: A still believes it holds it.
    const current = (await a.reads.currentLease('traces'))!;
    const other = SqliteTraceReadStore.open(join(dir, 'read.db'));
    try {
      expect(await other.acquireLease('traces', 'host:3:c', 60_000, { replacing: { holder: current.holder, epoch: current.epoch } })).not.toBeNull();
      expect((await a.projector.status()).lease?.role).toBe('holder');
      expect(await a.projector.holdsLease()).toBe(false);
      expect(await a.sweeper.sweepNow()).toBeNull();
      expect(errors).toEqual([]);
    } finally {
      await other.close();
    }
  });
});
