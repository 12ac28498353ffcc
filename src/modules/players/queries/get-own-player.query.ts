import { Query } from '@nestjs/cqrs';
import type { PlayerSummaryDto } from '../dto/player.response.dto.js';

export type OwnPlayerView = Omit<PlayerSummaryDto, 'risk_score' | 'online'>;

/** A player's own profile: everything but the moderation signals. */
export class GetOwnPlayerQuery extends Query<OwnPlayerView> {
  constructor(readonly playerId: string) {
    super();
  }
}
