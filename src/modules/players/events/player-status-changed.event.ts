import type { PlayerStatus } from '../domain/player-status.js';

export class PlayerStatusChangedEvent {
  constructor(
    readonly playerId: string,
    readonly from: PlayerStatus,
    readonly to: PlayerStatus,
    readonly reason: string,
    readonly actorId: string | null,
  ) {}
}
