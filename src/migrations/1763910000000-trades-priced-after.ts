import type { MigrationInterface, QueryRunner } from 'typeorm';
import { APPLY_TRADE_1763890000000 } from './1763890000000-apply-trade-market-version.js';

/** What this migration changes in apply_trade() of 1763890000000: its signature's end and the market's guard. */
const LAST_PARAMETER = 'p_at timestamptz, p_market_version bigint\n';
const PRICE_GUARD = [
  "CASE WHEN p_action = 'buy' THEN sells AND sell_price = p_unit_price",
  'ELSE buys AND buy_price = p_unit_price END',
];

/**
 * apply_trade() with one more argument, the market's posted price as the plan read it, which the market's guard
 * now checks instead of the unit price: a trade is no longer charged the posted price but, when worse for the
 * player, the price the trade itself leaves (a buy at the station's sell price after it, a sell at its buy price
 * after it). Charged the posted price for any quantity, a large buy at a market that buys and sells a good (a
 * Premium Tech station) lifted the station's buy price above what the player had just paid, and selling the same
 * units straight back took the difference out of the treasury, again and again. The 25-argument apply_trade()
 * stays for nodes of the previous release during a rolling deploy; a later release drops it. Otherwise it is that
 * function: the same guards and writes, and the ledger row carries the unit price charged.
 */
export class TradesPricedAfter1763910000000 implements MigrationInterface {
  name = 'TradesPricedAfter1763910000000';

  async up(q: QueryRunner): Promise<void> {
    let sql = APPLY_TRADE_1763890000000;
    for (const part of [LAST_PARAMETER, ...PRICE_GUARD])
      if (!sql.includes(part)) throw new Error(`apply_trade() of 1763890000000 no longer has: ${part}`);
    sql = sql
      .replace(LAST_PARAMETER, 'p_at timestamptz, p_market_version bigint, p_posted_price integer\n')
      .replace(PRICE_GUARD[0]!, PRICE_GUARD[0]!.replace('p_unit_price', 'p_posted_price'))
      .replace(PRICE_GUARD[1]!, PRICE_GUARD[1]!.replace('p_unit_price', 'p_posted_price'));
    await q.query(sql);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION IF EXISTS apply_trade(
      uuid, uuid, uuid, integer, text, text, integer, integer, bigint, bigint, bigint, integer, integer, integer,
      integer, integer, integer, bigint, uuid, text, text, jsonb, integer, timestamptz, bigint, integer)`);
  }
}
