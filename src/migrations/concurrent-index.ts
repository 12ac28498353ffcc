import type { QueryRunner } from 'typeorm';

/**
 * Index builds for migrations that declare `transaction = false`: CONCURRENTLY, so a big table stays writable
 * meanwhile. TypeORM reverts a migration inside a transaction whatever it declares, where CONCURRENTLY is not
 * allowed, so down() builds plainly there.
 */
export const concurrently = (q: QueryRunner) => (q.isTransactionActive ? '' : 'CONCURRENTLY');

/** CONCURRENTLY where it can (outside a transaction); an INVALID leftover of a crashed build is dropped first. */
export async function buildIndex(q: QueryRunner, name: string, definition: string): Promise<void> {
  const [existing] = await q.query(
    `SELECT i.indisvalid AS valid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
     WHERE c.relname = $1 AND c.relnamespace = current_schema()::regnamespace`,
    [name],
  );
  if (existing?.valid) return;
  if (existing) await q.query(`DROP INDEX ${concurrently(q)} IF EXISTS ${name}`);
  await q.query(`CREATE INDEX ${concurrently(q)} ${name} ${definition}`);
}
