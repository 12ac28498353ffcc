import { describe, expect, it } from '@jest/globals';
import { AppError } from '../../../infrastructure/errors/app-error.js';
import { Permission } from '../../auth/domain/roles.js';
import { nextStatus, normaliseEmergencyParams, permissionFor } from './emergency-actions.js';

describe('emergency actions', () => {
  it('splits permissions as DESIGN.md says', () => {
    expect(permissionFor('kick')).toBe(Permission.EmergencyBasic);
    expect(permissionFor('freeze')).toBe(Permission.EmergencyBasic);
    expect(permissionFor('unfreeze')).toBe(Permission.EmergencyBasic);
    expect(permissionFor('teleport_home')).toBe(Permission.EmergencyBasic);
    for (const a of [
      'ban',
      'unban',
      'emergency_credits',
      'reset_turns',
      'clear_cargo',
      'repair_ship',
    ] as const) {
      expect(permissionFor(a)).toBe(Permission.EmergencyAdvanced);
    }
  });

  it('allows only legal status transitions', () => {
    expect(nextStatus('freeze', 'active')).toBe('frozen');
    expect(nextStatus('unfreeze', 'frozen')).toBe('active');
    expect(nextStatus('ban', 'frozen')).toBe('banned');
    expect(nextStatus('unban', 'banned')).toBe('active');
    expect(nextStatus('unban', 'banned', 'frozen')).toBe('frozen');
    expect(nextStatus('unban', 'banned', 'suspended')).toBe('suspended');
    expect(nextStatus('kick', 'banned')).toBeNull();
    expect(() => nextStatus('freeze', 'banned')).toThrow(AppError);
    expect(() => nextStatus('unfreeze', 'active')).toThrow(AppError);
    expect(() => nextStatus('ban', 'banned')).toThrow(AppError);
    expect(() => nextStatus('unban', 'active')).toThrow(AppError);
    expect(() => nextStatus('unfreeze', 'banned', 'frozen')).toThrow('the ban lifts to frozen');
  });

  it('needs exactly one of duration_hours and permanent for a ban', () => {
    expect(normaliseEmergencyParams('ban', { duration_hours: 24 })).toEqual({ banHours: 24 });
    expect(normaliseEmergencyParams('ban', { permanent: true })).toEqual({ banHours: null });
    expect(() => normaliseEmergencyParams('ban', {})).toThrow(AppError);
    expect(() => normaliseEmergencyParams('ban', { duration_hours: 2, permanent: true })).toThrow(AppError);
    expect(() => normaliseEmergencyParams('ban', { duration_hours: 0 })).toThrow(AppError);
  });

  it('refuses fields an action does not take, and checks amounts', () => {
    expect(() => normaliseEmergencyParams('kick', { amount: 5 })).toThrow(AppError);
    expect(() => normaliseEmergencyParams('emergency_credits', {})).toThrow(AppError);
    expect(() => normaliseEmergencyParams('emergency_credits', { amount: -5 })).toThrow(AppError);
    expect(normaliseEmergencyParams('emergency_credits', { amount: 500 })).toEqual({ amount: 500 });
    expect(normaliseEmergencyParams('reset_turns', {})).toEqual({ turns: 1000 });
  });
});
