import type { OnGatewayConnection, OnGatewayDisconnect, OnGatewayInit } from '@nestjs/websockets';
import type { Namespace, Socket } from 'socket.io';
import { playersOnly, RealtimeGateway } from '../../infrastructure/websocket/realtime-gateway.js';
import { RealtimeHub } from '../../infrastructure/websocket/realtime-hub.service.js';
import { sessionOf } from '../../infrastructure/websocket/ws-session.js';
import { PLAYER_NAMESPACE } from './player-channel.service.js';
import { PlayerPresenceTracker } from './player-presence.service.js';

/**
 * /player: a player's personal channel (account_status, assets_changed, kicked), its own room only.
 * Its sockets drive online presence.
 */
@RealtimeGateway(PLAYER_NAMESPACE)
export class PlayerGateway implements OnGatewayInit, OnGatewayConnection, OnGatewayDisconnect {
  constructor(
    private readonly hub: RealtimeHub,
    private readonly presence: PlayerPresenceTracker,
  ) {}

  afterInit(nsp: Namespace): void {
    this.hub.attach(nsp, {
      admit: playersOnly(PLAYER_NAMESPACE),
      events: [],
      onHeartbeat: (socket) => void this.presence.heartbeat(sessionOf(socket).user.playerId!),
    });
  }

  async handleConnection(socket: Socket): Promise<void> {
    if (!socket.data.session) return;
    const { session } = this.hub.connected(socket); // joins the player's room
    await this.presence.connected(session.user.playerId!);
  }

  async handleDisconnect(socket: Socket): Promise<void> {
    const session = socket.data.session as ReturnType<typeof sessionOf> | undefined;
    this.hub.disconnected(socket);
    if (session?.user.playerId) await this.presence.disconnected(session.user.playerId);
  }
}
