/** A player's balance changed (admin edit, trade, transfer, bulk job...). Amounts are bigint decimal strings. */
export class CreditsChangedEvent {
  constructor(
    readonly playerId: string,
    readonly before: string,
    readonly after: string,
    readonly source: string,
    readonly actorId: string | null,
  ) {}

  get delta(): string {
    return (BigInt(this.after) - BigInt(this.before)).toString();
  }
}
