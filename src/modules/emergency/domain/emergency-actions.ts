import { CommonErrors } from '../../../infrastructure/errors/common.errors.js';
import { Permission } from '../../auth/domain/roles.js';
import type { PlayerStatus } from '../../players/domain/player-status.js';
import { STARTING_TURNS } from '../../players/domain/starting-kit.js';
import { EmergencyErrors } from './emergency.errors.js';

export const EMERGENCY_ACTIONS = [
  'freeze',
  'unfreeze',
  'ban',
  'unban',
  'kick',
  'teleport_home',
  'reset_turns',
  'emergency_credits',
  'clear_cargo',
  'repair_ship',
] as const;
export type EmergencyAction = (typeof EMERGENCY_ACTIONS)[number];

/** DESIGN.md: moderators may kick, freeze, unfreeze and teleport home; everything else is admin or above. */
const BASIC: ReadonlySet<EmergencyAction> = new Set(['kick', 'freeze', 'unfreeze', 'teleport_home']);

export function permissionFor(action: EmergencyAction): Permission {
  return BASIC.has(action) ? Permission.EmergencyBasic : Permission.EmergencyAdvanced;
}

export const MAX_EMERGENCY_CREDITS = 1_000_000_000;
export const MAX_BAN_HOURS = 24 * 365 * 10;
export const MAX_RESET_TURNS = 1_000_000;

export interface EmergencyParams {
  /** ban: hours until it lifts itself; null = permanent. */
  banHours?: number | null;
  amount?: number;
  turns?: number;
  shipId?: string;
}

/** The raw, per-action fields of a request body (single or bulk). */
export interface RawEmergencyParams {
  duration_hours?: number;
  permanent?: boolean;
  amount?: number;
  turns?: number;
  ship_id?: string;
}

/**
 * Checks the fields an action needs and refuses those it does not take, so a typo never silently becomes a
 * permanent ban or a default amount.
 */
export function normaliseEmergencyParams(action: EmergencyAction, raw: RawEmergencyParams): EmergencyParams {
  const allowed: Record<EmergencyAction, (keyof RawEmergencyParams)[]> = {
    freeze: [],
    unfreeze: [],
    unban: [],
    kick: [],
    teleport_home: [],
    ban: ['duration_hours', 'permanent'],
    reset_turns: ['turns'],
    emergency_credits: ['amount'],
    clear_cargo: ['ship_id'],
    repair_ship: ['ship_id'],
  };
  const fields: Record<string, string[]> = {};
  for (const key of Object.keys(raw) as (keyof RawEmergencyParams)[]) {
    if (raw[key] !== undefined && !allowed[action].includes(key)) fields[key] = [`not used by ${action}`];
  }
  const out: EmergencyParams = {};
  if (action === 'ban') {
    const hasDuration = raw.duration_hours !== undefined;
    const permanent = raw.permanent === true;
    if (hasDuration === permanent) {
      fields.duration_hours = ['give duration_hours or permanent: true, not both'];
    } else if (hasDuration) {
      const h = raw.duration_hours!;
      if (!Number.isInteger(h) || h < 1 || h > MAX_BAN_HOURS) {
        fields.duration_hours = [`an integer from 1 to ${MAX_BAN_HOURS}`];
      }
      out.banHours = h;
    } else out.banHours = null;
  }
  if (action === 'emergency_credits') {
    const a = raw.amount;
    if (a === undefined || !Number.isInteger(a) || a < 1 || a > MAX_EMERGENCY_CREDITS) {
      fields.amount = [`an integer from 1 to ${MAX_EMERGENCY_CREDITS}`];
    }
    out.amount = a;
  }
  if (action === 'reset_turns') {
    const t = raw.turns ?? STARTING_TURNS;
    if (!Number.isInteger(t) || t < 0 || t > MAX_RESET_TURNS)
      fields.turns = [`an integer from 0 to ${MAX_RESET_TURNS}`];
    out.turns = t;
  }
  if ((action === 'clear_cargo' || action === 'repair_ship') && raw.ship_id !== undefined) {
    out.shipId = raw.ship_id;
  }
  if (Object.keys(fields).length > 0) {
    throw CommonErrors.validation(
      `Invalid parameters for ${action}: ${Object.keys(fields).join(', ')}`,
      fields,
    );
  }
  return out;
}

/**
 * The status an action leads to from `from`, null when it leaves the status alone; throws the 409 for an
 * illegal transition (nothing is written). A ban lifts back to the status the player had when it began
 * (`statusBeforeBan`; none recorded, as for bans older than that column: active). Freezing or unfreezing a
 * banned player is refused: the ban decides until it is lifted, and then it gives back what was before it.
 */
export function nextStatus(
  action: EmergencyAction,
  from: PlayerStatus,
  statusBeforeBan: PlayerStatus | null = null,
): PlayerStatus | null {
  switch (action) {
    case 'freeze':
      if (from === 'banned') throw EmergencyErrors.underBan(action, statusBeforeBan ?? 'active');
      if (from === 'frozen') throw EmergencyErrors.illegalTransition(action, from);
      return 'frozen';
    case 'unfreeze':
      if (from === 'banned') throw EmergencyErrors.underBan(action, statusBeforeBan ?? 'active');
      if (from !== 'frozen') throw EmergencyErrors.illegalTransition(action, from);
      return 'active';
    case 'ban':
      if (from === 'banned') throw EmergencyErrors.illegalTransition(action, from);
      return 'banned';
    case 'unban':
      if (from !== 'banned') throw EmergencyErrors.illegalTransition(action, from);
      return statusBeforeBan ?? 'active';
    default:
      return null;
  }
}
