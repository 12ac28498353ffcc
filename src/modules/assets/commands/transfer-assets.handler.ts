import { CommandHandler, EventBus, type ICommandHandler, type IEvent } from '@nestjs/cqrs';
import { DataSource, type EntityManager } from 'typeorm';
import { Inject } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../../../config/app-config.js';
import {
  inIdempotentTransaction,
  type Idempotent,
} from '../../../infrastructure/database/idempotent-transaction.js';
import { AuditService } from '../../audit/audit.service.js';
import { CreditsChangedEvent } from '../../players/events/credits-changed.event.js';
import { AssetsErrors } from '../domain/assets.errors.js';
import { applyCargoChanges, type Cargo } from '../domain/cargo.js';
import { AssetsChangedEvent } from '../events/assets-changed.event.js';
import { reassignActiveShip } from './reassign-active-ship.js';
import { TransferAssetsCommand, type TransferResult } from './transfer-assets.command.js';

interface PartyRow {
  id: string;
  status: string;
  credits: string;
  active_ship_id: string | null;
}

/** Statuses that may neither give nor receive (freeze blocks trades and transfers). */
const RESTRICTED = new Set(['frozen', 'banned']);

/**
 * Moves credits, ships, planets and cargo from one player to another in one transaction. Both players are
 * locked in id order, whatever the direction, so two opposite transfers cannot deadlock; every debit is a
 * guarded UPDATE whose affected count is checked, so nothing can go negative.
 */
