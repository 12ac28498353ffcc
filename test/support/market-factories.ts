import { randomBytes, randomUUID } from 'node:crypto';
import type pg from 'pg';
import {
  COMMODITY_NAMES,
  STATION_CLASSES,
  type Commodity,
} from '../../src/modules/trading/domain/commodities.js';
import { priceFor } from '../../src/modules/trading/domain/pricing.js';
import { createSector, type Session } from './factories.js';
import type { TestApp } from './test-app.js';

export interface MarketOverrides {
  stock?: number;
  capacity?: number;
  productionRate?: number;
  buys?: boolean;
  sells?: boolean;
}

export interface StationOptions {
  sector?: number;
  stationClass?: number;
  treasury?: number | string;
  name?: string;
  /** Per-commodity overrides; a commodity the class does not trade is added when listed here. */
  markets?: Partial<Record<Commodity, MarketOverrides>>;
}

export interface StationFixture {
  id: string;
  sector: number;
  stationClass: number;
}

/**
 * A station of `stationClass` (default 11, Premium Tech: exotic_technology and luxury_goods both ways) with a
 * market row per commodity its class trades: capacity 10,000, half full, prices from priceFor, no production.
 */
export async function createStation(t: TestApp, opts: StationOptions = {}): Promise<StationFixture> {
  const sector = opts.sector ?? 1;
  const stationClass = opts.stationClass ?? 11;
  await createSector(t, sector);
  const [station] = await t.db.query(
    `INSERT INTO stations (sector_id, name, class, treasury) VALUES ($1, $2, $3, $4) RETURNING id`,
    [
      sector,
      opts.name ?? `Port ${randomBytes(3).toString('hex')}`,
      stationClass,
      String(opts.treasury ?? 1_000_000),
    ],
  );
  const rule = STATION_CLASSES[stationClass];
  for (const commodity of COMMODITY_NAMES) {
    const o = opts.markets?.[commodity];
    const buys = o?.buys ?? rule.buys.includes(commodity);
    const sells = o?.sells ?? rule.sells.includes(commodity);
    if (!buys && !sells && !o) continue;
    const capacity = o?.capacity ?? 10_000;
    const stock = o?.stock ?? Math.floor(capacity / 2);
    const p = priceFor(commodity, stationClass, stock, capacity);
    await t.db.query(
      `INSERT INTO station_markets (station_id, commodity, stock, capacity, buys, sells, production_rate,
                                    buy_price, sell_price)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [station.id, commodity, stock, capacity, buys, sells, o?.productionRate ?? 0, p.buyPrice, p.sellPrice],
    );
  }
  return { id: station.id, sector, stationClass };
}

/**
 * App settings for the per-player trade rate limit's tests: three trades a player, in a window long enough that no
 * test straddles two of them; no market ticks.
 */
export const THREE_TRADES_A_MINUTE = {
  MARKET_REGEN_SECONDS: '0',
  PRICE_SNAPSHOT_SECONDS: '0',
  TRADE_RATE_LIMIT: '3',
  TRADE_RATE_WINDOW_SECONDS: '60',
};

/** Moves the player (and its ship) to `sector`. */
export async function placePlayer(t: TestApp, playerId: string, sector: number): Promise<void> {
  await createSector(t, sector);
  await t.db.query(`UPDATE players SET current_sector = $2 WHERE id = $1`, [playerId, sector]);
  await t.db.query(
    `UPDATE ships SET sector_id = $2 WHERE id = (SELECT active_ship_id FROM players WHERE id = $1)`,
    [playerId, sector],
  );
}

export async function setCredits(t: TestApp, playerId: string, credits: number | string): Promise<void> {
  await t.db.query(`UPDATE players SET credits = $2 WHERE id = $1`, [playerId, String(credits)]);
}

export async function setStatus(t: TestApp, playerId: string, status: string): Promise<void> {
  await t.db.query(`UPDATE players SET status = $2 WHERE id = $1`, [playerId, status]);
}

/** Replaces the active ship's cargo (and cargo_used); `capacity` optionally changes its holds. */
export async function setCargo(
  t: TestApp,
  playerId: string,
  cargo: Partial<Record<Commodity, number>>,
  capacity?: number,
): Promise<void> {
  const used = Object.values(cargo).reduce((a, b) => a + (b ?? 0), 0);
  await t.db.query(
    `UPDATE ships SET cargo = $2::jsonb, cargo_used = $3, capacity = coalesce($4, capacity)
     WHERE id = (SELECT active_ship_id FROM players WHERE id = $1)`,
    [playerId, JSON.stringify(cargo), used, capacity ?? null],
  );
}

export interface MarketRow {
  stock: number;
  capacity: number;
  buy_price: number;
  sell_price: number;
  /** station_markets.version: bumped by every trade and regeneration of the market. */
  version: number;
}

export async function marketRow(t: TestApp, stationId: string, commodity: string): Promise<MarketRow> {
  const [row] = await t.db.query(
    `SELECT stock, capacity, buy_price, sell_price, version::int AS version FROM station_markets
     WHERE station_id = $1 AND commodity = $2`,
    [stationId, commodity],
  );
  return row;
}

/** Everything a trade may touch, for "nothing was written" assertions. */
export async function economyFingerprint(t: TestApp): Promise<string> {
  const [row] = await t.db.query(
    `SELECT (SELECT json_agg(x ORDER BY x.id) FROM (SELECT id, credits::text, updated_at FROM players) x) AS players,
            (SELECT json_agg(x ORDER BY x.id) FROM (SELECT id, cargo, cargo_used, updated_at FROM ships) x) AS ships,
            (SELECT json_agg(x ORDER BY x.id) FROM (SELECT id, treasury::text FROM stations) x) AS stations,
            (SELECT json_agg(x ORDER BY x.station_id, x.commodity)
               FROM (SELECT station_id, commodity, stock, buy_price, sell_price, updated_at FROM station_markets) x) AS markets,
            (SELECT count(*) FROM market_transactions) AS ledger,
            (SELECT count(*) FROM trade_idempotency_keys) AS keys`,
  );
  return JSON.stringify(row);
}

/** The player buys one unit of luxury goods at the station (the default class 11 sells them), a fresh key each time. */
export function buyOneLuxury(t: TestApp, s: Session, stationId: string) {
  return t.http().post('/api/v1/trading/trades').set(s.auth).set('Idempotency-Key', randomUUID()).send({
    station_id: stationId,
    commodity: 'luxury_goods',
    action: 'buy',
    quantity: 1,
    max_unit_price: 1000,
  });
}

/**
 * Opens a transaction on `client` (a direct connection, not the app's) holding the market row of `commodity`
 * at `stationId`, so that a trade's write there waits on it until the client's ROLLBACK: a held lock, as an
 * open transaction or a migration holds one.
 */
export async function holdMarketRow(
  client: pg.Client,
  stationId: string,
  commodity = 'luxury_goods',
): Promise<void> {
  await client.query('BEGIN');
  await client.query('SELECT 1 FROM station_markets WHERE station_id = $1 AND commodity = $2 FOR UPDATE', [
    stationId,
    commodity,
  ]);
}
