import { Logger } from '@nestjs/common';
import { EventsHandler, type IEventHandler } from '@nestjs/cqrs';
import { PlayerUpdatedEvent } from '../../players/events/player-updated.event.js';
import { AdminFeed } from '../admin-feed.service.js';
import { playerVisibleChanges } from '../domain/player-update.js';
import { PlayerChannel } from '../player-channel.service.js';

/** Credits and status have events of their own; this carries the other changed fields. */
const OWN_EVENTS = new Set(['credits', 'status', 'ban_until']);

/** An admin edit → player_update assets on /admin (every other field) and assets_changed on /player (fields the player may see). */
@EventsHandler(PlayerUpdatedEvent)
export class PlayerUpdatedRealtimeHandler implements IEventHandler<PlayerUpdatedEvent> {
  private readonly logger = new Logger(PlayerUpdatedRealtimeHandler.name);

  constructor(
    private readonly feed: AdminFeed,
    private readonly players: PlayerChannel,
  ) {}

  handle(event: PlayerUpdatedEvent): void {
    try {
      const changes = Object.fromEntries(
        Object.entries(event.changes).filter(([field]) => !OWN_EVENTS.has(field)),
      );
      if (Object.keys(changes).length === 0) return;
      this.feed.playerUpdate(event.playerId, 'assets', {
        changes,
        version: event.version,
        actor_id: event.actorId,
      });
      const visible = playerVisibleChanges(changes);
      if (Object.keys(visible).length > 0) {
        this.players.notify(event.playerId, 'assets_changed', { kind: 'profile', changes: visible });
      }
    } catch (err) {
      this.logger.warn({ err, playerId: event.playerId }, 'Could not publish a player update');
    }
  }
}
