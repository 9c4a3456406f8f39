import { Controller, Get, Param, Query, UseGuards } from '@nestjs/common';
import { ProjectAccessGuard, RequiresPermission } from '@temps/access';
import { QueryDtoPipe } from './query-dto.pipe';
import { SessionListQuery, SessionTracesQuery } from './query-dtos';
import { SessionsQueryService } from './sessions-query.service';
import { ApiDoc } from './api-doc';

@Controller('api/projects/:projectId/ai/sessions')
@UseGuards(ProjectAccessGuard)
export class SessionsQueryController {
  constructor(private readonly sessions: SessionsQueryService) {}

  @Get()
  @ApiDoc({ summary: 'A page of sessions, the most recently active first', query: SessionListQuery, response: 'SessionPage', auth: 'project-read' })
  @RequiresPermission('read')
  list(@Param('projectId') projectId: string, @Query(QueryDtoPipe) query: SessionListQuery) {
    return this.sessions.list(projectId, query);
  }

  @Get(':sessionId')
  @ApiDoc({ summary: 'One session and a page of its traces, oldest first', query: SessionTracesQuery, response: 'SessionDetail', auth: 'project-read', notFound: true })
  @RequiresPermission('read')
  get(@Param('projectId') projectId: string, @Param('sessionId') sessionId: string, @Query(QueryDtoPipe) query: SessionTracesQuery) {
    return this.sessions.get(projectId, sessionId, query);
  }
}
