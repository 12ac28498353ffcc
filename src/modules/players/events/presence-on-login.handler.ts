import { Logger } from '@nestjs/common';
import { EventsHandler, type IEventHandler } from '@nestjs/cqrs';
import { isPresenceUnavailable } from '../../../infrastructure/presence/presence.errors.js';
import { PresenceService } from '../../../infrastructure/presence/presence.service.js';
import { PlayerLoggedInEvent } from '../../auth/events/player-logged-in.event.js';

/** A login counts as a sign of life until sockets take over presence. Idempotent: it only renews a TTL. */
@EventsHandler(PlayerLoggedInEvent)
export class PresenceOnLoginHandler implements IEventHandler<PlayerLoggedInEvent> {
  private readonly logger = new Logger(PresenceOnLoginHandler.name);

  constructor(private readonly presence: PresenceService) {}

  async handle(event: PlayerLoggedInEvent): Promise<void> {
    try {
      await this.presence.touch(event.playerId);
    } catch (err) {
      // While Redis is away every login fails here, and RedisAvailability has told the outage once.
      if (isPresenceUnavailable(err))
        this.logger.debug({ playerId: event.playerId }, 'Could not record presence on login');
      else this.logger.warn({ err, playerId: event.playerId }, 'Could not record presence on login');
    }
  }
}
