import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What ARIA's prediction pass writes beside each ai_market_predictions row (the existing columns keep their
 * meaning: predicted_price is the mid price horizon_minutes after created_at):
 *  - basis_price: the mid price the prediction started from; change_pct: predicted against it, in percent;
 *  - samples: the price_history snapshots the trend was fitted on;
 *  - alert_direction: 'rise' / 'fall' when this prediction met the alert rule, so the next pass (on any node,
 *    after any restart) knows whether a new alert is an edge; alerted: it raised the ai_alert.
 * Columns are nullable: rows written before this migration have none of them.
 * The created_at index serves the retention purge; the table was empty until now, so a plain build is cheap.
 * market_transactions (station_id, commodity, created_at DESC) already serves the alert's recipients.
 */
export class AriaPredictions1763830000000 implements MigrationInterface {
  name = 'AriaPredictions1763830000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE ai_market_predictions
        ADD COLUMN basis_price numeric(12, 2),
        ADD COLUMN change_pct real,
        ADD COLUMN samples integer CHECK (samples > 0),
        ADD COLUMN alert_direction text CHECK (alert_direction IN ('rise', 'fall')),
        ADD COLUMN alerted boolean NOT NULL DEFAULT false`);
    await q.query(`CREATE INDEX ai_predictions_created_idx ON ai_market_predictions (created_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS ai_predictions_created_idx`);
    await q.query(`
      ALTER TABLE ai_market_predictions
        DROP COLUMN IF EXISTS alerted,
        DROP COLUMN IF EXISTS alert_direction,
        DROP COLUMN IF EXISTS samples,
        DROP COLUMN IF EXISTS change_pct,
        DROP COLUMN IF EXISTS basis_price`);
  }
}
