import { Injectable, Logger } from '@nestjs/common';
import { playerRoom, RealtimeHub } from '../../infrastructure/websocket/realtime-hub.service.js';
import { ADMIN_NAMESPACE } from './admin-feed.service.js';

export const PLAYER_NAMESPACE = '/player';

/** Personal messages to one player's sockets, and kicking a player, on every node. */
@Injectable()
export class PlayerChannel {
  private readonly logger = new Logger(PlayerChannel.name);

  constructor(private readonly hub: RealtimeHub) {}

  /** Sends `type` to every /player socket of the player, on every node. */
  notify(playerId: string, type: string, data: unknown): void {
    this.hub.publish(PLAYER_NAMESPACE, { rooms: [playerRoom(playerId)], type, data });
  }

  /**
   * Disconnects every socket of the player on every node and namespace: /player sockets get `kicked`
   * {reason} first. Returns how many /player sockets the cluster held for the player (0 if unknown).
   */
  async disconnect(playerId: string, reason: string): Promise<number> {
    const room = playerRoom(playerId);
    let count = 0;
    const nsp = this.hub.namespace(PLAYER_NAMESPACE);
    if (nsp) {
      try {
        count = (await nsp.in(room).fetchSockets()).length;
      } catch (err) {
        this.logger.warn({ err, playerId }, 'Could not count the player sockets across nodes');
      }
    }
    this.hub.publish(PLAYER_NAMESPACE, {
      rooms: [room],
      type: 'kicked',
      data: { reason },
      disconnect: reason,
    });
    for (const name of this.hub.namespaceNames()) {
      if (name === PLAYER_NAMESPACE || name === ADMIN_NAMESPACE) continue;
      this.hub.namespace(name)?.in(room).disconnectSockets(true);
    }
    return count;
  }
}
