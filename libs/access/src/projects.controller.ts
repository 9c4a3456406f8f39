import { CanActivate, Controller, ExecutionContext, Get, HttpException, Injectable, Param, Post, Req, UseGuards } from '@nestjs/common';
import type { Role, VisibleProject } from '@temps/domain';
import { AccessService } from './access-service';
import { bearerToken } from './api-key-secret';

/** A request ApiKeyGuard let through: the projects its key may read, and whether that is all of them (no project list). */
export type KeyedRequest = { headers: Record<string, string | undefined>; visibleProjects?: VisibleProject[]; allProjects?: boolean; role?: Role };

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
    req.role = decision.role;
    return true;
  }
}

/** `GET /api/projects`: the projects the presented key may read (the dashboard's project switcher). */
@Controller('api/projects')
@UseGuards(ApiKeyGuard)
export class ProjectsController {
  constructor(private readonly access: AccessService) {}

  @Get()
  list(@Req() req: KeyedRequest): { items: VisibleProject[] } {
    return { items: req.visibleProjects ?? [] };
  }

  /** `POST /api/projects/:projectId` (admin keys): the dashboard's "Create project 2" for the seed's snippets. */
  @Post(':projectId')
  async create(@Req() req: KeyedRequest, @Param('projectId') projectId: string): Promise<VisibleProject> {
    if (req.role !== 'admin') throw new HttpException({ statusCode: 403, error: 'access denied', message: `creating a project needs an admin API key (or run "temps project create --id ${projectId.slice(0, 64)} --name NAME")` }, 403);
    try {
      return { id: await this.access.createProject(projectId, `Project ${projectId}`), name: `Project ${projectId}` };
    } catch (err) {
      const message = (err as Error).message;
      const status = /must be/.test(message) ? 400 : 409;
      throw new HttpException({ statusCode: status, error: status === 400 ? 'bad request' : 'conflict', message }, status);
    }
  }
}
