import { access } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { EventStore } from '@temps/event-store';
import type { ProjectionStatus } from './projection-runner';
import type { ProjectionWorkerData } from './projection-worker-entry';

// ---------------------------------------------------------------------------------------------------
// wire format between ProjectionThread (the parent) and hostProjection (in the thread)

export type ToProjectionThread =
  /** Events were appended (the parent's store signalled it): apply them now rather than at the next poll. */
  | { type: 'wake' }
  | { type: 'status'; id: number }
  /** Finish the batch in hand, close the connections, exit. */
  | { type: 'stop' }
  /** Test hook: the thread throws an uncaught exception. */
  | { type: 'crash' };

export type FromProjectionThread =
  /** The runner started at this checkpoint. */
  | { type: 'ready'; position: bigint | null }
  /** What the projection published after a commit (structured clone). */
  | { type: 'published'; payload: unknown }
  /** A batch was applied up to this position (documents and checkpoint committed). */
  | { type: 'applied'; position: bigint }
  /** A batch failed; the runner retries it (with back-off). */
  | { type: 'error'; message: string }
  /** null: the thread could not read its status (e.g. the head). */
  | { type: 'status'; id: number; status: ProjectionStatus | null };

/** Must equal KIND in projection-worker-entry.ts (this file imports only its types, see there). */
const PROJECTION_WORKER_KIND = 'temps-projection-thread';
/** The thread's entry: this module's sibling, .js in dist (in tests the .ts source, whose types Node strips). */
const ENTRY = join(__dirname, `projection-worker-entry${extname(__filename)}`);
/** A thread that dies sooner than this after its start is restarted with a growing delay. */
const STABLE_THREAD_MS = 5000;
const MIN_RESTART_DELAY_MS = 100;
const MAX_RESTART_DELAY_MS = 5000;
/** status() waits this long for the thread (busy with a batch) before answering from what it knows. */
const STATUS_TIMEOUT_MS = 5000;
/** stop() gives the thread this long to finish its batch, close and exit before terminating it. */
const STOP_GRACE_MS = 10_000;

/**
 * Starts a thread that runs `module`'s export `(data, parentPort)` (see projection-worker-entry.ts): the
 * .ts source under jest, the .js in dist. Used for the projection thread and a bulk load's partitions.
 */
export function startModuleThread(options: { module: string; export: string; data: unknown; name: string; nice?: number }): Worker {
  return new Worker(ENTRY, {
    workerData: {
      kind: PROJECTION_WORKER_KIND,
      module: options.module,
      export: options.export,
      data: options.data,
      ...(options.nice ? { nice: options.nice } : {}),
    } satisfies ProjectionWorkerData,
    name: options.name,
    // under jest the entry is the .ts source, which Node loads as an ES module after a CommonJS attempt: quiet
    ...(ENTRY.endsWith('.ts') ? { execArgv: [...process.execArgv, '--disable-warning=MODULE_TYPELESS_PACKAGE_JSON'] } : {}),
  });
}

export interface ProjectionThreadOptions {
  /** The projection's name (its handler's), for status() while the thread is not up. */
  name: string;
  /**
   * The module the thread runs (absolute path: its .ts source under jest, its .js in dist) and its export
   * that hosts the projection: `(data, port) => hostProjection(port, ...)`. The thread opens its own
   * connections there.
   */
  module: string;
  export: string;
  /** Input of that export (structured clone): e.g. the paths of the stores. */
  data: unknown;
  /** Called on this thread with what the projection published after each commit. */
  onPublished?: (payload: unknown) => void;
  /** A failure in the thread, to log: a batch that failed (retried), a crash (the thread is restarted). */
  onError?: (message: string) => void;
  threadName?: string;
  /**
   * Scheduling niceness of the thread, 1-19 (Linux; ignored elsewhere): a projector below ingest's
   * priority yields the cores to it under load and catches up when ingest is idle.
   */
  nice?: number;
}

interface Waiter {
  target: bigint;
  resolve: () => void;
  reject: (err: Error) => void;
}

