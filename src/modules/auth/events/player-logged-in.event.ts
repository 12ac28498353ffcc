/** Published after a successful login commits. */
export class PlayerLoggedInEvent {
  constructor(
    readonly playerId: string,
    readonly userId: string,
    readonly username: string,
    readonly at: Date,
  ) {}
}
