import type { DataSource } from 'typeorm';

/** Arbitrary but fixed: every node and the seeder contend for the same lock. */
const MIGRATION_LOCK_KEY = 2102_0001;

/** How often a node waiting for another's migrations asks for the lock again. */
const LOCK_POLL_MS = 250;

/**
 * Applies pending migrations while holding a session-level advisory lock, so two nodes that start together
 * apply them once: the second waits, then finds nothing pending. The waiting node polls with a try-lock
 * instead of blocking in pg_advisory_lock: a blocked statement holds a snapshot, which a CREATE INDEX
 * CONCURRENTLY in the running migration would wait for (and deadlock on).
 */
export async function runMigrations(dataSource: DataSource): Promise<string[]> {
  // A single-connection pool (the embedded database: one process) has nobody to exclude, and holding the
  // lock on its only connection would leave none for the migrations.
  if (((dataSource.options as { extra?: { max?: number } }).extra?.max ?? 10) <= 1) {
    return (await dataSource.runMigrations({ transaction: 'each' })).map((m) => m.name);
  }
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    for (;;) {
      const [{ locked }] = await runner.query('SELECT pg_try_advisory_lock($1) AS locked', [
        MIGRATION_LOCK_KEY,
      ]);
      if (locked) break;
      await new Promise((r) => setTimeout(r, LOCK_POLL_MS));
    }
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    return applied.map((m) => m.name);
  } finally {
    await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
    await runner.release();
  }
}
