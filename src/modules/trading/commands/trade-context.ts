import type { EntityManager } from 'typeorm';
import type { Commodity } from '../domain/commodities.js';
import type { TradeAction, TradeContext } from '../domain/trade-rules.js';
import { TradingErrors } from '../domain/trading.errors.js';

export interface LoadedTradeContext extends TradeContext {
  shipId: string;
  /** The stored request hash and result when this player already used the key (as of this snapshot). */
  existing: { hash: string; response: unknown } | null;
}

const HALT = `(SELECT jsonb_build_object('scope', scope, 'reason', reason) FROM market_halts
               WHERE scope IN ('*', $3) ORDER BY scope = '*' DESC LIMIT 1)`;

/**
 * Reads everything a trade's rules need in one round trip. With `lock`, the player, its active ship and the
 * market row are locked in that fixed order (FOR UPDATE OF follows the FROM order), so concurrent trades
 * never deadlock on them; the station's treasury is changed later by a guarded UPDATE instead of a lock.
 */
export async function loadTradeContext(
  m: EntityManager,
  playerId: string,
  stationId: string,
  commodity: Commodity,
  action: TradeAction,
  options: { lock: boolean; idempotencyKey?: string },
): Promise<LoadedTradeContext> {
  const params: unknown[] = [playerId, stationId, commodity];
  let existing = 'NULL::jsonb';
  if (options.idempotencyKey !== undefined) {
    params.push(options.idempotencyKey);
    existing = `(SELECT jsonb_build_object('hash', request_hash, 'response', response)
                 FROM trade_idempotency_keys WHERE player_id = $1 AND key = $4 AND expires_at > now())`;
  }
  const rows = await m.query(
    `SELECT p.status, p.credits::text AS credits, p.current_sector,
            sh.id AS ship_id, sh.capacity AS ship_capacity, sh.cargo_used,
            coalesce((sh.cargo ->> $3)::int, 0) AS held,
            s.sector_id, s.class, s.treasury::text AS treasury,
            sm.stock, sm.capacity, sm.buys, sm.sells, sm.buy_price, sm.sell_price,
            ${HALT} AS halt, ${existing} AS existing
     FROM players p
     JOIN ships sh ON sh.id = p.active_ship_id
     JOIN station_markets sm ON sm.station_id = $2 AND sm.commodity = $3
     JOIN stations s ON s.id = sm.station_id
     WHERE p.id = $1
     ${options.lock ? 'FOR UPDATE OF p, sh, sm' : ''}`,
    params,
  );
  const r = rows[0];
  if (!r) throw await diagnose(m, playerId, stationId, commodity, action);
  return {
    shipId: r.ship_id,
    player: { status: r.status, credits: BigInt(r.credits), sector: r.current_sector },
    ship: { capacity: r.ship_capacity, cargoUsed: r.cargo_used, held: r.held },
    station: { sector: r.sector_id, class: r.class, treasury: BigInt(r.treasury) },
    market: {
      stock: r.stock,
      capacity: r.capacity,
      buys: r.buys,
      sells: r.sells,
      buyPrice: r.buy_price,
      sellPrice: r.sell_price,
    },
    halt: r.halt ?? null,
    existing: r.existing ?? null,
  };
}

/** The join found nothing: name the first missing piece, in the same order as the rules. */
async function diagnose(
  m: EntityManager,
  playerId: string,
  stationId: string,
  commodity: Commodity,
  action: TradeAction,
): Promise<Error> {
  const [r] = await m.query(
    `SELECT (SELECT sector_id FROM stations WHERE id = $2) AS station_sector,
            (SELECT row_to_json(x) FROM (SELECT status, current_sector,
                    EXISTS (SELECT 1 FROM ships WHERE id = players.active_ship_id) AS has_ship
                    FROM players WHERE id = $1) x) AS player,
            ${HALT} AS halt`,
    [playerId, stationId, commodity],
  );
  if (r.station_sector === null) return TradingErrors.stationNotFound();
  if (r.halt) return TradingErrors.marketHalted(r.halt.scope, r.halt.reason);
  if (!r.player) return TradingErrors.playerNotFound();
  if (r.player.status !== 'active') return TradingErrors.playerNotActive(r.player.status);
  if (r.player.current_sector !== r.station_sector)
    return TradingErrors.notInSector(r.station_sector, r.player.current_sector);
  if (!r.player.has_ship) return TradingErrors.noActiveShip();
  return TradingErrors.notTraded(action, commodity);
}
