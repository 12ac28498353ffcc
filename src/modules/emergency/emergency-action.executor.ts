import { Injectable } from '@nestjs/common';
import type { IEvent } from '@nestjs/cqrs';
import type { EntityManager } from 'typeorm';
import { revokeRefreshTokens } from '../auth/token.service.js';
import { AuditService } from '../audit/audit.service.js';
import type { Actor } from '../auth/domain/actor.js';
import type { PlayerStatus } from '../players/domain/player-status.js';
import { CreditsChangedEvent } from '../players/events/credits-changed.event.js';
import { PlayerStatusChangedEvent } from '../players/events/player-status-changed.event.js';
import { PlayerUpdatedEvent } from '../players/events/player-updated.event.js';
import { AssetsChangedEvent } from '../assets/events/assets-changed.event.js';
import { EmergencyErrors } from './domain/emergency.errors.js';
import {
  MAX_EMERGENCY_CREDITS,
  nextStatus,
  type EmergencyAction,
  type EmergencyParams,
} from './domain/emergency-actions.js';
import { EmergencyActionTakenEvent } from './events/emergency-action-taken.event.js';
import { PlayerKickedEvent } from './events/player-kicked.event.js';

export interface EmergencyResult {
  action_id: string;
  player_id: string;
  action: EmergencyAction;
  result_status: 'success' | 'no_change';
  result_details: Record<string, unknown>;
}

interface LockedPlayer {
  id: string;
  user_id: string | null;
  status: PlayerStatus;
  credits: string;
  turns: number;
  current_sector: number;
  home_sector: number;
  active_ship_id: string | null;
  ban_until: Date | null;
  /** While banned: the status the ban lifts back to (null: active). */
  status_before_ban: PlayerStatus | null;
  /** Banned, and the ban's end has passed (by the database's clock), but the sweep has not lifted it yet. */
  ban_lapsed: boolean | null;
}

/** The reason recorded when a ban that ran out is lifted (by the sweep, or by the next action on the player). */
export const BAN_EXPIRED_REASON = 'ban expired';

/**
 * Applies one emergency action to one player inside the caller's transaction: locks the player, checks
 * the transition, changes the rows, records admin_emergency_actions and the audit row. Returns the result
 * and the events to publish once the caller has committed.
 */
@Injectable()
export class EmergencyActionExecutor {
  constructor(private readonly audit: AuditService) {}

