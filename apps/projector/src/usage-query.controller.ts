import { Controller, Get, Param, Query, UseGuards } from '@nestjs/common';
import { ProjectAccessGuard, RequiresPermission } from '@temps/access';
import { QueryDtoPipe } from './query-dto.pipe';
import { UsageQuery } from './query-dtos';
import { UsageQueryService } from './usage-query.service';
import { ApiDoc } from './api-doc';

@Controller('api/projects/:projectId/ai')
@UseGuards(ProjectAccessGuard)
export class UsageQueryController {
  constructor(private readonly usage: UsageQueryService) {}

  @Get('usage')
  @ApiDoc({ summary: 'LLM usage (calls, tokens, cost, latency) per bucket and model or provider, with totals', query: UsageQuery, response: 'UsagePage', auth: 'project-read' })
  @RequiresPermission('read')
  get(@Param('projectId') projectId: string, @Query(QueryDtoPipe) query: UsageQuery) {
    return this.usage.usage(projectId, query);
  }

  @Get('mapping')
  @ApiDoc({ summary: 'Which GenAI dialects mapped the project\'s spans, and the gen_ai-like keys none knew', response: 'MappingReport', auth: 'project-read' })
  @RequiresPermission('read')
  mapping(@Param('projectId') projectId: string) {
    return this.usage.mapping(projectId);
  }
}
