export const INTERVENTION_STATUSES = ['open', 'assigned', 'in_progress', 'resolved', 'dismissed'] as const;
export type InterventionStatus = (typeof INTERVENTION_STATUSES)[number];
export const OPEN_STATUSES: readonly InterventionStatus[] = ['open', 'assigned', 'in_progress'];
export const PRIORITIES = ['low', 'medium', 'high', 'critical'] as const;
export type Priority = (typeof PRIORITIES)[number];

/** open -> assigned -> in_progress -> resolved | dismissed; an assignment may be handed back; anything open may be dismissed. */
const TRANSITIONS: Record<InterventionStatus, readonly InterventionStatus[]> = {
  open: ['assigned', 'dismissed'],
  assigned: ['in_progress', 'open', 'dismissed'],
  in_progress: ['resolved', 'dismissed'],
  resolved: [],
  dismissed: [],
};

export function canTransition(from: InterventionStatus, to: InterventionStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

export interface InterventionChange {
  status?: InterventionStatus;
  assigned_to?: string | null;
  resolution_notes?: string;
}

/**
 * The status and assignee an update leads to: the requested status, or "assigned" when an open intervention
 * is given an assignee, or "open" when an assigned one has its assignee taken away. Handing an intervention
 * back to open leaves it unassigned, so it is in nobody's queue. Returns an error code for an illegal or
 * incomplete change (the handler maps it to a 4xx).
 */
export function plan(
  current: { status: InterventionStatus; assigned_to: string | null },
  change: InterventionChange,
):
  | { status: InterventionStatus; assigned_to: string | null }
  | {
      error: 'illegal' | 'assignee_required' | 'assignee_not_allowed' | 'notes_required';
      to: InterventionStatus;
    } {
  let to = change.status ?? current.status;
  if (change.status === undefined && change.assigned_to && current.status === 'open') to = 'assigned';
  if (change.status === undefined && change.assigned_to === null && current.status === 'assigned')
    to = 'open';
  if (to !== current.status && !canTransition(current.status, to)) return { error: 'illegal', to };
  if (to === current.status && !OPEN_STATUSES.includes(to) && change.assigned_to !== undefined) {
    return { error: 'illegal', to };
  }
  if (to === 'open') {
    if (change.assigned_to) return { error: 'assignee_not_allowed', to };
    return { status: to, assigned_to: null };
  }
  const assignee = change.assigned_to === undefined ? current.assigned_to : change.assigned_to;
  if ((to === 'assigned' || to === 'in_progress') && !assignee) return { error: 'assignee_required', to };
  if ((to === 'resolved' || to === 'dismissed') && to !== current.status && !change.resolution_notes) {
    return { error: 'notes_required', to };
  }
  return { status: to, assigned_to: assignee };
}
