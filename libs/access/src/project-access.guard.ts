import { CanActivate, ExecutionContext, HttpException, Injectable, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Permission } from '@temps/domain';
import { AccessService } from './access-service';
import { bearerToken } from './api-key-secret';

const PERMISSION = 'temps:permission';
/** Marks a route with the permission it needs on the `:projectId` in its path. */
export const RequiresPermission = (permission: Permission) => SetMetadata(PERMISSION, permission);

/** Every query is scoped by project and checked against the caller's key. */
@Injectable()
export class ProjectAccessGuard implements CanActivate {
  constructor(
    private readonly access: AccessService,
    private readonly reflector: Reflector,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<{ headers: Record<string, string | undefined>; params: Record<string, string> }>();
    const permission = this.reflector.get<Permission>(PERMISSION, context.getHandler()) ?? 'read';
    const decision = await this.access.authorize(bearerToken(req.headers.authorization), req.params.projectId, permission);
    if (!decision.ok) throw new HttpException({ statusCode: decision.status, error: 'access denied', message: decision.message }, decision.status);
    return true;
  }
}
