import { type DynamicModule, Module } from '@nestjs/common';
import { DiscoveryModule, DiscoveryService } from '@nestjs/core';
import { AccessModule, ProjectsController } from '@temps/access';
import { RealtimeModule } from '@temps/realtime';
import { DIALECT_MAPPERS, registeredDialectMappers } from './dialect-mappers.module';
import { READ_MODEL_EXTENSIONS, registeredReadModelExtensions } from './read-model-extensions.module';
import { ProjectionsStatusController } from './projections-status.controller';
import { PROJECTOR_OPTIONS, type ProjectorOptions } from './projector-options';
import { TraceProjectorService } from './trace-projector.service';
import { TracesQueryController } from './traces-query.controller';
import { TracesQueryService } from './traces-query.service';
import { SessionsQueryController } from './sessions-query.controller';
import { SessionsQueryService } from './sessions-query.service';
import { UsageQueryController } from './usage-query.controller';
import { UsageQueryService } from './usage-query.service';
import { GenaiMetricsQueryController } from './genai-metrics-query.controller';
import { GenaiMetricsQueryService } from './genai-metrics-query.service';

/**
 * The read side: projection runner, query API and live gateway. `ProjectorModule.forRoot(options)` (e.g.
 * projectorOptionsFromEnv(...)); it reads EVENT_STORE and TRACE_READ_STORE of EventStoreModule.forRoot and
 * ReadStoreModule.forRoot (in the root module), and imports access and the live gateway itself.
 */
@Module({})
export class ProjectorModule {
  static forRoot(options: ProjectorOptions): DynamicModule {
    return {
      module: ProjectorModule,
      // DiscoveryModule: team dialect mappers are registered in their own modules (DialectMappersModule.register)
      imports: [DiscoveryModule, AccessModule, RealtimeModule],
      controllers: [ProjectsController, TracesQueryController, UsageQueryController, GenaiMetricsQueryController, SessionsQueryController, ProjectionsStatusController],
      providers: [
        { provide: PROJECTOR_OPTIONS, useValue: options },
        TracesQueryService,
        UsageQueryService,
        GenaiMetricsQueryService,
        SessionsQueryService,
        TraceProjectorService,
        { provide: DIALECT_MAPPERS, useFactory: registeredDialectMappers, inject: [DiscoveryService] },
        { provide: READ_MODEL_EXTENSIONS, useFactory: registeredReadModelExtensions, inject: [DiscoveryService] },
      ],
      exports: [TraceProjectorService],
    };
  }
}
