import { Controller, Get, Param, Query, UseGuards } from '@nestjs/common';
import { ProjectAccessGuard, RequiresPermission } from '@temps/access';
import { GenaiMetricsQueryService } from './genai-metrics-query.service';

@Controller('api/projects/:projectId/ai')
@UseGuards(ProjectAccessGuard)
export class GenaiMetricsQueryController {
  constructor(private readonly metrics: GenaiMetricsQueryService) {}

  @Get('metrics')
  @RequiresPermission('read')
  get(@Param('projectId') projectId: string, @Query() query: Record<string, unknown>) {
    return this.metrics.metrics(projectId, query);
  }
}
