import { CanActivate, Controller, ExecutionContext, Get, HttpException, Injectable, Req, UseGuards } from '@nestjs/common';
import type { VisibleProject } from '@temps/domain';
import { AccessService } from './access-service';
import { bearerToken } from './api-key-secret';

/** A request ApiKeyGuard let through: the projects its key may read, and whether that is all of them (no project list). */
export type KeyedRequest = { headers: Record<string, string | undefined>; visibleProjects?: VisibleProject[]; allProjects?: boolean };

/**
 * Routes that need a readable API key but name no project. Decides once and leaves the projects the
 * key may see on the request, so the handler does not ask again.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(private readonly access: AccessService) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<KeyedRequest>();
    const decision = await this.access.visibleProjects(bearerToken(req.headers.authorization));
    if (!decision.ok) throw new HttpException({ statusCode: decision.status, error: 'access denied', message: decision.message }, decision.status);
    req.visibleProjects = decision.projects;
    req.allProjects = decision.allProjects;
    return true;
  }
}

/** `GET /api/projects`: the projects the presented key may read (the dashboard's project switcher). */
@Controller('api/projects')
@UseGuards(ApiKeyGuard)
export class ProjectsController {
  @Get()
  list(@Req() req: KeyedRequest): { items: VisibleProject[] } {
    return { items: req.visibleProjects ?? [] };
  }
}
