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

/** The halt as Socket.IO's market_halt carries it (/market; /admin adds the actor). */
export function haltWire(event: MarketHaltChangedEvent) {
  return {
    scope: event.commodity ?? '*',
    halted: event.halted,
    reason: event.reason,
    at: event.at.toISOString(),
  };
}