  async apply(
    m: EntityManager,
    actor: Actor | null,
    playerId: string,
    action: EmergencyAction,
    params: EmergencyParams,
    reason: string,
  ): Promise<{ result: EmergencyResult; events: IEvent[] }> {
    const [p] = (await m.query(
      `SELECT id, user_id, status, credits::text AS credits, turns, current_sector, home_sector, active_ship_id,
              ban_until, status_before_ban, status = 'banned' AND ban_until <= now() AS ban_lapsed
       FROM players WHERE id = $1 FOR UPDATE`,
      [playerId],
    )) as LockedPlayer[];
    if (!p) throw EmergencyErrors.playerNotFound();
    if (p.ban_lapsed && action !== 'unban') {
      // Login already treats this ban as over, and the sweep would lift it after this action: a new ban (or a
      // freeze) must not be refused as "already banned" and then undone. Lift it first, as the sweep would.
      const lifted = await this.apply(m, null, playerId, 'unban', {}, BAN_EXPIRED_REASON);
      const taken = await this.apply(m, actor, playerId, action, params, reason);
      return { result: taken.result, events: [...lifted.events, ...taken.events] };
    }
    const actorId = actor?.userId ?? null;
    const events: IEvent[] = [];
    const before: Record<string, unknown> = {};
    const after: Record<string, unknown> = {};
    let details: Record<string, unknown> = {};
    let changedPlayer = false;

    const to = nextStatus(action, p.status, p.status_before_ban);
    if (to !== null) {
      const banUntil =
        action === 'ban' && params.banHours != null
          ? new Date(Date.now() + params.banHours * 3_600_000)
          : null;
      // A ban remembers the status it interrupts (never "banned": nextStatus refuses a ban on a ban); every
      // other status change leaves "banned" or was never in it, so nothing is remembered after it.
      const statusBeforeBan = action === 'ban' ? p.status : null;
      await m.query(
        `UPDATE players SET status = $2, ban_until = $3, ban_reason = $4, status_before_ban = $5 WHERE id = $1`,
        [playerId, to, banUntil, action === 'ban' ? reason : null, statusBeforeBan],
      );
      before.status = p.status;
      after.status = to;
      if (action === 'ban') after.ban_until = banUntil?.toISOString() ?? null;
      if (p.ban_until) before.ban_until = p.ban_until.toISOString();
      if (p.status_before_ban) before.status_before_ban = p.status_before_ban;
      if (statusBeforeBan) after.status_before_ban = statusBeforeBan;
      details = {
        from: p.status,
        to,
        ...(action === 'ban' ? { ban_until: after.ban_until, permanent: !banUntil } : {}),
      };
      changedPlayer = true;
      events.push(new PlayerStatusChangedEvent(playerId, p.status, to, reason, actorId));
    }

    switch (action) {
      case 'ban':
      case 'kick': {
        const revoked = await revokeRefreshTokens(m, p.user_id);
        details.refresh_tokens_revoked = revoked;
        events.push(new PlayerKickedEvent(playerId, p.user_id, reason, actorId));
        break;
      }
      case 'teleport_home':
        if (p.current_sector !== p.home_sector) {
          await m.query('UPDATE players SET current_sector = home_sector WHERE id = $1', [playerId]);
          before.current_sector = p.current_sector;
          after.current_sector = p.home_sector;
          changedPlayer = true;
          await m.query('UPDATE ships SET sector_id = $2, updated_at = now() WHERE id = $1', [
            p.active_ship_id,
            p.home_sector,
          ]);
        }
        details = { from_sector: p.current_sector, to_sector: p.home_sector };
        break;
      case 'reset_turns':
        if (p.turns !== params.turns) {
          await m.query('UPDATE players SET turns = $2 WHERE id = $1', [playerId, params.turns]);
          before.turns = p.turns;
          after.turns = params.turns;
          changedPlayer = true;
        }
        details = { from: p.turns, to: params.turns };
        break;
      case 'emergency_credits': {
        const [rows] = await m.query(
          `UPDATE players SET credits = credits + $2 WHERE id = $1 AND credits + $2 <= $3
           RETURNING credits::text AS credits`,
          [playerId, params.amount, String(BigInt(MAX_EMERGENCY_CREDITS) * 1_000_000n)],
        );
        if (rows.length !== 1) throw EmergencyErrors.creditsOverflow();
        before.credits = p.credits;
        after.credits = rows[0].credits;
        changedPlayer = true;
        details = { amount: params.amount, credits_before: p.credits, credits_after: rows[0].credits };
        events.push(
          new CreditsChangedEvent(playerId, p.credits, rows[0].credits, 'emergency_credits', actorId),
        );
        break;
      }
      case 'clear_cargo': {
        const ships = await this.ships(m, playerId, params.shipId, false, p.active_ship_id);
        const cleared = ships.filter((s) => s.cargo_used > 0);
        if (cleared.length > 0) {
          await m.query(
            `UPDATE ships SET cargo = '{}'::jsonb, cargo_used = 0, updated_at = now() WHERE id = ANY($1)`,
            [cleared.map((s) => s.id)],
          );
          events.push(
            new AssetsChangedEvent(
              playerId,
              'bulk_update',
              { cargo_cleared: cleared.map((s) => ({ ship_id: s.id, cargo: s.cargo })) },
              null,
              reason,
              actorId,
            ),
          );
        }
        before.cargo = Object.fromEntries(cleared.map((s) => [s.id, s.cargo]));
        after.cargo = Object.fromEntries(cleared.map((s) => [s.id, {}]));
        details = { ships_cleared: cleared.map((s) => ({ ship_id: s.id, cargo: s.cargo })) };
        break;
      }
      case 'repair_ship': {
        const [ship] = await this.ships(m, playerId, params.shipId, true, p.active_ship_id);
        if (ship!.hull < 100) {
          await m.query('UPDATE ships SET hull = 100, updated_at = now() WHERE id = $1', [ship!.id]);
          events.push(
            new AssetsChangedEvent(
              playerId,
              'bulk_update',
              { ships_updated: [ship!.id] },
              null,
              reason,
              actorId,
            ),
          );
        }
        before.hull = { [ship!.id]: ship!.hull };
        after.hull = { [ship!.id]: 100 };
        details = { ship_id: ship!.id, hull_before: ship!.hull, hull_after: 100 };
        break;
      }
      default:
        break;
    }

    let version: number | undefined;
    if (changedPlayer) {
      const [[row]] = await m.query(
        'UPDATE players SET version = version + 1, updated_at = now() WHERE id = $1 RETURNING version',
        [playerId],
      );
      version = row.version as number;
      const diff = Object.fromEntries(
        Object.keys(after)
          .filter((k) => ['turns', 'current_sector'].includes(k))
          .map((k) => [k, { before: before[k], after: after[k] }]),
      );
      if (Object.keys(diff).length > 0) events.push(new PlayerUpdatedEvent(playerId, diff, actorId, version));
    }
    const nothingChanged =
      !changedPlayer && !['kick', 'ban'].includes(action) && JSON.stringify(before) === JSON.stringify(after);
    const resultStatus = nothingChanged ? 'no_change' : 'success';

    const [rec] = await m.query(
      // clock_timestamp(), not the transaction's now(): a lapsed ban lifted just before the action in the same
      // transaction must list before it in the history.
      `INSERT INTO admin_emergency_actions (player_id, action_type, action_details, admin_id, reason, result_status,
                                            result_details, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, clock_timestamp()) RETURNING id`,
      [
        playerId,
        action,
        JSON.stringify(paramsForRecord(params)),
        actorId,
        reason,
        resultStatus,
        JSON.stringify(details),
      ],
    );
    await this.audit.record(m, actor, {
      action: `emergency.${action}`,
      targetType: 'player',
      targetId: playerId,
      reason,
      before,
      after: { ...after, result_status: resultStatus, emergency_action_id: rec.id },
    });
    events.push(
      new EmergencyActionTakenEvent(rec.id, playerId, action, resultStatus, details, reason, actorId),
    );
    return {
      result: {
        action_id: rec.id,
        player_id: playerId,
        action,
        result_status: resultStatus,
        result_details: details,
      },
      events,
    };
  }

