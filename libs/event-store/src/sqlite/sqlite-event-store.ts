import { statfsSync } from 'node:fs';
import { dirname, extname, join } from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { Worker } from 'node:worker_threads';
import {
  EventStoreUnavailableError,
  WrongExpectedVersionError,
  type AppendResult,
  type EventStore,
  type ExpectedState,
  type NewEvent,
  type ReadAllOptions,
  type RecordedEvent,
  type StreamWrite,
} from '../event-store';
import type { ReadPartitionOptions } from '../read-partition';
import { SQL_STREAM_PARTITION } from './sql-stream-partition';
import {
  CRASH_TEST_EXIT_CODE,
  READER_CACHE_KIB,
  SQLITE_FULL,
  SqliteWriter,
  UNAVAILABLE_CODES,
  WRITER_CACHE_KIB,
  WRITER_WORKER_KIND,
  configureConnection,
  fromWireError,
  isSqliteError,
  pragma,
  sqliteErrorMessage,
  type FromWriter,
  type ToWriter,
  type WireCall,
  type WireError,
  type WireOutcome,
  type WriterWorkerData,
} from './sqlite-writer';

export interface SqliteEventStoreOptions {
  /**
   * FULL (default): every acknowledged append is fsynced to the WAL before the call returns.
   * NORMAL: faster, but the last commits can be lost on power failure (not on a process crash).
   */
  synchronous?: 'FULL' | 'NORMAL';
  /**
   * SQLite's busy timeout: how long one write attempt (and a read) waits for another connection (e.g.
   * a CLI process) to release the lock. Default 5000. With the thread writer a busy attempt is retried
   * until the call's writeTimeoutMs runs out.
   */
  busyTimeoutMs?: number;
  /**
   * 'thread' (default): writes run on a dedicated worker thread with group commit; the caller's event
   * loop never waits on SQLite's COMMIT/fsync or on a lock.
   * 'inline': the former synchronous path, one transaction per call on the caller's thread (kept for the
   * benchmark and for ':memory:' stores, which a second connection cannot share: they always use it).
   */
  writer?: 'thread' | 'inline';
  /**
   * Thread writer only. How long a write call waits for the commit that contains it (queueing, a lock
   * held by another process, a slow disk) before it rejects with EventStoreUnavailableError so that
   * ingest answers 503 + Retry-After instead of hanging. Default 2000.
   *
   * A call that timed out while its group was already being written MAY STILL BE COMMITTED afterwards
   * (the writer keeps trying; a call not yet started when its time is up is dropped instead). That is
   * safe: event ids are deterministic and known ids are skipped, so the client's retry of the same
   * request is an idempotent no-op for what did land.
   */
  writeTimeoutMs?: number;
  /**
   * Reads only (e.g. a projector thread beside the process that writes): the connection is opened
   * read-only, nothing is migrated (the file must already be an event store), no writer thread starts,
   * appends are refused and `onAppended` never fires here (the writing side must signal its readers).
   */
  readOnly?: boolean;
  /**
   * Test hook, never for production: the writer thread can be made to crash at a write step of its next
   * transaction (testCrashAt). Thread writer only. Off, the writer's connection is not even wrapped.
   */
  testCrashes?: boolean;
}

