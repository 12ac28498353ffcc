import { createParamDecorator, type ExecutionContext, SetMetadata } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { Actor, AuthUser } from './domain/actor.js';
import type { AuditTargetSpec } from './domain/denied-target.js';
import type { Permission } from './domain/roles.js';

export const IS_PUBLIC = 'auth:public';
export const REQUIRED_PERMISSIONS = 'auth:permissions';
export const AUDIT_TARGET = 'auth:audit-target';

/** The route needs no access token. */
export const Public = () => SetMetadata(IS_PUBLIC, true);

/** The caller's role must grant every one of these permissions. */
export const RequirePermissions = (...permissions: Permission[]) =>
  SetMetadata(REQUIRED_PERMISSIONS, permissions);

/**
 * The entity a route's path parameter names (a class decorator covers every route of the controller): a
 * denied attempt on it is audited against that entity (`target_type` `type`, `target_id` the id lower-cased),
 * beside the entity's own rows, instead of against the route.
 */
export const AuditTarget = (type: string, param = 'id') =>
  SetMetadata(AUDIT_TARGET, { type, param } satisfies AuditTargetSpec);

export type AuthenticatedRequest = FastifyRequest & { user?: AuthUser };

export function actorFromRequest(request: AuthenticatedRequest): Actor {
  const user = request.user;
  if (!user) throw new Error('actorFromRequest called on an unauthenticated request');
  return { ...user, requestId: String(request.id), ip: request.ip };
}

/** The authenticated caller plus request id and client ip, for commands and the audit log. */
export const CurrentActor = createParamDecorator((_: unknown, ctx: ExecutionContext): Actor =>
  actorFromRequest(ctx.switchToHttp().getRequest<AuthenticatedRequest>()),
);
