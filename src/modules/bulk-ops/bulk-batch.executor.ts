import type { IEvent } from '@nestjs/cqrs';
import type { EntityManager } from 'typeorm';
import { AssetsChangedEvent } from '../assets/events/assets-changed.event.js';
import { PlayerKickedEvent } from '../emergency/events/player-kicked.event.js';
import type { PlayerStatus } from '../players/domain/player-status.js';
import { SHIP_CAPACITY } from '../players/domain/starting-kit.js';
import { CreditsChangedEvent } from '../players/events/credits-changed.event.js';
import { PlayerStatusChangedEvent } from '../players/events/player-status-changed.event.js';
import { PlayerUpdatedEvent } from '../players/events/player-updated.event.js';
import type { BulkParameters } from './domain/bulk-parameters.js';
import { PlayerMessageSentEvent } from './events/player-message-sent.event.js';

export interface BatchPlayer {
  id: string;
  user_id: string | null;
  status: PlayerStatus;
  ban_until: Date | null;
  credits: string;
  turns: number;
  current_sector: number;
  risk_score: number;
  active_ship_id: string | null;
}

export interface BatchIssue {
  player_id: string;
  outcome: 'failed' | 'skipped';
  code: string;
  message: string;
}

export interface BatchOutcome {
  succeeded: string[];
  issues: BatchIssue[];
  /** player id -> [before, after] of what changed, for the batch's audit row. */
  changes: Record<string, [unknown, unknown]>;
  events: IEvent[];
}

export interface BatchContext {
  operationId: string;
  reason: string;
  actorId: string | null;
}

const SHIP_LABEL: Record<string, string> = {
  escape_pod: 'Escape Pod',
  scout: 'Scout',
  courier: 'Courier',
  light_freighter: 'Light Freighter',
  cargo_hauler: 'Cargo Hauler',
};

/**
 * Applies one operation to a batch of locked players with set-based, guarded statements (one UPDATE per
 * batch, not per player). Players a guard refuses are reported as failed; players already in the wanted
 * state as skipped.
 */
