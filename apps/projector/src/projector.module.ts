import { Module } from '@nestjs/common';
import { ProjectAccessGuard } from '@temps/access';
import { LiveGateway } from '@temps/realtime';
import { TraceProjectorService } from './trace-projector.service';
import { TracesQueryController } from './traces-query.controller';
import { TracesQueryService } from './traces-query.service';

/** The read side: projection runner, query API and live gateway. Needs EVENT_STORE, TRACE_READ_STORE, AccessService. */
@Module({
  controllers: [TracesQueryController],
  providers: [TracesQueryService, TraceProjectorService, LiveGateway, ProjectAccessGuard],
  exports: [TraceProjectorService],
})
export class ProjectorModule {}
