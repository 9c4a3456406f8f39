import { DynamicModule, Module, type OnApplicationBootstrap } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import type { Logger } from 'pino';
import { AccessModule } from '@temps/access';
import { EVENT_STORE, type EventStore } from '@temps/event-store';
import { TraceProjectorService, type StoresConfig } from '@temps/projector';
import { TRACE_READ_STORE, type TraceReadStore } from '@temps/read-store';
import { GatewayTracer } from '@temps/gateway';
import { LiveGateway } from '@temps/realtime';
import { METRICS_TOKEN, MetricsController } from './metrics.controller';
import { ReadinessProbe } from './readiness-probe';
import { ReadyzController, TEMPS_LOGGER } from './readyz.controller';
import type { DrainState } from './request-operations.middleware';
import type { ProjectionStatusSource } from './temps-metrics';
import { TempsMetrics } from './temps-metrics';

export interface OperationsOptions {
  metrics: TempsMetrics;
  logger: Logger;
  drain: DrainState;
  /** The stores' config: the embedded ones are probed for writes too. */
  stores: StoresConfig;
  /** Serve GET /metrics on the main port (false when it has its own, TEMPS_METRICS_PORT). */
  metricsRoute: boolean;
  metricsToken: string | null;
  readyMaxLagSeconds: number;
}

/** Hands the projector's status to the readiness probe once it is known. */
const PROJECTION_SOURCE = Symbol('ProjectionSource');

/** Finds what this role runs (no projector in an ingest process, no gateway either) once the app is up. */
function optional<T>(moduleRef: ModuleRef, token: abstract new (...args: never[]) => T): T | null {
  try {
    return moduleRef.get(token as never, { strict: false }) as T;
  } catch {
    return null;
  }
}

/** GET /metrics (unless on its own port), GET /readyz, and the metrics read from the projector and the gateway at scrape time. */
@Module({})
export class OperationsModule implements OnApplicationBootstrap {
  constructor(
    private readonly moduleRef: ModuleRef,
    private readonly metrics: TempsMetrics,
  ) {}

  /** The app's root: `serve` (ServeModule.with(...)) plus the operations routes. */
  static around(serve: DynamicModule, o: OperationsOptions): DynamicModule {
    let projection: ProjectionStatusSource | null = null;
    // The stores the serve module opened (EVENT_STORE, and TRACE_READ_STORE where this role serves queries).
    const probe = (events: EventStore, reads: TraceReadStore | undefined) =>
      new ReadinessProbe({ events, reads: reads ?? null, stores: o.stores, projection: () => projection, maxLagSeconds: o.readyMaxLagSeconds, drain: o.drain });
    return {
      module: OperationsModule,
      // AccessModule: the metrics route checks admin keys (one AccessService per app, shared with the others).
      imports: [serve, AccessModule],
      controllers: [ReadyzController, ...(o.metricsRoute ? [MetricsController] : [])],
      providers: [
        { provide: TempsMetrics, useValue: o.metrics },
        { provide: ReadinessProbe, useFactory: probe, inject: [EVENT_STORE, { token: TRACE_READ_STORE, optional: true }] },
        { provide: TEMPS_LOGGER, useValue: o.logger },
        { provide: METRICS_TOKEN, useValue: o.metricsToken },
        // The projector's status, once the app (and so the projector, if this role has one) is up.
        { provide: PROJECTION_SOURCE, useValue: (source: ProjectionStatusSource) => (projection = source) },
      ],
    };
  }

  onApplicationBootstrap(): void {
    const projector = optional(this.moduleRef, TraceProjectorService);
    const gateway = optional(this.moduleRef, LiveGateway);
    if (projector) {
      const source: ProjectionStatusSource = () => projector.status();
      this.metrics.observeProjection(source);
      this.moduleRef.get<(s: ProjectionStatusSource) => void>(PROJECTION_SOURCE)(source);
    }
    if (gateway) this.metrics.observeSocketClients(() => gateway.connectedSockets);
    const aiGateway = optional(this.moduleRef, GatewayTracer);
    aiGateway?.observeCalls((provider, outcome) => this.metrics.gatewayCall(provider, outcome));
  }
}
