import { CommandHandler, EventBus, type ICommandHandler, type IEvent } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import { Inject } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../../../config/app-config.js';
import {
  inIdempotentTransaction,
  type Idempotent,
} from '../../../infrastructure/database/idempotent-transaction.js';
import { AuditService } from '../../audit/audit.service.js';
import { SHIP_CAPACITY, type ShipType } from '../../players/domain/starting-kit.js';
import { CreditsChangedEvent } from '../../players/events/credits-changed.event.js';
import { AssetsErrors } from '../domain/assets.errors.js';
import { applyCargoChanges, type Cargo, type CargoChange } from '../domain/cargo.js';
import { AssetsChangedEvent } from '../events/assets-changed.event.js';
import { BulkUpdateAssetsCommand, type BulkUpdateAssetsResult } from './bulk-update-assets.command.js';
import { reassignActiveShip } from './reassign-active-ship.js';

const SHIP_LABEL: Record<ShipType, string> = {
  escape_pod: 'Escape Pod',
  scout: 'Scout',
  courier: 'Courier',
  light_freighter: 'Light Freighter',
  cargo_hauler: 'Cargo Hauler',
};

/** A ship's editable state, as its audit row records it before and after a change. */
interface ShipState {
  name: string;
  type: string;
  hull: number;
  sector_id: number;
}
/**
 * Credits, ships, cargo and planets of one player changed together: all or nothing. The player row is
 * locked first (and its version checked when given), then ships in id order; any refusal rolls back all.
 */
