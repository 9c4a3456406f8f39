import { DynamicModule, Global, Module } from '@nestjs/common';
import { AccessService } from '@temps/access';
import { EVENT_STORE, type EventStore } from '@temps/event-store';
import { GatewayModule, gatewayOptionsFromEnv, type SecretBox } from '@temps/gateway';
import { INGEST_LIMITS, IngestModule, ingestLimitsFromEnv } from '@temps/ingest';
import { DialectMappersModule, PROJECTOR_OPTIONS, ProjectorModule, projectorOptionsFromEnv, type StoresConfig, ReadModelExtensionsModule } from '@temps/projector';
import { TRACE_READ_STORE, type TraceReadStore } from '@temps/read-store';
import { HealthController, TEMPS_ROLE } from './health.controller';
import type { TempsRole } from './temps-config';

/** What a serving process opened: the stores (no read store for ingest only), access over the events, and their config. */
export interface ServeStores {
  events: EventStore;
  reads: TraceReadStore | null;
  access: AccessService;
  /** The same stores as plain data, for the projector thread to open its own. */
  config: StoresConfig;
  /** Seals provider keys kept in events (the AI Gateway); absent: only TEMPS_AI_* environment keys work. */
  secrets?: SecretBox | null;
}

/** Provides the stores to every module of the process. */
@Global()
@Module({})
class StoresModule {
  static with(stores: ServeStores, role: TempsRole): DynamicModule {
    const providers = [
      { provide: TEMPS_ROLE, useValue: role },
      { provide: EVENT_STORE, useValue: stores.events },
      ...(stores.reads ? [{ provide: TRACE_READ_STORE, useValue: stores.reads }] : []),
      { provide: AccessService, useValue: stores.access },
      { provide: INGEST_LIMITS, useValue: ingestLimitsFromEnv() },
      // the projector runs on its own thread (its own connections to the same stores) unless TEMPS_PROJECTOR_THREAD=0
      { provide: PROJECTOR_OPTIONS, useValue: projectorOptionsFromEnv({ stores: stores.config }) },
    ];
    return { module: StoresModule, providers, exports: providers.map((p) => p.provide) };
  }
}

/**
 * `temps serve`: ingest + projector (on its own thread unless TEMPS_PROJECTOR_THREAD=0) (+ the built web app, mounted in serve.ts)
 * in one process, with the team dialect mappers of TEMPS_DIALECTS. An app that imports this module next to its
 * own DialectMappersModule.register(...) gets both. `role` (TEMPS_ROLE) keeps only one side: `ingest` (the OTLP receiver)
 * or `projector` (projection, query API, live gateway); every role answers GET /healthz.
 */
@Module({})
export class ServeModule {
  static with(stores: ServeStores, role: TempsRole = 'all'): DynamicModule {
    const ingest = role === 'all' || role === 'ingest' ? [IngestModule] : [];
    const projector = role === 'all' || role === 'projector' ? [ProjectorModule, DialectMappersModule.fromEnv(), ReadModelExtensionsModule.fromEnv()] : [];
    // The AI Gateway goes with the API (the design's `api` role; `projector` serves the API today).
    const gateway = role === 'all' || role === 'projector' || (role as string) === 'api' ? [GatewayModule.forRoot(gatewayOptionsFromEnv(stores.secrets ?? null))] : [];
    return { module: ServeModule, imports: [StoresModule.with(stores, role), ...ingest, ...projector, ...gateway], controllers: [HealthController] };
  }
}
