/**
 * The write side of the SQLite event store: group commit of appendMany calls on one connection.
 *
 * It runs on a dedicated worker thread (this file is also that worker's entry point: see the bottom),
 * or inline on the caller's thread (`writer: 'inline'`, and ':memory:' stores, which a second
 * connection cannot share).
 *
 * Node loads this file itself as the worker's entry: under jest it is the .ts source (Node strips the
 * types), in dist the .js that swc emitted. So keep it ERASABLE TypeScript (no enums, no parameter
 * properties, no namespaces) and import at runtime only `node:` builtins; other modules only through
 * `import type` (erased).
 */
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import type { ExpectedState } from '../event-store';

// ---------------------------------------------------------------------------------------------------
// wire format between the store (main thread) and the writer. Only strings, numbers and bigints:
// event data travels as the JSON the main thread already has (NewEvent.dataJson), never as objects.

/**
 * One appendMany call, flattened column-wise: write w covers events [sum(counts[0..w)), + counts[w]).
 * (Measured: a few long arrays clone several times faster than an object and four arrays per write.)
 */
export interface WireCall {
  /** Epoch ms after which the caller has given up (EventStoreUnavailableError): not worth starting. */
  deadline: number;
  streams: string[];
  expected: ExpectedState[];
  counts: number[];
  ids: string[];
  types: string[];
  data: string[];
  /** Per event: an index into `metadata`. */
  meta: number[];
  /** Distinct metadata JSON of the call (a request's events usually share one object). */
  metadata: string[];
}

export interface WireError {
  name: string;
  message: string;
  code?: string;
  errcode?: number;
  errstr?: string;
}

export type WireOutcome =
  | { kind: 'ok'; appended: number; lastPosition: bigint | null }
  | { kind: 'conflict'; stream: string; expected: ExpectedState; actual: bigint | 'no_stream' }
  | { kind: 'error'; error: WireError }
  /** Its deadline passed before the group started: not written. */
  | { kind: 'expired' };

export type GroupResult =
  /** The group's transaction committed (durably, per the connection's synchronous setting); one outcome per call. */
  | { kind: 'done'; outcomes: WireOutcome[] }
  /** Nothing of the group was committed. `busy`: another connection held the lock, the group may simply be retried. */
  | { kind: 'failed'; error: WireError; busy: boolean };

// ---------------------------------------------------------------------------------------------------
// shared SQLite helpers

/**
 * SQLite primary result codes that mean "cannot take this request right now" (callers answer 503):
 * BUSY, LOCKED, NOMEM, READONLY, IOERR, FULL, CANTOPEN, PROTOCOL.
 */
export const UNAVAILABLE_CODES: ReadonlySet<number> = new Set([5, 6, 7, 8, 10, 13, 14, 15]);
const BUSY_CODES: ReadonlySet<number> = new Set([5, 6]);

interface SqliteError extends Error {
  code?: string;
  errcode?: number;
  errstr?: string;
}

export function isSqliteError(err: unknown): err is SqliteError & { errcode: number } {
  const e = err as SqliteError;
  return !!e && e.code === 'ERR_SQLITE_ERROR' && typeof e.errcode === 'number';
}

/** SQLITE_FULL: the disk (or the file's max_page_count) has no room left. */
export const SQLITE_FULL = 13;

/**
 * An SQLite error's message with its cause in plain words where SQLite's own is vague ("database or
 * disk is full" is a full disk almost always): what a status page or a 503 should say.
 */
export function sqliteErrorMessage(err: unknown): string {
  const message = typeof (err as Error | null)?.message === 'string' ? (err as Error).message : String(err);
  if (!isSqliteError(err)) return message;
  switch (err.errcode & 0xff) {
    case SQLITE_FULL:
      return `disk full (SQLITE_FULL): ${message}`;
    case 10:
      return `disk I/O error (SQLITE_IOERR): ${message}`;
    default:
      return message;
  }
}

export function toWireError(err: unknown): WireError {
  // not `instanceof Error`: errors from native code may come from another realm (e.g. under jest)
  if (typeof err === 'object' && err !== null && typeof (err as Error).message === 'string') {
    const e = err as SqliteError;
    const out: WireError = { name: typeof e.name === 'string' ? e.name : 'Error', message: e.message };
    if (typeof e.code === 'string') out.code = e.code;
    if (typeof e.errcode === 'number') out.errcode = e.errcode;
    if (typeof e.errstr === 'string') out.errstr = e.errstr;
    return out;
  }
  return { name: 'Error', message: String(err) };
}