@CommandHandler(TransferAssetsCommand)
export class TransferAssetsHandler implements ICommandHandler<TransferAssetsCommand> {
  constructor(
    private readonly dataSource: DataSource,
    private readonly audit: AuditService,
    private readonly eventBus: EventBus,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async execute(cmd: TransferAssetsCommand): Promise<Idempotent<TransferResult>> {
    const { actor, fromPlayerId: from, spec, reason } = cmd;
    const to = spec.toPlayerId;
    if (from === to) throw AssetsErrors.samePlayer();
    if (!spec.credits && !spec.shipIds.length && !spec.planetIds.length && !spec.cargo) {
      throw AssetsErrors.nothingToTransfer();
    }
    const events: IEvent[] = [];
    const scope = {
      userId: actor.userId,
      request: cmd.idempotency,
      ttlHours: this.config.idempotencyTtlHours,
    };
    const outcome = await inIdempotentTransaction(this.dataSource, scope, async (m) => {
      events.length = 0;
      const rows = (await m.query(
        `SELECT id, status, credits::text AS credits, active_ship_id FROM players
         WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE`,
        [[from, to]],
      )) as PartyRow[];
      const src = rows.find((r) => r.id === from);
      const dst = rows.find((r) => r.id === to);
      if (!src) throw AssetsErrors.playerNotFound('Source player');
      if (!dst) throw AssetsErrors.playerNotFound('Receiving player');
      for (const p of [src, dst])
        if (RESTRICTED.has(p.status)) throw AssetsErrors.partyRestricted(p.id, p.status);

      const out: TransferResult = {
        from_player_id: from,
        to_player_id: to,
        credits: null,
        ship_ids: [],
        planet_ids: [],
        cargo: null,
      };
      if (spec.credits) {
        const [debited] = await m.query(
          `UPDATE players SET credits = credits - $2 WHERE id = $1 AND credits >= $2 RETURNING credits::text AS c`,
          [from, spec.credits],
        );
        if (debited.length !== 1) throw AssetsErrors.insufficientCredits();
        const [credited] = await m.query(
          `UPDATE players SET credits = credits + $2 WHERE id = $1 RETURNING credits::text AS c`,
          [to, spec.credits],
        );
        out.credits = { amount: spec.credits, from_after: debited[0].c, to_after: credited[0].c };
        events.push(
          new CreditsChangedEvent(from, src.credits, debited[0].c, 'admin_transfer', actor.userId),
          new CreditsChangedEvent(to, dst.credits, credited[0].c, 'admin_transfer', actor.userId),
        );
      }
      if (spec.cargo) out.cargo = await this.moveCargo(m, src, dst, spec.cargo);
      if (spec.shipIds.length) {
        const [moved] = await m.query(
          `UPDATE ships SET player_id = $2, updated_at = now() WHERE id = ANY($3::uuid[]) AND player_id = $1
           RETURNING id`,
          [from, to, spec.shipIds],
        );
        const movedIds = (moved as { id: string }[]).map((r) => r.id);
        if (movedIds.length !== spec.shipIds.length) {
          throw AssetsErrors.shipNotOwned(spec.shipIds.filter((id) => !movedIds.includes(id)));
        }
        if (src.active_ship_id && spec.shipIds.includes(src.active_ship_id))
          await reassignActiveShip(m, from);
        if (!dst.active_ship_id) {
          await m.query('UPDATE players SET active_ship_id = $2 WHERE id = $1', [to, spec.shipIds[0]]);
        }
        out.ship_ids = spec.shipIds;
      }
      if (spec.planetIds.length) {
        const [moved] = await m.query(
          `UPDATE planets SET owner_id = $2 WHERE id = ANY($3::uuid[]) AND owner_id = $1 RETURNING id`,
          [from, to, spec.planetIds],
        );
        const movedIds = (moved as { id: string }[]).map((r) => r.id);
        if (movedIds.length !== spec.planetIds.length) {
          throw AssetsErrors.planetNotOwned(spec.planetIds.filter((id) => !movedIds.includes(id)));
        }
        out.planet_ids = spec.planetIds;
      }
      await m.query(
        'UPDATE players SET version = version + 1, updated_at = now() WHERE id = ANY($1::uuid[])',
        [[from, to]],
      );
      await this.audit.record(m, actor, {
        action: 'assets.transfer',
        targetType: 'player',
        targetId: from,
        reason,
        before: { from_credits: src.credits, to_credits: dst.credits },
        after: out,
      });
      // The receiver's side, so that its history (audit `target`, the player's recent_audit) shows what it got.
      await this.audit.record(m, actor, {
        action: 'assets.transfer_in',
        targetType: 'player',
        targetId: to,
        reason,
        before: { credits: dst.credits },
        after: out,
      });
      return out;
    });
    if (outcome.replayed) return outcome;
    const result = outcome.result;
    const summary = {
      credits: result.credits?.amount ?? 0,
      ship_ids: result.ship_ids,
      planet_ids: result.planet_ids,
      cargo: result.cargo,
    };
    events.push(
      new AssetsChangedEvent(from, 'transfer_out', summary, to, reason, actor.userId),
      new AssetsChangedEvent(to, 'transfer_in', summary, from, reason, actor.userId),
    );
    this.eventBus.publishAll(events);
    return outcome;
  }

  private async moveCargo(
    m: EntityManager,
    src: PartyRow,
    dst: PartyRow,
    c: NonNullable<TransferAssetsCommand['spec']['cargo']>,
  ): Promise<NonNullable<TransferResult['cargo']>> {
    const toShipId = c.toShipId ?? dst.active_ship_id;
    if (!toShipId) throw AssetsErrors.noDestinationShip();
    // Ships locked in id order too, for the same reason as the players.
    const ships = (await m.query(
      'SELECT id, player_id, capacity, cargo FROM ships WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE',
      [[c.shipId, toShipId]],
    )) as { id: string; player_id: string | null; capacity: number; cargo: Cargo }[];
    const from = ships.find((s) => s.id === c.shipId && s.player_id === src.id);
    const to = ships.find((s) => s.id === toShipId && s.player_id === dst.id);
    if (!from) throw AssetsErrors.shipNotOwned([c.shipId]);
    if (!to) throw AssetsErrors.shipNotOwned([toShipId]);
    const taken = applyCargoChanges(from.cargo, from.capacity, [
      { commodity: c.commodity, mode: 'adjust', quantity: -c.quantity },
    ]);
    if (!taken.ok) throw AssetsErrors.cargoShortfall(from.id, c.commodity);
    const given = applyCargoChanges(to.cargo, to.capacity, [
      { commodity: c.commodity, mode: 'adjust', quantity: c.quantity },
    ]);
    if (!given.ok) throw AssetsErrors.cargoCapacity(to.id);
    for (const [id, out] of [
      [from.id, taken],
      [to.id, given],
    ] as const) {
      await m.query('UPDATE ships SET cargo = $2, cargo_used = $3, updated_at = now() WHERE id = $1', [
        id,
        JSON.stringify(out.cargo),
        out.used,
      ]);
    }
    return { from_ship_id: from.id, to_ship_id: to.id, commodity: c.commodity, quantity: c.quantity };
  }
}
