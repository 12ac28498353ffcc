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
      if (attempt >= attempts || !isRetryableAbort(err)) throw err;
      await new Promise((r) => setTimeout(r, 5 * attempt + Math.random() * 10));
    }
  }
}

/** Postgres aborted the statement for a deadlock or a serialization failure: it wrote nothing, run it again. */
export function isRetryableAbort(err: unknown): boolean {
  const code = (err as { driverError?: { code?: string } }).driverError?.code;
  return code !== undefined && RETRYABLE.has(code);
}

/** Postgres' unique_violation, for turning a lost race on a unique key into a 409. */
export function isUniqueViolation(err: unknown, constraint?: string): boolean {
  const e = (err as { driverError?: { code?: string; constraint?: string } }).driverError ?? (err as object);
  const d = e as { code?: string; constraint?: string };
  return d.code === '23505' && (constraint === undefined || d.constraint === constraint);
}
