import { DynamicModule, Global, Module } from '@nestjs/common';
import { AccessService } from '@temps/access';
import { EVENT_STORE } from '@temps/event-store';
import { INGEST_LIMITS, IngestModule, ingestLimitsFromEnv } from '@temps/ingest';
import { PROJECTOR_OPTIONS, ProjectorModule, projectorOptionsFromEnv } from '@temps/projector';
import { TRACE_READ_STORE } from '@temps/read-store';
import type { EmbeddedStores } from './embedded-stores';

/** Provides the stores to every module of the all-in-one process. */
@Global()
@Module({})
class StoresModule {
  static with(stores: EmbeddedStores): DynamicModule {
    const providers = [
      { provide: EVENT_STORE, useValue: stores.events },
      { provide: TRACE_READ_STORE, useValue: stores.reads },
      { provide: AccessService, useValue: stores.access },
      { provide: INGEST_LIMITS, useValue: ingestLimitsFromEnv() },
      // the projector runs on its own thread (own connections to these files) unless TEMPS_PROJECTOR_THREAD=0
      { provide: PROJECTOR_OPTIONS, useValue: projectorOptionsFromEnv({ eventsPath: stores.paths.events, readStorePath: stores.paths.reads }) },
    ];
    return { module: StoresModule, providers, exports: providers.map((p) => p.provide) };
  }
}

/** `temps serve`: ingest + projector (on its own thread unless TEMPS_PROJECTOR_THREAD=0) (+ the built web app, mounted in serve.ts) in one process. */
@Module({})
export class ServeModule {
  static with(stores: EmbeddedStores): DynamicModule {
    return { module: ServeModule, imports: [StoresModule.with(stores), IngestModule, ProjectorModule] };
  }
}
