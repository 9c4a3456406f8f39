import { type DynamicModule, Module } from '@nestjs/common';
import { DiscoveryModule, DiscoveryService } from '@nestjs/core';
import { AccessModule } from '@temps/access';
import { LiveUpdates, RealtimeModule } from '@temps/realtime';
import { DIALECT_MAPPERS, registeredDialectMappers } from './dialect-mappers.module';
import { READ_MODEL_EXTENSIONS, registeredReadModelExtensions } from './read-model-extensions.module';
import { OpenApiController } from './openapi.controller';
import { PROJECTOR_OPTIONS, type ProjectorOptions } from './projector-options';
import { QUERY_API_CONTROLLERS } from './query-api';
import { TraceProjectorService } from './trace-projector.service';
import { RetentionSweeperService } from './retention-sweeper.service';
import { TracesQueryService } from './traces-query.service';
import { SessionsQueryService } from './sessions-query.service';
import { UsageQueryService } from './usage-query.service';
import { GenaiMetricsQueryService } from './genai-metrics-query.service';

/**
 * The read side: projection runner, query API and live gateway. `ProjectorModule.forRoot(options)` (e.g.
 * projectorOptionsFromEnv(...)); it reads EVENT_STORE and TRACE_READ_STORE of EventStoreModule.forRoot and
 * ReadStoreModule.forRoot (in the root module), and imports access and the live gateway itself.
 */
@Module({})
export class ProjectorModule {
  /**
   * `parts` (default both): `api`, the query API and the live gateway (an `api` process: GET
   * /api/projections then reads the projection's status from the stores); `projection`, the projection
   * runner (a `projector` process: no HTTP route, no socket.io).
   */
  static forRoot(options: ProjectorOptions, parts: { api: boolean; projection: boolean } = { api: true, projection: true }): DynamicModule {
    return {
      module: ProjectorModule,
      // DiscoveryModule: team dialect mappers are registered in their own modules (DialectMappersModule.register)
      // AccessModule: the query API's guards, and the retention sweeps' per-project settings
      imports: [DiscoveryModule, AccessModule, ...(parts.api ? [RealtimeModule] : [])],
      controllers: parts.api ? [...QUERY_API_CONTROLLERS, OpenApiController] : [],
      providers: [
        { provide: PROJECTOR_OPTIONS, useValue: options },
        ...(parts.api ? [TracesQueryService, UsageQueryService, GenaiMetricsQueryService, SessionsQueryService] : []),
        // the projection and its retention sweeps; LiveUpdates (the shared channel's publisher) from RealtimeModule with the API, else its own
        ...(parts.projection ? [TraceProjectorService, RetentionSweeperService, ...(parts.api ? [] : [LiveUpdates])] : []),
        { provide: DIALECT_MAPPERS, useFactory: registeredDialectMappers, inject: [DiscoveryService] },
        { provide: READ_MODEL_EXTENSIONS, useFactory: registeredReadModelExtensions, inject: [DiscoveryService] },
      ],
      exports: parts.projection ? [TraceProjectorService] : [],
    };
  }
}
