import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import {
  AUDIT_TARGET,
  REQUIRED_PERMISSIONS,
  actorFromRequest,
  type AuthenticatedRequest,
} from '../decorators.js';
import { deniedTarget, type AuditTargetSpec } from '../domain/denied-target.js';
import { hasPermissions, type Permission } from '../domain/roles.js';
import { CommonErrors } from '../../../infrastructure/errors/common.errors.js';
import { AuditService } from '../../audit/audit.service.js';

/** Global: enforces @RequirePermissions per route, and writes every denial to the audit log. */
@Injectable()
export class PermissionsGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly audit: AuditService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const required = this.reflector.getAllAndOverride<Permission[] | undefined>(REQUIRED_PERMISSIONS, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (!required?.length) return true;
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    if (!request.user) throw CommonErrors.unauthorized();
    if (hasPermissions(request.user.role, required)) return true;

    const actor = actorFromRequest(request);
    const route = request.routeOptions?.url ?? request.url.split('?')[0] ?? request.url;
    const target = this.reflector.getAllAndOverride<AuditTargetSpec | undefined>(AUDIT_TARGET, [
      context.getHandler(),
      context.getClass(),
    ]);
    await this.audit.recordDenied(actor, {
      action: `${request.method} ${route}`,
      ...deniedTarget(target, request.params as Record<string, unknown> | undefined, route),
      reason: `missing permission: ${required.join(', ')}`,
    });
    throw CommonErrors.forbidden(`Your role (${request.user.role}) lacks ${required.join(', ')}`);
  }
}
