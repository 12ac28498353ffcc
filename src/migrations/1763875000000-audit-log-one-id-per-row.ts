import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * One id per audit row. The chain trigger (audit_log_chain) draws the row's id itself, under its advisory lock,
 * so that id order is chain order; the bigserial column's default drew one more before the trigger ran, which
 * it then threw away. Every row used two ids: an auditor saw ids 2, 4, 6, ... and a gap after each row, and
 * the sequence ran twice as fast. The default goes; the trigger remains the only source of ids (the sequence
 * stays owned by the column, which is how the trigger finds it).
 */
export class AuditLogOneIdPerRow1763875000000 implements MigrationInterface {
  name = 'AuditLogOneIdPerRow1763875000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE audit_log ALTER COLUMN id DROP DEFAULT`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(
      `ALTER TABLE audit_log ALTER COLUMN id SET DEFAULT nextval(pg_get_serial_sequence('audit_log', 'id')::regclass)`,
    );
  }
}
