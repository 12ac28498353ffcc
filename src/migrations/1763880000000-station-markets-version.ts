import type { MigrationInterface, QueryRunner } from 'typeorm';
import {
  APPLY_TRADE_1763860000000,
  TradesBumpPlayerVersion1763860000000,
} from './1763860000000-trades-bump-player-version.js';

/** The one statement of apply_trade() this migration changes, as 1763860000000 wrote it. */
const MARKET_UPDATE = 'UPDATE station_markets SET\n            stock = stock - p_cargo_delta,';

/**
 * station_markets.version: a per-market counter every change of the row's stock or prices bumps (apply_trade()
 * here, regeneration in MarketMaintenanceService), in commit order, since each writer holds the row's lock.
 * market_update carries it, so that nodes and clients can drop an update older than one they already have (two
 * nodes relaying trades on one market can deliver them out of order). updated_at cannot serve: it is the
 * writing transaction's start (now()), and a trade that waited for the row's lock commits after younger ones.
 * apply_trade() is otherwise the one of 1763860000000 (same signature, guards and writes).
 */
export class StationMarketsVersion1763880000000 implements MigrationInterface {
  name = 'StationMarketsVersion1763880000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE station_markets ADD COLUMN version bigint NOT NULL DEFAULT 0`);
    if (!APPLY_TRADE_1763860000000.includes(MARKET_UPDATE))
      throw new Error('apply_trade() of 1763860000000 no longer has the statement this migration changes');
    await q.query(
      APPLY_TRADE_1763860000000.replace(
        MARKET_UPDATE,
        `${MARKET_UPDATE} version = version + 1,`, // the market's changes are ordered by it (above)
      ),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await new TradesBumpPlayerVersion1763860000000().up(q);
    await q.query(`ALTER TABLE station_markets DROP COLUMN IF EXISTS version`);
  }
}
