import type { DataSource, EntityManager } from 'typeorm';

const RETRYABLE = new Set(['40001', '40P01']); // serialization_failure, deadlock_detected

/**
 * Runs `work` in one transaction, retrying a few times when Postgres aborts it for a deadlock or a
 * serialization failure: both are safe to retry because the aborted attempt wrote nothing.
 */
export async function inTransaction<T>(
  dataSource: DataSource,
  work: (manager: EntityManager) => Promise<T>,
  attempts = 4,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await dataSource.transaction(work);
    } catch (err) {
      const code = (err as { code?: string; driverError?: { code?: string } }).driverError?.code;
      if (attempt >= attempts || code === undefined || !RETRYABLE.has(code)) throw err;
      await new Promise((r) => setTimeout(r, 5 * attempt + Math.random() * 10));
    }
  }
}

/** Postgres' unique_violation, for turning a lost race on a unique key into a 409. */
export function isUniqueViolation(err: unknown, constraint?: string): boolean {
  const e = (err as { driverError?: { code?: string; constraint?: string } }).driverError ?? (err as object);
  const d = e as { code?: string; constraint?: string };
  return d.code === '23505' && (constraint === undefined || d.constraint === constraint);
}