export async function applyBatch(
  m: EntityManager,
  params: BulkParameters,
  players: BatchPlayer[],
  ctx: BatchContext,
): Promise<BatchOutcome> {
  const ids = players.map((p) => p.id);
  const out: BatchOutcome = { succeeded: [], issues: [], changes: {}, events: [] };
  const skip = (id: string, code: string, message: string) =>
    out.issues.push({ player_id: id, outcome: 'skipped', code, message });
  const fail = (id: string, code: string, message: string) =>
    out.issues.push({ player_id: id, outcome: 'failed', code, message });

  switch (params.type) {
    case 'adjust_credits': {
      const [rows] = await m.query(
        `UPDATE players SET credits = credits + $2::bigint, version = version + 1, updated_at = now()
         WHERE id = ANY($1::uuid[]) AND credits + $2::bigint >= 0
         RETURNING id, (credits - $2::bigint)::text AS before, credits::text AS after`,
        [ids, params.amount],
      );
      const done = new Map((rows as { id: string; before: string; after: string }[]).map((r) => [r.id, r]));
      for (const p of players) {
        const r = done.get(p.id);
        if (r === undefined) {
          fail(p.id, 'INSUFFICIENT_CREDITS', `balance ${p.credits} cannot absorb ${params.amount}`);
          continue;
        }
        out.succeeded.push(p.id);
        out.changes[p.id] = [r.before, r.after];
        out.events.push(new CreditsChangedEvent(p.id, r.before, r.after, 'bulk_operation', ctx.actorId));
      }
      break;
    }
    case 'adjust_turns': {
      const [rows] = await m.query(
        `UPDATE players SET turns = (turns::bigint + $2)::int, version = version + 1, updated_at = now()
         WHERE id = ANY($1::uuid[]) AND turns::bigint + $2 BETWEEN 0 AND 2147483647
         RETURNING id, turns - $2 AS before, turns, version`,
        [ids, params.amount],
      );
      const done = new Map(
        (rows as { id: string; before: number; turns: number; version: number }[]).map((r) => [r.id, r]),
      );
      for (const p of players) {
        const r = done.get(p.id);
        if (!r) {
          fail(p.id, 'TURNS_OUT_OF_RANGE', `turns ${p.turns} cannot absorb ${params.amount}`);
          continue;
        }
        out.succeeded.push(p.id);
        out.changes[p.id] = [p.turns, r.turns];
        out.events.push(
          new PlayerUpdatedEvent(
            p.id,
            { turns: { before: p.turns, after: r.turns } },
            ctx.actorId,
            r.version,
          ),
        );
      }
      break;
    }
    case 'set_status': {
      const banned = params.status === 'banned';
      const banUntil =
        banned && params.ban_hours ? new Date(Date.now() + params.ban_hours * 3_600_000) : null;
      // A ban is "already there" only when it lasts at least as long as the one ordered: a shorter ban, or one
      // that ran out and waits for the sweep, would otherwise be skipped and set the player free.
      const already = (p: BatchPlayer) =>
        p.status === params.status &&
        (!banned || p.ban_until === null || (banUntil !== null && p.ban_until >= banUntil));
      const todo = players.filter((p) => !already(p));
      for (const p of players) {
        if (!already(p)) continue;
        const until = p.ban_until ? ` until ${p.ban_until.toISOString()}` : banned ? ' permanently' : '';
        skip(p.id, 'ALREADY_IN_STATUS', `already ${p.status}${until}`);
      }
      if (todo.length) {
        // A ban remembers the status it interrupts, and one that replaces a ban keeps what the first remembered,
        // so the unban or the sweep gives it back. Any other status is set as ordered, and the memory goes.
        const rows = (await m.query(
          `UPDATE players SET status = $2, ban_until = $3, ban_reason = $4,
                  status_before_ban = CASE WHEN $2 <> 'banned' THEN NULL
                                           WHEN status = 'banned' THEN status_before_ban ELSE status END,
                  version = version + 1, updated_at = now()
           WHERE id = ANY($1::uuid[]) RETURNING id, status_before_ban`,
          [todo.map((p) => p.id), params.status, banUntil, banned ? ctx.reason : null],
        )) as [{ id: string; status_before_ban: PlayerStatus | null }[], number];
        const liftsTo = new Map(rows[0].map((r) => [r.id, r.status_before_ban ?? 'active']));
        if (banned) {
          await m.query(
            'UPDATE refresh_tokens SET revoked_at = now() WHERE user_id = ANY($1::uuid[]) AND revoked_at IS NULL',
            [todo.map((p) => p.user_id).filter((u): u is string => u !== null)],
          );
        }
        for (const p of todo) {
          out.succeeded.push(p.id);
          out.changes[p.id] = banned
            ? [
                { status: p.status, ban_until: p.ban_until?.toISOString() ?? null },
                {
                  status: params.status,
                  ban_until: banUntil?.toISOString() ?? null,
                  status_before_ban: liftsTo.get(p.id),
                },
              ]
            : [p.status, params.status];
          out.events.push(
            new PlayerStatusChangedEvent(p.id, p.status, params.status, ctx.reason, ctx.actorId),
          );
          if (banned) out.events.push(new PlayerKickedEvent(p.id, p.user_id, ctx.reason, ctx.actorId));
        }
      }
      break;
    }
    case 'teleport': {
      const todo = players.filter((p) => p.current_sector !== params.sector_id);
      for (const p of players) {
        if (p.current_sector === params.sector_id)
          skip(p.id, 'ALREADY_THERE', `already in sector ${params.sector_id}`);
      }
      if (todo.length) {
        const todoIds = todo.map((p) => p.id);
        const [rows] = await m.query(
          `UPDATE players SET current_sector = $2, version = version + 1, updated_at = now()
           WHERE id = ANY($1::uuid[]) RETURNING id, version`,
          [todoIds, params.sector_id],
        );
        await m.query(
          `UPDATE ships SET sector_id = $2, updated_at = now()
           WHERE id IN (SELECT active_ship_id FROM players WHERE id = ANY($1::uuid[]))`,
          [todoIds, params.sector_id],
        );
        const versions = new Map((rows as { id: string; version: number }[]).map((r) => [r.id, r.version]));
        for (const p of todo) {
          out.succeeded.push(p.id);
          out.changes[p.id] = [p.current_sector, params.sector_id];
          out.events.push(
            new PlayerUpdatedEvent(
              p.id,
              { current_sector: { before: p.current_sector, after: params.sector_id } },
              ctx.actorId,
              versions.get(p.id) ?? 0,
            ),
          );
        }
      }
      break;
    }
    case 'reset_risk': {
      const todo = players.filter((p) => p.risk_score !== 0);
      for (const p of players) if (p.risk_score === 0) skip(p.id, 'ALREADY_ZERO', 'risk_score is already 0');
      if (todo.length) {
        const [rows] = await m.query(
          `UPDATE players SET risk_score = 0, version = version + 1, updated_at = now()
           WHERE id = ANY($1::uuid[]) RETURNING id, version`,
          [todo.map((p) => p.id)],
        );
        const versions = new Map((rows as { id: string; version: number }[]).map((r) => [r.id, r.version]));
        for (const p of todo) {
          out.succeeded.push(p.id);
          out.changes[p.id] = [p.risk_score, 0];
          out.events.push(
            new PlayerUpdatedEvent(
              p.id,
              { risk_score: { before: p.risk_score, after: 0 } },
              ctx.actorId,
              versions.get(p.id) ?? 0,
            ),
          );
        }
      }
      break;
    }
    case 'send_message':
      for (const p of players) {
        out.succeeded.push(p.id);
        out.changes[p.id] = [null, 'message_sent'];
        out.events.push(new PlayerMessageSentEvent(p.id, params.message, ctx.operationId, ctx.actorId));
      }
      break;
    case 'grant_ship': {
      const name = params.name ?? SHIP_LABEL[params.ship_type]!;
      const rows = (await m.query(
        `INSERT INTO ships (player_id, name, type, sector_id, capacity)
         SELECT p.id, $2, $3, p.current_sector, $4 FROM players p WHERE p.id = ANY($1::uuid[])
         RETURNING id, player_id`,
        [ids, name, params.ship_type, SHIP_CAPACITY[params.ship_type]],
      )) as { id: string; player_id: string }[];
      await m.query(
        `UPDATE players p SET active_ship_id = s.id FROM ships s
         WHERE p.id = ANY($1::uuid[]) AND p.active_ship_id IS NULL AND s.player_id = p.id AND s.id = ANY($2::uuid[])`,
        [ids, rows.map((r) => r.id)],
      );
      for (const r of rows) {
        out.succeeded.push(r.player_id);
        out.changes[r.player_id] = [null, r.id];
        out.events.push(
          new AssetsChangedEvent(
            r.player_id,
            'ship_granted',
            { ships_added: [r.id] },
            null,
            ctx.reason,
            ctx.actorId,
          ),
        );
      }
      break;
    }
  }
  return out;
}
