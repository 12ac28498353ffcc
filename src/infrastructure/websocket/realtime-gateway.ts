import { applyDecorators, Injectable, UseFilters, UseGuards, UsePipes } from '@nestjs/common';
import { WebSocketGateway } from '@nestjs/websockets';
import type { OnGatewayConnection, OnGatewayDisconnect, OnGatewayInit } from '@nestjs/websockets';
import type { Namespace, Socket } from 'socket.io';
import type { AuthUser } from '../../modules/auth/domain/actor.js';
import { RealtimeHub, type NamespacePolicy } from './realtime-hub.service.js';
import { WsExceptionFilter } from './ws-exception.filter.js';
import { WsPermissionsGuard } from './ws-permissions.guard.js';
import { WsValidationPipe } from './ws-validation.pipe.js';
import { WsErrors } from './ws.errors.js';
import type { SocketData } from './ws-session.js';

/**
 * A gateway on `namespace` with the per-gateway bindings every namespace needs: validation of message
 * bodies, per-message permissions (@RequirePermissions), and the signed error filter. Gateways also call
 * RealtimeHub.attach in afterInit and hub.connected / hub.disconnected in their connection hooks, which
 * HubGateway does for them.
 */
export const RealtimeGateway = (namespace: string) =>
  applyDecorators(
    WebSocketGateway({ namespace }),
    UsePipes(WsValidationPipe),
    UseGuards(WsPermissionsGuard),
    UseFilters(WsExceptionFilter),
  );

/**
 * The connection lifecycle shared by every namespace, for a @RealtimeGateway class: attaches the namespace
 * to the hub with the gateway's policy (handshake authentication and admission, envelope, rate limits,
 * heartbeat, unknown events), sets each admitted socket up and runs its cleanups when it leaves. A gateway
 * that needs nothing more on connect only states its policy and its message handlers.
 */
@Injectable()
export abstract class HubGateway implements OnGatewayInit, OnGatewayConnection, OnGatewayDisconnect {
  constructor(protected readonly hub: RealtimeHub) {}

  /** Who may connect and which client events (besides heartbeat) the namespace handles. */
  protected abstract policy(): NamespacePolicy;

  afterInit(nsp: Namespace): void {
    this.hub.attach(nsp, this.policy());
  }

  handleConnection(socket: Socket): void {
    if (!(socket.data as SocketData).session) return; // refused by the handshake middleware
    this.hub.connected(socket); // also joins the player's own room (player:<id>) for kicks and personal pushes
  }

  handleDisconnect(socket: Socket): void {
    this.hub.disconnected(socket);
  }
}

/** NamespacePolicy.admit for a player's own namespaces (/player, /trading, /aria): role player with a player id. */
export const playersOnly =
  (namespace: string) =>
  (user: AuthUser): ReturnType<NamespacePolicy['admit']> =>
    user.role === 'player' && user.playerId
      ? undefined
      : WsErrors.forbiddenNamespace(namespace, user.role, 'a player account');
