import { describe, expect, it } from '@jest/globals';
import { AppError } from '../../../infrastructure/errors/app-error.js';
import { normaliseBulkParameters, progressOf } from './bulk-parameters.js';

function fieldsOf(fn: () => unknown): Record<string, string[]> {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(AppError);
    return (err as AppError).details!.fields as Record<string, string[]>;
  }
  throw new Error('expected a validation error');
}

describe('bulk operation parameters', () => {
  it('accepts each type with its parameters', () => {
    expect(normaliseBulkParameters('adjust_credits', { amount: -50 })).toEqual({
      type: 'adjust_credits',
      amount: -50,
    });
    expect(normaliseBulkParameters('set_status', { status: 'banned', ban_hours: 24 })).toEqual({
      type: 'set_status',
      status: 'banned',
      ban_hours: 24,
    });
    expect(normaliseBulkParameters('teleport', { sector_id: 7 })).toEqual({ type: 'teleport', sector_id: 7 });
    expect(normaliseBulkParameters('send_message', { message: ' hi ' })).toEqual({
      type: 'send_message',
      message: 'hi',
    });
    expect(normaliseBulkParameters('grant_ship', { ship_type: 'scout' })).toEqual({
      type: 'grant_ship',
      ship_type: 'scout',
      name: null,
    });
    expect(normaliseBulkParameters('reset_risk', {})).toEqual({ type: 'reset_risk' });
  });

  it('names every bad or unknown parameter', () => {
    expect(
      Object.keys(fieldsOf(() => normaliseBulkParameters('adjust_credits', { amount: 0, x: 1 }))),
    ).toEqual(['parameters.x', 'parameters.amount']);
    expect(fieldsOf(() => normaliseBulkParameters('adjust_credits', { amount: 1.5 }))).toHaveProperty([
      'parameters.amount',
    ]);
    expect(
      fieldsOf(() => normaliseBulkParameters('set_status', { status: 'active', ban_hours: 2 })),
    ).toHaveProperty(['parameters.ban_hours']);
    expect(fieldsOf(() => normaliseBulkParameters('grant_ship', { ship_type: 'battlestar' }))).toHaveProperty(
      ['parameters.ship_type'],
    );
    expect(fieldsOf(() => normaliseBulkParameters('reset_risk', { amount: 1 }))).toHaveProperty([
      'parameters.amount',
    ]);
  });

  it('reports progress as a share', () => {
    expect(progressOf('running', 250, 1000)).toBe(0.25);
    expect(progressOf('completed', 990, 1000)).toBe(1);
    expect(progressOf('pending', 0, 0)).toBe(0);
  });
});