/** Rebuilds an error that crossed the thread boundary (SQLite's code/errcode/errstr included). */
export function fromWireError(w: WireError): Error {
  const err = w.name === 'TypeError' ? new TypeError(w.message) : w.name === 'RangeError' ? new RangeError(w.message) : new Error(w.message);
  if (err.name !== w.name) err.name = w.name;
  return Object.assign(err, w.code === undefined ? {} : { code: w.code }, w.errcode === undefined ? {} : { errcode: w.errcode }, w.errstr === undefined ? {} : { errstr: w.errstr });
}

/** Per-connection settings shared by the store's connections. */
/**
 * Page cache of a connection that writes (the writer thread's, the inline one): the random-key id index
 * stays hot. 16 MiB, not 64: the pages a burst appends fill the whole cache and stay in RSS (96 requests
 * of 512 spans: peak 285-333 MiB at 16 MiB, 353-368 MiB at 64 MiB, same CPU time), and index pages that
 * fall out come back from the OS's file cache. A connection that only reads the log (ingest's own reads,
 * the projector's) pages through new events once: 8 MiB holds its working set.
 */
export const WRITER_CACHE_KIB = 16_384;
export const READER_CACHE_KIB = 8_192;

export function configureConnection(db: DatabaseSync, synchronous: 'FULL' | 'NORMAL', cacheKiB = WRITER_CACHE_KIB): void {
  if (synchronous !== 'FULL' && synchronous !== 'NORMAL') throw new RangeError(`synchronous must be FULL or NORMAL, got ${String(synchronous)}`);
  const mode = (db.prepare('PRAGMA journal_mode = WAL').get() as { journal_mode: string }).journal_mode;
  if (mode !== 'wal' && mode !== 'memory') throw new Error(`the event store needs WAL mode, SQLite kept journal_mode=${mode}`);
  db.exec(`PRAGMA synchronous = ${synchronous}`);
  // Ingest tuning (measured: ~25% more rows/s for 512-event appends): a page cache of cacheKiB (allocated
  // on demand) keeps the random-key id index hot; checkpointing every 4000 pages (16 MiB of WAL) instead of
  // 1000 makes the fsync-heavy checkpoints rarer; journal_size_limit caps the WAL file kept afterwards.
  // temp_store=MEMORY keeps the per-call SAVEPOINT sub-journals of a group in memory (never a temp file).
  db.exec(`PRAGMA cache_size = -${Math.trunc(cacheKiB)}; PRAGMA wal_autocheckpoint = 4000; PRAGMA journal_size_limit = 67108864; PRAGMA temp_store = MEMORY`);
}

/** Test hook: `PRAGMA name` or `PRAGMA name = value` (a number), on the given connection. */
export function pragma(db: DatabaseSync, name: string, value?: number): unknown {
  const safe = name.replace(/[^a-z_]/gi, '');
  return db.prepare(value === undefined ? `PRAGMA ${safe}` : `PRAGMA ${safe} = ${Math.trunc(Number(value))}`).get();
}

function satisfies(expected: ExpectedState, actual: bigint | 'no_stream'): boolean {
  if (expected === 'any') return true;
  if (expected === 'no_stream') return actual === 'no_stream';
  if (expected === 'stream_exists') return actual !== 'no_stream';
  return actual === expected;
}

/** Thrown inside a call's savepoint; becomes that call's 'conflict' outcome. */
class Conflict {
  stream: string;
  expected: ExpectedState;
  actual: bigint | 'no_stream';
  constructor(stream: string, expected: ExpectedState, actual: bigint | 'no_stream') {
    this.stream = stream;
    this.expected = expected;
    this.actual = actual;
  }
}

// ---------------------------------------------------------------------------------------------------
// the writer

/**
 * Commits groups of calls: ONE transaction (one fsync) per group, one SAVEPOINT per call inside it, so
 * a call that fails (a WrongExpectedVersion, a constraint) is rolled back alone and the others still
 * commit. Calls are applied in order, so the group is equivalent to running them one after the other.
 * An error that breaks the transaction itself (busy, I/O, disk full) fails the whole group: nothing
 * of it is committed.
 */
export class SqliteWriter {
  private readonly db: DatabaseSync;
  private readonly begin: StatementSync;
  private readonly commit: StatementSync;
  private readonly rollback: StatementSync;
  private readonly savepoint: StatementSync;
  private readonly release: StatementSync;
  private readonly rollbackTo: StatementSync;
  private readonly insertEvent: StatementSync;
  private readonly selectStreamRevision: StatementSync;
  private readonly selectIdExists: StatementSync;

