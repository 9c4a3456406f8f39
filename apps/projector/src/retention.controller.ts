import { Controller, Get, Inject, Optional, Param, UseGuards } from '@nestjs/common';
import { AccessService, ProjectAccessGuard, RequiresPermission } from '@temps/access';
import { ApiDoc } from './api-doc';
import { RETENTION_OPTIONS, retentionInForce, retentionOptionsFromEnv, type RetentionOptions } from './retention-sweeper';

/** Reads settings only (the access stream and the environment): it can serve where the sweep does not run. */
@Controller('api/projects/:projectId/retention')
@UseGuards(ProjectAccessGuard)
export class RetentionController {
  private readonly options: RetentionOptions;

  constructor(
    private readonly access: AccessService,
    @Optional() @Inject(RETENTION_OPTIONS) options?: RetentionOptions | null,
  ) {
    this.options = options ?? retentionOptionsFromEnv();
  }

  @Get()
  @ApiDoc({ summary: "The retention in force for the project: days, where it is set, whether usage outlives expired traces", response: 'Retention', auth: 'project-read' })
  @RequiresPermission('read')
  get(@Param('projectId') projectId: string) {
    return retentionInForce(this.access, this.options, projectId);
  }
}
