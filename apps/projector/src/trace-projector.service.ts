import { extname, join } from 'node:path';
import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap, Optional } from '@nestjs/common';
import { TRACE_PROJECTION, type TraceSummary } from '@temps/domain';
import { EVENT_STORE, type EventStore } from '@temps/event-store';
import { ProjectionThread, type BlueGreenProjection, type LeasedProjection, type ProjectionStatus } from '@temps/projection-runtime';
import { TRACE_READ_STORE, type TraceReadStore } from '@temps/read-store';
import { LiveUpdates } from '@temps/realtime';
import { DIALECT_MAPPERS, type DialectMapperRef } from './dialect-mappers.module';
import { loadDialectMappers } from './load-dialect-mappers';
import { loadReadModelExtensions, READ_MODEL_EXTENSIONS, type ReadModelExtensionRef } from './read-model-extensions.module';
import { PROJECTOR_OPTIONS, type ProjectorOptions } from './projector-options';
import { createLeasedTraceProjection, createTraceProjection } from './create-trace-projection';

/** What the projector thread runs: this module's sibling, .ts under jest, .js in dist. */
const THREAD_MODULE = join(__dirname, `trace-projector.worker${extname(__filename)}`);

/**
 * Runs the trace projection for the life of the app and pushes each commit to the live gateway (LiveUpdates:
 * this process's sockets at once, and the shared channel in the read store for the other instances).
 * With ProjectorOptions.run false (TEMPS_PROJECTOR=off) it does not project: another process does, and this
 * one serves its commits from the shared channel.
 *
 * With PROJECTOR_OPTIONS.thread (what `temps serve` does by default) the projection runs on a worker
 * thread with its own connections, so reading, folding and committing do not compete with ingest and
 * queries on this thread; this thread forwards append signals to it and publishes what it commits.
 * Without it, the runner runs here on the injected stores (in-process mode).
 */
@Injectable()
export class TraceProjectorService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Projector');
  private readonly projection: BlueGreenProjection | LeasedProjection | ProjectionThread;
  readonly mode: 'thread' | 'in-process';
  /** False: another process projects (TEMPS_PROJECTOR=off). */
  readonly runs: boolean;
  private readonly leased: boolean;

  constructor(
    @Inject(EVENT_STORE) events: EventStore,
    @Inject(TRACE_READ_STORE) private readonly store: TraceReadStore,
    live: LiveUpdates,
    @Optional() @Inject(PROJECTOR_OPTIONS) options?: ProjectorOptions | null,
    @Optional() @Inject(DIALECT_MAPPERS) dialects?: readonly DialectMapperRef[] | null,
    @Optional() @Inject(READ_MODEL_EXTENSIONS) readModels?: readonly ReadModelExtensionRef[] | null,
  ) {
    // Loaded here in both modes: a bad registration fails the app's start with its own message.
    const extraMappers = loadDialectMappers(dialects ?? []);
    const extensions = loadReadModelExtensions(readModels ?? []);
    const thread = options?.thread;
    this.runs = options?.run !== false;
    this.leased = Boolean(options?.lease);
    if (thread) {
      this.mode = 'thread';
      this.projection = new ProjectionThread(events, {
        name: TRACE_PROJECTION.name,
        module: THREAD_MODULE,
        export: 'runTraceProjectorThread',
        // liveOrigin: the thread writes each commit to the shared channel itself, right after it (as this process)
        data: { ...thread, idlePollMs: options?.idlePollMs, dialects: dialects ?? [], readModels: readModels ?? [], lease: options?.lease ?? null, liveOrigin: live.shared ? live.instanceId : null },
        threadName: 'temps-projector',
        nice: options?.threadNice,
        onPublished: (traces) => live.deliverLocally(traces as TraceSummary[]),
        onError: (message) => this.logger.error(message),
      });
    } else {
      this.mode = 'in-process';
      const wiring = {
        events,
        reads: store,
        extraMappers,
        extensions,
        onCommitted: (traces: TraceSummary[]) => live.publish(traces),
        onError: (err: unknown) => this.logger.error(`trace projection failed, retrying: ${(err as Error).stack ?? String(err)}`),
        log: (message: string) => this.logger.log(message),
        idlePollMs: options?.idlePollMs,
      };
      this.projection = options?.lease ? createLeasedTraceProjection({ ...wiring, lease: options.lease }) : createTraceProjection(wiring);
    }
  }

  /** Resolves once every event committed before this call is in the read model. */
  whenCaughtUp(timeoutMs?: number): Promise<void> {
    return this.projection.whenCaughtUp(timeoutMs);
  }

  /**
   * Whether this process writes the projection right now: it projects, and (under a lease) it holds the
   * lease by its own account AND the store still names it, at that epoch and unexpired (a holder that was
   * taken over between two renewals has not noticed yet). Unleased: whenever it projects.
   */
  async holdsLease(): Promise<boolean> {
    if (!this.runs) return false;
    if (!this.leased) return true;
    const mine = (await this.projection.status()).lease;
    if (mine?.role !== 'holder') return false;
    const current = await this.store.currentLease(TRACE_PROJECTION.name);
    return current !== null && current.holder === mine.holder && current.epoch === mine.epoch && current.expiresAt > Date.now();
  }

  status(): Promise<ProjectionStatus> {
    return this.projection.status();
  }

  onApplicationBootstrap(): Promise<void> {
    if (!this.runs) {
      this.logger.log('projection off (TEMPS_PROJECTOR=off): another process projects; live updates come through the shared channel');
      return Promise.resolve();
    }
    return this.projection.start();
  }

  /** Before the stores close (EventStoreModule and ReadStoreModule close them in onApplicationShutdown). */
  beforeApplicationShutdown(): Promise<void> {
    if (!this.runs) return Promise.resolve();
    return this.projection.stop();
  }
}
