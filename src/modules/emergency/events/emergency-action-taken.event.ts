/** An emergency action committed (one per player, also for the bulk endpoint and the ban-expiry sweep). */
export class EmergencyActionTakenEvent {
  constructor(
    readonly actionId: string,
    readonly playerId: string,
    readonly action: string,
    readonly resultStatus: string,
    readonly resultDetails: Record<string, unknown>,
    readonly reason: string,
    readonly actorId: string | null,
  ) {}
}
