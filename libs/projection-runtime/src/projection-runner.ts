import type { LeaseStatus } from './leased-projection';
import { type EventStore, type RecordedEvent } from '@temps/event-store';

/** What a runner drives: where it stands, and how to apply one batch (documents + checkpoint, atomically). */
export interface ProjectionHandler {
  readonly name: string;
  checkpoint(): Promise<bigint | null>;
  /** Must write its documents and `lastPosition` as its checkpoint together. */
  apply(events: RecordedEvent[], lastPosition: bigint): Promise<void>;
  /**
   * A store that cannot commit atomically records each batch's end before writing it: after a crash
   * the runner re-applies exactly that batch (no event past it), which the store's guards make exact.
   */
  pendingBatchEnd?(): Promise<bigint | null>;
}

export interface ProjectionStatus {
  name: string;
  position: bigint | null;
  head: bigint;
  lagEvents: number;
  /** How long the oldest event not yet applied has been in the log (0 when caught up). */
  lagSeconds: number;
  /** rebuilding: an older version's documents serve, frozen, while this version builds (BlueGreenProjection). */
  /** standby: another projector holds the projection's lease (LeasedProjection); position and lag are its, read from the store. */
  state: 'starting' | 'running' | 'caught-up' | 'failed' | 'stopped' | 'rebuilding' | 'standby';
  lastError: string | null;
  /** Batches this runner applied since it started, and the time their apply took (for /metrics); absent while unknown. */
  batches?: BatchStats;
  /** Where the projection runs under a lease (LeasedProjection): whether this projector holds it or stands by. */
  lease?: LeaseStatus;
}

export interface BatchStats {
  count: number;
  events: number;
  seconds: number;
  lastSeconds: number;
}

export interface ProjectionRunnerOptions {
  batchSize?: number;
  /** Poll interval when idle, for events appended by another process. */
  idlePollMs?: number;
  onError?: (err: unknown) => void;
}

/**
 * Pulls events after the handler's checkpoint, in batches, and applies them. Pull is the
 * backpressure: a slow read model slows the reading, never the ingest.
 */
export class ProjectionRunner {
  private running = false;
  private loop: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  private position: bigint | null = null;
  private state: ProjectionStatus['state'] = 'starting';
  private lastError: string | null = null;
  private readonly waiters = new Set<{ target: bigint; resolve: () => void }>();
  private unsubscribe: (() => void) | null = null;
  /** Set when an append was signalled while the loop was busy, so it does not sleep past it. */
  private pending = false;
  /** End of a batch a crash interrupted: the next batch stops there (see ProjectionHandler.pendingBatchEnd). */
  private replayUpTo: bigint | null = null;
  private readonly batches: BatchStats = { count: 0, events: 0, seconds: 0, lastSeconds: 0 };

  constructor(
    private readonly events: EventStore,
    private readonly handler: ProjectionHandler,
    private readonly options: ProjectionRunnerOptions = {},
  ) {}

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.position = await this.handler.checkpoint();
    const pending = (await this.handler.pendingBatchEnd?.()) ?? null;
    // Only a batch past the checkpoint is replayed (a cap at or before it would hold every later batch back).
    this.replayUpTo = pending !== null && (this.position === null || pending > this.position) ? pending : null;
    this.unsubscribe = this.events.onAppended(() => this.notify());
    this.loop = this.run();
  }

  /**
   * Wake-up hint: events were appended. The store's own `onAppended` calls it; so can whoever learns of
   * appends another way (a projection thread is told by the thread that writes, see ProjectionThread).
   */
  notify(): void {
    this.pending = true;
    this.wake?.();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.unsubscribe?.();
    this.wake?.();
    await this.loop;
    this.state = 'stopped';
  }

  /** Resolves once every event committed before this call has been applied. */
  async whenCaughtUp(timeoutMs = 30_000): Promise<void> {
    const target = await this.events.headPosition();
    if (this.position !== null && this.position >= target) return;
    if (target < 0n) return;
    await new Promise<void>((resolve, reject) => {
      const waiter = { target, resolve: () => (clearTimeout(timer), resolve()) };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new Error(`projection ${this.handler.name} did not reach position ${target} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.add(waiter);
      this.wake?.();
    });
  }

  async status(): Promise<ProjectionStatus> {
    const head = await this.events.headPosition();
    const position = this.position;
    const lagEvents = Math.max(0, Number(head - (position ?? -1n)));
    const [oldest] = lagEvents > 0 ? await this.events.readAll({ after: position ?? undefined, limit: 1 }) : [];
    return {
      name: this.handler.name,
      position,
      head,
      lagEvents,
      lagSeconds: oldest ? Math.max(0, (Date.now() - Date.parse(oldest.created)) / 1000) : 0,
      state: this.state,
      lastError: this.lastError,
      batches: { ...this.batches },
    };
  }

  private async run(): Promise<void> {
    const batchSize = this.options.batchSize ?? 500;
    let failures = 0;
    while (this.running) {
      try {
        this.pending = false;
        let batch = await this.events.readAll({ after: this.position ?? undefined, limit: batchSize });
        const replayUpTo = this.replayUpTo;
        if (replayUpTo !== null) batch = batch.filter((e) => e.position <= replayUpTo);
        if (batch.length > 0) {
          const last = batch[batch.length - 1]!.position;
          const started = performance.now();
          await this.handler.apply(batch, last);
          this.countBatch(batch.length, (performance.now() - started) / 1000);
          this.position = last;
          this.replayUpTo = null;
          this.state = 'running';
          failures = 0;
          this.releaseWaiters();
          if (batch.length === batchSize || replayUpTo !== null) continue;
        }
        this.state = 'caught-up';
        this.lastError = null;
        this.releaseWaiters();
        await this.sleep(this.options.idlePollMs ?? 250);
      } catch (err) {
        // Keep the checkpoint, back off, retry: a failed batch is applied again, which is safe (idempotent).
        failures++;
        this.state = 'failed';
        this.lastError = err instanceof Error ? err.message : String(err); // stores name their cause (disk full) in the message
        this.options.onError?.(err);
        await this.sleep(Math.min(5000, 100 * 2 ** Math.min(failures, 6)));
      }
    }
  }

  private countBatch(events: number, seconds: number): void {
    this.batches.count++;
    this.batches.events += events;
    this.batches.seconds += seconds;
    this.batches.lastSeconds = seconds;
  }

  private releaseWaiters(): void {
    for (const w of this.waiters) {
      if (this.position !== null && this.position >= w.target) {
        this.waiters.delete(w);
        w.resolve();
      }
    }
  }

  private sleep(ms: number): Promise<void> {
    if (this.pending || !this.running) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = () => {
        this.wake = null;
        done();
      };
    });
  }
}
