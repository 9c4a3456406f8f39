import { Controller, Get, Param, Query, UseGuards } from '@nestjs/common';
import { ProjectAccessGuard, RequiresPermission } from '@temps/access';
import { UsageQueryService } from './usage-query.service';

@Controller('api/projects/:projectId/ai')
@UseGuards(ProjectAccessGuard)
export class UsageQueryController {
  constructor(private readonly usage: UsageQueryService) {}

  @Get('usage')
  @RequiresPermission('read')
  get(@Param('projectId') projectId: string, @Query() query: Record<string, unknown>) {
    return this.usage.usage(projectId, query);
  }

  @Get('mapping')
  @RequiresPermission('read')
  mapping(@Param('projectId') projectId: string) {
    return this.usage.mapping(projectId);
  }
}
