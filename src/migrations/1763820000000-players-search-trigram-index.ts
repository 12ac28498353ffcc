import type { MigrationInterface, QueryRunner } from 'typeorm';
import { buildIndex, concurrently } from './concurrent-index.js';

/**
 * One trigram index over username and email together replaces the two per-field ones: a substring search
 * probes one GIN index instead of OR-ing two bitmap scans (a rare search at 1M players: ~8.8 ms -> ~1.8 ms,
 * together with the search pattern of player-filters.ts). The query must use the same expression.
 *
 * CONCURRENTLY, outside a transaction: on a live galaxy a plain CREATE INDEX would block every write to players
 * (trades included) for the ~10 s it takes at 1M players. An index a crashed run left INVALID is rebuilt.
 * TypeORM reverts a migration inside a transaction whatever it declares, so down() builds plainly there.
 */
export class PlayersSearchTrigramIndex1763820000000 implements MigrationInterface {
  name = 'PlayersSearchTrigramIndex1763820000000';
  transaction = false;

  async up(q: QueryRunner): Promise<void> {
    await buildIndex(
      q,
      'players_search_trgm_idx',
      `ON players USING gin (lower(username || ' ' || email) gin_trgm_ops)`,
    );
    await q.query(`DROP INDEX ${concurrently(q)} IF EXISTS players_username_trgm_idx`);
    await q.query(`DROP INDEX ${concurrently(q)} IF EXISTS players_email_trgm_idx`);
  }

  async down(q: QueryRunner): Promise<void> {
    await buildIndex(q, 'players_username_trgm_idx', `ON players USING gin (lower(username) gin_trgm_ops)`);
    await buildIndex(q, 'players_email_trgm_idx', `ON players USING gin (lower(email) gin_trgm_ops)`);
    await q.query(`DROP INDEX ${concurrently(q)} IF EXISTS players_search_trgm_idx`);
  }
}
