import type { MigrationInterface, QueryRunner } from 'typeorm';

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

const concurrently = (q: QueryRunner) => (q.isTransactionActive ? '' : 'CONCURRENTLY');

/** CONCURRENTLY where it can (outside a transaction); an INVALID leftover of a crashed build is dropped first. */
async function buildIndex(q: QueryRunner, name: string, definition: string): Promise<void> {
  const [existing] = await q.query(
    `SELECT i.indisvalid AS valid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
     WHERE c.relname = $1 AND c.relnamespace = current_schema()::regnamespace`,
    [name],
  );
  if (existing?.valid) return;
  if (existing) await q.query(`DROP INDEX ${concurrently(q)} IF EXISTS ${name}`);
  await q.query(`CREATE INDEX ${concurrently(q)} ${name} ${definition}`);
}
