import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Socket } from 'socket.io';
import { REQUIRED_PERMISSIONS } from '../../modules/auth/decorators.js';
import { hasPermissions, type Permission } from '../../modules/auth/domain/roles.js';
import { AuditService } from '../../modules/audit/audit.service.js';
import { CommonErrors } from '../errors/common.errors.js';
import { actorOf, sessionOf } from './ws-session.js';

/**
 * Per-message permission check for gateways: the same @RequirePermissions metadata as HTTP routes, checked
 * against the socket's authenticated session. Denials are audited like HTTP ones.
 */
@Injectable()
export class WsPermissionsGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly audit: AuditService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'ws') return true;
    const required = this.reflector.getAllAndOverride<Permission[] | undefined>(REQUIRED_PERMISSIONS, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (!required?.length) return true;
    const socket = context.switchToWs().getClient<Socket>();
    if (hasPermissions(sessionOf(socket).user.role, required)) return true;
    const event = context.switchToWs().getPattern();
    await this.audit.recordDenied(actorOf(socket), {
      action: `WS ${socket.nsp.name} ${event}`,
      targetType: 'socket_message',
      targetId: `${socket.nsp.name}:${event}`,
      reason: `missing permission: ${required.join(', ')}`,
    });
    throw CommonErrors.forbidden();
  }
}
