import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Admin operations: bulk jobs (claimed by any node, resumable per batch), their per-player errors,
 * intervention templates, the queue's ordering and no-duplicate rules, and the risk signals the automatic
 * intervention rules count over.
 */
export class AdminOperations1763800000000 implements MigrationInterface {
  name = 'AdminOperations1763800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE admin_bulk_operations (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        admin_id uuid REFERENCES users(id),
        -- The requesting admin's role and username, so the worker's per-batch audit rows name who ordered them.
        admin_role text,
        admin_username text,
        operation_type text NOT NULL CHECK (operation_type IN
          ('adjust_credits', 'set_status', 'adjust_turns', 'teleport', 'send_message', 'grant_ship', 'reset_risk')),
        parameters jsonb NOT NULL DEFAULT '{}'::jsonb,
        target jsonb NOT NULL,
        reason text NOT NULL,
        status text NOT NULL DEFAULT 'pending'
          CHECK (status IN ('pending', 'running', 'completed', 'failed', 'cancelled')),
        total_targets integer NOT NULL DEFAULT 0,
        processed integer NOT NULL DEFAULT 0,
        succeeded integer NOT NULL DEFAULT 0,
        failed integer NOT NULL DEFAULT 0,
        skipped integer NOT NULL DEFAULT 0,
        batches_done integer NOT NULL DEFAULT 0,
        lease_owner text,
        lease_expires_at timestamptz,
        heartbeat_at timestamptz,
        cancel_requested_at timestamptz,
        error text,
        created_at timestamptz NOT NULL DEFAULT now(),
        started_at timestamptz,
        finished_at timestamptz,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(
      `CREATE INDEX bulk_ops_claim_idx ON admin_bulk_operations (created_at) WHERE status IN ('pending', 'running')`,
    );
    await q.query(`CREATE INDEX bulk_ops_admin_idx ON admin_bulk_operations (admin_id, created_at DESC)`);
    await q.query(`CREATE INDEX bulk_ops_created_idx ON admin_bulk_operations (created_at DESC)`);

    // A job's players split into id ranges worked in parallel. Each slice's cursor (every id <= cursor in the
    // slice is done) is written in the same transaction as the batch that advanced it.
    await q.query(`
      CREATE TABLE admin_bulk_operation_slices (
        operation_id uuid NOT NULL REFERENCES admin_bulk_operations(id) ON DELETE CASCADE,
        slice smallint NOT NULL,
        lower_bound uuid NOT NULL,
        upper_bound uuid,
        cursor uuid,
        done boolean NOT NULL DEFAULT false,
        batches integer NOT NULL DEFAULT 0,
        PRIMARY KEY (operation_id, slice)
      )`);

    await q.query(`
      CREATE TABLE admin_bulk_operation_errors (
        id bigserial PRIMARY KEY,
        operation_id uuid NOT NULL REFERENCES admin_bulk_operations(id) ON DELETE CASCADE,
        player_id uuid NOT NULL,
        outcome text NOT NULL CHECK (outcome IN ('failed', 'skipped')),
        code text NOT NULL,
        message text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX bulk_op_errors_op_idx ON admin_bulk_operation_errors (operation_id, id)`);

    await q.query(`
      CREATE TABLE intervention_templates (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name text NOT NULL,
        category text NOT NULL,
        priority text NOT NULL CHECK (priority IN ('low', 'medium', 'high', 'critical')),
        description text NOT NULL,
        suggested_actions jsonb NOT NULL DEFAULT '[]'::jsonb,
        created_by uuid REFERENCES users(id),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        version integer NOT NULL DEFAULT 1
      )`);
    await q.query(
      `CREATE UNIQUE INDEX intervention_templates_name_uq ON intervention_templates (lower(name))`,
    );

    await q.query(
      `ALTER TABLE admin_interventions ADD COLUMN template_id uuid REFERENCES intervention_templates(id)`,
    );
    await q.query(`ALTER TABLE admin_interventions ADD COLUMN details jsonb NOT NULL DEFAULT '{}'::jsonb`);
    await q.query(`ALTER TABLE admin_interventions ADD COLUMN automatic boolean NOT NULL DEFAULT false`);
    // The queue orders by priority then age; a stored rank keeps that an index scan.
    await q.query(`
      ALTER TABLE admin_interventions ADD COLUMN priority_rank smallint GENERATED ALWAYS AS (
        CASE priority WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2 ELSE 3 END) STORED`);
    await q.query(
      `CREATE INDEX interventions_queue_idx ON admin_interventions (status, priority_rank, created_at, id)`,
    );
    await q.query(`CREATE INDEX interventions_assignee_idx ON admin_interventions (assigned_to, status)`);
    // At most one open intervention per player and cause: automatic rules insert ON CONFLICT DO NOTHING.
    await q.query(`
      CREATE UNIQUE INDEX interventions_open_cause_uq ON admin_interventions (player_id, cause)
        WHERE status IN ('open', 'assigned', 'in_progress')`);

    await q.query(`
      CREATE TABLE player_risk_events (
        id bigserial PRIMARY KEY,
        player_id uuid NOT NULL REFERENCES players(id) ON DELETE CASCADE,
        kind text NOT NULL CHECK (kind IN ('credit_gain', 'trade', 'trade_rejected')),
        station_id uuid,
        amount bigint NOT NULL DEFAULT 0,
        source_id text,
        occurred_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX risk_events_player_idx ON player_risk_events (player_id, kind, occurred_at)`);
    await q.query(`CREATE INDEX risk_events_kind_time_idx ON player_risk_events (kind, occurred_at)`);
    // Makes the event handlers safe to run twice for the same trade.
    await q.query(
      `CREATE UNIQUE INDEX risk_events_source_uq ON player_risk_events (kind, source_id) WHERE source_id IS NOT NULL`,
    );

    // The expired-ban sweep.
    await q.query(`CREATE INDEX players_ban_until_idx ON players (ban_until) WHERE status = 'banned'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS players_ban_until_idx`);
    await q.query(`DROP TABLE IF EXISTS player_risk_events`);
    await q.query(`DROP INDEX IF EXISTS interventions_open_cause_uq`);
    await q.query(`DROP INDEX IF EXISTS interventions_assignee_idx`);
    await q.query(`DROP INDEX IF EXISTS interventions_queue_idx`);
    for (const c of ['priority_rank', 'automatic', 'details', 'template_id']) {
      await q.query(`ALTER TABLE admin_interventions DROP COLUMN IF EXISTS ${c}`);
    }
    await q.query(`DROP TABLE IF EXISTS intervention_templates`);
    await q.query(`DROP TABLE IF EXISTS admin_bulk_operation_errors`);
    await q.query(`DROP TABLE IF EXISTS admin_bulk_operation_slices`);
    await q.query(`DROP TABLE IF EXISTS admin_bulk_operations`);
  }
}
