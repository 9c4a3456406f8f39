import { Controller, Get, Param, Query, UseGuards } from '@nestjs/common';
import { ProjectAccessGuard, RequiresPermission } from '@temps/access';
import { QueryDtoPipe } from './query-dto.pipe';
import { TraceListQuery } from './query-dtos';
import { TracesQueryService } from './traces-query.service';
import { ApiDoc } from './api-doc';

@Controller('api/projects/:projectId/ai/traces')
@UseGuards(ProjectAccessGuard)
export class TracesQueryController {
  constructor(private readonly traces: TracesQueryService) {}

  @Get()
  @ApiDoc({ summary: 'A page of traces, newest first, with the filters of the query', query: TraceListQuery, response: 'TracePage', auth: 'project-read' })
  @RequiresPermission('read')
  list(@Param('projectId') projectId: string, @Query(QueryDtoPipe) query: TraceListQuery) {
    return this.traces.list(projectId, query);
  }

  @Get(':traceId')
  @ApiDoc({ summary: 'One trace with all its spans', response: 'TraceDetail', auth: 'project-read', notFound: true })
  @RequiresPermission('read')
  get(@Param('projectId') projectId: string, @Param('traceId') traceId: string) {
    return this.traces.get(projectId, traceId);
  }
}
