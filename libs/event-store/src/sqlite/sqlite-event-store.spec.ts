/**
 * SQLite-only behaviour. The port's contract is covered by test/conformance (sqlite-event-store.conformance.spec.ts).
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { EventStoreUnavailableError, type NewEvent } from '../event-store';
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
    expect(probe.prepare('SELECT version FROM schema_version').all()).toEqual([{ version: 1 }]);
    expect(existsSync(`${file}-wal`)).toBe(true);
    // synchronous is per connection: ask the store's own
    const db = (store as unknown as { db: DatabaseSync }).db;
    expect(db.prepare('PRAGMA synchronous').get()).toEqual({ synchronous: 2 }); // FULL
    const relaxed = SqliteEventStore.open(join(dir, 'relaxed.db'), { synchronous: 'NORMAL' });
    toClose.push(relaxed);
    expect((relaxed as unknown as { db: DatabaseSync }).db.prepare('PRAGMA synchronous').get()).toEqual({ synchronous: 1 });
  });

  it('given a file written by a newer schema, when opened, then it refuses instead of guessing', async () => {
    const store = open();
    await store.close();
    const db = new DatabaseSync(file);
    db.prepare('INSERT INTO schema_version (version, applied) VALUES (99, ?)').run(new Date().toISOString());
    db.close();
    expect(() => SqliteEventStore.open(file)).toThrow(/schema version 99/);
  });

  it('given another connection holding the write lock past the busy timeout, when appending, then it fails with EventStoreUnavailableError and writes nothing', async () => {
    // given
    const store = open({ busyTimeoutMs: 50 });
    await store.append('s', events(1));
    const other = new DatabaseSync(file);
    toClose.push(other);
    other.exec('BEGIN IMMEDIATE');
    // when
    const err = await store.append('s', events(1)).catch((e: unknown) => e);
    // then
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
});
