import { CommandHandler, EventBus, type ICommandHandler, type IEvent } from '@nestjs/cqrs';
import { DataSource, type EntityManager } from 'typeorm';
import { inTransaction, isUniqueViolation } from '../../../infrastructure/database/transaction.js';
import { AuditService } from '../../audit/audit.service.js';
import { revokeRefreshTokens } from '../../auth/token.service.js';
import { BAN_EXPIRED_REASON, EmergencyActionExecutor } from '../../emergency/emergency-action.executor.js';
import { PlayersErrors } from '../domain/players.errors.js';
import type { PlayerStatus } from '../domain/player-status.js';
import { CreditsChangedEvent } from '../events/credits-changed.event.js';
import { PlayerStatusChangedEvent } from '../events/player-status-changed.event.js';
import { PlayerUpdatedEvent } from '../events/player-updated.event.js';
import { UpdatePlayerCommand, type UpdatePlayerResult } from './update-player.command.js';

/** Column and SQL cast per updatable field (the names are the API's, so they double as column names). */
const COLUMNS: Record<string, string> = {
  username: 'text',
  email: 'text',
  credits: 'bigint',
  turns: 'integer',
  status: 'text',
  ban_until: 'timestamptz',
  team_id: 'uuid',
  current_sector: 'integer',
  activity_score: 'integer',
  risk_score: 'integer',
  aria_trust_level: 'real',
};

type Snapshot = Record<string, unknown>;

type LockedPlayer = Snapshot & {
  status: PlayerStatus;
  version: number;
  user_id: string | null;
  /** Banned, and the ban's end has passed (by the database's clock), but the sweep has not lifted it yet. */
  ban_lapsed: boolean | null;
};

interface Outcome {
  before: Snapshot;
  after: Snapshot;
  version: number;
  /** The events of a lapsed ban lifted before the change, to publish first. */
  lifted: IEvent[];
}

/**
 * Optimistic concurrency: the row is locked, its version compared with the caller's, and the UPDATE is
 * guarded by the version too. The audit row (before/after of the changed fields) commits with the change;
 * events go out only after the commit. A ban that has run out but is not swept yet is lifted first, through
 * the emergency executor as any other action on the player does (docs/adminops.md).
 */
@CommandHandler(UpdatePlayerCommand)
export class UpdatePlayerHandler implements ICommandHandler<UpdatePlayerCommand> {
  constructor(
    private readonly dataSource: DataSource,
    private readonly audit: AuditService,
    private readonly eventBus: EventBus,
    private readonly emergency: EmergencyActionExecutor,
  ) {}

  async execute(cmd: UpdatePlayerCommand): Promise<UpdatePlayerResult> {
    const { actor, playerId, expectedVersion, reason } = cmd;
    const changes: Snapshot = { ...cmd.changes };
    // Only a string is an address: the DTO refuses anything else, and String(null) would store "null".
    if (typeof changes.email === 'string') changes.email = changes.email.toLowerCase();
    if (changes.credits !== undefined) changes.credits = String(changes.credits); // compared with the bigint text
    // A status sets the ban's end with it: leaving "banned" clears it, and a ban without ban_until is for good,
    // so an end the row still carries (from a ban in force, or left on an unbanned row) never carries over.
    if (changes.status !== undefined && changes.ban_until === undefined) changes.ban_until = null;

    const outcome = await this.runUpdate(actor, playerId, expectedVersion, changes, cmd.changes, reason);
    const { before, after, version, lifted } = outcome;
    this.eventBus.publishAll(lifted);
    const changed = Object.keys(after);
    if (changed.length > 0) {
      const diff = Object.fromEntries(changed.map((k) => [k, { before: before[k], after: after[k] }]));
      this.eventBus.publish(new PlayerUpdatedEvent(playerId, diff, actor.userId, version));
      if ('credits' in after) {
        this.eventBus.publish(
          new CreditsChangedEvent(
            playerId,
            String(before.credits),
            String(after.credits),
            'admin_update',
            actor.userId,
          ),
        );
      }
      if ('status' in after) {
        this.eventBus.publish(
          new PlayerStatusChangedEvent(
            playerId,
            before.status as PlayerStatus,
            after.status as PlayerStatus,
            reason,
            actor.userId,
          ),
        );
      }
    }
    return { id: playerId, version, changed };
  }

