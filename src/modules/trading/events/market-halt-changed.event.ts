/** Trading was halted or resumed, globally (commodity null) or for one commodity. Published after commit. */
export class MarketHaltChangedEvent {
  constructor(
    readonly commodity: string | null,
    readonly halted: boolean,
    readonly reason: string,
    readonly actorId: string,
    readonly at: Date,
  ) {}
}
