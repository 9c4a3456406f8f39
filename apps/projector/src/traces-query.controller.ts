import { Controller, Get, Param, Query, UseGuards } from '@nestjs/common';
import { ProjectAccessGuard, RequiresPermission } from '@temps/access';
import { TracesQueryService } from './traces-query.service';

@Controller('api/projects/:projectId/ai/traces')
@UseGuards(ProjectAccessGuard)
export class TracesQueryController {
  constructor(private readonly traces: TracesQueryService) {}

  @Get()
  @RequiresPermission('read')
  list(@Param('projectId') projectId: string, @Query() query: Record<string, unknown>) {
    return this.traces.list(projectId, query);
  }

  @Get(':traceId')
  @RequiresPermission('read')
  get(@Param('projectId') projectId: string, @Param('traceId') traceId: string) {
    return this.traces.get(projectId, traceId);
  }
}
