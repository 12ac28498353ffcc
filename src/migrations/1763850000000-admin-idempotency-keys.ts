import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * admin_idempotency_keys: the Idempotency-Keys of admin writes (assets transfer and bulk-update, emergency
 * actions, bulk-operation creation), one per (admin user, key). A row is claimed first in the write's own
 * transaction and given the result before the commit, so a committed row always has its response and a
 * rolled-back write leaves none. `response` is json, not jsonb: a replay answers the stored text's key order.
 * Rows live IDEMPOTENCY_TTL_HOURS (at least 24); expired ones are purged on the price snapshot tick.
 */
export class AdminIdempotencyKeys1763850000000 implements MigrationInterface {
  name = 'AdminIdempotencyKeys1763850000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE admin_idempotency_keys (
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        key text NOT NULL,
        request_hash text NOT NULL,
        response json,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        PRIMARY KEY (user_id, key)
      )`);
    await q.query(`CREATE INDEX admin_idempotency_keys_expiry_idx ON admin_idempotency_keys (expires_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS admin_idempotency_keys`);
  }
}
