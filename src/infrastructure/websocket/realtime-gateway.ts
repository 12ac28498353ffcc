import { applyDecorators, UseFilters, UseGuards, UsePipes } from '@nestjs/common';
import { WebSocketGateway } from '@nestjs/websockets';
import { WsExceptionFilter } from './ws-exception.filter.js';
import { WsPermissionsGuard } from './ws-permissions.guard.js';
import { WsValidationPipe } from './ws-validation.pipe.js';

/**
 * A gateway on `namespace` with the per-gateway bindings every namespace needs: validation of message
 * bodies, per-message permissions (@RequirePermissions), and the signed error filter. Gateways also call
 * RealtimeHub.attach in afterInit and hub.connected / hub.disconnected in their connection hooks.
 */
export const RealtimeGateway = (namespace: string) =>
  applyDecorators(
    WebSocketGateway({ namespace }),
    UsePipes(WsValidationPipe),
    UseGuards(WsPermissionsGuard),
    UseFilters(WsExceptionFilter),
  );
