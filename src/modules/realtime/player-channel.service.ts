import { Injectable, Logger } from '@nestjs/common';
import { RedisAvailability } from '../../infrastructure/redis/redis-availability.js';
import { playerRoom, RealtimeHub } from '../../infrastructure/websocket/realtime-hub.service.js';
import { ADMIN_NAMESPACE } from './admin-feed.service.js';

export const PLAYER_NAMESPACE = '/player';

/** Personal messages to one player's sockets, and kicking a player, on every node. */
@Injectable()
export class PlayerChannel {
  private readonly logger = new Logger(PlayerChannel.name);

  /**
   * Kicks that may not have reached the other nodes (Redis was away: the cross-node message went nowhere), by
   * player: the reason and when the kick was given. Sent again once Redis is back, to the sockets that were
   * already there at that time only.
   */
  private readonly unsent = new Map<string, { reason: string; at: number }>();
  private retry?: NodeJS.Timeout;

  constructor(
    private readonly hub: RealtimeHub,
    private readonly availability: RedisAvailability,
  ) {
    availability.onBack(() => void this.resendKicks());
  }

  /** Sends `type` to every /player socket of the player, on every node. */
  notify(playerId: string, type: string, data: unknown): void {
    this.hub.publish(PLAYER_NAMESPACE, { rooms: [playerRoom(playerId)], type, data });
  }

  /**
   * Disconnects every socket of the player on every node and namespace: /player sockets get `kicked`
   * {reason} first. Returns how many /player sockets the cluster held for the player (0 if unknown).
   */
  async disconnect(playerId: string, reason: string): Promise<number> {
    const at = Date.now();
    const room = playerRoom(playerId);
    let count = 0;
    // Without Redis the kick reaches this node's sockets only: the other nodes get it once Redis is back.
    let reachedEveryNode = !this.availability.configured || this.availability.available;
    const nsp = this.hub.namespace(PLAYER_NAMESPACE);
    if (nsp) {
      try {
        count = (await nsp.in(room).fetchSockets()).length;
      } catch (err) {
        reachedEveryNode = false;
        this.logger.warn(
          { err, playerId },
          'Could not count the player sockets across nodes; the kick is sent to the other nodes again when Redis is back',
        );
      }
    }
    if (!reachedEveryNode) this.unsent.set(playerId, { reason, at });
    this.hub.publish(PLAYER_NAMESPACE, {
      rooms: [room],
      type: 'kicked',
      data: { reason },
      disconnect: reason,
    });
    // After the kick (and an account_status before it) is written: a client multiplexes its namespaces on one
    // connection, which disconnectSockets(true) closes, so done first it would cut /player off unwarned.
    this.hub.afterPublished(() => {
      for (const name of this.hub.namespaceNames()) {
        if (name === PLAYER_NAMESPACE || name === ADMIN_NAMESPACE) continue;
        this.hub.namespace(name)?.in(room).disconnectSockets(true);
      }
    });
    return count;
  }

  /**
   * Redis is back: each kick given meanwhile goes out again, to the player's sockets on every node that were
   * connected before it (a session opened after the kick, which a kick does not forbid, stays). A kick that
   * still cannot reach the other nodes is tried again a little later.
   */
  private async resendKicks(): Promise<void> {
    clearTimeout(this.retry);
    for (const [playerId, { reason, at }] of [...this.unsent]) {
      try {
        const room = playerRoom(playerId);
        const before: string[] = [];
        for (const name of this.hub.namespaceNames()) {
          if (name === ADMIN_NAMESPACE) continue;
          const sockets = (await this.hub.namespace(name)?.in(room).fetchSockets()) ?? [];
          for (const s of sockets.filter((x) => x.handshake.issued < at)) {
            if (name === PLAYER_NAMESPACE) before.push(s.id);
            else s.disconnect(true);
          }
        }
        if (before.length > 0)
          this.hub.publish(PLAYER_NAMESPACE, {
            rooms: before,
            type: 'kicked',
            data: { reason },
            disconnect: reason,
          });
        if (this.unsent.get(playerId)?.at === at) this.unsent.delete(playerId);
        this.logger.log(
          { playerId, sockets: before.length },
          'Kick given while Redis was away sent to every node',
        );
      } catch (err) {
        this.logger.warn(
          { err, playerId },
          'Could not send a kick to the other nodes yet; trying again in 2 s',
        );
        this.retry = setTimeout(() => void this.resendKicks(), 2000);
        this.retry.unref();
        return;
      }
    }
  }
}
