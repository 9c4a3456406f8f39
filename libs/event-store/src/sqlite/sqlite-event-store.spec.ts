/**
 * SQLite-only behaviour. The port's contract is covered by test/conformance (sqlite-event-store.conformance.spec.ts).
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import type { Worker } from 'node:worker_threads';
import { EventStoreUnavailableError, WrongExpectedVersionError, type NewEvent, type StreamWrite } from '../event-store';
import { SqliteEventStore } from './sqlite-event-store';

const events = (n: number): NewEvent[] => Array.from({ length: n }, (_, i) => ({ id: randomUUID(), type: 'T', data: { i } }));

describe('SqliteEventStore (sqlite-only behaviour)', () => {
  let dir: string;
  let file: string;
  const toClose: { close(): unknown }[] = [];
  const open = (options?: Parameters<typeof SqliteEventStore.open>[1]) => {
    const store = SqliteEventStore.open(file, options);
    toClose.push(store);
    return store;
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'temps-sqlite-es-'));
    file = join(dir, 'events.db');
  });
  afterEach(async () => {
    for (const c of toClose.splice(0).reverse()) await c.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('given a closed store, when the file is reopened, then every event, revision and position survives', async () => {
    // given
    const first = open();
    const written = events(5);
    await first.append('s', written, 'no_stream');
    const before = await first.readAll({ limit: 100 });
    await first.close();
    // when
    const reopened = open();
    // then
    expect(await reopened.readAll({ limit: 100 })).toEqual(before);
    expect(await reopened.headPosition()).toBe(before[4]!.position);
    await expect(reopened.append('s', events(1), 4n)).resolves.toMatchObject({ appended: 1 });
    // a retry of the pre-restart append is still recognised
    await expect(reopened.append('s', written)).resolves.toEqual({ appended: 0, lastPosition: null });
  });

  it('given a running store, when a second instance (a CLI process) opens the same file, then each sees the other\'s writes', async () => {
    // given
    const server = open();
    await server.append('access', events(2));
    // when
    const cli = open();
    // then
    expect(await cli.readStream('access')).toHaveLength(2);
    await cli.append('access', events(1), 1n); // expected states hold across connections
    expect((await server.readStream('access')).map((e) => e.revision)).toEqual([0n, 1n, 2n]);
    expect(await server.headPosition()).toBe(await cli.headPosition());
    // onAppended is per instance: a hint for local readers, not a cross-process feed
    let calls = 0;
    server.onAppended(() => calls++);
    await cli.append('other', events(1));
    expect(calls).toBe(0);
  });

  it('given a file store, then WAL mode is on, synchronous is FULL by default and the schema version is recorded', async () => {
    const store = open();
    await store.append('s', events(1));
    const probe = new DatabaseSync(file);
    toClose.push(probe);
    expect(probe.prepare('PRAGMA journal_mode').get()).toEqual({ journal_mode: 'wal' });
    expect(probe.prepare('SELECT version FROM schema_version ORDER BY version').all()).toEqual([{ version: 1 }, { version: 2 }]);
    expect(existsSync(`${file}-wal`)).toBe(true);
    // synchronous is per connection: ask the store's own writer (the writer thread's connection)
    expect(await store.writerPragma('synchronous')).toEqual({ synchronous: 2 }); // FULL
    const relaxed = SqliteEventStore.open(join(dir, 'relaxed.db'), { synchronous: 'NORMAL' });
    toClose.push(relaxed);
    expect(await relaxed.writerPragma('synchronous')).toEqual({ synchronous: 1 });
    const inline = SqliteEventStore.open(join(dir, 'inline.db'), { writer: 'inline' });
    toClose.push(inline);
    expect(await inline.writerPragma('synchronous')).toEqual({ synchronous: 2 });
  });

  it('given a file store, then the writing connection keeps a 16 MiB page cache and the reading ones 8 MiB', async () => {
    const store = open();
    await store.append('s', events(1));
    expect(await store.writerPragma('cache_size')).toEqual({ cache_size: -16384 });
    // the store's own connection only reads (the writer thread writes): read through its private handle
    const reader = (store as unknown as { db: DatabaseSync }).db;
    expect(reader.prepare('PRAGMA cache_size').get()).toEqual({ cache_size: -8192 });
    const readOnly = SqliteEventStore.open(file, { readOnly: true });
    toClose.push(readOnly);
    expect((readOnly as unknown as { db: DatabaseSync }).db.prepare('PRAGMA cache_size').get()).toEqual({ cache_size: -8192 });
    const inline = SqliteEventStore.open(join(dir, 'inline-cache.db'), { writer: 'inline' });
    toClose.push(inline);
    expect(await inline.writerPragma('cache_size')).toEqual({ cache_size: -16384 });
  });

  it('given an events.db of the first layout (with its streams table), when opened, then it is migrated and every stream, revision, id and name carries on', async () => {
    // given: the file as the first release wrote it (schema version 1), two streams and their table rows
    const v1 = new DatabaseSync(file);
    v1.exec(`PRAGMA journal_mode = WAL;
      CREATE TABLE schema_version (version INTEGER NOT NULL PRIMARY KEY, applied TEXT NOT NULL);
      INSERT INTO schema_version VALUES (1, '2026-01-01T00:00:00.000Z');
      CREATE TABLE events (position INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, stream TEXT NOT NULL, revision INTEGER NOT NULL,
        type TEXT NOT NULL, data TEXT NOT NULL, metadata TEXT NOT NULL, created TEXT NOT NULL, UNIQUE (stream, revision));
      CREATE TABLE streams (stream TEXT NOT NULL PRIMARY KEY, revision INTEGER NOT NULL) WITHOUT ROWID;`);
    const old = [randomUUID(), randomUUID(), randomUUID()];
    const insert = v1.prepare("INSERT INTO events (id, stream, revision, type, data, metadata, created) VALUES (?, ?, ?, 'T', '{\"i\":0}', '{}', '2026-01-01T00:00:00.000Z')");
    insert.run(old[0]!, 'logs-1-2026010100', 0);
    insert.run(old[1]!, 'trace-1-a', 0);
    insert.run(old[2]!, 'trace-1-a', 1);
    v1.exec("INSERT INTO streams VALUES ('logs-1-2026010100', 0), ('trace-1-a', 1)");
    v1.close();

    // when
    const store = open();

    // then: schema 2, no streams table, the old events read as before
    const probe = new DatabaseSync(file, { readOnly: true });
    toClose.push(probe);
    expect(probe.prepare('SELECT MAX(version) AS v FROM schema_version').get()).toEqual({ v: 2 });
    expect(probe.prepare("SELECT name FROM sqlite_schema WHERE name = 'streams'").all()).toEqual([]);
    expect((await store.readStream('trace-1-a')).map((e) => [e.id, e.revision])).toEqual([
      [old[1], 0n],
      [old[2], 1n],
    ]);
    // revisions continue from the stored events, expectations hold against them
    await expect(store.append('trace-1-a', events(1), 2n)).rejects.toBeInstanceOf(WrongExpectedVersionError);
    const next = events(2);
    await store.append('trace-1-a', next, 1n);
    expect((await store.readStream('trace-1-a')).map((e) => e.revision)).toEqual([0n, 1n, 2n, 3n]);
    // an old id appended again (a retry) is not stored twice, even with an expectation that no longer holds
    expect(await store.append('trace-1-a', [{ id: old[1]!, type: 'T', data: { i: 0 } }], 'no_stream')).toEqual({ appended: 0, lastPosition: null });
    expect(await store.append('logs-1-2026010100', [{ id: old[0]!, type: 'T', data: { i: 0 } }])).toEqual({ appended: 0, lastPosition: null });
    expect(await store.readAll({ limit: 100 })).toHaveLength(5);
    // names are listed from the events, a deleted stream starts again at revision 0
    expect(await store.listStreams({ from: '', to: '\uffff', limit: 10 })).toEqual(['logs-1-2026010100', 'trace-1-a']);
    await store.deleteStreams(['trace-1-a']);
    expect(await store.listStreams({ from: '', to: '\uffff', limit: 10 })).toEqual(['logs-1-2026010100']);
    await store.append('trace-1-a', events(1), 'no_stream');
    expect((await store.readStream('trace-1-a')).map((e) => e.revision)).toEqual([0n]);
  });

  it('given many streams with many events each, then listStreams pages names without reading their events', async () => {
    const store = open({ writer: 'inline' });
    const writes: StreamWrite[] = Array.from({ length: 30 }, (_, i) => ({ stream: `h-${String(i).padStart(2, '0')}`, events: events(50) }));
    await store.appendMany(writes);
    expect(await store.listStreams({ from: 'h-05', to: 'h-09', limit: 10 })).toEqual(['h-05', 'h-06', 'h-07', 'h-08']);
    expect(await store.listStreams({ from: 'h-05', to: 'h-99', limit: 3 })).toEqual(['h-05', 'h-06', 'h-07']);
    expect(await store.listStreams({ from: 'h-29', to: 'h-99', limit: 3 })).toEqual(['h-29']);
    expect(await store.listStreams({ from: 'i', to: 'j', limit: 3 })).toEqual([]);
    expect(await store.listStreams({ from: 'h-05', to: 'h-09', limit: 0 })).toEqual([]);
  });

  it('given a file written by a newer schema, when opened, then it refuses instead of guessing', async () => {
    const store = open();
    await store.close();
    const db = new DatabaseSync(file);
    db.prepare('INSERT INTO schema_version (version, applied) VALUES (99, ?)').run(new Date().toISOString());
    db.close();
    expect(() => SqliteEventStore.open(file)).toThrow(/schema version 99/);
  });

  it('given another connection holding the write lock, when appending, then it fails with EventStoreUnavailableError after writeTimeoutMs, the event loop stays free, and a retry is idempotent', async () => {
    // given: busy attempts of 50 ms, retried by the writer until the call's 300 ms are up
    const setup = open(); // default writeTimeoutMs: 300 ms is tight for a first fsync on a busy CI disk
    await setup.append('s', events(1));
    const store = open({ busyTimeoutMs: 50, writeTimeoutMs: 300 });
    await store.writerPragma('journal_mode'); // its writer thread is up: the 300 ms below are the lock wait only
    const other = new DatabaseSync(file);
    toClose.push(other);
    other.exec('BEGIN IMMEDIATE');
    // when
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 10);
    const started = Date.now();
    const blocked = events(1);
    const err = await store.append('s', blocked).catch((e: unknown) => e);
    const waited = Date.now() - started;
    clearInterval(ticker);
    // then
    expect(err).toBeInstanceOf(EventStoreUnavailableError);
    expect((err as Error).message).toMatch(/locked/i);
    expect(waited).toBeGreaterThanOrEqual(250);
    expect(waited).toBeLessThan(2000);
    expect(ticks).toBeGreaterThanOrEqual(5); // the wait happened on the writer thread, not on this event loop
    // reads are not blocked by the other writer (WAL)
    expect(await store.readStream('s')).toHaveLength(1);
    other.exec('ROLLBACK');
    // The timed-out call may or may not land later (never here: it had not started when its time ran
    // out); either way the client's retry of the same events stores each event exactly once.
    await expect(setup.append('s', blocked)).resolves.toBeDefined();
    await expect(setup.append('s', events(1))).resolves.toMatchObject({ appended: 1 });
    expect((await store.readStream('s')).map((e) => e.revision)).toEqual([0n, 1n, 2n]);
  });

  it('given the inline writer and another connection holding the lock past the busy timeout, when appending, then it fails with EventStoreUnavailableError and writes nothing', async () => {
    const store = open({ writer: 'inline', busyTimeoutMs: 50 });
    await store.append('s', events(1));
    const other = new DatabaseSync(file);
    toClose.push(other);
    other.exec('BEGIN IMMEDIATE');
    const err = await store.append('s', events(1)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EventStoreUnavailableError);
    expect((err as Error).message).toMatch(/locked|busy/i);
    other.exec('ROLLBACK');
    expect(await store.readStream('s')).toHaveLength(1);
    await expect(store.append('s', events(1))).resolves.toMatchObject({ appended: 1 });
  });

  it('given another process holding the write lock briefly, when appending, then the append waits for it and succeeds', async () => {
    // given: a separate process (as the CLI would be) takes the write lock for ~300 ms
    const store = open();
    await store.append('s', events(1));
    const child = spawn(
      process.execPath,
      [
        '-e',
        `const { DatabaseSync } = require('node:sqlite');
         const db = new DatabaseSync(process.argv[1], { timeout: 5000 });
         db.exec('BEGIN IMMEDIATE');
         process.stdout.write('locked\\n');
         Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 300);
         db.exec('COMMIT');
         db.close();`,
        file,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('locked') && resolve());
      child.on('exit', () => reject(new Error('the child exited before locking')));
    });
    // when
    const started = Date.now();
    const result = await store.append('s', events(2));
    // then
    expect(result.appended).toBe(2);
    expect(Date.now() - started).toBeGreaterThanOrEqual(100);
    expect(await exited).toBe(0);
    expect(await store.readStream('s')).toHaveLength(3);
  });

  it('given a closed store, when it is used, then it reports EventStoreUnavailableError', async () => {
    const store = open();
    await store.close();
    await expect(store.append('s', events(1))).rejects.toBeInstanceOf(EventStoreUnavailableError);
    await expect(store.readAll({ limit: 1 })).rejects.toBeInstanceOf(EventStoreUnavailableError);
    await expect(store.close()).resolves.toBeUndefined();
  });

  it('given an in-memory store, then it works without a file', async () => {
    const store = SqliteEventStore.open(':memory:');
    toClose.push(store);
    await store.append('s', events(3));
    expect(await store.headPosition()).toBe(3n);
    expect(await store.readStream('s')).toHaveLength(3);
  });

  it('given an event that cannot be serialised, when appending, then the whole call is rolled back', async () => {
    const store = open();
    const bad: NewEvent = { id: randomUUID(), type: 'Bad', data: { n: 1n } };
    await expect(store.appendMany([{ stream: 'a', events: events(2) }, { stream: 'b', events: [bad] }])).rejects.toThrow(TypeError);
    expect(await store.headPosition()).toBe(-1n);
    await expect(store.append('a', events(1), 'no_stream')).resolves.toMatchObject({ appended: 1 });
  });
  it('given 20 appendMany calls in flight, when the store is closed, then close waits for them, each resolves, and its events are on disk after reopen', async () => {
    // given
    const store = open();
    const calls: StreamWrite[][] = Array.from({ length: 20 }, (_, c) => [
      { stream: `own-${c}`, events: events(50), expected: 'no_stream' },
      { stream: 'shared', events: events(5) },
    ]);
    const pending = calls.map((writes) => store.appendMany(writes));
    // when: nothing is killed, the store is closed while the calls are queued or in the writer's hands
    const closing = store.close();
    const late = store.append('late', events(1)).catch((e: unknown) => e);
    const settled = await Promise.allSettled(pending);
    await closing;
    // then
    expect(await late).toBeInstanceOf(EventStoreUnavailableError); // a call made after close() began is refused
    expect(settled.map((r) => r.status)).toEqual(calls.map(() => 'fulfilled'));
    const reopened = open();
    for (let c = 0; c < calls.length; c++) {
      const r = settled[c]!;
      if (r.status !== 'fulfilled') continue;
      expect(r.value.appended).toBe(55);
      expect((await reopened.readStream(`own-${c}`)).map((e) => e.id)).toEqual(calls[c]![0]!.events.map((e) => e.id));
    }
    const shared = await reopened.readStream('shared');
    expect(new Set(shared.map((e) => e.id))).toEqual(new Set(calls.flatMap((w) => w[1]!.events.map((e) => e.id))));
    expect(await reopened.readStream('late')).toEqual([]);
  });

  it('given concurrent calls, then they are committed in groups, in arrival order, each with its own result', async () => {
    // given
    const store = open();
    let commits = 0;
    store.onAppended(() => commits++);
    // when: call k expects the stream exactly where call k-1 leaves it, so they must be applied in order
    const results = await Promise.all(Array.from({ length: 30 }, (_, k) => store.append('chain', events(2), k === 0 ? 'no_stream' : BigInt(2 * k - 1))));
    // then
    expect(results.every((r) => r.appended === 2)).toBe(true);
    const read = await store.readStream('chain');
    expect(read.map((e) => e.revision)).toEqual(Array.from({ length: 60 }, (_, i) => BigInt(i)));
    expect(results.map((r) => r.lastPosition)).toEqual(read.filter((_, i) => i % 2 === 1).map((e) => e.position));
    expect(commits).toBeGreaterThanOrEqual(1);
    expect(commits).toBeLessThan(30); // fewer transactions than calls: group commit
  });

  it('given a group where one call fails, then only that call is rolled back (its savepoint) and the others commit', async () => {
    const store = open();
    await store.append('existing', events(1));
    const [a, bad, c] = await Promise.allSettled([
      store.appendMany([{ stream: 'a', events: events(2) }]),
      store.appendMany([{ stream: 'b', events: events(3) }, { stream: 'existing', events: events(1), expected: 'no_stream' }]),
      store.appendMany([{ stream: 'c', events: events(1) }]),
    ]);
    expect(a).toMatchObject({ status: 'fulfilled', value: { appended: 2 } });
    expect(bad.status).toBe('rejected');
    expect((bad as PromiseRejectedResult).reason).toBeInstanceOf(WrongExpectedVersionError);
    expect(c).toMatchObject({ status: 'fulfilled', value: { appended: 1 } });
    expect(await store.readStream('b')).toEqual([]);
    expect(await store.readStream('a')).toHaveLength(2);
    expect(await store.readStream('c')).toHaveLength(1);
  });

  it('given a writer thread that dies, then the calls it held fail with EventStoreUnavailableError, it is restarted and later calls commit', async () => {
    // given: another connection holds the lock, so the calls are stuck in the writer's hands
    const store = open({ busyTimeoutMs: 200 });
    await store.append('warm', events(1));
    const writer = (store as unknown as { writer: { worker: Worker } }).writer;
    const first = writer.worker;
    const other = new DatabaseSync(file);
    toClose.push(other);
    other.exec('BEGIN IMMEDIATE');
    const batches = Array.from({ length: 5 }, () => events(20));
    const pending = batches.map((b, i) => store.append(`crash-${i}`, b));
    // when
    void first.terminate();
    const settled = await Promise.allSettled(pending);
    const duringRestart = store.append('after-crash', events(2)); // made while no writer runs: held, then sent to the new one
    other.exec('ROLLBACK');
    // then
    for (const r of settled) {
      expect(r.status).toBe('rejected');
      expect((r as PromiseRejectedResult).reason).toBeInstanceOf(EventStoreUnavailableError);
      expect((r as PromiseRejectedResult).reason.message).toMatch(/writer thread stopped/);
    }
    await expect(duringRestart).resolves.toMatchObject({ appended: 2 });
    expect(writer.worker).not.toBe(first);
    // a failed call may or may not have been committed: its retry is idempotent either way
    await Promise.all(batches.map((b, i) => store.append(`crash-${i}`, b)));
    for (let i = 0; i < batches.length; i++) expect((await store.readStream(`crash-${i}`)).map((e) => e.id)).toEqual(batches[i]!.map((e) => e.id));
  });

  it('given a full disk, when appending, then the calls fail with EventStoreUnavailableError at once (not after writeTimeoutMs), and writes resume once there is room', async () => {
    // given: the writer's connection may not grow the file any more (SQLITE_FULL, as on a full disk)
    const store = open();
    await store.append('s', events(1));
    const { page_count: pages } = (await store.writerPragma('page_count')) as { page_count: number };
    await store.writerPragma('max_page_count', pages);
    const big = (n: number): NewEvent[] => Array.from({ length: n }, () => ({ id: randomUUID(), type: 'T', data: { pad: 'x'.repeat(4000) } }));
    // when: two calls, likely in one group
    const started = Date.now();
    const settled = await Promise.allSettled([store.append('a', big(50)), store.append('b', big(50))]);
    // then
    expect(Date.now() - started).toBeLessThan(1500);
    for (const r of settled) {
      expect(r.status).toBe('rejected');
      expect((r as PromiseRejectedResult).reason).toBeInstanceOf(EventStoreUnavailableError);
      expect((r as PromiseRejectedResult).reason.message).toMatch(/full/i);
    }
    expect(await store.readStream('a')).toEqual([]);
    expect(await store.readStream('b')).toEqual([]);
    await store.writerPragma('max_page_count', 1_073_741_823);
    await expect(store.append('a', big(50))).resolves.toMatchObject({ appended: 50 });
  });

  it('given a file that may not grow (max_page_count: SQLITE_FULL without a full disk), then the 503 message and writeProblem() say "disk full (SQLITE_FULL)" until an append commits', async () => {
    const store = open();
    await store.append('s', events(1));
    expect(await store.writeProblem()).toBeNull();
    const { page_count: pages } = (await store.writerPragma('page_count')) as { page_count: number };
    await store.writerPragma('max_page_count', pages);
    const err = await store.append('a', Array.from({ length: 50 }, () => ({ id: randomUUID(), type: 'T', data: { pad: 'x'.repeat(4000) } }))).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EventStoreUnavailableError);
    expect((err as Error).message).toMatch(/^append failed: disk full \(SQLITE_FULL\): database or disk is full/);
    expect(await store.writeProblem()).toMatch(/the last append failed 0 s ago: disk full \(SQLITE_FULL\)/);
    await store.writerPragma('max_page_count', 1_073_741_823);
    await store.append('a', events(1));
    expect(await store.writeProblem()).toBeNull();
  });

  it('given an appendMany whose events carry dataJson, then the stored data is that JSON, passed through as is', async () => {
    const store = open();
    const dataJson = '{"b":1,"a":[1,2]}';
    await store.append('pre', [{ id: randomUUID(), type: 'T', data: { ignored: true }, dataJson }]);
    const probe = new DatabaseSync(file);
    toClose.push(probe);
    expect(probe.prepare('SELECT data FROM events').get()).toEqual({ data: dataJson });
    expect((await store.readStream('pre'))[0]!.data).toEqual({ b: 1, a: [1, 2] });
  });
});
