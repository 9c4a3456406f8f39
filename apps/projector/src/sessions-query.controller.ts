import { Controller, Get, Param, Query, UseGuards } from '@nestjs/common';
import { ProjectAccessGuard, RequiresPermission } from '@temps/access';
import { SessionsQueryService } from './sessions-query.service';

@Controller('api/projects/:projectId/ai/sessions')
@UseGuards(ProjectAccessGuard)
export class SessionsQueryController {
  constructor(private readonly sessions: SessionsQueryService) {}

  @Get()
  @RequiresPermission('read')
  list(@Param('projectId') projectId: string, @Query() query: Record<string, unknown>) {
    return this.sessions.list(projectId, query);
  }

  @Get(':sessionId')
  @RequiresPermission('read')
  get(@Param('projectId') projectId: string, @Param('sessionId') sessionId: string, @Query() query: Record<string, unknown>) {
    return this.sessions.get(projectId, sessionId, query);
  }
}
