import { describe, expect, it } from '@jest/globals';
import { canTransition, plan } from './intervention-status.js';

const ADMIN = '0b6f1a7e-3c1d-4a53-9d43-3f5a1f1f0c11';

describe('intervention status', () => {
  it('follows open -> assigned -> in_progress -> resolved | dismissed', () => {
    expect(canTransition('open', 'assigned')).toBe(true);
    expect(canTransition('assigned', 'in_progress')).toBe(true);
    expect(canTransition('in_progress', 'resolved')).toBe(true);
    expect(canTransition('in_progress', 'dismissed')).toBe(true);
    expect(canTransition('open', 'resolved')).toBe(false);
    expect(canTransition('resolved', 'open')).toBe(false);
    expect(canTransition('dismissed', 'in_progress')).toBe(false);
  });

  it('assigns an open intervention when given an assignee', () => {
    expect(plan({ status: 'open', assigned_to: null }, { assigned_to: ADMIN })).toEqual({
      status: 'assigned',
      assigned_to: ADMIN,
    });
  });

  it('hands an assignment back to open unassigned, by status or by taking the assignee away', () => {
    const assigned = { status: 'assigned', assigned_to: ADMIN } as const;
    expect(plan(assigned, { status: 'open' })).toEqual({ status: 'open', assigned_to: null });
    expect(plan(assigned, { assigned_to: null })).toEqual({ status: 'open', assigned_to: null });
    expect(plan(assigned, { status: 'open', assigned_to: ADMIN })).toEqual({
      error: 'assignee_not_allowed',
      to: 'open',
    });
    expect(plan({ status: 'in_progress', assigned_to: ADMIN }, { assigned_to: null })).toEqual({
      error: 'assignee_required',
      to: 'in_progress',
    });
  });

  it('refuses illegal or incomplete changes', () => {
    expect(
      plan({ status: 'open', assigned_to: null }, { status: 'resolved', resolution_notes: 'x' }),
    ).toEqual({
      error: 'illegal',
      to: 'resolved',
    });
    expect(plan({ status: 'open', assigned_to: null }, { status: 'assigned' })).toEqual({
      error: 'assignee_required',
      to: 'assigned',
    });
    expect(plan({ status: 'in_progress', assigned_to: ADMIN }, { status: 'resolved' })).toEqual({
      error: 'notes_required',
      to: 'resolved',
    });
    expect(plan({ status: 'resolved', assigned_to: ADMIN }, { assigned_to: null })).toEqual({
      error: 'illegal',
      to: 'resolved',
    });
  });
});
