import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import { hex, traceWrite } from '../../../test/support/span-events';
import { SqliteEventStore } from '@temps/event-store/sqlite';
import type { ProjectionThread } from '@temps/projection-runtime';
import { SqliteTraceReadStore } from '@temps/read-store/sqlite';
import { LiveUpdates, type TraceListItem } from '@temps/realtime';
import { projectorOptionsFromEnv, type ProjectorOptions } from './projector-options';
import { TraceProjectorService } from './trace-projector.service';

async function eventually<T>(check: () => T | undefined | Promise<T | undefined>, what: string, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe.each([
  ['thread', true],
  ['in-process', false],
])('TraceProjectorService (%s)', (mode, threaded) => {
  let dir: string;
  let events: SqliteEventStore;
  let reads: SqliteTraceReadStore;
  let published: TraceListItem[];
  let service: TraceProjectorService;
  let errors: string[];

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'temps-projector-'));
    events = SqliteEventStore.open(join(dir, 'events.db'));
    reads = SqliteTraceReadStore.open(join(dir, 'read.db'));
    published = [];
    errors = [];
    jest.spyOn(Logger.prototype, 'error').mockImplementation((message: unknown) => void errors.push(String(message)));
    // LiveUpdates without a shared channel: what this process's sockets would get
    const live = new LiveUpdates();
    live.subscribe((updates) => published.push(...updates.map((u) => u.item)));
    // No idle polling within a test: only the append signal (forwarded to the thread) wakes the projector.
    const options: ProjectorOptions = {
      thread: threaded ? { stores: { events: { kind: 'sqlite', path: join(dir, 'events.db') }, reads: { kind: 'sqlite', path: join(dir, 'read.db') } } } : null,
      idlePollMs: 600_000,
      threadNice: 7,
    };
    service = new TraceProjectorService(events, reads, live, options);
    await service.onApplicationBootstrap();
  });

  afterEach(async () => {
    await service.beforeApplicationShutdown();
    await reads.close();
    await events.close();
    jest.restoreAllMocks();
    rmSync(dir, { recursive: true, force: true });
  });

  it(`runs ${mode}, projects appended spans into the read model and publishes the changed traces`, async () => {
    expect(service.mode).toBe(mode);
    await events.appendMany([traceWrite(hex(1), 4), traceWrite(hex(2), 3)]);
    await service.whenCaughtUp(10_000);
    // visible through this thread's own connection to read.db
    expect((await reads.getTrace('1', hex(1)))?.spans).toHaveLength(4);
    expect((await reads.getTrace('1', hex(2)))?.spans).toHaveLength(3);
    const last = (id: string) => published.filter((t) => t.traceId === id).pop();
    expect(last(hex(1))?.spanCount).toBe(4);
    expect(last(hex(2))?.spanCount).toBe(3);
    const status = await service.status();
    expect(status).toMatchObject({ name: 'traces', version: 3, serving: { namespace: 'traces_v3', version: 3 }, rebuild: null, position: await events.headPosition(), head: await events.headPosition(), lagEvents: 0, lastError: null });
    expect(['running', 'caught-up']).toContain(status.state);
  });

  it(`${threaded ? 'lowers the projector thread to the niceness asked for' : 'leaves the main thread at its priority'}, while the other threads keep theirs (Linux)`, () => {
    if (!existsSync('/proc/self/task')) return; // no per-thread view of priorities on this OS
    const niceOf = (tid: string) => Number(readFileSync(`/proc/self/task/${tid}/stat`, 'utf8').split(') ')[1]!.split(' ')[16]);
    const threads = readdirSync('/proc/self/task').map((tid) => ({ name: readFileSync(`/proc/self/task/${tid}/comm`, 'utf8').trim(), nice: niceOf(tid) }));
    const projector = threads.filter((t) => t.name === 'temps-projector');
    expect(projector).toHaveLength(threaded ? 1 : 0);
    if (threaded) expect(projector[0]!.nice).toBe(7);
    expect(niceOf(String(process.pid))).toBe(0);
    expect(threads.filter((t) => t.name === 'temps-event-sto').every((t) => t.nice === 0)).toBe(true);
  });

  it('is woken by appends (the idle poll is off here)', async () => {
    await service.whenCaughtUp(10_000);
    await new Promise((r) => setTimeout(r, 100)); // asleep
    await events.appendMany([traceWrite(hex(3), 2)]);
    await eventually(async () => ((await reads.getTrace('1', hex(3)))?.spans.length === 2 ? true : undefined), 'trace 3', 10_000);
    await eventually(() => (published.some((t) => t.traceId === hex(3)) ? true : undefined), 'trace 3 published');
  });

  it('stops cleanly: status says stopped, a restart resumes from the checkpoint', async () => {
    await events.appendMany([traceWrite(hex(4), 2)]);
    await service.whenCaughtUp(10_000);
    await service.beforeApplicationShutdown();
    expect((await service.status()).state).toBe('stopped');
    await events.appendMany([traceWrite(hex(5), 2)]);
    await service.onApplicationBootstrap();
    await service.whenCaughtUp(10_000);
    expect((await reads.getTrace('1', hex(5)))?.spans).toHaveLength(2);
    expect(errors).toEqual([]);
  });

  if (threaded) {
    it('logs a crash of the thread here and restarts it; it resumes from its checkpoint', async () => {
      await events.appendMany([traceWrite(hex(6), 2)]);
      await service.whenCaughtUp(10_000);
      (service as unknown as { projection: ProjectionThread }).projection.crashForTest();
      await eventually(() => (errors.some((e) => e.includes('restarting it')) ? true : undefined), 'the crash to be logged');
      expect(errors.join('\n')).toContain('crash requested (test hook)');
      await events.appendMany([traceWrite(hex(7), 3)]);
      await service.whenCaughtUp(10_000);
      expect((await reads.getTrace('1', hex(7)))?.spans).toHaveLength(3);
      expect((await reads.getTrace('1', hex(6)))?.spans).toHaveLength(2);
      await eventually(() => (published.some((t) => t.traceId === hex(7)) ? true : undefined), 'trace 7 published');
      const status = await service.status();
      expect(['running', 'caught-up']).toContain(status.state);
      expect(status.lagEvents).toBe(0);
    });
  }
});

