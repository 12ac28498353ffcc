import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The seeder's bookkeeping: which player indexes each run generated (so appending never reuses a username),
 * and the definitions of the indexes a bulk load dropped (so an interrupted load restores them next run).
 */
export class SeedBookkeeping1763785000000 implements MigrationInterface {
  name = 'SeedBookkeeping1763785000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE seed_runs (
        id bigserial PRIMARY KEY,
        seed bigint NOT NULL,
        first_index bigint NOT NULL CHECK (first_index >= 0),
        players integer NOT NULL CHECK (players >= 0),
        started_at timestamptz NOT NULL DEFAULT now(),
        finished_at timestamptz
      )`);
    await q.query(`
      CREATE TABLE seed_index_backup (
        index_name text PRIMARY KEY,
        table_name text NOT NULL,
        indexdef text NOT NULL,
        saved_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS seed_index_backup`);
    await q.query(`DROP TABLE IF EXISTS seed_runs`);
  }
}
