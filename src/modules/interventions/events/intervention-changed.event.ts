/** An intervention was created (by an admin or a risk rule) or changed; for intervention_update on /admin. */
export class InterventionChangedEvent {
  constructor(
    readonly interventionId: string,
    readonly change: 'created' | 'updated',
    readonly playerId: string | null,
    readonly status: string,
    readonly priority: string,
    readonly category: string,
    readonly assignedTo: string | null,
    readonly version: number,
    readonly automatic: boolean,
    readonly actorId: string | null,
  ) {}
}
