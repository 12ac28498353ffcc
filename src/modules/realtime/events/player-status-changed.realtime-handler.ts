import { Logger } from '@nestjs/common';
import { EventsHandler, type IEventHandler } from '@nestjs/cqrs';
import { PlayerStatusChangedEvent } from '../../players/events/player-status-changed.event.js';
import { AdminFeed } from '../admin-feed.service.js';
import { accountStatusChange } from '../domain/player-update.js';
import { PlayerChannel } from '../player-channel.service.js';

/**
 * A status change → player_update status on /admin and account_status on /player; a banned player is then
 * disconnected everywhere (kicked {reason: 'banned'}).
 */
@EventsHandler(PlayerStatusChangedEvent)
export class PlayerStatusChangedRealtimeHandler implements IEventHandler<PlayerStatusChangedEvent> {
  private readonly logger = new Logger(PlayerStatusChangedRealtimeHandler.name);

  constructor(
    private readonly feed: AdminFeed,
    private readonly players: PlayerChannel,
  ) {}

  async handle(event: PlayerStatusChangedEvent): Promise<void> {
    try {
      this.feed.playerUpdate(event.playerId, 'status', {
        from: event.from,
        to: event.to,
        reason: event.reason,
        actor_id: event.actorId,
      });
      this.players.notify(event.playerId, 'account_status', {
        status: event.to,
        previous: event.from,
        change: accountStatusChange(event.from, event.to),
        reason: event.reason,
      });
      if (event.to === 'banned') await this.players.disconnect(event.playerId, 'banned');
    } catch (err) {
      this.logger.warn({ err, playerId: event.playerId }, 'Could not publish a status update');
    }
  }
}
