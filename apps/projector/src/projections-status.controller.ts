import { Controller, Get, Inject, Optional, Req, UseGuards } from '@nestjs/common';
import { ApiKeyGuard, type KeyedRequest } from '@temps/access';
import { EVENT_STORE, type EventStore } from '@temps/event-store';
import { TRACE_READ_STORE, type TraceReadStore } from '@temps/read-store';
import type { ProjectionStatus } from '@temps/projection-runtime';
import { projectScopedStatus } from './project-scoped-status';
import { TraceProjectorService } from './trace-projector.service';
import { ApiDoc } from './api-doc';
import { storedProjectionStatus } from './stored-projection-status';

/**
 * `GET /api/projections`: where each projection stands (version, serving build, position, lag in events
 * and seconds, a rebuild's progress), for any valid key: the dashboard shows a rebuild while it runs.
 * A key limited to some projects sees only what concerns them (projectScopedStatus): no positions.
 * A process without the projector (an `api` instance) answers from the stores: the catalog, the builds'
 * checkpoints and the lease (storedProjectionStatus).
 */
@Controller('api/projections')
@UseGuards(ApiKeyGuard)
export class ProjectionsStatusController {
  constructor(
    @Inject(EVENT_STORE) private readonly events: EventStore,
    @Inject(TRACE_READ_STORE) private readonly reads: TraceReadStore,
    @Optional() @Inject(TraceProjectorService) private readonly projector: TraceProjectorService | null,
  ) {}

  @Get()
  @ApiDoc({ summary: 'Where each projection stands (version, serving build, lag, a rebuild\'s progress; a key limited to some projects sees no global positions)', response: 'ProjectionList', auth: 'any-key' })
  async list(@Req() req: KeyedRequest): Promise<{ items: unknown[] }> {
    const status = this.projector ? await this.projector.status() : await storedProjectionStatus(this.events, this.reads);
    return { items: [req.allProjects ? jsonSafe(status) : projectScopedStatus(status)] };
  }
}

/** Positions are bigints (any store's): as decimal strings in JSON. */
function jsonSafe(status: ProjectionStatus): unknown {
  return JSON.parse(JSON.stringify(status, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value)));
}
