import { availableParallelism } from 'node:os';
import { extname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { CounterRow, SessionSummary, SpanDocument, TraceSummary } from '@temps/domain';
import { InvalidCursorError, QueryTimeoutError, type Page, type PageQuery, type TraceQueries, type TraceQuery } from '../trace-read-store';
import type { QueryMethod, QueryReply, QueryRequest, QueryWorkerData } from './sqlite-query-worker';

/** Must equal KIND in sqlite-query-worker.ts. */
const QUERY_WORKER_KIND = 'temps-query-thread';
/** The thread's entry and the adapter it loads: this module's siblings (.js in dist, .ts sources in tests). */
const ENTRY = join(__dirname, `sqlite-query-worker${extname(__filename)}`);
const ADAPTER = join(__dirname, `sqlite-trace-read-store${extname(__filename)}`);
/**
 * A thread stops an over-budget search itself (see withDeadline) and answers at the deadline. One that has
 * not answered this long after it is stuck in one statement (a read the budget does not reach): the
 * request is answered 503 and the thread replaced.
 */
const STUCK_GRACE_MS = 1000;

export interface SqliteQueryThreadsOptions {
  /** Threads (each with its own connection); default half the cores (1 on 2 cores: the other is ingest's), at most 4. */
  threads?: number;
  /** Time budget of one call, from its arrival (TEMPS_QUERY_TIMEOUT_MS); default 10 s. */
  timeoutMs?: number;
}

interface Pending {
  resolve: (value: unknown) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

/** One query thread, started on its first call and replaced when it dies or gets stuck. */
class QueryThread {
  private worker: Worker | null = null;
  /** The thread has opened its connection (a slow start is not a stuck query). */
  private ready = false;
  readonly pending = new Map<number, Pending>();
  private nextId = 0;

  constructor(private readonly data: QueryWorkerData) {}

  call(method: QueryMethod, args: unknown[], deadline: number, budgetMs: number): Promise<unknown> {
    const worker = (this.worker ??= this.start());
    const id = ++this.nextId;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => this.overdue(worker, id, budgetMs), Math.max(0, deadline - Date.now()) + STUCK_GRACE_MS);
      timer.unref();
      this.pending.set(id, { resolve, reject, timer });
      worker.postMessage({ id, method, args, deadline, budgetMs } satisfies QueryRequest);
    });
  }

  private start(): Worker {
    const worker = new Worker(ENTRY, {
      workerData: this.data,
      name: 'temps-query',
      // under jest the entry is the .ts source, which Node loads as an ES module after a CommonJS attempt: quiet
      ...(ENTRY.endsWith('.ts') ? { execArgv: [...process.execArgv, '--disable-warning=MODULE_TYPELESS_PACKAGE_JSON'] } : {}),
    });
    worker.unref();
    this.ready = false;
    worker.on('message', (reply: QueryReply | 'ready') => {
      if (reply === 'ready') return void (this.ready = true);
      const p = this.pending.get(reply.id);
      if (!p) return;
      this.pending.delete(reply.id);
      clearTimeout(p.timer);
      if ('error' in reply) p.reject(reviveError(reply.error));
      else p.resolve(reply.value);
    });
    const gone = (err: Error) => {
      if (this.worker !== worker) return;
      this.worker = null;
      this.failAll(err);
    };
    worker.on('error', gone);
    worker.on('exit', (code) => gone(new Error(`query thread exited (code ${code})`)));
    return worker;
  }

  /**
   * Past the deadline and the grace: the call answers 503. If the thread is up, it is stuck in one
   * statement: everything queued on it answers 503 too, and the next call starts a fresh thread.
   */
  private overdue(worker: Worker, id: number, budgetMs: number): void {
    const p = this.pending.get(id);
    if (!p || this.worker !== worker) return;
    if (!this.ready) {
      this.pending.delete(id);
      return p.reject(new QueryTimeoutError(budgetMs));
    }
    this.worker = null;
    this.failAll(new QueryTimeoutError(budgetMs));
    void worker.terminate();
  }

  private failAll(err: Error): void {
    for (const p of this.pending.values()) (clearTimeout(p.timer), p.reject(err));
    this.pending.clear();
  }

  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = null;
    this.failAll(new Error('the read store is closed'));
    if (!worker) return;
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    worker.postMessage('close');
    const timer = setTimeout(() => void worker.terminate(), 2000);
    await exited;
    clearTimeout(timer);
  }
}

/** Errors the callers tell apart keep their class across the thread boundary. */
function reviveError(e: { name: string; message: string }): Error {
  if (e.name === 'InvalidCursorError') return new InvalidCursorError();
  if (e.name === 'QueryTimeoutError') return Object.assign(new QueryTimeoutError(0), { message: e.message });
  return Object.assign(new Error(e.message), { name: e.name });
}

/**
 * TraceQueries of the embedded store answered on query threads, off the thread that takes ingest: a
 * search over a big project costs those threads (and a share of the cores), never the event loop that
 * acknowledges exports and answers /healthz. Each call has a time budget counted from its arrival
 * (queueing included): a search still running at its end is stopped and the call fails with
 * QueryTimeoutError (503). A call goes to the thread with the fewest calls waiting.
 */
export class SqliteQueryThreads implements TraceQueries {
  private readonly threads: QueryThread[];
  readonly timeoutMs: number;

  constructor(path: string, options: SqliteQueryThreadsOptions = {}) {
    const count = options.threads ?? Math.min(4, Math.max(1, Math.floor(availableParallelism() / 2)));
    if (!Number.isSafeInteger(count) || count < 1) throw new RangeError(`query threads must be a positive integer, got ${count}`);
    this.timeoutMs = options.timeoutMs ?? 10_000;
    if (!(this.timeoutMs > 0)) throw new RangeError(`the query time budget must be a positive number of ms, got ${this.timeoutMs}`);
    const data: QueryWorkerData = { kind: QUERY_WORKER_KIND, module: ADAPTER, path };
    this.threads = Array.from({ length: count }, () => new QueryThread(data));
  }

  private call<T>(method: QueryMethod, ...args: unknown[]): Promise<T> {
    const thread = this.threads.reduce((a, b) => (b.pending.size < a.pending.size ? b : a));
    return thread.call(method, args, Date.now() + this.timeoutMs, this.timeoutMs) as Promise<T>;
  }

  listTraces(projectId: string, query: TraceQuery): Promise<Page<TraceSummary>> {
    return this.call('listTraces', projectId, query);
  }

  listServiceNames(projectId: string): Promise<string[]> {
    return this.call('listServiceNames', projectId);
  }

  getTrace(projectId: string, traceId: string): Promise<{ trace: TraceSummary; spans: SpanDocument[] } | null> {
    return this.call('getTrace', projectId, traceId);
  }

  counterRows(range: { from: string; to: string }): Promise<CounterRow[]> {
    return this.call('counterRows', range);
  }

  listSessions(projectId: string, query: PageQuery): Promise<Page<SessionSummary>> {
    return this.call('listSessions', projectId, query);
  }

  getSession(projectId: string, sessionId: string): Promise<SessionSummary | null> {
    return this.call('getSession', projectId, sessionId);
  }

  listSessionTraces(projectId: string, sessionId: string, query: PageQuery): Promise<Page<TraceSummary>> {
    return this.call('listSessionTraces', projectId, sessionId, query);
  }

  async close(): Promise<void> {
    await Promise.all(this.threads.map((t) => t.close()));
  }
}
