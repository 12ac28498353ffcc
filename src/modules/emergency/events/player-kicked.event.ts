/**
 * The player must lose every socket on every node now (kick, ban). Its refresh tokens were revoked in the
 * same transaction that published this; access tokens die on their own short TTL.
 */
export class PlayerKickedEvent {
  constructor(
    readonly playerId: string,
    readonly userId: string | null,
    readonly reason: string,
    readonly actorId: string | null,
  ) {}
}
