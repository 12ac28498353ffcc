import { EventBus } from '@nestjs/cqrs';
import { randomBytes, randomUUID } from 'node:crypto';
import { TradeExecutedEvent } from '../../src/modules/trading/events/trade-executed.event.js';
import { TradeRejectedEvent } from '../../src/modules/trading/events/trade-rejected.event.js';
import type { TestApp } from './test-app.js';

const tag = () => randomBytes(4).toString('hex');

/** Inserts `count` players straight into the database (no login identity), each with a light freighter. */
export async function insertPlayers(
  t: TestApp,
  count: number,
  fields: { credits?: number; turns?: number; status?: string; risk_score?: number } = {},
): Promise<string[]> {
  const prefix = `bulk_${tag()}`;
  const rows: { id: string }[] = await t.db.query(
    `INSERT INTO players (username, email, credits, turns, status, risk_score, current_sector, home_sector)
     SELECT $1 || '_' || g, $1 || '_' || g || '@example.test', $2, $3, $4, $5, 1, 1 FROM generate_series(1, $6) g
     RETURNING id`,
    [
      prefix,
      fields.credits ?? 10_000,
      fields.turns ?? 1000,
      fields.status ?? 'active',
      fields.risk_score ?? 0,
      count,
    ],
  );
  return rows.map((r) => r.id);
}

export async function addShip(
  t: TestApp,
  playerId: string,
  opts: { cargo?: Record<string, number>; capacity?: number; hull?: number; active?: boolean } = {},
): Promise<string> {
  const cargo = opts.cargo ?? {};
  const used = Object.values(cargo).reduce((a, b) => a + b, 0);
  const [row] = await t.db.query(
    `INSERT INTO ships (player_id, name, type, sector_id, capacity, cargo, cargo_used, hull)
     VALUES ($1, 'Test ship', 'light_freighter', 1, $2, $3, $4, $5) RETURNING id`,
    [playerId, opts.capacity ?? 500, JSON.stringify(cargo), used, opts.hull ?? 100],
  );
  if (opts.active)
    await t.db.query('UPDATE players SET active_ship_id = $2 WHERE id = $1', [playerId, row.id]);
  return row.id;
}

export async function addPlanet(t: TestApp, ownerId: string | null): Promise<string> {
  const [row] = await t.db.query(
    `INSERT INTO planets (sector_id, owner_id, name, type) VALUES (1, $1, $2, 'terran') RETURNING id`,
    [ownerId, `Planet ${tag()}`],
  );
  return row.id;
}

export interface PlayerSnapshot {
  id: string;
  credits: string;
  turns: number;
  status: string;
  ban_until: Date | null;
  current_sector: number;
  home_sector: number;
  risk_score: number;
  version: number;
  active_ship_id: string | null;
}

export async function playerRow(t: TestApp, id: string): Promise<PlayerSnapshot> {
  const [row] = await t.db.query(
    `SELECT id, credits::text AS credits, turns, status, ban_until, current_sector, home_sector, risk_score, version,
            active_ship_id
     FROM players WHERE id = $1`,
    [id],
  );
  return row;
}

export async function count(
  t: TestApp,
  table: string,
  where = 'true',
  params: unknown[] = [],
): Promise<number> {
  const [{ n }] = await t.db.query(`SELECT count(*)::int AS n FROM ${table} WHERE ${where}`, params);
  return n;
}

/** A trade of one ore by the player at the station, as the trade handler announces it (the risk rules count it). */
export function oreBought(playerId: string, stationId: string, tradeId = randomUUID()): TradeExecutedEvent {
  return new TradeExecutedEvent(tradeId, playerId, stationId, 'ore', 'buy', 1, 20, '20', '1000', new Date());
}

/** `n` such trades. */
export function publishTrades(t: TestApp, playerId: string, stationId: string, n: number): void {
  const bus = t.app.get(EventBus);
  for (let k = 0; k < n; k++) bus.publish(oreBought(playerId, stationId));
}

/** `n` trades refused for insufficient credits, a millisecond apart, as the trade handler announces them. */
export function publishRejectedTrades(t: TestApp, playerId: string, stationId: string, n: number): void {
  const bus = t.app.get(EventBus);
  for (let k = 0; k < n; k++)
    bus.publish(
      new TradeRejectedEvent(
        playerId,
        stationId,
        'ore',
        'buy',
        'TRADING.INSUFFICIENT_CREDITS',
        new Date(Date.now() + k),
      ),
    );
}
