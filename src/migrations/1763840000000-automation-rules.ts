import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * automation_rules: a player's standing orders ("buy 100 ore at this station when it sells at 20 or less").
 * A rule is active until it executes once (its trade's Idempotency-Key is `automation:<rule id>`), fails for
 * a reason on the player's side, or is cancelled.
 *
 * claimed_at / claimed_until: an executor holds the rule while its trade runs (claimed_at set), or a rule that
 * could not trade for a passing reason waits until claimed_until (claimed_at null). A claim whose holder died
 * expires; the sweep then settles it from the ledger.
 */
export class AutomationRules1763840000000 implements MigrationInterface {
  name = 'AutomationRules1763840000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE automation_rules (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        player_id uuid NOT NULL REFERENCES players(id) ON DELETE CASCADE,
        station_id uuid NOT NULL REFERENCES stations(id) ON DELETE CASCADE,
        commodity text NOT NULL,
        action text NOT NULL CHECK (action IN ('buy', 'sell')),
        quantity integer NOT NULL CHECK (quantity > 0),
        limit_price integer NOT NULL CHECK (limit_price >= 0),
        status text NOT NULL DEFAULT 'active'
          CHECK (status IN ('active', 'executed', 'failed', 'cancelled')),
        trade_id uuid REFERENCES market_transactions(id),
        error_code text,
        error_detail text,
        attempts integer NOT NULL DEFAULT 0,
        claimed_at timestamptz,
        claimed_until timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        finished_at timestamptz,
        CHECK ((status = 'executed') = (trade_id IS NOT NULL))
      )`);
    await q.query(
      `CREATE INDEX automation_rules_player_idx ON automation_rules (player_id, created_at DESC)`,
    );
    // What a market change probes: the market's active rules, oldest first.
    await q.query(
      `CREATE INDEX automation_rules_market_idx ON automation_rules (station_id, commodity, created_at)
       WHERE status = 'active'`,
    );
    // What the snapshot tick's purge probes: rules finished long ago.
    await q.query(
      `CREATE INDEX automation_rules_finished_idx ON automation_rules (finished_at) WHERE status <> 'active'`,
    );
    // What the sweep probes: claims whose holder may have died.
    await q.query(
      `CREATE INDEX automation_rules_claim_idx ON automation_rules (claimed_until)
       WHERE status = 'active' AND claimed_at IS NOT NULL`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS automation_rules`);
  }
}