  constructor(db: DatabaseSync) {
    this.db = db;
    this.begin = db.prepare('BEGIN IMMEDIATE');
    this.commit = db.prepare('COMMIT');
    this.rollback = db.prepare('ROLLBACK');
    this.savepoint = db.prepare('SAVEPOINT temps_call');
    this.release = db.prepare('RELEASE temps_call');
    this.rollbackTo = db.prepare('ROLLBACK TO temps_call');
    this.insertEvent = db.prepare(
      'INSERT INTO events (id, stream, revision, type, data, metadata, created) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING',
    );
    // The stream's last revision, from the (stream, revision) index: one seek to the stream's last entry.
    // (A table of streams kept it before: one more row rewritten at a random page per stream and commit.)
    this.selectStreamRevision = db.prepare('SELECT MAX(revision) AS revision FROM events WHERE stream = ?');
    this.selectIdExists = db.prepare('SELECT 1 AS found FROM events WHERE id = ?');
    for (const s of [this.insertEvent, this.selectStreamRevision]) s.setReadBigInts(true);
  }

  /**
   * Commits the group. Returns only after COMMIT returned (so after the fsync with synchronous=FULL).
   * Calls whose deadline has passed when the transaction starts are skipped ('expired').
   */
  commitGroup(calls: WireCall[], now: () => number = Date.now): GroupResult {
    try {
      this.begin.run();
    } catch (err) {
      return this.failed(err);
    }
    const created = new Date().toISOString();
    const startedAt = now();
    const outcomes: WireOutcome[] = [];
    try {
      for (const call of calls) {
        if (call.deadline <= startedAt) {
          outcomes.push({ kind: 'expired' });
          continue;
        }
        this.savepoint.run();
        try {
          const outcome = this.apply(call, created);
          this.release.run();
          outcomes.push(outcome);
        } catch (err) {
          // Errors that break the transaction (busy, I/O, full...) fail the whole group; the others only this call.
          if ((isSqliteError(err) && UNAVAILABLE_CODES.has(err.errcode & 0xff)) || !this.db.isTransaction) throw err;
          this.rollbackTo.run();
          this.release.run();
          outcomes.push(err instanceof Conflict ? { kind: 'conflict', stream: err.stream, expected: err.expected, actual: err.actual } : { kind: 'error', error: toWireError(err) });
        }
      }
      this.commit.run();
    } catch (err) {
      this.safeRollback();
      return this.failed(err);
    }
    return { kind: 'done', outcomes };
  }

  /**
   * One call. Known event ids are skipped; a write whose events are ALL already stored is a retried call
   * and succeeds as a no-op even when its expected state no longer holds (the first attempt moved the
   * stream on).
   */
  private apply(call: WireCall, created: string): WireOutcome {
    let appended = 0;
    let lastPosition: bigint | null = null;
    const { streams, counts, ids, types, data, meta, metadata } = call;
    let start = 0;
    for (let w = 0; w < streams.length; start += counts[w]!, w++) {
      const stream = streams[w]!;
      const expected = call.expected[w]!;
      const end = start + counts[w]!;
      const { revision } = this.selectStreamRevision.get(stream) as { revision: bigint | null };
      const actual = revision ?? 'no_stream';
      if (!satisfies(expected, actual)) {
        if (end > start && this.allKnown(ids, start, end)) continue;
        throw new Conflict(stream, expected, actual);
      }
      let next = actual === 'no_stream' ? 0n : actual + 1n;
      for (let i = start; i < end; i++) {
        const r = this.insertEvent.run(ids[i]!, stream, next, types[i]!, data[i]!, metadata[meta[i]!]!, created);
        if (!r.changes) continue; // known id: a retried append
        appended++;
        lastPosition = r.lastInsertRowid as bigint;
        next++;
      }
    }
    return { kind: 'ok', appended, lastPosition };
  }

  private allKnown(ids: string[], start: number, end: number): boolean {
    for (let i = start; i < end; i++) if (this.selectIdExists.get(ids[i]!) === undefined) return false;
    return true;
  }

  private failed(err: unknown): GroupResult {
    return { kind: 'failed', error: toWireError(err), busy: isSqliteError(err) && BUSY_CODES.has(err.errcode & 0xff) };
  }

