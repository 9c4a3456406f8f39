import { Module } from '@nestjs/common';
import { DiscoveryModule, DiscoveryService } from '@nestjs/core';
import { ApiKeyGuard, ProjectAccessGuard, ProjectsController } from '@temps/access';
import { LiveGateway } from '@temps/realtime';
import { DIALECT_MAPPERS, registeredDialectMappers } from './dialect-mappers.module';
import { READ_MODEL_EXTENSIONS, registeredReadModelExtensions } from './read-model-extensions.module';
import { ProjectionsStatusController } from './projections-status.controller';
import { TraceProjectorService } from './trace-projector.service';
import { TracesQueryController } from './traces-query.controller';
import { TracesQueryService } from './traces-query.service';
import { SessionsQueryController } from './sessions-query.controller';
import { SessionsQueryService } from './sessions-query.service';
import { UsageQueryController } from './usage-query.controller';
import { UsageQueryService } from './usage-query.service';
import { GenaiMetricsQueryController } from './genai-metrics-query.controller';
import { GenaiMetricsQueryService } from './genai-metrics-query.service';

/** The read side: projection runner, query API and live gateway. Needs EVENT_STORE, TRACE_READ_STORE, AccessService. */
@Module({
  // DiscoveryModule: team dialect mappers are registered in their own modules (DialectMappersModule.register)
  imports: [DiscoveryModule],
  controllers: [ProjectsController, TracesQueryController, UsageQueryController, GenaiMetricsQueryController, SessionsQueryController, ProjectionsStatusController],
  providers: [TracesQueryService, UsageQueryService, GenaiMetricsQueryService, SessionsQueryService, TraceProjectorService, LiveGateway, ProjectAccessGuard, ApiKeyGuard, { provide: DIALECT_MAPPERS, useFactory: registeredDialectMappers, inject: [DiscoveryService] },
    { provide: READ_MODEL_EXTENSIONS, useFactory: registeredReadModelExtensions, inject: [DiscoveryService] },
  ],
  exports: [TraceProjectorService],
})
export class ProjectorModule {}
