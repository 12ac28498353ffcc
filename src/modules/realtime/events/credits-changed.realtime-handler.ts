import { Logger } from '@nestjs/common';
import { EventsHandler, type IEventHandler } from '@nestjs/cqrs';
import { CreditsChangedEvent } from '../../players/events/credits-changed.event.js';
import { AdminFeed } from '../admin-feed.service.js';
import { PlayerChannel } from '../player-channel.service.js';

/** A balance change → player_update credits on /admin and assets_changed on the player's /player sockets. */
@EventsHandler(CreditsChangedEvent)
export class CreditsChangedRealtimeHandler implements IEventHandler<CreditsChangedEvent> {
  private readonly logger = new Logger(CreditsChangedRealtimeHandler.name);

  constructor(
    private readonly feed: AdminFeed,
    private readonly players: PlayerChannel,
  ) {}

  handle(event: CreditsChangedEvent): void {
    try {
      this.feed.playerUpdate(event.playerId, 'credits', {
        before: event.before,
        after: event.after,
        delta: event.delta,
        source: event.source,
        actor_id: event.actorId,
      });
      this.players.notify(event.playerId, 'assets_changed', {
        kind: 'credits',
        credits: event.after,
        delta: event.delta,
        source: event.source,
      });
    } catch (err) {
      this.logger.warn({ err, playerId: event.playerId }, 'Could not publish a credits update');
    }
  }
}
