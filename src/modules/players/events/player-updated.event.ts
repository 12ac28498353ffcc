/** An admin changed a player; `changes` maps each changed field to its before and after values. */
export class PlayerUpdatedEvent {
  constructor(
    readonly playerId: string,
    readonly changes: Record<string, { before: unknown; after: unknown }>,
    readonly actorId: string | null,
    readonly version: number,
  ) {}
}