/**
 * Runs a projection (ProjectionRunner + handler) on a worker thread of this process, so that its reads,
 * folds and commits do not compete with the caller's event loop. Same surface as ProjectionRunner
 * (start, stop, whenCaughtUp, status).
 *
 * `events` is the caller's own event store: its `onAppended` signal is forwarded to the thread (the
 * thread's read-only connection cannot see appends made here; it still polls for other processes'),
 * and its head is whenCaughtUp's target. A thread that crashes is logged and restarted: it resumes at
 * its checkpoint, and a batch applied twice is harmless (the handler's commit is idempotent).
 */
export class ProjectionThread {
  private worker: Worker | undefined;
  private ready = false;
  private running = false;
  private workerStartedAt = 0;
  private restartDelayMs = 0;
  private restartTimer: NodeJS.Timeout | undefined;
  private unsubscribe: (() => void) | null = null;
  /** Last checkpoint the thread reported. */
  private position: bigint | null = null;
  /** Why the thread is down or failing, for status(). */
  private lastError: string | null = null;
  private crashed = false;
  private nextId = 0;
  private readonly statusRequests = new Map<number, (status: ProjectionStatus | null) => void>();
  private readonly waiters = new Set<Waiter>();
  /** start() resolves once the first thread is ready (or has died: the restarts then go on alone). */
  private firstStart: (() => void) | undefined;

