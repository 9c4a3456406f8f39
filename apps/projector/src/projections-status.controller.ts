import { Controller, Get, UseGuards } from '@nestjs/common';
import { ApiKeyGuard } from '@temps/access';
import type { ProjectionStatus } from '@temps/projection-runtime';
import { TraceProjectorService } from './trace-projector.service';
import { ApiDoc } from './api-doc';

/**
 * `GET /api/projections`: where each projection stands (version, serving build, position, lag in events
 * and seconds, a rebuild's progress), for any valid key: the dashboard shows a rebuild while it runs.
 */
@Controller('api/projections')
@UseGuards(ApiKeyGuard)
export class ProjectionsStatusController {
  constructor(private readonly projector: TraceProjectorService) {}

  @Get()
  @ApiDoc({ summary: 'Where each projection stands (version, serving build, lag, a rebuild\'s progress)', response: 'ProjectionList', auth: 'any-key' })
  async list(): Promise<{ items: unknown[] }> {
    return { items: [jsonSafe(await this.projector.status())] };
  }
}

/** Positions are bigints (any store's): as decimal strings in JSON. */
function jsonSafe(status: ProjectionStatus): unknown {
  return JSON.parse(JSON.stringify(status, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value)));
}
