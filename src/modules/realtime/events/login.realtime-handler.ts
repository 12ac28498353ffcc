import { Logger } from '@nestjs/common';
import { EventsHandler, type IEventHandler } from '@nestjs/cqrs';
import { PlayerLoggedInEvent } from '../../auth/events/player-logged-in.event.js';
import { AdminFeed } from '../admin-feed.service.js';

/** A login (HTTP) → player_update login on /admin. */
@EventsHandler(PlayerLoggedInEvent)
export class LoginRealtimeHandler implements IEventHandler<PlayerLoggedInEvent> {
  private readonly logger = new Logger(LoginRealtimeHandler.name);

  constructor(private readonly feed: AdminFeed) {}

  handle(event: PlayerLoggedInEvent): void {
    try {
      this.feed.playerUpdate(event.playerId, 'login', {
        source: 'http',
        username: event.username,
        at: event.at.toISOString(),
      });
    } catch (err) {
      this.logger.warn({ err, playerId: event.playerId }, 'Could not publish a login update');
    }
  }
}