  private async runUpdate(
    actor: UpdatePlayerCommand['actor'],
    playerId: string,
    expectedVersion: number,
    changes: Snapshot,
    requested: UpdatePlayerCommand['changes'],
    reason: string,
  ): Promise<Outcome> {
    const fields = Object.keys(changes);
    try {
      return await inTransaction(this.dataSource, async (m) => {
        let current = await lockPlayer(m, playerId);
        if (!current) throw PlayersErrors.notFound();
        if (current.version !== expectedVersion)
          throw PlayersErrors.versionConflict(current.version, expectedVersion);
        if (changes.team_id) {
          const [team] = await m.query('SELECT 1 FROM teams WHERE id = $1', [changes.team_id]);
          if (!team) throw PlayersErrors.teamNotFound();
        }
        if (changes.current_sector !== undefined) {
          const [sector] = await m.query('SELECT 1 FROM sectors WHERE id = $1', [changes.current_sector]);
          if (!sector) throw PlayersErrors.sectorNotFound();
        }
        const lifted: IEvent[] = [];
        if (current.ban_lapsed) {
          // Login already treats this ban as over, and the sweep would lift it after this change: lift it first,
          // recorded as the sweep would, so a new ban takes effect (and is compared with the lifted status).
          const unban = await this.emergency.apply(m, null, playerId, 'unban', {}, BAN_EXPIRED_REASON);
          lifted.push(...unban.events);
          current = (await lockPlayer(m, playerId))!;
        }
        // ban_until is a ban's end: it goes with status "banned", or alone on a ban in force.
        if (requested.ban_until !== undefined && (changes.status ?? current.status) !== 'banned')
          throw PlayersErrors.banUntilWithoutBan();

        const before: Snapshot = {};
        const after: Snapshot = {};
        for (const f of fields) {
          const old = normalise(f, current[f]);
          const next = normalise(f, changes[f]);
          if (old !== next) {
            before[f] = old;
            after[f] = next;
          }
        }
        if (Object.keys(after).length === 0) return { before, after, version: current.version, lifted };

        const params: unknown[] = [playerId, current.version];
        const sets = Object.keys(after).map((f) => {
          params.push(after[f]);
          return `${f} = $${params.length}::${COLUMNS[f]}`;
        });
        // A status change either starts a ban (remember the status it interrupts, for the unban or the sweep
        // to give back, and why, as the emergency ban does) or leaves one (nothing to remember); a ban's end moved
        // alone keeps what it remembered.
        if ('status' in after) {
          params.push(after.status);
          const starts = `$${params.length}::text = 'banned'`;
          params.push(reason);
          sets.push(
            `status_before_ban = CASE WHEN ${starts} THEN status END`,
            `ban_reason = CASE WHEN ${starts} THEN $${params.length}::text END`,
          );
        }
        const [rows] = await m.query(
          `UPDATE players SET ${sets.join(', ')}, version = version + 1, updated_at = now()
           WHERE id = $1 AND version = $2 RETURNING version`,
          params,
        );
        if (rows.length !== 1) throw PlayersErrors.versionConflict(current.version, expectedVersion);
        if ('current_sector' in after) {
          // The active ship travels with its pilot, as the emergency teleport_home and the bulk teleport move it.
          await m.query(
            `UPDATE ships SET sector_id = $2, updated_at = now()
             WHERE id = (SELECT active_ship_id FROM players WHERE id = $1)`,
            [playerId, after.current_sector],
          );
        }
        if ('username' in after) {
          await m.query(
            'UPDATE users SET username = $2, updated_at = now() WHERE id = (SELECT user_id FROM players WHERE id = $1)',
            [playerId, after.username],
          );
        }
        // A ban ends the player's logins, as the emergency ban does: its refresh tokens go with the change (its
        // sockets are disconnected on the status event; an access token lives out its TTL for REST reads).
        if (after.status === 'banned') await revokeRefreshTokens(m, current.user_id);
        // A ban's audit row always names its end (here the one the row already had), so a permanent one reads so.
        const end =
          after.status === 'banned' && !('ban_until' in after)
            ? { ban_until: normalise('ban_until', changes.ban_until) }
            : {};
        await this.audit.record(m, actor, {
          action: 'players.update',
          targetType: 'player',
          targetId: playerId,
          reason,
          before: { ...before, ...end },
          after: { ...after, ...end },
        });
        return { before, after, version: rows[0].version as number, lifted };
      });
    } catch (err) {
      if (
        isUniqueViolation(err, 'players_username_lower_uq') ||
        isUniqueViolation(err, 'users_username_lower_uq')
      ) {
        throw PlayersErrors.usernameTaken();
      }
      if (isUniqueViolation(err, 'players_email_lower_uq')) throw PlayersErrors.emailTaken();
      throw err;
    }
  }
}

/** The row as the change sees it, locked; ban_lapsed as the emergency executor reads it. */
async function lockPlayer(m: EntityManager, playerId: string): Promise<LockedPlayer | undefined> {
  const [row] = await m.query(
    `SELECT username, email, credits::text AS credits, turns, status, ban_until, team_id, current_sector,
            activity_score, risk_score, aria_trust_level, version, user_id,
            status = 'banned' AND ban_until <= now() AS ban_lapsed
     FROM players WHERE id = $1 FOR UPDATE`,
    [playerId],
  );
  return row;
}

/**
 * One comparable, JSON-friendly form per value: the date field (ban_until) as an ISO string whatever offset it
 * was sent with, bigints as strings. Only a field known to be a date is parsed: a username may look like one.
 */
function normalise(field: string, value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  if (field === 'ban_until' && typeof value === 'string') return new Date(value).toISOString();
  if (typeof value === 'number' && !Number.isInteger(value)) return Math.round(value * 1e6) / 1e6;
  if (typeof value === 'bigint') return value.toString();
  return value;
}
