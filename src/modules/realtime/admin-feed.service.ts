import { Injectable } from '@nestjs/common';
import { RealtimeHub } from '../../infrastructure/websocket/realtime-hub.service.js';
import type { Permission } from '../auth/domain/roles.js';
import { Rooms, type PlayerUpdate, type UpdateType } from './domain/player-update.js';

export const ADMIN_NAMESPACE = '/admin';

/**
 * The /admin live feed for every module: `publish` reaches every /admin socket on every node whose role has the
 * permission the message names, the one its REST counterpart requires (bulk progress: bulk:operate, so not
 * moderators; emergency actions and metrics: players:view; intervention changes: interventions:manage);
 * `playerUpdate` reaches the staff subscribed to that player (or to all players) whose topic filter admits the
 * update type.
 */
@Injectable()
export class AdminFeed {
  constructor(private readonly hub: RealtimeHub) {}

  publish(permission: Permission, type: string, data: unknown): void {
    this.hub.publish(ADMIN_NAMESPACE, { rooms: null, type, data, permission });
  }

  playerUpdate(playerId: string, updateType: UpdateType, data: Record<string, unknown>): void {
    const update: PlayerUpdate = { player_id: playerId, update_type: updateType, data };
    this.hub.publish(ADMIN_NAMESPACE, {
      rooms: [Rooms.watchAll, Rooms.watchPlayer(playerId)],
      type: 'player_update',
      data: update,
      topic: updateType,
    });
  }
}