  /** The named ship (must be the player's), else the active ship (single) or every ship of the player. */
  private async ships(
    m: EntityManager,
    playerId: string,
    shipId: string | undefined,
    single: boolean,
    activeShipId: string | null,
  ): Promise<{ id: string; cargo: Record<string, number>; cargo_used: number; hull: number }[]> {
    if (shipId || single) {
      const id = shipId ?? activeShipId;
      if (!id) throw EmergencyErrors.noShip();
      const rows = await m.query(
        'SELECT id, cargo, cargo_used, hull FROM ships WHERE id = $1 AND player_id = $2 FOR UPDATE',
        [id, playerId],
      );
      if (rows.length === 0) throw shipId ? EmergencyErrors.shipNotFound() : EmergencyErrors.noShip();
      return rows;
    }
    return m.query(
      'SELECT id, cargo, cargo_used, hull FROM ships WHERE player_id = $1 ORDER BY id FOR UPDATE',
      [playerId],
    );
  }
}

function paramsForRecord(p: EmergencyParams): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (p.banHours !== undefined) out.duration_hours = p.banHours;
  if (p.banHours === null) out.permanent = true;
  if (p.amount !== undefined) out.amount = p.amount;
  if (p.turns !== undefined) out.turns = p.turns;
  if (p.shipId !== undefined) out.ship_id = p.shipId;
  return out;
}
