import { Module } from '@nestjs/common';
import { EVENT_STORE, type EventStore } from '@temps/event-store';
import { AccessService } from './access-service';
import { ProjectAccessGuard } from './project-access.guard';
import { ApiKeyGuard } from './projects.controller';

/**
 * Access (API keys, projects, roles) over the event store, and the guards that check it. One AccessService
 * per app, however many modules import this one. Needs EVENT_STORE (EventStoreModule.forRoot). The projects
 * API controller (ProjectsController) is mounted by the module that serves the query API, not here: an
 * ingest-only process serves no projects API.
 */
@Module({
  providers: [{ provide: AccessService, useFactory: (events: EventStore) => new AccessService(events), inject: [EVENT_STORE] }, ApiKeyGuard, ProjectAccessGuard],
  exports: [AccessService, ApiKeyGuard, ProjectAccessGuard],
})
export class AccessModule {}
