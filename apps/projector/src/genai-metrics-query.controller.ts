import { Controller, Get, Param, Query, UseGuards } from '@nestjs/common';
import { ProjectAccessGuard, RequiresPermission } from '@temps/access';
import { QueryDtoPipe } from './query-dto.pipe';
import { GenaiMetricsQuery } from './query-dtos';
import { GenaiMetricsQueryService } from './genai-metrics-query.service';
import { ApiDoc } from './api-doc';

@Controller('api/projects/:projectId/ai')
@UseGuards(ProjectAccessGuard)
export class GenaiMetricsQueryController {
  constructor(private readonly metrics: GenaiMetricsQueryService) {}

  @Get('metrics')
  @ApiDoc({ summary: 'OTel GenAI client metrics received over OTLP, per bucket and model or provider', query: GenaiMetricsQuery, response: 'GenaiMetricsPage', auth: 'project-read' })
  @RequiresPermission('read')
  get(@Param('projectId') projectId: string, @Query(QueryDtoPipe) query: GenaiMetricsQuery) {
    return this.metrics.metrics(projectId, query);
  }
}
