import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The sector and team filters of /admin/players/enhanced, under the default sort (created_at desc), read the
 * first page straight from an index instead of fetching and sorting every matching row (a quiet sector of ~850
 * players at 1M: 15 ms -> 0.2 ms). The single-column indexes are prefixes of these, so they go.
 */
export class PlayersSectorTeamSortIndexes1763785100000 implements MigrationInterface {
  name = 'PlayersSectorTeamSortIndexes1763785100000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE INDEX IF NOT EXISTS players_sector_created_idx ON players (current_sector, created_at, id)`,
    );
    await q.query(`DROP INDEX IF EXISTS players_sector_idx`);
    await q.query(`CREATE INDEX IF NOT EXISTS players_team_created_idx ON players (team_id, created_at, id)`);
    await q.query(`DROP INDEX IF EXISTS players_team_idx`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX IF NOT EXISTS players_team_idx ON players (team_id)`);
    await q.query(`DROP INDEX IF EXISTS players_team_created_idx`);
    await q.query(`CREATE INDEX IF NOT EXISTS players_sector_idx ON players (current_sector)`);
    await q.query(`DROP INDEX IF EXISTS players_sector_created_idx`);
  }
}
