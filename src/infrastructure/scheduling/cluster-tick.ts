import type { SchedulerRegistry } from '@nestjs/schedule';
import type { DataSource, EntityManager } from 'typeorm';

/**
 * Runs `run` every `ms`, registered in the scheduler under `name` (so shutdown clears it) and unref'd (it never
 * keeps the process alive).
 */
export function addTick(scheduler: SchedulerRegistry, name: string, ms: number, run: () => unknown): void {
  const timer = setInterval(() => void run(), ms);
  timer.unref();
  scheduler.addInterval(name, timer);
}

/**
 * One node's share of a scheduled job: `work` runs in a transaction that first takes
 * pg_try_advisory_xact_lock(`lockKey`), held until it commits. When another node holds it (doing this tick),
 * nothing runs and the answer is null.
 */
export function onOneNode<T>(
  dataSource: DataSource,
  lockKey: number,
  work: (m: EntityManager) => Promise<T>,
): Promise<T | null> {
  return dataSource.transaction(async (m) => {
    const [{ locked }] = (await m.query('SELECT pg_try_advisory_xact_lock($1) AS locked', [
      lockKey,
    ])) as Array<{
      locked: boolean;
    }>;
    return locked ? work(m) : null;
  });
}
