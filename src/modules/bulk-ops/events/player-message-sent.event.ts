/** An admin message for one player (bulk send_message); /player should deliver it if the player is online. */
export class PlayerMessageSentEvent {
  constructor(
    readonly playerId: string,
    readonly message: string,
    readonly operationId: string,
    readonly actorId: string | null,
  ) {}
}