  private safeRollback(): void {
    try {
      if (this.db.isTransaction) this.rollback.run();
    } catch {
      /* SQLite may already have rolled back (e.g. after an I/O error) */
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// the worker thread

export const WRITER_WORKER_KIND = 'temps-sqlite-event-store-writer';

export interface WriterWorkerData {
  kind: typeof WRITER_WORKER_KIND;
  path: string;
  /** SQLite busy timeout of one attempt; a busy group is retried (its expired calls dropped) until empty. */
  busyTimeoutMs: number;
  synchronous: 'FULL' | 'NORMAL';
  /** Test hook (SqliteEventStoreOptions.testCrashes): the writer's connection can crash at a write step. */
  crashTest?: boolean;
}

export type ToWriter =
  /** One appendMany call, posted as soon as it is made (the clone cost is paid call by call, not per group). */
  | { type: 'call'; id: number; call: WireCall }
  /** Test hook: reads (or, with a number, sets) a PRAGMA on the writer's connection. */
  | { type: 'pragma'; id: number; name: string; value?: number }
  /** Test hook (crashTest only): the thread exits at write step `step` of its next transaction. */
  | { type: 'crashAt'; step: number }
  | { type: 'close' };
export type FromWriter =
  | { type: 'ready' }
  | { type: 'fatal'; error: WireError }
  /** The group committed (or its calls expired): one outcome per id. */
  | { type: 'settled'; ids: number[]; outcomes: WireOutcome[] }
  /** Nothing of the group was committed, for a reason other than a lock (I/O error, disk full...). */
  | { type: 'failed'; ids: number[]; error: WireError }
  /** An attempt found the database locked by another connection; the group will be tried again. */
  | { type: 'busy'; error: WireError }
  | { type: 'pragma'; id: number; value: unknown };

/** Group caps: a group is one transaction; bound its size (and so the latency of the calls behind it). */
const MAX_GROUP_CALLS = 256;
const MAX_GROUP_EVENTS = 16_384;
/** A busy attempt shorter than this (a tiny busy timeout) is retried after the rest of it, not at once. */
const MIN_BUSY_RETRY_MS = 10;

/**
 * The writer thread's loop. Calls queue as they arrive; whenever the thread is free it commits
 * everything queued as one group. While a group commits (synchronously: the thread is blocked in
 * COMMIT/fsync), new calls wait in the port and are all dispatched before the next flush runs (a
 * setImmediate), so they form the next group: the group commit.
 */
function runWriterWorker(data: WriterWorkerData): void {
  const port = parentPort!;
  let db: DatabaseSync;
  let writer: SqliteWriter;
  let crashTest: CrashTestConnection | undefined;
  try {
    db = new DatabaseSync(data.path, { timeout: data.busyTimeoutMs });
    configureConnection(db, data.synchronous);
    crashTest = data.crashTest ? crashTestConnection(db) : undefined;
    writer = new SqliteWriter(crashTest?.db ?? db);
  } catch (err) {
    port.postMessage({ type: 'fatal', error: toWireError(err) } satisfies FromWriter);
    port.close();
    return;
  }

  const queue: { id: number; call: WireCall; events: number }[] = [];
  let scheduled = false;
  let closing = false;

  const schedule = (delayMs: number): void => {
    if (scheduled) return;
    scheduled = true;
    if (delayMs > 0) setTimeout(flush, delayMs);
    else setImmediate(flush);
  };

  const finishClose = (): void => {
    db.close();
    port.close(); // nothing left to run: the thread exits
  };

  function flush(): void {
    scheduled = false;
    const group: typeof queue = [];
    let events = 0;
    while (queue.length > 0 && group.length < MAX_GROUP_CALLS) {
      const next = queue[0]!;
      if (group.length > 0 && events + next.events > MAX_GROUP_EVENTS) break;
      group.push(queue.shift()!);
      events += next.events;
    }
    if (group.length > 0) {
      const started = Date.now();
      const result = writer.commitGroup(group.map((q) => q.call));
      const ids = group.map((q) => q.id);
      if (result.kind === 'done') {
        port.postMessage({ type: 'settled', ids, outcomes: result.outcomes } satisfies FromWriter);
      } else if (result.busy) {
        // Another connection holds the lock; nothing was written. Calls whose caller gave up are dropped,
        // the others go back to the front of the queue and are tried again.
        port.postMessage({ type: 'busy', error: result.error } satisfies FromWriter);
        const now = Date.now();
        const expired = group.filter((q) => q.call.deadline <= now);
        if (expired.length > 0) {
          port.postMessage({ type: 'settled', ids: expired.map((q) => q.id), outcomes: expired.map((): WireOutcome => ({ kind: 'expired' })) } satisfies FromWriter);
        }
        queue.unshift(...group.filter((q) => q.call.deadline > now));
        if (queue.length > 0) return schedule(Math.max(0, MIN_BUSY_RETRY_MS - (now - started)));
      } else {
        port.postMessage({ type: 'failed', ids, error: result.error } satisfies FromWriter);
      }
    }
    if (queue.length > 0) schedule(0);
    else if (closing) finishClose();
  }

  port.on('message', (msg: ToWriter) => {
    if (msg.type === 'call') {
      queue.push({ id: msg.id, call: msg.call, events: msg.call.ids.length });
      schedule(0);
    } else if (msg.type === 'pragma') {
      port.postMessage({ type: 'pragma', id: msg.id, value: pragma(db, msg.name, msg.value) } satisfies FromWriter);
    } else if (msg.type === 'crashAt') {
      crashTest?.arm(msg.step);
    } else if (msg.type === 'close') {
      closing = true;
      if (queue.length === 0 && !scheduled) finishClose(); // else the last flush closes
    }
  });
  port.postMessage({ type: 'ready' } satisfies FromWriter);
}

// ---------------------------------------------------------------------------------------------------
// test hook: a crash at a write step

/** The exit code of a writer thread that crashed on purpose (crashAt): the store counts these. */
export const CRASH_TEST_EXIT_CODE = 86;

interface CrashTestConnection {
  db: DatabaseSync;
  /** The thread exits at write step `step` (1-based) of the next transaction; past its last step, nothing happens. */
  arm(step: number): void;
}

/**
 * Test hook: the writer's connection, seen through a proxy that counts the write steps of each
 * transaction: every run of an INSERT, UPDATE or DELETE, then COMMIT, then "after COMMIT" (before the
 * writer answers). Armed at step n, the thread exits right there, as a crashed process would: before
 * COMMIT SQLite keeps nothing of the transaction, after it the caller never hears of the commit. The
 * writer itself is unchanged and production connections are never wrapped.
 */
function crashTestConnection(db: DatabaseSync): CrashTestConnection {
  let armed = 0;
  let step = 0;
  const at = (): void => {
    if (armed > 0 && ++step === armed) process.exit(CRASH_TEST_EXIT_CODE); // a worker's exit ends the thread only
  };
  const kindOf = (sql: string): 'begin' | 'write' | 'commit' | 'other' => {
    const verb = /^\s*(\w+)/.exec(sql)?.[1]?.toUpperCase();
    if (verb === 'BEGIN') return 'begin';
    if (verb === 'COMMIT' || verb === 'END') return 'commit';
    return verb === 'INSERT' || verb === 'UPDATE' || verb === 'DELETE' || verb === 'REPLACE' ? 'write' : 'other';
  };
  const around = <T>(sql: string, run: () => T): T => {
    const kind = kindOf(sql);
    if (kind === 'begin') step = 0;
    if (kind === 'write' || kind === 'commit') at();
    const result = run();
    if (kind === 'commit') {
      at(); // committed, not yet answered
      armed = 0; // the transaction had fewer steps: disarmed
    }
    return result;
  };
  const bound = (target: object, key: string | symbol): unknown => {
    const value = Reflect.get(target, key) as unknown;
    return typeof value === 'function' ? value.bind(target) : value;
  };
  const statement = (s: StatementSync, sql: string): StatementSync =>
    new Proxy(s, { get: (t, key) => (key === 'run' ? (...args: Parameters<StatementSync['run']>) => around(sql, () => t.run(...args)) : bound(t, key)) });
  const proxy = new Proxy(db, {
    get: (t, key) => {
      if (key === 'prepare') return (sql: string, ...rest: unknown[]) => statement((t.prepare as (sql: string, ...r: unknown[]) => StatementSync)(sql, ...rest), sql);
      if (key === 'exec') return (sql: string) => around(sql, () => t.exec(sql));
      return bound(t, key);
    },
  });
  return {
    db: proxy,
    arm: (n) => {
      armed = n;
      step = 0;
    },
  };
}

if (!isMainThread && (workerData as Partial<WriterWorkerData> | null)?.kind === WRITER_WORKER_KIND) runWriterWorker(workerData as WriterWorkerData);
