import { Controller, Get, Param, UseGuards } from '@nestjs/common';
import { ProjectAccessGuard, RequiresPermission } from '@temps/access';
import { ApiDoc } from './api-doc';
import { RetentionSweeperService } from './retention-sweeper.service';

@Controller('api/projects/:projectId/retention')
@UseGuards(ProjectAccessGuard)
export class RetentionController {
  constructor(private readonly retention: RetentionSweeperService) {}

  @Get()
  @ApiDoc({ summary: "The retention in force for the project: days, where it is set, whether usage outlives expired traces", response: 'Retention', auth: 'project-read' })
  @RequiresPermission('read')
  get(@Param('projectId') projectId: string) {
    return this.retention.inForce(projectId);
  }
}
