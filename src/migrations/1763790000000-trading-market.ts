import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Trading and the live market: price snapshots, ARIA's predictions (read here, written by ARIA), idempotency
 * keys for exactly-once trades, market halts, and what regeneration needs on station_markets.
 * Hand-written so it runs on Postgres 15+ and PGlite alike.
 */
export class TradingMarket1763790000000 implements MigrationInterface {
  name = 'TradingMarket1763790000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE price_history (
        id bigserial PRIMARY KEY,
        station_id uuid NOT NULL REFERENCES stations(id) ON DELETE CASCADE,
        commodity text NOT NULL,
        buy_price integer NOT NULL,
        sell_price integer NOT NULL,
        stock integer NOT NULL,
        recorded_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(
      `CREATE INDEX price_history_market_time_idx ON price_history (station_id, commodity, recorded_at)`,
    );
    await q.query(`CREATE INDEX price_history_time_idx ON price_history (recorded_at)`);

    // ARIA owns the writes; IF NOT EXISTS keeps this migration harmless if ARIA's lands first.
    await q.query(`
      CREATE TABLE IF NOT EXISTS ai_market_predictions (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        station_id uuid REFERENCES stations(id) ON DELETE CASCADE,
        commodity text NOT NULL,
        predicted_price numeric(12, 2) NOT NULL,
        confidence real NOT NULL CHECK (confidence BETWEEN 0 AND 1),
        horizon_minutes integer NOT NULL DEFAULT 60,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(
      `CREATE INDEX IF NOT EXISTS ai_predictions_market_idx ON ai_market_predictions (station_id, commodity, created_at DESC)`,
    );

    // One row per (player, key): the request's hash and the result it produced, kept at least 24 h.
    // Written in the trade's own transaction, so a key exists exactly when its trade committed.
    await q.query(`
      CREATE TABLE trade_idempotency_keys (
        player_id uuid NOT NULL REFERENCES players(id) ON DELETE CASCADE,
        key text NOT NULL,
        request_hash text NOT NULL,
        trade_id uuid NOT NULL,
        response jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        PRIMARY KEY (player_id, key)
      )`);
    await q.query(`CREATE INDEX trade_idempotency_expiry_idx ON trade_idempotency_keys (expires_at)`);
    // scope '*' halts every commodity; otherwise the commodity's name. A row exists while the halt lasts.
    await q.query(`
      CREATE TABLE market_halts (
        scope text PRIMARY KEY,
        reason text NOT NULL,
        halted_by uuid REFERENCES users(id) ON DELETE SET NULL,
        halted_at timestamptz NOT NULL DEFAULT now()
      )`);

    // Regeneration converts elapsed time into whole units and advances regen_at only by the time it used,
    // so no fraction of production is lost between ticks.
    await q.query(`ALTER TABLE station_markets ADD COLUMN regen_at timestamptz NOT NULL DEFAULT now()`);
    await q.query(
      `CREATE INDEX station_markets_regen_idx ON station_markets (regen_at) WHERE production_rate <> 0`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS station_markets_regen_idx`);
    await q.query(`ALTER TABLE station_markets DROP COLUMN IF EXISTS regen_at`);
    await q.query(`DROP TABLE IF EXISTS market_halts`);
    await q.query(`DROP TABLE IF EXISTS trade_idempotency_keys`);
    await q.query(`DROP TABLE IF EXISTS price_history`);
    await q.query(`DROP TABLE IF EXISTS ai_market_predictions`);
  }
}
