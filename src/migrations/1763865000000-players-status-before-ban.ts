import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * players.status_before_ban: the status a player had when its ban began (active, frozen or suspended), so that
 * lifting the ban (unban, the expiry sweep) gives it back instead of making the player active. Set when a ban
 * starts, kept when a ban is replaced by another, cleared whenever the player leaves `banned`; the table check
 * makes a path that forgets to clear it fail loudly. Bans older than this column have none and lift to active.
 */
export class PlayersStatusBeforeBan1763865000000 implements MigrationInterface {
  name = 'PlayersStatusBeforeBan1763865000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE players
        ADD COLUMN status_before_ban text CHECK (status_before_ban IN ('active', 'frozen', 'suspended')),
        ADD CONSTRAINT players_status_before_ban_only_banned CHECK (status = 'banned' OR status_before_ban IS NULL)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE players DROP COLUMN IF EXISTS status_before_ban`);
  }
}
