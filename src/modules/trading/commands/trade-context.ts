import type { TradeContext, TradeRequest } from '../domain/trade-rules.js';
import { TradingErrors } from '../domain/trading.errors.js';

/** The request hash and result stored under a key this player already used (its trade committed). */
export interface StoredTrade {
  hash: string;
  response: unknown;
}

export interface LoadedTradeContext extends TradeContext {
  shipId: string;
  /** station_markets.version as read: apply_trade() checks it, and the trade leaves it one higher. */
  marketVersion: number;
  existing: null;
}

/**
 * What a trade's read found: its context, or the result stored under its key, whatever the new body names and
 * whether or not the player, its ship and that market still join: a used key answers before any rule does.
 */
export type TradeContextRead = LoadedTradeContext | { existing: StoredTrade };

const HALT = `(SELECT jsonb_build_object('scope', scope, 'reason', reason) FROM market_halts
               WHERE scope IN ('*', $3) ORDER BY scope = '*' DESC LIMIT 1)`;

/** The StoredTrade of (player, key) as jsonb, null when the key is unused or expired. */
const storedTrade = (player: string, key: string) =>
  `(SELECT jsonb_build_object('hash', request_hash, 'response', response) FROM trade_idempotency_keys
    WHERE player_id = ${player} AND key = ${key}::text AND expires_at > now())`;

/** $4 is the idempotency key; null (a quote) finds nothing. */
const READ_CONTEXT = `
SELECT p.status, p.credits::text AS credits, p.current_sector,
       sh.id AS ship_id, sh.capacity AS ship_capacity, sh.cargo_used,
       coalesce((sh.cargo ->> $3)::int, 0) AS held,
       s.sector_id, s.class, s.treasury::text AS treasury,
       sm.stock, sm.capacity, sm.buys, sm.sells, sm.buy_price, sm.sell_price, sm.version AS market_version,
       ${HALT} AS halt, ${storedTrade('$1', '$4')} AS existing
FROM players p
JOIN ships sh ON sh.id = p.active_ship_id
JOIN station_markets sm ON sm.station_id = $2 AND sm.commodity = $3
JOIN stations s ON s.id = sm.station_id
WHERE p.id = $1`;
const READ_CONTEXT_LOCKED = `${READ_CONTEXT}\nFOR NO KEY UPDATE OF p, sh, sm`;

/** Runs a query, by a statement name where the runner prepares statements (PreparedStatements.query). */
export type SqlRunner = <R>(name: string, text: string, values: unknown[]) => Promise<R[]>;

/** The result stored under this player's key, if its trade committed: one primary-key probe. */
export async function readStoredTrade(
  run: SqlRunner,
  playerId: string,
  key: string,
): Promise<StoredTrade | null> {
  const [r] = await run<{ existing: StoredTrade | null }>(
    'trade-stored-result',
    `SELECT ${storedTrade('$1', '$2')} AS existing`,
    [playerId, key],
  );
  return r?.existing ?? null;
}

/**
 * Reads everything a trade's rules need in one round trip. Unlocked (`lock` false), a trade plans on this
 * snapshot and apply_trade() then checks, under its locks, that what was read still holds. Locked (inside a
 * transaction), player, ship and market rows are held in that order until the commit, which is the fallback
 * when a hot market keeps moving under optimistic attempts.
 *
 * The key's stored result comes with the context; only when the join finds nothing does a second statement
 * (the diagnosis, which looks the key up too) run, so a used key is answered on every path without costing a
 * new trade anything.
 */
export async function readTradeContext(
  run: SqlRunner,
  playerId: string,
  request: ContextTarget,
  options: { idempotencyKey: null; lock: false },
): Promise<LoadedTradeContext>;
export async function readTradeContext(
  run: SqlRunner,
  playerId: string,
  request: ContextTarget,
  options: { idempotencyKey: string; lock: boolean },
): Promise<TradeContextRead>;
export async function readTradeContext(
  run: SqlRunner,
  playerId: string,
  target: ContextTarget,
  options: { idempotencyKey: string | null; lock: boolean },
): Promise<TradeContextRead> {
  const params = [playerId, target.stationId, target.commodity, options.idempotencyKey];
  const [r] = options.lock
    ? await run<ContextRow>('trade-context-locked', READ_CONTEXT_LOCKED, params)
    : await run<ContextRow>('trade-context', READ_CONTEXT, params);
  if (!r) {
    const found = await diagnose(run, params, target);
    if (found instanceof Error) throw found;
    return { existing: found };
  }
  if (r.existing) return { existing: r.existing };
  return {
    shipId: r.ship_id,
    marketVersion: Number(r.market_version),
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
    existing: null,
  };
}

type ContextTarget = Pick<TradeRequest, 'stationId' | 'commodity' | 'action'>;

interface ContextRow {
  status: string;
  credits: string;
  current_sector: number;
  ship_id: string;
  ship_capacity: number;
  cargo_used: number;
  held: number;
  sector_id: number;
  class: number;
  treasury: string;
  stock: number;
  capacity: number;
  buys: boolean;
  sells: boolean;
  buy_price: number;
  sell_price: number;
  market_version: string;
  halt: { scope: string; reason: string } | null;
  existing: StoredTrade | null;
}

interface DiagnoseRow {
  station_sector: number | null;
  player: { status: string; current_sector: number; has_ship: boolean } | null;
  halt: { scope: string; reason: string } | null;
  existing: StoredTrade | null;
}

/**
 * The join found nothing: the key's stored result if it was used, else the first missing piece named in the
 * same order as the rules. `params` are the context read's.
 */
async function diagnose(
  run: SqlRunner,
  params: unknown[],
  { commodity, action }: ContextTarget,
): Promise<StoredTrade | Error> {
  const [r] = await run<DiagnoseRow>(
    'trade-context-diagnose',
    `SELECT (SELECT sector_id FROM stations WHERE id = $2) AS station_sector,
            (SELECT row_to_json(x) FROM (SELECT status, current_sector,
                    EXISTS (SELECT 1 FROM ships WHERE id = players.active_ship_id) AS has_ship
                    FROM players WHERE id = $1) x) AS player,
            ${HALT} AS halt, ${storedTrade('$1', '$4')} AS existing`,
    params,
  );
  if (r.existing) return r.existing;
  if (r.station_sector === null) return TradingErrors.stationNotFound();
  if (r.halt) return TradingErrors.marketHalted(r.halt.scope, r.halt.reason);
  if (!r.player) return TradingErrors.playerNotFound();
  if (r.player.status !== 'active') return TradingErrors.playerNotActive(r.player.status);
  if (r.player.current_sector !== r.station_sector)
    return TradingErrors.notInSector(r.station_sector, r.player.current_sector);
  if (!r.player.has_ship) return TradingErrors.noActiveShip();
  return TradingErrors.notTraded(action, commodity);
}
