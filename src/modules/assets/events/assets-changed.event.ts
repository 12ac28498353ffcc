/**
 * A player's assets changed by an admin action (transfer, bulk update, granted ship). `changes` says what:
 * credits {before, after}, ships_added/ships_removed (ids), planets_added/planets_removed (ids),
 * cargo [{ship_id, commodity, before, after}], ships_updated (ids). `counterpartyId` is the other player
 * of a transfer, null otherwise.
 */
export class AssetsChangedEvent {
  constructor(
    readonly playerId: string,
    readonly kind: 'transfer_out' | 'transfer_in' | 'bulk_update' | 'ship_granted',
    readonly changes: Record<string, unknown>,
    readonly counterpartyId: string | null,
    readonly reason: string,
    readonly actorId: string | null,
  ) {}
}
