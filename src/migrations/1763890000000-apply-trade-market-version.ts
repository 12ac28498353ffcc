import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The function this migration creates (a later one derives its successor from it). */
export const APPLY_TRADE_1763890000000 = `
      CREATE FUNCTION apply_trade(
        p_player uuid, p_ship uuid, p_station uuid, p_sector integer,
        p_commodity text, p_action text, p_quantity integer, p_unit_price integer, p_total bigint,
        p_credits_before bigint, p_credits_delta bigint,
        p_cargo_used_before integer, p_held_before integer, p_cargo_delta integer,
        p_stock_before integer, p_buy_price_after integer, p_sell_price_after integer,
        p_treasury_delta bigint,
        p_trade_id uuid, p_key text, p_request_hash text, p_response jsonb, p_key_ttl_hours integer,
        p_at timestamptz, p_market_version bigint
      ) RETURNS text LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM 1 FROM players
          WHERE id = p_player AND status = 'active' AND current_sector = p_sector
            AND active_ship_id = p_ship AND credits = p_credits_before
          FOR NO KEY UPDATE;
        IF NOT FOUND THEN RETURN 'stale'; END IF;

        PERFORM 1 FROM ships
          WHERE id = p_ship AND cargo_used = p_cargo_used_before
            AND coalesce((cargo ->> p_commodity)::int, 0) = p_held_before
          FOR NO KEY UPDATE;
        IF NOT FOUND THEN RETURN 'stale'; END IF;

        -- The market as the plan read it: its version (so the trade's new version is the read one + 1), stock and price.
        PERFORM 1 FROM station_markets
          WHERE station_id = p_station AND commodity = p_commodity AND version = p_market_version
            AND stock = p_stock_before
            AND CASE WHEN p_action = 'buy' THEN sells AND sell_price = p_unit_price
                     ELSE buys AND buy_price = p_unit_price END
          FOR NO KEY UPDATE;
        IF NOT FOUND THEN RETURN 'stale'; END IF;

        PERFORM 1 FROM stations
          WHERE id = p_station AND sector_id = p_sector AND treasury + p_treasury_delta >= 0
          FOR NO KEY UPDATE;
        IF NOT FOUND THEN RETURN 'stale'; END IF;

        IF EXISTS (SELECT 1 FROM market_halts WHERE scope IN ('*', p_commodity)) THEN RETURN 'stale'; END IF;

        -- A twin request still in flight makes this wait for its commit; an expired key is taken over.
        INSERT INTO trade_idempotency_keys AS t
               (player_id, key, request_hash, trade_id, response, created_at, expires_at)
        VALUES (p_player, p_key, p_request_hash, p_trade_id, p_response, p_at,
                p_at + make_interval(hours => p_key_ttl_hours))
        ON CONFLICT (player_id, key) DO UPDATE
          SET request_hash = EXCLUDED.request_hash, trade_id = EXCLUDED.trade_id, response = EXCLUDED.response,
              created_at = EXCLUDED.created_at, expires_at = EXCLUDED.expires_at
          WHERE t.expires_at <= now();
        IF NOT FOUND THEN RETURN 'duplicate'; END IF;

        -- The version moves with the credits, so an admin's edit of what it read before this trade is a 409.
        UPDATE players SET credits = credits + p_credits_delta, version = version + 1, updated_at = now()
          WHERE id = p_player;
        UPDATE ships SET
            cargo = CASE WHEN p_held_before + p_cargo_delta = 0 THEN cargo - p_commodity
                         ELSE jsonb_set(cargo, ARRAY[p_commodity], to_jsonb(p_held_before + p_cargo_delta)) END,
            cargo_used = cargo_used + p_cargo_delta, updated_at = now()
          WHERE id = p_ship;
        -- A full (or, for consumers, empty) market restarts its regeneration clock when a trade makes room.
        UPDATE station_markets SET
            stock = stock - p_cargo_delta, version = version + 1, buy_price = p_buy_price_after, sell_price = p_sell_price_after,
            updated_at = now(),
            regen_at = CASE WHEN (production_rate > 0 AND stock >= capacity) OR (production_rate < 0 AND stock <= 0)
                            THEN now() ELSE regen_at END
          WHERE station_id = p_station AND commodity = p_commodity;
        UPDATE stations SET treasury = treasury + p_treasury_delta WHERE id = p_station;
        INSERT INTO market_transactions (id, player_id, station_id, ship_id, commodity, action, quantity,
                                         unit_price, total, credits_after, idempotency_key, created_at)
        VALUES (p_trade_id, p_player, p_station, p_ship, p_commodity, p_action, p_quantity,
                p_unit_price, p_total, p_credits_before + p_credits_delta, p_key, p_at);
        RETURN 'ok';
      END
      $$`;

/**
 * apply_trade() with one more argument, the market's version as the plan read it: a guard (the market must still
 * be at that version, besides its stock and price) that also fixes the version the trade leaves, read + 1. The
 * server then knows each trade's market version at its commit and hands it to market_update, with no read of the
 * row after the trade (that read put every market_update behind the trade's admin fan-out). The 24-argument
 * apply_trade() of 1763880000000 stays for nodes of the previous release during a rolling deploy (it bumps the
 * version too); a later release drops it. Otherwise it is that function: the same guards and writes.
 */
export class ApplyTradeMarketVersion1763890000000 implements MigrationInterface {
  name = 'ApplyTradeMarketVersion1763890000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(APPLY_TRADE_1763890000000);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION IF EXISTS apply_trade(
      uuid, uuid, uuid, integer, text, text, integer, integer, bigint, bigint, bigint, integer, integer, integer,
      integer, integer, integer, bigint, uuid, text, text, jsonb, integer, timestamptz, bigint)`);
  }
}
