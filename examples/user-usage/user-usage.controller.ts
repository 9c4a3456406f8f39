import { Controller, Get, Inject, Param, UseGuards } from '@nestjs/common';
import { extensionRowIdPrefix } from '@temps/domain';
import { ProjectAccessGuard, RequiresPermission } from '@temps/access';
import { TRACE_READ_STORE, type TraceReadStore } from '@temps/read-store';
import { userUsage, userUsageReport, type UserUsage } from './user-usage';

/** `GET /api/projects/{p}/ai/users`: the read model's rows, read from whichever store and build serves. */
@Controller('api/projects/:projectId/ai/users')
@UseGuards(ProjectAccessGuard)
export class UserUsageController {
  constructor(@Inject(TRACE_READ_STORE) private readonly store: TraceReadStore) {}

  @Get()
  @RequiresPermission('read')
  async list(@Param('projectId') projectId: string): Promise<{ items: UserUsage[] }> {
    const prefix = extensionRowIdPrefix(userUsage.name, projectId);
    return { items: userUsageReport(await this.store.counterRows({ from: prefix, to: `${prefix}\uffff` })) };
  }
}
