import { DynamicModule, Module } from '@nestjs/common';
import { AccessModule } from '@temps/access';
import type { EventStore } from '@temps/event-store';
import { EventStoreModule } from '@temps/event-store/nest';
import { GatewayModule, gatewayOptionsFromEnv, type SecretBox } from '@temps/gateway';
import { IngestModule, ingestLimitsFromEnv } from '@temps/ingest';
import { DialectMappersModule, ProjectorModule, projectorOptionsFromEnv, type StoresConfig, ReadModelExtensionsModule } from '@temps/projector';
import { ReadStoreModule } from '@temps/read-store/nest';
import { LiveUpdateChannelModule, livePollMsFromEnv } from '@temps/realtime';
import { DemoController } from './demo/demo.controller';
import { HealthController, TEMPS_ROLE } from './health.controller';
import type { TempsRole } from './temps-config';

/**
 * `temps serve`: ingest + projector (on its own thread unless TEMPS_PROJECTOR_THREAD=0) (+ the built web app, mounted in serve.ts)
 * in one process, with the team dialect mappers of TEMPS_DIALECTS. An app that imports this module next to its
 * own DialectMappersModule.register(...) gets both. `role` (TEMPS_ROLE) keeps only one side: `ingest` (the OTLP receiver)
 * or `projector` (projection, query API, live gateway); every role answers GET /healthz.
 * The stores are opened by EventStoreModule.forRoot and (not for ingest only) ReadStoreModule.forRoot, and closed on shutdown;
 * the projector thread opens its own connections to the same stores from the plain config.
 */
@Module({})
export class ServeModule {
  /** `decorateEvents`: wraps the opened event store for every module (e.g. to time appends). */
  /** `secrets`: seals the AI Gateway's provider keys kept in events (absent: only TEMPS_AI_* environment keys work). */
  static with(config: { stores: StoresConfig; role?: TempsRole; decorateEvents?: (events: EventStore) => EventStore; secrets?: SecretBox | null }): DynamicModule {
    const { stores, role = 'all' } = config;
    const ingest = role === 'all' || role === 'ingest' ? [IngestModule.forRoot(ingestLimitsFromEnv())] : [];
    const projector =
      role === 'all' || role === 'projector'
        ? [
            ReadStoreModule.forRoot(stores.reads),
            // live updates across instances: an outbox in the read store that every instance tails
            LiveUpdateChannelModule.forRoot(stores.reads, { pollMs: livePollMsFromEnv() }),
            // the projector runs on its own thread (its own connections to the same stores) unless TEMPS_PROJECTOR_THREAD=0
            ProjectorModule.forRoot(projectorOptionsFromEnv({ stores })),
            DialectMappersModule.fromEnv(),
            ReadModelExtensionsModule.fromEnv(),
          ]
        : [];
    // The AI Gateway goes with the API (the design's `api` role; `projector` serves the API today).
    const gateway = role === 'all' || role === 'projector' ? [GatewayModule.forRoot(gatewayOptionsFromEnv(config.secrets ?? null))] : [];
    return {
      module: ServeModule,
      imports: [EventStoreModule.forRoot(stores.events, config.decorateEvents), AccessModule, ...ingest, ...projector, ...gateway],
      controllers: [HealthController, ...(role === 'all' ? [DemoController] : [])],
      providers: [{ provide: TEMPS_ROLE, useValue: role }],
    };
  }
}
