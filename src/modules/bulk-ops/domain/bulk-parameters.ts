import { CommonErrors } from '../../../infrastructure/errors/common.errors.js';
import { PLAYER_STATUSES, type PlayerStatus } from '../../players/domain/player-status.js';
import { SHIP_TYPES, type ShipType } from '../../players/domain/starting-kit.js';

export const BULK_OPERATION_TYPES = [
  'adjust_credits',
  'set_status',
  'adjust_turns',
  'teleport',
  'send_message',
  'grant_ship',
  'reset_risk',
] as const;
export type BulkOperationType = (typeof BULK_OPERATION_TYPES)[number];
export const BULK_STATUSES = ['pending', 'running', 'completed', 'failed', 'cancelled'] as const;
export type BulkStatus = (typeof BULK_STATUSES)[number];

export const MAX_BULK_CREDITS = 1_000_000_000_000;
export const MAX_BULK_TURNS = 1_000_000;
export const MAX_BAN_HOURS = 24 * 365 * 10;

export type BulkParameters =
  | { type: 'adjust_credits'; amount: number }
  | { type: 'adjust_turns'; amount: number }
  | { type: 'set_status'; status: PlayerStatus; ban_hours: number | null }
  | { type: 'teleport'; sector_id: number }
  | { type: 'send_message'; message: string }
  | { type: 'grant_ship'; ship_type: ShipType; name: string | null }
  | { type: 'reset_risk' };

const isInt = (v: unknown, min: number, max: number): v is number =>
  typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;

/**
 * Checks an operation's parameters against its type (every field named, every unknown field refused) and
 * returns them in a canonical form. Throws VALIDATION_FAILED naming each bad field as parameters.<name>.
 */
export function normaliseBulkParameters(type: BulkOperationType, raw: unknown): BulkParameters {
  const p = (raw ?? {}) as Record<string, unknown>;
  const fields: Record<string, string[]> = {};
  const known: Record<BulkOperationType, string[]> = {
    adjust_credits: ['amount'],
    adjust_turns: ['amount'],
    set_status: ['status', 'ban_hours'],
    teleport: ['sector_id'],
    send_message: ['message'],
    grant_ship: ['ship_type', 'name'],
    reset_risk: [],
  };
  if (typeof p !== 'object' || Array.isArray(p)) {
    throw CommonErrors.validation('parameters must be an object', { parameters: ['must be an object'] });
  }
  for (const key of Object.keys(p)) {
    if (!known[type].includes(key)) fields[`parameters.${key}`] = [`not a parameter of ${type}`];
  }
  let out: BulkParameters | undefined;
  switch (type) {
    case 'adjust_credits':
      if (!isInt(p.amount, -MAX_BULK_CREDITS, MAX_BULK_CREDITS) || p.amount === 0) {
        fields['parameters.amount'] = [`a non-zero integer within ±${MAX_BULK_CREDITS}`];
      } else out = { type, amount: p.amount };
      break;
    case 'adjust_turns':
      if (!isInt(p.amount, -MAX_BULK_TURNS, MAX_BULK_TURNS) || p.amount === 0) {
        fields['parameters.amount'] = [`a non-zero integer within ±${MAX_BULK_TURNS}`];
      } else out = { type, amount: p.amount };
      break;
    case 'set_status': {
      const status = p.status as PlayerStatus;
      if (!(PLAYER_STATUSES as readonly unknown[]).includes(status)) {
        fields['parameters.status'] = [`one of ${PLAYER_STATUSES.join(', ')}`];
      }
      if (p.ban_hours !== undefined && (status !== 'banned' || !isInt(p.ban_hours, 1, MAX_BAN_HOURS))) {
        fields['parameters.ban_hours'] = [`only with status banned, an integer from 1 to ${MAX_BAN_HOURS}`];
      }
      out = { type, status, ban_hours: (p.ban_hours as number | undefined) ?? null };
      break;
    }
    case 'teleport':
      if (!isInt(p.sector_id, 1, 2_147_483_647)) fields['parameters.sector_id'] = ['a sector id'];
      else out = { type, sector_id: p.sector_id };
      break;
    case 'send_message':
      if (typeof p.message !== 'string' || p.message.trim().length < 1 || p.message.length > 1000) {
        fields['parameters.message'] = ['1 to 1000 characters'];
      } else out = { type, message: p.message.trim() };
      break;
    case 'grant_ship':
      if (!(SHIP_TYPES as unknown[]).includes(p.ship_type)) {
        fields['parameters.ship_type'] = [`one of ${SHIP_TYPES.join(', ')}`];
      }
      if (p.name !== undefined && (typeof p.name !== 'string' || p.name.length < 1 || p.name.length > 60)) {
        fields['parameters.name'] = ['1 to 60 characters'];
      }
      out = { type, ship_type: p.ship_type as ShipType, name: (p.name as string | undefined) ?? null };
      break;
    case 'reset_risk':
      out = { type };
      break;
  }
  if (Object.keys(fields).length > 0 || !out) {
    throw CommonErrors.validation(
      `Invalid parameters for ${type}: ${Object.keys(fields).join(', ')}`,
      fields,
    );
  }
  return out;
}

/** Share of the target processed, 0..1 (a filter may match fewer rows by the time they are reached). */
export function progressOf(status: BulkStatus, processed: number, total: number): number {
  if (status === 'completed') return 1;
  if (total <= 0) return 0;
  return Math.min(1, Math.round((processed / total) * 10_000) / 10_000);
}