@CommandHandler(BulkUpdateAssetsCommand)
export class BulkUpdateAssetsHandler implements ICommandHandler<BulkUpdateAssetsCommand> {
  constructor(
    private readonly dataSource: DataSource,
    private readonly audit: AuditService,
    private readonly eventBus: EventBus,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async execute(cmd: BulkUpdateAssetsCommand): Promise<Idempotent<BulkUpdateAssetsResult>> {
    const { actor, playerId, changes: c, expectedVersion, reason } = cmd;
    const hasShips = !!(c.ships?.add?.length || c.ships?.update?.length || c.ships?.remove?.length);
    const hasPlanets = !!(c.planets?.assign?.length || c.planets?.release?.length);
    if (!c.credits && !hasShips && !c.cargo?.length && !hasPlanets) throw AssetsErrors.nothingToUpdate();
    if (c.credits?.mode === 'set' && c.credits.amount < 0) throw AssetsErrors.negativeCredits();

    const events: IEvent[] = [];
    const scope = {
      userId: actor.userId,
      request: cmd.idempotency,
      ttlHours: this.config.idempotencyTtlHours,
    };
    const outcome = await inIdempotentTransaction(this.dataSource, scope, async (m) => {
      events.length = 0;
      const [p] = await m.query(
        `SELECT id, credits::text AS credits, version, current_sector, active_ship_id FROM players
         WHERE id = $1 FOR UPDATE`,
        [playerId],
      );
      if (!p) throw AssetsErrors.playerNotFound();
      if (expectedVersion !== undefined && p.version !== expectedVersion) {
        throw AssetsErrors.versionConflict(p.version, expectedVersion);
      }
      const out: BulkUpdateAssetsResult = {
        player_id: playerId,
        version: p.version,
        credits: p.credits,
        ships_added: [],
        ships_updated: [],
        ships_removed: [],
        cargo: [],
        planets_assigned: [],
        planets_released: [],
      };

      if (c.credits) {
        const set = c.credits.mode === 'set';
        const [rows] = await m.query(
          `UPDATE players SET credits = ${set ? '$2::bigint' : 'credits + $2::bigint'}
           WHERE id = $1 AND ${set ? '$2::bigint' : 'credits + $2::bigint'} >= 0 RETURNING credits::text AS c`,
          [playerId, c.credits.amount],
        );
        if (rows.length !== 1) throw AssetsErrors.negativeCredits();
        out.credits = rows[0].c;
        if (out.credits !== p.credits) {
          events.push(
            new CreditsChangedEvent(playerId, p.credits, out.credits, 'admin_assets_update', actor.userId),
          );
        }
      }

      // Ships named by update, remove or cargo must all be this player's: lock them together, in id order.
      const named = [
        ...new Set([
          ...(c.ships?.update ?? []).map((u) => u.ship_id),
          ...(c.ships?.remove ?? []),
          ...(c.cargo ?? []).map((x) => x.ship_id),
        ]),
      ];
      const owned = new Map<
        string,
        {
          id: string;
          capacity: number;
          cargo: Cargo;
          name: string;
          type: string;
          hull: number;
          sector_id: number;
        }
      >();
      if (named.length) {
        const rows = await m.query(
          `SELECT id, capacity, cargo, name, type, hull, sector_id FROM ships
           WHERE id = ANY($1::uuid[]) AND player_id = $2 ORDER BY id FOR UPDATE`,
          [named, playerId],
        );
        for (const r of rows) owned.set(r.id, r);
        const missing = named.filter((id) => !owned.has(id));
        if (missing.length) throw AssetsErrors.shipNotOwned(missing);
      }

      const cargoByShip = new Map<string, CargoChange[]>();
      for (const x of c.cargo ?? []) {
        const list = cargoByShip.get(x.ship_id) ?? [];
        list.push({ commodity: x.commodity, mode: x.mode, quantity: x.quantity });
        cargoByShip.set(x.ship_id, list);
      }
      for (const [shipId, list] of cargoByShip) {
        const ship = owned.get(shipId)!;
        const next = applyCargoChanges(ship.cargo, ship.capacity, list);
        if (!next.ok) {
          throw next.reason === 'capacity'
            ? AssetsErrors.cargoCapacity(shipId)
            : AssetsErrors.cargoShortfall(shipId, next.commodity ?? '');
        }
        await m.query('UPDATE ships SET cargo = $2, cargo_used = $3, updated_at = now() WHERE id = $1', [
          shipId,
          JSON.stringify(next.cargo),
          next.used,
        ]);
        out.cargo.push({ ship_id: shipId, cargo: next.cargo, cargo_used: next.used });
      }

      // Each ship edited, added or removed, as it was and as it is, for the audit row.
      const shipsBefore: Record<string, ShipState> = {};
      const shipsAfter: Record<string, ShipState> = {};
      for (const id of [...(c.ships?.update ?? []).map((u) => u.ship_id), ...(c.ships?.remove ?? [])]) {
        const { name, type, hull, sector_id } = owned.get(id)!;
        shipsBefore[id] = { name, type, hull, sector_id };
      }
      for (const u of c.ships?.update ?? []) {
        if (u.sector_id !== undefined) {
          const [s] = await m.query('SELECT 1 FROM sectors WHERE id = $1', [u.sector_id]);
          if (!s) throw AssetsErrors.sectorNotFound(u.sector_id);
        }
        const [[edited]] = (await m.query(
          `UPDATE ships SET name = coalesce($2, name), hull = coalesce($3, hull), sector_id = coalesce($4, sector_id),
                  updated_at = now() WHERE id = $1 RETURNING name, type, hull, sector_id`,
          [u.ship_id, u.name ?? null, u.hull ?? null, u.sector_id ?? null],
        )) as [ShipState[], number];
        shipsAfter[u.ship_id] = edited!;
        out.ships_updated.push(u.ship_id);
      }
      for (const a of c.ships?.add ?? []) {
        const type = a.type as ShipType;
        const [row] = await m.query(
          `INSERT INTO ships (player_id, name, type, sector_id, capacity) VALUES ($1, $2, $3, $4, $5)
           RETURNING id, name, type, hull, sector_id`,
          [playerId, a.name ?? SHIP_LABEL[type], type, p.current_sector, SHIP_CAPACITY[type]],
        );
        const { id, ...added } = row as ShipState & { id: string };
        shipsAfter[id] = added;
        out.ships_added.push(id);
      }
      if (c.ships?.remove?.length) {
        await m.query('UPDATE ships SET player_id = NULL, updated_at = now() WHERE id = ANY($1::uuid[])', [
          c.ships.remove,
        ]);
        out.ships_removed = c.ships.remove;
      }
      // Keep an active ship when the player has any: the removed one is replaced by the oldest remaining.
      if (!p.active_ship_id || (c.ships?.remove ?? []).includes(p.active_ship_id)) {
        await reassignActiveShip(m, playerId);
      }

      if (c.planets?.assign?.length) {
        const [rows] = await m.query(
          `UPDATE planets SET owner_id = $1 WHERE id = ANY($2::uuid[]) AND owner_id IS NULL RETURNING id`,
          [playerId, c.planets.assign],
        );
        const ids = (rows as { id: string }[]).map((r) => r.id);
        if (ids.length !== c.planets.assign.length) {
          throw AssetsErrors.planetTaken(c.planets.assign.filter((id) => !ids.includes(id)));
        }
        out.planets_assigned = c.planets.assign;
      }
      if (c.planets?.release?.length) {
        const [rows] = await m.query(
          `UPDATE planets SET owner_id = NULL WHERE id = ANY($2::uuid[]) AND owner_id = $1 RETURNING id`,
          [playerId, c.planets.release],
        );
        const ids = (rows as { id: string }[]).map((r) => r.id);
        if (ids.length !== c.planets.release.length) {
          throw AssetsErrors.planetNotOwned(c.planets.release.filter((id) => !ids.includes(id)));
        }
        out.planets_released = c.planets.release;
      }

      const [[v]] = await m.query(
        'UPDATE players SET version = version + 1, updated_at = now() WHERE id = $1 RETURNING version',
        [playerId],
      );
      out.version = v.version;
      await this.audit.record(m, actor, {
        action: 'assets.bulk_update',
        targetType: 'player',
        targetId: playerId,
        reason,
        before: {
          credits: p.credits,
          version: p.version,
          cargo: Object.fromEntries([...owned].map(([k, s]) => [k, s.cargo])),
          ships: shipsBefore,
        },
        after: { ...out, ships: shipsAfter },
      });
      return out;
    });
    if (outcome.replayed) return outcome;
    const { player_id: _id, version: _v, ...summary } = outcome.result;
    events.push(new AssetsChangedEvent(playerId, 'bulk_update', summary, null, reason, actor.userId));
    this.eventBus.publishAll(events);
    return outcome;
  }
}