/** Schema versions this build knows; each entry migrates from the previous version. */
const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE events (
    position INTEGER PRIMARY KEY AUTOINCREMENT,
    id       TEXT    NOT NULL UNIQUE,
    stream   TEXT    NOT NULL,
    revision INTEGER NOT NULL,
    type     TEXT    NOT NULL,
    data     TEXT    NOT NULL,
    metadata TEXT    NOT NULL,
    created  TEXT    NOT NULL,
    UNIQUE (stream, revision)
  );
  CREATE TABLE streams (
    stream   TEXT    NOT NULL PRIMARY KEY,
    revision INTEGER NOT NULL
  ) WITHOUT ROWID;
  `,
  // 2: a stream's revision and the list of streams come from the events' (stream, revision) index; the
  // streams table (kept up to date at every append, a random page per stream and commit) goes.
  `DROP TABLE streams;`,
];
const SCHEMA_VERSION = MIGRATIONS.length;

export { sqliteErrorMessage } from './sqlite-writer';

function wrapSqliteError(err: unknown, what: string): unknown {
  if (isSqliteError(err) && UNAVAILABLE_CODES.has(err.errcode & 0xff)) return new EventStoreUnavailableError(`${what}: ${sqliteErrorMessage(err)}`, err);
  return err;
}

/** Below this much free space where the file lives, the disk counts as full (SQLite needs room for its WAL). */
const MIN_FREE_DISK_BYTES = 1024 * 1024;
/** A write that failed on a full disk keeps /healthz failing this long (or until a write commits). */
const DISK_FULL_REPORT_MS = 30_000;

/** An error reported by the writer, as the caller sees it (unavailable SQLite codes become EventStoreUnavailableError). */
function writerError(error: WireError): Error {
  return wrapSqliteError(fromWireError(error), 'append failed') as Error;
}

function outcomeResult(outcome: WireOutcome | undefined): AppendResult | Error {
  switch (outcome?.kind) {
    case 'ok':
      return { appended: outcome.appended, lastPosition: outcome.lastPosition };
    case 'conflict':
      return new WrongExpectedVersionError(outcome.stream, outcome.expected, outcome.actual);
    case 'error':
      return writerError(outcome.error);
    default:
      return new EventStoreUnavailableError('append failed: the event store did not commit the write in time; retrying it is safe');
  }
}

type EventRow = {
  position: bigint;
  id: string;
  stream: string;
  revision: bigint;
  type: string;
  data: string;
  metadata: string;
  created: string;
};

const COLUMNS = 'position, id, stream, revision, type, data, metadata, created';

function toRecorded(row: EventRow, metadata: RecordedEvent['metadata']): RecordedEvent {
  return {
    id: row.id,
    type: row.type,
    stream: row.stream,
    revision: row.revision,
    position: row.position,
    data: JSON.parse(row.data),
    metadata,
    created: row.created,
  };
}

/**
 * Rows as events; a run of rows with the same metadata (a request's events: one ingest request's metadata on
 * each) shares one parsed metadata object instead of a copy per event, which the projector's batches of 500
 * otherwise kept alive together until their commit.
 */
function toRecordedRows(rows: EventRow[]): RecordedEvent[] {
  const out = new Array<RecordedEvent>(rows.length);
  let json: string | null = null;
  let metadata: RecordedEvent['metadata'] = {};
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!;
    if (row.metadata !== json) {
      json = row.metadata;
      metadata = JSON.parse(json);
    }
    out[i] = toRecorded(row, metadata);
  }
  return out;
}

function migrate(db: DatabaseSync): void {
  db.exec('BEGIN IMMEDIATE');
  try {
    db.exec('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL PRIMARY KEY, applied TEXT NOT NULL)');
    const row = db.prepare('SELECT MAX(version) AS version FROM schema_version').get() as { version: number | null };
    const current = row.version ?? 0;
    if (current > SCHEMA_VERSION) {
      throw new Error(`the event store has schema version ${current}; this build only knows up to ${SCHEMA_VERSION}: upgrade temps`);
    }
    const record = db.prepare('INSERT INTO schema_version (version, applied) VALUES (?, ?)');
    for (let v = current + 1; v <= SCHEMA_VERSION; v++) {
      db.exec(MIGRATIONS[v - 1]!);
      record.run(v, new Date().toISOString());
    }
    db.exec('COMMIT');
  } catch (err) {
    if (db.isTransaction) db.exec('ROLLBACK');
    throw err;
  }
}

/** readOnly: the file must already be an event store of a schema this build knows (it cannot migrate it). */
function checkSchemaReadable(db: DatabaseSync): void {
  const row = db.prepare("SELECT 1 AS found FROM sqlite_schema WHERE type = 'table' AND name = 'schema_version'").get();
  const current = row ? ((db.prepare('SELECT MAX(version) AS version FROM schema_version').get() as { version: number | null }).version ?? 0) : 0;
  if (current === 0) throw new Error('not an event store yet: open it once for writing first (read-only connections do not create it)');
  if (current > SCHEMA_VERSION) throw new Error(`the event store has schema version ${current}; this build only knows up to ${SCHEMA_VERSION}: upgrade temps`);
}

/** A serialized appendMany call, ready for the writer: strings only (data as JSON, metadata deduplicated). */
function toWireCall(writes: StreamWrite[], deadline: number): WireCall {
  const call: WireCall = { deadline, streams: [], expected: [], counts: [], ids: [], types: [], data: [], meta: [], metadata: [] };
  const metadataIndex = new Map<object | undefined, number>();
  for (const write of writes) {
    call.streams.push(write.stream);
    call.expected.push(write.expected ?? 'any');
    call.counts.push(write.events.length);
    for (const e of write.events as NewEvent[]) {
      if (typeof e.id !== 'string' || e.id === '') throw new TypeError(`stream ${write.stream}: every event needs a non-empty string id`);
      call.ids.push(e.id);
      call.types.push(e.type);
      call.data.push(e.dataJson ?? JSON.stringify(e.data) ?? 'null'); // pre-serialized data is passed through as is
      let m = metadataIndex.get(e.metadata);
      if (m === undefined) {
        m = call.metadata.push(e.metadata ? JSON.stringify(e.metadata) : '{}') - 1;
        metadataIndex.set(e.metadata, m);
      }
      call.meta.push(m);
    }
  }
  return call;
}

/** Where appends go: the writer thread, or the caller's thread (inline). */
interface Writer {
  append(writes: StreamWrite[]): Promise<AppendResult>;
  /** Commits what is queued, then stops. */
  close(): Promise<void>;
}

/** The former path: one transaction per call, synchronously on the caller's thread. */
class InlineWriter implements Writer {
  private readonly writer: SqliteWriter;

  constructor(
    db: DatabaseSync,
    private readonly onCommitted: () => void,
  ) {
    this.writer = new SqliteWriter(db);
  }

  async append(writes: StreamWrite[]): Promise<AppendResult> {
    const call = toWireCall(writes, Infinity);
    const result = this.writer.commitGroup([call]);
    if (result.kind === 'failed') throw writerError(result.error);
    const outcome = outcomeResult(result.outcomes[0]);
    if (outcome instanceof Error) throw outcome;
    if (outcome.appended > 0) this.onCommitted();
    return outcome;
  }

  async close(): Promise<void> {}
}

/** readOnly: appends are refused; nothing to drain on close. */
class RefusingWriter implements Writer {
  constructor(private readonly path: string) {}

  async append(): Promise<AppendResult> {
    throw new Error(`the event store at ${this.path} was opened read-only: it cannot append`);
  }

  async close(): Promise<void> {}
}

/** The writer thread's entry: this module's sibling, .ts under jest (Node strips the types), .js in dist. */
const WRITER_ENTRY = join(__dirname, `sqlite-writer${extname(__filename)}`);
/** A writer thread that dies sooner than this after its start is restarted with a growing delay. */
const STABLE_WORKER_MS = 1000;
const MAX_RESTART_DELAY_MS = 2000;
/** close() gives the writer thread this long to commit its last group and exit before terminating it. */
const CLOSE_GRACE_MS = 30_000;

/** Placeholder until the call's promise hands over its resolve / reject (synchronously, in its executor). */
const settleLater = (): void => {};

interface PendingCall {
  id: number;
  /** Dropped once posted: the writer has its own copy. */
  call: WireCall | undefined;
  resolve: (result: AppendResult) => void;
  reject: (err: unknown) => void;
  timer: NodeJS.Timeout | undefined;
  done: boolean;
}

/**
 * Group commit on a worker thread, the only writer connection of this store.
 *
 * Each call is serialized here (strings only: NewEvent.dataJson passes through) and posted to the
 * writer at once, so the copy is paid call by call. The writer commits whatever has queued up while it
 * was busy as ONE transaction (one fsync for many calls), each call in its own SAVEPOINT so it
 * succeeds or fails alone. A call resolves only after the COMMIT that contains it returned;
 * `onAppended` listeners run here, on the main thread, after that commit.
 *
 * Unavailability surfaces as EventStoreUnavailableError: a call not committed within writeTimeoutMs
 * (lock held by another process, slow disk) rejects while the writer keeps trying (see
 * SqliteEventStoreOptions.writeTimeoutMs); a disk error fails the group's calls at once; a writer
 * thread that dies fails the calls it held and is restarted for the next ones.
 */
class ThreadWriter implements Writer {
  private worker: Worker | undefined;
  private workerStartedAt = 0;
  private restartDelayMs = 0;
  private restartTimer: NodeJS.Timeout | undefined;
  /** Posted to the current worker, not answered yet (including calls whose caller already timed out). */
  private readonly pending = new Map<number, PendingCall>();
  /** Made while no worker is running (restarting): posted when the next one starts. */
  private readonly backlog: PendingCall[] = [];
  private nextId = 0;
  /** Why the writer is not keeping up, for the timeout message (e.g. "database is locked"). */
  private lastProblem: string | undefined;
  /** Last time the writer said anything, or when it last went from idle to having calls: see append(). */
  private lastHeardAt = 0;
  private stopped = false;
  private drained: (() => void) | undefined;
  private readonly pragmaWaiters = new Map<number, { resolve: (v: unknown) => void; reject: (e: unknown) => void }>();
  /** Test hook: how many times the writer thread exited on a testCrashAt. */
  crashes = 0;

  constructor(
    private readonly data: WriterWorkerData,
    private readonly writeTimeoutMs: number,
    private readonly onCommitted: () => void,
  ) {
    this.start();
  }

  append(writes: StreamWrite[]): Promise<AppendResult> {
    const now = Date.now();
    if (this.pending.size > 0 && now - this.lastHeardAt > this.writeTimeoutMs) {
      // The writer has had calls but said nothing (no commit, no busy report) for longer than a call may
      // wait: it is stuck (e.g. in an fsync that does not return). Fail fast instead of queueing more.
      const why = this.lastProblem ? `; last problem: ${this.lastProblem}` : '';
      return Promise.reject(new EventStoreUnavailableError(`append failed: the event store writer has not answered for ${now - this.lastHeardAt} ms${why}; retry later`));
    }
    // The call lives only in `p` (no closure holds it), so posting it lets its strings go: a closure over
    // it (the timer's) kept a request's span JSON alive until the commit, through two scavenges into old space.
    const p: PendingCall = { id: this.nextId++, call: toWireCall(writes, now + this.writeTimeoutMs), resolve: settleLater, reject: settleLater, done: false, timer: undefined };
    const settled = new Promise<AppendResult>((resolve, reject) => {
      p.resolve = resolve;
      p.reject = reject;
    });
    p.timer = setTimeout(() => this.expire(p), this.writeTimeoutMs);
    if (this.worker) this.post(this.worker, p);
    else this.backlog.push(p);
    this.updateRef();
    return settled;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.drained = resolve;
      this.checkDrained();
    });
    this.stopped = true;
    clearTimeout(this.restartTimer);
    const worker = this.worker;
    if (!worker) return;
    worker.ref();
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    worker.postMessage({ type: 'close' } satisfies ToWriter);
    const grace = setTimeout(() => void worker.terminate(), CLOSE_GRACE_MS);
    await exited;
    clearTimeout(grace);
  }

  /** Test hook: a PRAGMA on the writer's own connection (read, or set to a number). */
  pragma(name: string, value?: number): Promise<unknown> {
    const worker = this.worker;
    if (!worker) return Promise.reject(new EventStoreUnavailableError('the event store writer is not running'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pragmaWaiters.set(id, { resolve, reject });
      worker.postMessage({ type: 'pragma', id, name, ...(value === undefined ? {} : { value }) } satisfies ToWriter);
    });
  }

  /** Test hook (testCrashes): the thread exits at write step `step` of its next transaction. */
  crashAt(step: number): void {
    if (!this.data.crashTest || !this.worker) throw new Error('testCrashAt needs a store opened with testCrashes and a running writer thread');
    this.worker.postMessage({ type: 'crashAt', step } satisfies ToWriter);
  }

  private post(worker: Worker, p: PendingCall): void {
    if (this.pending.size === 0) this.lastHeardAt = Date.now();
    this.pending.set(p.id, p);
    worker.postMessage({ type: 'call', id: p.id, call: p.call! } satisfies ToWriter);
    p.call = undefined;
  }

  private start(): void {
    this.restartTimer = undefined;
    const worker = new Worker(WRITER_ENTRY, {
      // one attempt never needs to wait for the lock longer than a call may wait in all
      workerData: { ...this.data, busyTimeoutMs: Math.min(this.data.busyTimeoutMs, this.writeTimeoutMs) } satisfies WriterWorkerData,
      name: 'temps-event-store-writer',
      // under jest the entry is the .ts source, which Node loads as an ES module after a CommonJS attempt: quiet
      ...(WRITER_ENTRY.endsWith('.ts') ? { execArgv: [...process.execArgv, '--disable-warning=MODULE_TYPELESS_PACKAGE_JSON'] } : {}),
    });
    this.worker = worker;
    this.workerStartedAt = Date.now();
    worker.on('message', (msg: FromWriter) => this.worker === worker && this.onMessage(msg));
    worker.on('error', (err) => {
      if (this.worker === worker) this.lastProblem = `the writer thread failed: ${err.message}`;
    });
    worker.on('exit', (code) => this.worker === worker && this.onExit(code));
    for (const p of this.backlog.splice(0)) if (!p.done) this.post(worker, p);
    this.updateRef();
  }

  private onMessage(msg: FromWriter): void {
    this.lastHeardAt = Date.now();
    switch (msg.type) {
      case 'settled': {
        this.restartDelayMs = 0;
        if (msg.outcomes.some((o) => o.kind === 'ok')) this.lastProblem = undefined;
        if (msg.outcomes.some((o) => o.kind === 'ok' && o.appended > 0)) this.onCommitted(); // before the callers resume, as inline
        // An expired call fails as its own timer would have failed it (the writer may tell first), with the reason.
        msg.ids.forEach((id, i) => this.answer(id, msg.outcomes[i]?.kind === 'expired' ? this.timeoutError() : outcomeResult(msg.outcomes[i])));
        break;
      }
      case 'failed': {
        // A disk error (I/O, full, read-only...): nothing of the group was committed; its calls fail now.
        this.lastProblem = msg.error.message;
        const err = writerError(msg.error);
        for (const id of msg.ids) this.answer(id, err);
        break;
      }
      case 'busy':
        this.lastProblem = `${msg.error.message} (another connection holds the write lock)`;
        break;
      case 'fatal':
        // the thread could not open its connection; it exits next and is restarted (with a delay)
        this.lastProblem = `the writer cannot open the event store: ${msg.error.message}`;
        break;
      case 'pragma':
        this.pragmaWaiters.get(msg.id)?.resolve(msg.value);
        this.pragmaWaiters.delete(msg.id);
        break;
      case 'ready':
        break;
    }
    this.updateRef();
    this.checkDrained();
  }

  private answer(id: number, result: AppendResult | Error): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    this.settle(p, result);
  }

  private onExit(code: number): void {
    this.worker = undefined;
    if (code === CRASH_TEST_EXIT_CODE && this.data.crashTest) this.crashes++;
    if (this.pending.size > 0) {
      const why = this.lastProblem ? `: ${this.lastProblem}` : '';
      const err = new EventStoreUnavailableError(
        `append failed: the event store writer thread stopped (exit code ${code})${why}; the write may or may not have been committed, retrying it is safe`,
      );
      for (const p of this.pending.values()) this.settle(p, err);
      this.pending.clear();
    }
    for (const waiter of this.pragmaWaiters.values()) waiter.reject(new EventStoreUnavailableError('the event store writer thread stopped'));
    this.pragmaWaiters.clear();
    if (!this.stopped) {
      this.lastProblem ??= `the writer thread stopped (exit code ${code})`;
      // Restart: at once after a long life, with a growing delay when it keeps dying (e.g. cannot open the file).
      const lived = Date.now() - this.workerStartedAt;
      this.restartDelayMs = lived >= STABLE_WORKER_MS ? 0 : Math.min(MAX_RESTART_DELAY_MS, Math.max(50, this.restartDelayMs * 2));
      this.restartTimer = setTimeout(() => this.start(), this.restartDelayMs);
    }
    this.updateRef();
    this.checkDrained();
  }

  /** The error of a call whose writeTimeoutMs ran out, with what the writer last reported. */
  private timeoutError(): EventStoreUnavailableError {
    const why = this.lastProblem ?? (this.worker ? 'the writer is busy' : 'the writer thread is restarting');
    return new EventStoreUnavailableError(`append failed: not committed within ${this.writeTimeoutMs} ms (${why}); retry later, retrying is safe`);
  }

  /**
   * writeTimeoutMs ran out: the caller gets EventStoreUnavailableError now. A call the writer has not
   * started yet is then dropped by it (never written); one in the group being committed may still land,
   * which a retry tolerates (known event ids are skipped).
   */
  private expire(p: PendingCall): void {
    if (p.done) return;
    this.settle(p, this.timeoutError());
    const i = this.backlog.indexOf(p);
    if (i >= 0) this.backlog.splice(i, 1);
    // still in `pending` if posted: the writer answers 'expired' (or commits it) and close() waits for that
    this.updateRef();
    this.checkDrained();
  }

  private settle(p: PendingCall, result: AppendResult | Error): void {
    if (p.done) return;
    p.done = true;
    clearTimeout(p.timer);
    if (result instanceof Error) p.reject(result);
    else p.resolve(result);
  }

  private hasWork(): boolean {
    return this.pending.size > 0 || this.backlog.length > 0 || this.pragmaWaiters.size > 0;
  }

  /** Keeps the process alive while writes are pending; an idle store does not hold it open. */
  private updateRef(): void {
    const busy = this.hasWork() || this.stopped;
    if (this.worker) {
      if (busy) this.worker.ref();
      else this.worker.unref();
    }
    if (this.restartTimer) {
      if (busy) this.restartTimer.ref();
      else this.restartTimer.unref();
    }
  }

  private checkDrained(): void {
    if (!this.drained || this.pending.size > 0 || this.backlog.length > 0) return;
    const drained = this.drained;
    this.drained = undefined;
    drained();
  }
}

/** ':memory:' (and '') open a private database per connection: the writer thread could not see it. */
function isPrivateMemoryPath(path: string): boolean {
  return path === ':memory:' || path === '' || /^file:.*[?&]mode=memory\b/.test(path);
}

/**
 * The embedded event store: one SQLite file in WAL mode. Positions are the events' rowids
 * (AUTOINCREMENT: strictly increasing, never reused; skipped duplicates may leave gaps).
 * Writers are serialised by SQLite (BEGIN IMMEDIATE), so a position is only ever visible once every
 * smaller position is committed: readers paging with `after` cannot miss an event.
 *
 * Writes go to a dedicated worker thread (see ThreadWriter) with group commit, so the caller's event
 * loop never blocks on COMMIT/fsync or on a lock; reads run on this thread's own connection (WAL
 * readers do not wait for the writer, and a read must be parsed here anyway).
 */
export class SqliteEventStore implements EventStore {
  private readonly listeners = new Set<() => void>();
  private closed = false;
  private readonly writer: Writer;

  private readonly selectAllAfter: StatementSync;
  private readonly selectStream: StatementSync;
  private readonly selectHead: StatementSync;
  private readonly selectPartitionAfter: StatementSync;
  private deleteStreamEvents: StatementSync | undefined;
  private selectStreamRevision: StatementSync | undefined;
  private selectFirstStream: StatementSync | undefined;
  private selectNextStream: StatementSync | undefined;

  /** The last append that failed for want of room, until one commits. */
  private diskFull: { message: string; at: number } | null = null;

  private constructor(
    /** The read connection (and the write connection too with the inline writer). */
    private readonly db: DatabaseSync,
    writer: (notify: () => void) => Writer,
    /** The file, or null for a private in-memory store. */
    private readonly path: string | null,
    private readonly readOnly = false,
  ) {
    this.selectAllAfter = db.prepare(`SELECT ${COLUMNS} FROM events WHERE position > ? ORDER BY position LIMIT ?`);
    this.selectStream = db.prepare(`SELECT ${COLUMNS} FROM events WHERE stream = ? AND revision >= ? ORDER BY revision`);
    this.selectHead = db.prepare('SELECT MAX(position) AS head FROM events');
    // Filters by stream in SQL, so another partition's rows are never copied out nor parsed.
    this.selectPartitionAfter = db.prepare(`SELECT ${COLUMNS} FROM events WHERE position > ? AND position <= ? AND ${SQL_STREAM_PARTITION} = ? ORDER BY position LIMIT ?`);
    for (const s of [this.selectAllAfter, this.selectStream, this.selectHead, this.selectPartitionAfter]) s.setReadBigInts(true);
    this.writer = writer(() => this.notify()); // last: nothing can fail after the writer thread started
  }

  /**
   * Opens (creating if needed) the store at `path`; ':memory:' gives a private in-memory store.
   * Synchronous: the file is opened and migrated here (errors throw now); the writer thread starts in
   * the background and the first write simply queues until it is up.
   */
  static open(path: string, options: SqliteEventStoreOptions = {}): SqliteEventStore {
    const busyTimeoutMs = options.busyTimeoutMs ?? 5000;
    const synchronous = options.synchronous ?? 'FULL';
    const mode = options.writer ?? 'thread';
    const writeTimeoutMs = options.writeTimeoutMs ?? 2000;
    if (mode !== 'thread' && mode !== 'inline') throw new RangeError(`writer must be 'thread' or 'inline', got ${String(mode)}`);
    if (!(writeTimeoutMs > 0) || !Number.isFinite(writeTimeoutMs)) throw new RangeError(`writeTimeoutMs must be a positive number, got ${writeTimeoutMs}`);
    if (options.testCrashes && (mode !== 'thread' || isPrivateMemoryPath(path) || options.readOnly)) throw new RangeError('testCrashes needs the thread writer (a file, not read-only)');
    let db: DatabaseSync | undefined;
    try {
      db = new DatabaseSync(path, { timeout: busyTimeoutMs, readOnly: options.readOnly === true });
      // this connection only reads unless it is the inline writer (':memory:' stores are)
      const writesHere = !options.readOnly && (mode === 'inline' || isPrivateMemoryPath(path));
      configureConnection(db, synchronous, writesHere ? WRITER_CACHE_KIB : READER_CACHE_KIB);
      if (options.readOnly) checkSchemaReadable(db);
      else migrate(db);
      const conn = db;
      return new SqliteEventStore(
        db,
        options.readOnly
          ? () => new RefusingWriter(path)
          : mode === 'inline' || isPrivateMemoryPath(path)
            ? (notify) => new InlineWriter(conn, notify)
            : (notify) => new ThreadWriter({ kind: WRITER_WORKER_KIND, path, busyTimeoutMs, synchronous, ...(options.testCrashes ? { crashTest: true } : {}) }, writeTimeoutMs, notify),
        isPrivateMemoryPath(path) || path.startsWith('file:') ? null : path,
        options.readOnly === true,
      );
    } catch (err) {
      try {
        db?.close();
      } catch {
        /* already failing */
      }
      throw wrapSqliteError(err, `cannot open the event store at ${path}`);
    }
  }

  async append(stream: string, events: NewEvent[], expected: ExpectedState = 'any'): Promise<AppendResult> {
    return this.appendMany([{ stream, events, expected }]);
  }

  /**
   * Each call is atomic: any conflict in it writes nothing of it (and fails no other call). Known event
   * ids are skipped; a write whose events are ALL already stored is a retried call and succeeds as a
   * no-op even when its expected state no longer holds (the first attempt moved the stream on).
   */
  appendMany(writes: StreamWrite[]): Promise<AppendResult> {
    // Not async: an async frame keeps `writes` (every event's JSON) until the commit, which promoted them to
    // old space; the writer has them serialized and posted before this returns.
    let appended: Promise<AppendResult>;
    try {
      this.assertOpen();
      appended = this.writer.append(writes);
    } catch (err) {
      return Promise.reject(this.appendFailure(err));
    }
    return appended.then(
      (result) => {
        this.diskFull = null;
        return result;
      },
      (err: unknown) => {
        throw this.appendFailure(err);
      },
    );
  }

  private appendFailure(err: unknown): unknown {
    const cause = err instanceof EventStoreUnavailableError ? err.cause : err;
    if (isSqliteError(cause) && (cause.errcode & 0xff) === SQLITE_FULL) this.diskFull = { message: sqliteErrorMessage(cause), at: Date.now() };
    return wrapSqliteError(err, 'append failed');
  }

  /**
   * Why writes cannot succeed now, or null: the disk where the file lives is full, or an append failed
   * for want of room less than DISK_FULL_REPORT_MS ago and none committed since (which also covers a
   * quota or max_page_count that free space does not show). For /healthz.
   */
  async writeProblem(): Promise<string | null> {
    if (this.path !== null) {
      const dir = dirname(this.path);
      try {
        const fs = statfsSync(dir);
        const free = fs.bavail * fs.bsize;
        if (free < MIN_FREE_DISK_BYTES) return `disk full (SQLITE_FULL): ${free} bytes free in ${dir}`;
      } catch {
        /* no statfs here: rely on the failed writes */
      }
    }
    const full = this.diskFull;
    if (full && Date.now() - full.at < DISK_FULL_REPORT_MS) return `the last append failed ${Math.round((Date.now() - full.at) / 1000)} s ago: ${full.message}`;
    return null;
  }

  async readStream(stream: string, options: { fromRevision?: bigint } = {}): Promise<RecordedEvent[]> {
    this.assertOpen();
    try {
      return toRecordedRows(this.selectStream.all(stream, options.fromRevision ?? 0n) as EventRow[]);
    } catch (err) {
      throw wrapSqliteError(err, `reading stream ${stream} failed`);
    }
  }

  async readAll(options: ReadAllOptions): Promise<RecordedEvent[]> {
    this.assertOpen();
    const { limit } = options;
    if (!Number.isSafeInteger(limit) || limit < 0) throw new RangeError(`readAll limit must be a non-negative integer, got ${limit}`);
    if (limit === 0) return [];
    try {
      return toRecordedRows(this.selectAllAfter.all(options.after ?? -1n, limit) as EventRow[]);
    } catch (err) {
      throw wrapSqliteError(err, 'reading the log failed');
    }
  }

  async readAllPartition(options: ReadPartitionOptions): Promise<RecordedEvent[]> {
    this.assertOpen();
    const { partition, until, limit } = options;
    try {
      return toRecordedRows(this.selectPartitionAfter.all(options.after ?? -1n, until, partition.count, partition.index, limit) as EventRow[]);
    } catch (err) {
      throw wrapSqliteError(err, 'reading the log failed');
    }
  }

  /**
   * Deletes on this thread's connection, one transaction per call (SQLite's lock keeps the writer thread
   * out meanwhile; its busy timeout waits). By the events' (stream, revision) index: no scan. A later
   * append starts the stream again at revision 0 (its revision is read from its events).
   */
  async deleteStreams(streams: string[], ifAt?: ReadonlyMap<string, bigint>): Promise<void> {
    this.assertOpen();
    if (this.readOnly) throw new Error(`the event store at ${this.path ?? 'memory'} was opened read-only: it cannot delete`);
    if (streams.length === 0) return;
    this.deleteStreamEvents ??= this.db.prepare('DELETE FROM events WHERE stream = ?');
    if (ifAt?.size && !this.selectStreamRevision) (this.selectStreamRevision = this.db.prepare('SELECT MAX(revision) AS revision FROM events WHERE stream = ?')).setReadBigInts(true);
    try {
      this.db.exec('BEGIN IMMEDIATE');
      try {
        for (const stream of streams) {
          const expected = ifAt?.get(stream);
          // Checked inside the write transaction: no append can come between the check and the delete.
          if (expected !== undefined && (this.selectStreamRevision!.get(stream) as { revision: bigint } | undefined)?.revision !== expected) continue;
          this.deleteStreamEvents.run(stream);
        }
        this.db.exec('COMMIT');
      } catch (err) {
        if (this.db.isTransaction) this.db.exec('ROLLBACK');
        throw err;
      }
    } catch (err) {
      throw wrapSqliteError(err, 'deleting streams failed');
    }
  }

  /** One seek per name in the events' (stream, revision) index (to the next stream after the last found), however many events each has. */
  async listStreams(range: { from: string; to: string; limit: number }): Promise<string[]> {
    this.assertOpen();
    this.selectFirstStream ??= this.db.prepare('SELECT stream FROM events WHERE stream >= ? AND stream < ? ORDER BY stream LIMIT 1');
    this.selectNextStream ??= this.db.prepare('SELECT stream FROM events WHERE stream > ? AND stream < ? ORDER BY stream LIMIT 1');
    try {
      const names: string[] = [];
      let row = this.selectFirstStream.get(range.from, range.to) as { stream: string } | undefined;
      while (row && names.length < range.limit) {
        names.push(row.stream);
        row = this.selectNextStream.get(row.stream, range.to) as { stream: string } | undefined;
      }
      return names;
    } catch (err) {
      throw wrapSqliteError(err, 'listing streams failed');
    }
  }

  async headPosition(): Promise<bigint> {
    this.assertOpen();
    try {
      const row = this.selectHead.get() as { head: bigint | null };
      return row.head ?? -1n;
    } catch (err) {
      throw wrapSqliteError(err, 'reading the head position failed');
    }
  }

  onAppended(listener: () => void): () => void {
    const own = () => listener(); // a listener registered twice gets two independent subscriptions
    this.listeners.add(own);
    return () => void this.listeners.delete(own);
  }

  /** Stops taking calls, commits every call already made (their promises settle), stops the writer, closes. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.writer.close();
    } finally {
      this.listeners.clear();
      this.db.close();
    }
  }

  /**
   * Test hook: a PRAGMA on the connection that writes (the writer thread's, or the inline one): its
   * value, or with `value` (a number) set it first. Not part of the EventStore port.
   */
  async writerPragma(name: string, value?: number): Promise<unknown> {
    if (this.writer instanceof ThreadWriter) return this.writer.pragma(name, value);
    return pragma(this.db, name, value);
  }

  /**
   * Test hook (open with testCrashes): the writer thread exits, as a crashed process would, at write step
   * `step` (1-based) of its next transaction: each INSERT/UPDATE/DELETE it runs, then COMMIT, then after
   * COMMIT before it answers. The calls it held fail as unavailable and the thread restarts, as after any
   * crash of it. Past the transaction's last step nothing happens (see testCrashCount).
   */
  testCrashAt(step: number): void {
    if (!(this.writer instanceof ThreadWriter)) throw new Error('testCrashAt needs the thread writer');
    this.writer.crashAt(step);
  }

  /** Test hook: how many times the writer thread crashed on a testCrashAt. */
  get testCrashCount(): number {
    return this.writer instanceof ThreadWriter ? this.writer.crashes : 0;
  }

  private notify(): void {
    for (const listener of [...this.listeners]) {
      try {
        listener();
      } catch {
        /* a listener is a wake-up hint; its failure must not fail an acknowledged append */
      }
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new EventStoreUnavailableError('the event store is closed');
  }
}
