import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { EVENT_STORE, type EventStore } from '@temps/event-store';
import { ProjectionRunner } from '@temps/projection-runtime';
import { TRACE_READ_STORE, type TraceReadStore } from '@temps/read-store';
import { LiveGateway } from '@temps/realtime';
import { TraceProjectionHandler } from './trace-projection.handler';

/** Runs the trace projection for the life of the app and pushes each commit to the live gateway. */
@Injectable()
export class TraceProjectorService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Projector');
  readonly runner: ProjectionRunner;

  constructor(
    @Inject(EVENT_STORE) events: EventStore,
    @Inject(TRACE_READ_STORE) store: TraceReadStore,
    live: LiveGateway,
  ) {
    const handler = new TraceProjectionHandler(store, (traces) => live.publishTraces(traces));
    this.runner = new ProjectionRunner(events, handler, {
      onError: (err) => this.logger.error(`trace projection failed, retrying: ${(err as Error).stack ?? String(err)}`),
    });
  }

  onApplicationBootstrap(): Promise<void> {
    return this.runner.start();
  }

  onApplicationShutdown(): Promise<void> {
    return this.runner.stop();
  }
}
