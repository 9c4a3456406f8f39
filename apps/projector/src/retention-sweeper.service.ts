import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap, Optional } from '@nestjs/common';
import { AccessService } from '@temps/access';
import { EVENT_STORE, type EventStore } from '@temps/event-store';
import { TRACE_READ_STORE, type TraceReadStore } from '@temps/read-store';
import { RETENTION_OPTIONS, RetentionSweeper, retentionOptionsFromEnv, type RetentionOptions, type RetentionSweepResult } from './retention-sweeper';
import { TraceProjectorService } from './trace-projector.service';

/** The first sweep waits this long after start (at most one interval): the projector catches up first. */
const FIRST_SWEEP_MS = 10_000;

/**
 * Runs the retention sweep on the projector's side, one sweep at a time: after the projector has folded
 * every event committed so far (the last sweep's TracesExpired included), then every interval. Only the
 * process holding the projection's lease sweeps (a standby skips the tick), and it stops before the next
 * page once it no longer holds it: one writer deletes streams and appends TracesExpired, as one projects.
 */
@Injectable()
export class RetentionSweeperService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Retention');
  private readonly sweeper: RetentionSweeper;
  private readonly options: RetentionOptions;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<RetentionSweepResult | null> | null = null;
  private stopped = false;

  constructor(
    @Inject(EVENT_STORE) events: EventStore,
    @Inject(TRACE_READ_STORE) reads: TraceReadStore,
    access: AccessService,
    private readonly projector: TraceProjectorService,
    @Optional() @Inject(RETENTION_OPTIONS) options?: RetentionOptions | null,
  ) {
    this.options = options ?? retentionOptionsFromEnv();
    this.sweeper = new RetentionSweeper(events, reads, access, this.options);
  }

  onApplicationBootstrap(): void {
    this.schedule(Math.min(FIRST_SWEEP_MS, this.options.intervalMs));
  }

  /** One sweep now (or the one running), once the projector has caught up; null: none (not the lease holder, or it failed). */
  sweepNow(): Promise<RetentionSweepResult | null> {
    this.running ??= (async () => {
      try {
        if (!(await this.projector.holdsLease())) return null;
        await this.projector.whenCaughtUp(60_000);
        const result = await this.sweeper.sweep(Date.now(), () => this.projector.holdsLease());
        if (result.traces || result.logStreams || result.metricStreams) this.logger.log(`retention: deleted ${result.traces} traces, ${result.logStreams} hourly log streams and ${result.metricStreams} hourly metric streams`);
        if (result.stopped) {
          this.logger.log('retention: sweep stopped, this process no longer holds the projection lease (the holder sweeps next)');
          return result;
        }
        // The read models drop the traces when the projector folds the sweep's TracesExpired events.
        await this.projector.whenCaughtUp(60_000);
        return result;
      } catch (err) {
        this.logger.error(`retention sweep failed, retrying at the next interval: ${(err as Error).message}`);
        return null;
      } finally {
        this.running = null;
      }
    })();
    return this.running;
  }

  /** No new sweep; one under way is not waited for (it may wait on the projector, which stops now): an interrupted sweep resumes at the next start. */
  beforeApplicationShutdown(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.sweepNow().then(() => this.schedule(this.options.intervalMs)), delayMs);
    this.timer.unref();
  }
}
