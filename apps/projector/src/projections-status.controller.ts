import { Controller, Get, Req, UseGuards } from '@nestjs/common';
import { ApiKeyGuard, type KeyedRequest } from '@temps/access';
import type { ProjectionStatus } from '@temps/projection-runtime';
import { projectScopedStatus } from './project-scoped-status';
import { TraceProjectorService } from './trace-projector.service';
import { ApiDoc } from './api-doc';

/**
 * `GET /api/projections`: where each projection stands (version, serving build, position, lag in events
 * and seconds, a rebuild's progress), for any valid key: the dashboard shows a rebuild while it runs.
 * A key limited to some projects sees only what concerns them (projectScopedStatus): no positions.
 */
@Controller('api/projections')
@UseGuards(ApiKeyGuard)
export class ProjectionsStatusController {
  constructor(private readonly projector: TraceProjectorService) {}

  @Get()
  @ApiDoc({ summary: 'Where each projection stands (version, serving build, lag, a rebuild\'s progress; a key limited to some projects sees no global positions)', response: 'ProjectionList', auth: 'any-key' })
  async list(@Req() req: KeyedRequest): Promise<{ items: unknown[] }> {
    const status = await this.projector.status();
    return { items: [req.allProjects ? jsonSafe(status) : projectScopedStatus(status)] };
  }
}

/** Positions are bigints (any store's): as decimal strings in JSON. */
function jsonSafe(status: ProjectionStatus): unknown {
  return JSON.parse(JSON.stringify(status, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value)));
}