describe('projector options', () => {
  const files = { stores: { events: { kind: 'sqlite', path: 'e.db' }, reads: { kind: 'sqlite', path: 'r.db' } } } as const;
  it('runs the projector on its own thread unless TEMPS_PROJECTOR_THREAD=0', () => {
    expect(projectorOptionsFromEnv(files, {})).toMatchObject({ thread: files, threadNice: 10 });
    expect(projectorOptionsFromEnv(files, { TEMPS_PROJECTOR_THREAD: '1' })).toMatchObject({ thread: files, threadNice: 10 });
    expect(projectorOptionsFromEnv(files, { TEMPS_PROJECTOR_THREAD: '0' })).toMatchObject({ thread: null });
    expect(projectorOptionsFromEnv(files, { TEMPS_PROJECTOR_THREAD: 'false' })).toMatchObject({ thread: null });
    expect(() => projectorOptionsFromEnv(files, { TEMPS_PROJECTOR_THREAD: 'maybe' })).toThrow(/TEMPS_PROJECTOR_THREAD/);
    expect(projectorOptionsFromEnv(files, { TEMPS_PROJECTOR: 'off' })).toMatchObject({ thread: files, threadNice: 10, run: false });
    expect(projectorOptionsFromEnv(files, { TEMPS_PROJECTOR: 'on', TEMPS_PROJECTOR_THREAD: '0' })).toMatchObject({ thread: null });
    expect(() => projectorOptionsFromEnv(files, { TEMPS_PROJECTOR: 'sometimes' })).toThrow(/TEMPS_PROJECTOR must be/);
    expect(projectorOptionsFromEnv(files, { TEMPS_PROJECTOR_IDLE_POLL_MS: '50' })).toMatchObject({ thread: files, threadNice: 10, idlePollMs: 50 });
    expect(() => projectorOptionsFromEnv(files, { TEMPS_PROJECTOR_IDLE_POLL_MS: '0.5' })).toThrow(/TEMPS_PROJECTOR_IDLE_POLL_MS must be/);
  });

  it('runs the projector thread at niceness 10 unless TEMPS_PROJECTOR_NICE says otherwise (0-19)', () => {
    expect(projectorOptionsFromEnv(files, { TEMPS_PROJECTOR_NICE: '0' })).toMatchObject({ thread: files, threadNice: 0 });
    expect(projectorOptionsFromEnv(files, { TEMPS_PROJECTOR_NICE: '19' })).toMatchObject({ thread: files, threadNice: 19 });
    for (const bad of ['-1', '20', '2.5', 'low']) expect(() => projectorOptionsFromEnv(files, { TEMPS_PROJECTOR_NICE: bad })).toThrow(/TEMPS_PROJECTOR_NICE/);
  });

  it('runs it under a lease: a holder id unique to this process start, TEMPS_LEASE_TTL_MS (default 5 s) renewed every quarter', () => {
    const a = projectorOptionsFromEnv(files, {}).lease!;
    const b = projectorOptionsFromEnv(files, {}).lease!;
    expect(a).toMatchObject({ ttlMs: 5000, intervalMs: 1250, holder: expect.stringContaining(`:${process.pid}:`) });
    expect(a.holder).not.toBe(b.holder);
    expect(projectorOptionsFromEnv(files, { TEMPS_LEASE_TTL_MS: '2000' }).lease).toMatchObject({ ttlMs: 2000, intervalMs: 500 });
    expect(() => projectorOptionsFromEnv(files, { TEMPS_LEASE_TTL_MS: '10' })).toThrow(/TEMPS_LEASE_TTL_MS must be a whole number of milliseconds from 200 to 600000/);
  });
});

describe('the read-only event store the projector thread uses', () => {
  it('reads what the writing connection appends, refuses appends, and needs an existing store', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'temps-projector-ro-'));
    const path = join(dir, 'events.db');
    try {
      expect(() => SqliteEventStore.open(path, { readOnly: true })).toThrow();
      const writer = SqliteEventStore.open(path);
      const reader = SqliteEventStore.open(path, { readOnly: true });
      try {
        await writer.appendMany([traceWrite(hex(8), 2)]);
        expect(await reader.headPosition()).toBe(await writer.headPosition());
        expect((await reader.readAll({ limit: 10 })).map((e) => e.id)).toEqual([`${hex(8)}-0`, `${hex(8)}-1`]);
        const head = await writer.headPosition();
        await expect(reader.append('s', [{ id: 'x', type: 't', data: {} }])).rejects.toThrow(/read-only/);
        expect(await writer.headPosition()).toBe(head);
      } finally {
        await reader.close();
        await writer.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