  constructor(
    private readonly events: Pick<EventStore, 'headPosition' | 'onAppended'>,
    private readonly options: ProjectionThreadOptions,
  ) {}

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.unsubscribe = this.events.onAppended(() => this.wake());
    // libuv's thread pool serves every thread of the process (ingest's gzip and file work too) and is made by
    // the first thread that uses it; threads inherit their creator's niceness: make it here, not in a
    // lowered projection thread.
    if (this.options.nice) await access(ENTRY);
    await new Promise<void>((resolve) => {
      this.firstStart = resolve;
      this.spawn();
    });
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.unsubscribe?.();
    this.unsubscribe = null;
    clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    for (const w of this.waiters) w.reject(new Error(`projection ${this.options.name} stopped`));
    this.waiters.clear();
    const worker = this.worker;
    if (!worker) return;
    worker.ref();
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    worker.postMessage({ type: 'stop' } satisfies ToProjectionThread);
    const grace = setTimeout(() => void worker.terminate(), STOP_GRACE_MS);
    await exited;
    clearTimeout(grace);
  }

  /** Wake-up hint: events were appended. */
  wake(): void {
    if (this.ready) this.worker?.postMessage({ type: 'wake' } satisfies ToProjectionThread);
  }

  /** Resolves once every event committed (in `events`) before this call has been applied. */
  async whenCaughtUp(timeoutMs = 30_000): Promise<void> {
    const target = await this.events.headPosition();
    if (this.position !== null && this.position >= target) return;
    if (target < 0n) return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new Error(`projection ${this.options.name} did not reach position ${target} within ${timeoutMs} ms`));
      }, timeoutMs);
      const waiter: Waiter = {
        target,
        resolve: () => (clearTimeout(timer), resolve()),
        reject: (err) => (clearTimeout(timer), reject(err)),
      };
      this.waiters.add(waiter);
      this.wake();
    });
  }

  /** The runner's own status, asked of the thread; while it is down (or does not answer), what this side knows. */
  async status(): Promise<ProjectionStatus> {
    const worker = this.worker;
    if (worker && this.ready) {
      const id = this.nextId++;
      const status = await new Promise<ProjectionStatus | null>((resolve) => {
        const timer = setTimeout(() => {
          this.statusRequests.delete(id);
          resolve(null);
        }, STATUS_TIMEOUT_MS);
        this.statusRequests.set(id, (s) => (clearTimeout(timer), resolve(s)));
        worker.postMessage({ type: 'status', id } satisfies ToProjectionThread);
      });
      if (status) return status;
    }
    const head = await this.events.headPosition();
    return {
      name: this.options.name,
      position: this.position,
      head,
      lagEvents: Math.max(0, Number(head - (this.position ?? -1n))),
      lagSeconds: 0, // unknown while the thread is down
      state: !this.running ? 'stopped' : this.crashed ? 'failed' : 'starting',
      lastError: this.lastError,
    };
  }

  /** Test hook: makes the thread throw an uncaught exception (it is then logged and restarted). */
  crashForTest(): void {
    this.worker?.postMessage({ type: 'crash' } satisfies ToProjectionThread);
  }

  private spawn(): void {
    this.restartTimer = undefined;
    const worker = startModuleThread({ module: this.options.module, export: this.options.export, data: this.options.data, name: this.options.threadName ?? `temps-projection-${this.options.name}`, nice: this.options.nice });
    this.worker = worker;
    this.ready = false;
    this.workerStartedAt = Date.now();
    worker.unref(); // the app keeps the process alive, not its projection
    worker.on('message', (msg: FromProjectionThread) => this.worker === worker && this.onMessage(msg));
    worker.on('error', (err) => {
      if (this.worker !== worker) return;
      this.lastError = `the projection thread crashed: ${err.message}`;
      this.options.onError?.(`projection ${this.options.name}: the thread crashed: ${err.stack ?? err.message}`);
    });
    worker.on('exit', (code) => this.worker === worker && this.onExit(code));
  }

  private onMessage(msg: FromProjectionThread): void {
    switch (msg.type) {
      case 'ready':
        this.ready = true;
        this.crashed = false;
        // Batches applied while the thread started may have been reported already: never move back.
        if (msg.position !== null && (this.position === null || msg.position > this.position)) this.position = msg.position;
        this.releaseWaiters();
        this.firstStart?.();
        this.firstStart = undefined;
        // appended while the thread was starting: its runner read them (it starts with a read)
        break;
      case 'published':
        try {
          this.options.onPublished?.(msg.payload);
        } catch (err) {
          this.options.onError?.(`projection ${this.options.name}: publishing a commit failed: ${(err as Error).stack ?? String(err)}`);
        }
        break;
      case 'applied':
        // A batch applied: the thread is up (its first batches may come before its 'ready').
        this.ready = true;
        this.crashed = false;
        this.position = msg.position;
        this.lastError = null;
        this.releaseWaiters();
        break;
      case 'error':
        this.lastError = msg.message.split('\n')[0]!;
        this.options.onError?.(`projection ${this.options.name} failed, retrying: ${msg.message}`);
        break;
      case 'status':
        this.statusRequests.get(msg.id)?.(msg.status);
        this.statusRequests.delete(msg.id);
        break;
    }
  }

  private onExit(code: number): void {
    this.worker = undefined;
    this.ready = false;
    for (const answer of this.statusRequests.values()) answer(null);
    this.statusRequests.clear();
    this.firstStart?.();
    this.firstStart = undefined;
    if (!this.running) return;
    // Restart: at once after a long life, with a growing delay when it keeps dying (e.g. cannot open a file).
    const lived = Date.now() - this.workerStartedAt;
    this.restartDelayMs = lived >= STABLE_THREAD_MS ? MIN_RESTART_DELAY_MS : Math.min(MAX_RESTART_DELAY_MS, Math.max(MIN_RESTART_DELAY_MS, this.restartDelayMs * 2));
    this.crashed = true;
    this.lastError ??= `the projection thread stopped (exit code ${code})`;
    this.options.onError?.(`projection ${this.options.name}: the thread stopped (exit code ${code}); restarting it in ${this.restartDelayMs} ms from its checkpoint`);
    this.restartTimer = setTimeout(() => this.spawn(), this.restartDelayMs);
    this.restartTimer.unref();
  }

  private releaseWaiters(): void {
    for (const w of this.waiters) {
      if (this.position !== null && this.position >= w.target) {
        this.waiters.delete(w);
        w.resolve();
      }
    }
  }
}
