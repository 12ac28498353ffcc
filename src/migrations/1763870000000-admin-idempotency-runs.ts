import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Idempotency-Keys for admin writes that run as many transactions (emergency/bulk: one a player). The key row
 * is claimed in a short transaction of its own with a lease (`lease_until`, renewed by the running node's
 * heartbeat; `lease_holder` names the run): while `response` is NULL and the lease holds, the run is alive; once
 * the lease has passed, its node is taken for dead and the next copy resumes it. Each item's outcome is an
 * `admin_idempotency_items` row written in the same transaction as the item's change, so "changed" and "done"
 * commit together. Items go with their key (purged on expiry like every admin key).
 */
export class AdminIdempotencyRuns1763870000000 implements MigrationInterface {
  name = 'AdminIdempotencyRuns1763870000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE admin_idempotency_keys
        ADD COLUMN lease_until timestamptz,
        ADD COLUMN lease_holder uuid`);
    await q.query(`
      CREATE TABLE admin_idempotency_items (
        user_id uuid NOT NULL,
        key text NOT NULL,
        item text NOT NULL,
        outcome json NOT NULL,
        recorded_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (user_id, key, item),
        FOREIGN KEY (user_id, key) REFERENCES admin_idempotency_keys (user_id, key) ON DELETE CASCADE
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS admin_idempotency_items`);
    await q.query(`
      ALTER TABLE admin_idempotency_keys DROP COLUMN IF EXISTS lease_holder, DROP COLUMN IF EXISTS lease_until`);
  }
}
