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
import { roleParts, type TempsRole } from './temps-config';

/**
 * `temps serve`: ingest + query API + projector (on its own thread unless TEMPS_PROJECTOR_THREAD=0) (+ the built web app, mounted in serve.ts)
 * in one process, with the team dialect mappers of TEMPS_DIALECTS. An app that imports this module next to its
 * own DialectMappersModule.register(...) gets both. `role` (TEMPS_ROLE) keeps some parts only: `ingest` (the OTLP receiver),
 * `api` (query API, live gateway, projects API, AI gateway; the dashboard in serve.ts), `projector` (the projection under
 * its lease, no HTTP route of its own); every role answers GET /healthz.
 * The stores are opened by EventStoreModule.forRoot and (api, projector) ReadStoreModule.forRoot, and closed on shutdown;
 * the projector thread opens its own connections to the same stores from the plain config.
 */
/**
 * The projector's options from the environment. A projector with no ingest in its process is not woken by appends
 * (they happen elsewhere): it polls the log every 50 ms unless TEMPS_PROJECTOR_IDLE_POLL_MS says otherwise, which
 * keeps ack-to-live-update under 250 ms at p99 (one indexed read of the log per poll).
 */
function projectorOptions(stores: StoresConfig, ingestHere: boolean) {
  const options = projectorOptionsFromEnv({ stores });
  return ingestHere || options.idlePollMs !== undefined ? options : { ...options, idlePollMs: 50 };
}

@Module({})
export class ServeModule {
  /** `decorateEvents`: wraps the opened event store for every module (e.g. to time appends). */
  /** `secrets`: seals the AI Gateway's provider keys kept in events (absent: only TEMPS_AI_* environment keys work). */
  static with(config: { stores: StoresConfig; role?: TempsRole; decorateEvents?: (events: EventStore) => EventStore; secrets?: SecretBox | null }): DynamicModule {
    const { stores, role = 'all' } = config;
    const parts = roleParts(role);
    const ingest = parts.ingest ? [IngestModule.forRoot(ingestLimitsFromEnv())] : [];
    const reads =
      parts.api || parts.projector
        ? [
            ReadStoreModule.forRoot(stores.reads),
            // live updates across instances: an outbox in the read store that every instance tails
            LiveUpdateChannelModule.forRoot(stores.reads, { pollMs: livePollMsFromEnv() }),
            // the projector runs on its own thread (its own connections to the same stores) unless TEMPS_PROJECTOR_THREAD=0
            ProjectorModule.forRoot(projectorOptions(stores, parts.ingest), { api: parts.api, projection: parts.projector }),
            DialectMappersModule.fromEnv(),
            ReadModelExtensionsModule.fromEnv(),
          ]
        : [];
    // The AI Gateway goes with the API.
    const gateway = parts.api ? [GatewayModule.forRoot(gatewayOptionsFromEnv(config.secrets ?? null))] : [];
    return {
      module: ServeModule,
      imports: [EventStoreModule.forRoot(stores.events, config.decorateEvents), AccessModule, ...ingest, ...reads, ...gateway],
      controllers: [HealthController, ...(role === 'all' ? [DemoController] : [])],
      providers: [{ provide: TEMPS_ROLE, useValue: role }],
    };
  }
}
