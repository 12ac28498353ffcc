import { setTimeout as delay } from 'node:timers/promises';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { EventBus, type IEvent } from '@nestjs/cqrs';
import { DataSource, type EntityManager } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../../config/app-config.js';
import { DatabaseAvailability } from '../../infrastructure/database/database-availability.js';
import { isStatementCancelled } from '../../infrastructure/database/database-errors.js';
import { inTransaction } from '../../infrastructure/database/transaction.js';
import { AuditService } from '../audit/audit.service.js';
import type { Actor } from '../auth/domain/actor.js';
import type { Role } from '../auth/domain/roles.js';
import { applyBatch, type BatchPlayer } from './bulk-batch.executor.js';
import { progressOf, type BulkParameters, type BulkStatus } from './domain/bulk-parameters.js';
import { locksBatch, nextBatchSql, type StoredTarget } from './domain/bulk-target.js';
import { BulkOperationProgressEvent } from './events/bulk-operation-progress.event.js';

interface ClaimedJob {
  id: string;
  operation_type: string;
  parameters: Record<string, unknown>;
  target: StoredTarget;
  reason: string;
  admin_id: string | null;
  admin_role: string | null;
  admin_username: string | null;
}

interface CountsRow {
  status: BulkStatus;
  total_targets: number;
  processed: number;
  succeeded: number;
  failed: number;
  skipped: number;
}

type BatchState = 'continue' | 'completed' | 'cancelled' | 'lost';

/** The batch's closing UPDATE found the lease lost or a cancel requested: roll the batch back. */
class BatchAborted extends Error {}

/** Batches failing in a row, for anything but the database being away, before the operation is marked failed. */
const MAX_CONSECUTIVE_FAILURES = 3;
/** The base of the pause before a batch the database could not take is tried again (0.4 s, doubling up to 10 s). */
const BATCH_RETRY_MS = 200;

/**
 * Runs bulk operations on any node. A job is claimed with FOR UPDATE SKIP LOCKED and held by a lease that a
 * heartbeat renews; each batch is one transaction that re-checks the lease and the cancel flag under the
 * job's row lock, applies the batch, writes its audit row and advances the cursor. A dead worker's lease
 * runs out and another node claims the job and continues from the cursor: a committed batch is never redone,
 * an uncommitted one never happened.
 */
/** The longest pause between claims while the database keeps failing them (a job created here still wakes it). */
const MAX_FAILURE_BACKOFF_MS = 10_000;

@Injectable()
export class BulkOperationsWorker implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(BulkOperationsWorker.name);
  readonly workerId = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private stopping = false;
  /** Aborted when the node stops: ends the pauses between batches. */
  private readonly stopped = new AbortController();
  private loop: Promise<void> | undefined;
  private wakeUp: (() => void) | undefined;

  constructor(
    private readonly dataSource: DataSource,
    private readonly audit: AuditService,
    private readonly eventBus: EventBus,
    private readonly database: DatabaseAvailability,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    if (this.config.bulkWorkerEnabled) this.loop = this.run();
  }

  /** Stops between batches; the job keeps its lease and is taken over when it runs out. */
  async onModuleDestroy(): Promise<void> {
    this.stopping = true;
    this.stopped.abort();
    this.wakeUp?.();
    await this.loop;
  }

  /** A job was just created on this node: look now rather than at the next poll. */
  wake(): void {
    this.wakeUp?.();
  }

  private async run(): Promise<void> {
    let failures = 0;
    let warned = false;
    while (!this.stopping) {
      let job: ClaimedJob | undefined;
      try {
        job = await this.claim();
        if (warned) this.logger.log({ failures }, 'Claiming bulk operations works again');
        failures = 0;
        warned = false;
      } catch (err) {
        failures += 1;
        // A database outage is the outage's story (DatabaseAvailability). Anything else: the first failure and
        // then each doubling, so that a lasting one shows without a line per poll.
        if (
          !this.stopping &&
          !this.database.skipIfUnavailable('bulk.claim', err) &&
          (failures & (failures - 1)) === 0
        ) {
          this.logger.warn({ err, failures }, 'Claiming a bulk operation failed');
          warned = true;
        }
      }
      if (job) await this.process(job);
      else await this.sleep(pollDelay(this.config.bulkPollMs, failures));
    }
  }

  /** Waits `ms`, or less when the node stops meanwhile. */
  private pause(ms: number): Promise<void> {
    return delay(ms, undefined, { signal: this.stopped.signal }).catch(() => undefined);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wakeUp = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakeUp = done;
    });
  }

  private async claim(): Promise<ClaimedJob | undefined> {
    const [rows] = await this.dataSource.query(
      `UPDATE admin_bulk_operations o
       SET status = 'running', lease_owner = $1, lease_expires_at = now() + $2 * interval '1 millisecond',
           heartbeat_at = now(), started_at = coalesce(started_at, now()), updated_at = now()
       WHERE o.id = (SELECT id FROM admin_bulk_operations
                     WHERE status = 'pending' OR (status = 'running' AND lease_expires_at < now())
                     ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED)
       RETURNING o.id, o.operation_type, o.parameters, o.target, o.reason, o.admin_id, o.admin_role, o.admin_username`,
      [this.workerId, this.config.bulkLeaseMs],
    );
    return (rows as ClaimedJob[])[0];
  }

  private async process(job: ClaimedJob): Promise<void> {
    const params = { type: job.operation_type, ...job.parameters } as BulkParameters;
    const actor: Actor = {
      userId: job.admin_id ?? '',
      username: job.admin_username ?? '',
      role: (job.admin_role ?? 'admin') as Role,
      playerId: null,
      requestId: `bulk-op:${job.id}`,
      ip: '',
    };
    const heartbeat = setInterval(
      () => void this.heartbeat(job.id),
      Math.max(100, this.config.bulkLeaseMs / 3),
    );
    try {
      // Several batch loops, each on its own slice and connection: the database's cores work in parallel.
      await Promise.all(
        Array.from({ length: this.config.bulkWorkerConcurrency }, () => this.batchLoop(job, params, actor)),
      );
    } finally {
      clearInterval(heartbeat);
    }
  }

  private async batchLoop(job: ClaimedJob, params: BulkParameters, actor: Actor): Promise<void> {
    let failures = 0;
    let waits = 0;
    while (!this.stopping) {
      let state: BatchState;
      let events: IEvent[];
      try {
        ({ state, events } = await this.runBatch(job, params, actor));
        failures = 0;
        waits = 0;
      } catch (err) {
        if (err instanceof BatchAborted) continue; // rolled back; the next round sees why (cancel, lost lease)
        // A batch cut off by statement_timeout is a failure like any other, not a wait: run again, the same
        // batch would most likely take as long again.
        if (!isStatementCancelled(err) && this.database.skipIfUnavailable('bulk.batch', err)) {
          // The database is away, its pool full or it takes no writes (a restart, a failover, load): nothing of
          // the batch was written, and the operation waits for it rather than fail. The lease may run out
          // meanwhile: then another node's claim wins, and this loop's next batch finds the lease lost and stops.
          waits++;
          await this.pause(pollDelay(BATCH_RETRY_MS, waits));
          continue;
        }
        failures++;
        this.logger.warn({ err, operationId: job.id, failures }, 'A bulk batch failed; it rolled back');
        if (failures >= MAX_CONSECUTIVE_FAILURES) {
          await this.markFailed(job, err);
          return;
        }
        await this.pause(200 * failures);
        continue;
      }
      this.eventBus.publishAll(events);
      if (state !== 'continue') return;
      if (this.config.bulkBatchPauseMs > 0) await this.pause(this.config.bulkBatchPauseMs);
    }
  }

  private async heartbeat(id: string): Promise<void> {
    try {
      await this.dataSource.query(
        `UPDATE admin_bulk_operations SET heartbeat_at = now(), lease_expires_at = now() + $3 * interval '1 millisecond'
         WHERE id = $1 AND lease_owner = $2 AND status = 'running'`,
        [id, this.workerId, this.config.bulkLeaseMs],
      );
    } catch (err) {
      if (!this.stopping && !this.database.skipIfUnavailable('bulk.heartbeat', err))
        this.logger.warn({ err, operationId: id }, 'Bulk operation heartbeat failed');
    }
  }

  /**
   * One batch, one transaction. The slice row is locked (SKIP LOCKED: sibling loops take other slices); the
   * job row is only touched at the end, by an UPDATE guarded on our lease and on no cancel having been
   * requested: if either changed meanwhile, the whole batch rolls back (BatchAborted) and is not counted.
   */
  private async runBatch(
    job: ClaimedJob,
    params: BulkParameters,
    actor: Actor,
  ): Promise<{ state: BatchState; events: IEvent[] }> {
    return inTransaction(this.dataSource, async (m) => {
      const [op] = await m.query(
        'SELECT status, lease_owner, cancel_requested_at FROM admin_bulk_operations WHERE id = $1',
        [job.id],
      );
      if (!op || op.status !== 'running' || op.lease_owner !== this.workerId)
        return { state: 'lost', events: [] };
      if (op.cancel_requested_at) {
        const row = await this.finish(m, job.id, 'cancelled');
        return { state: 'cancelled', events: row ? [this.progress(job, row)] : [] };
      }
      const [slice] = await m.query(
        `SELECT slice, lower_bound, upper_bound, cursor FROM admin_bulk_operation_slices
         WHERE operation_id = $1 AND NOT done ORDER BY slice LIMIT 1 FOR UPDATE SKIP LOCKED`,
        [job.id],
      );
      if (!slice) {
        const row = await this.finish(m, job.id, 'completed');
        return { state: 'completed', events: row ? [this.progress(job, row)] : [] };
      }
      const batchSize = this.config.bulkBatchSize;
      const { sql, params: sqlParams } = nextBatchSql(
        job.target,
        { lower: slice.lower_bound, upper: slice.upper_bound, cursor: slice.cursor },
        batchSize,
        locksBatch(job.operation_type),
      );
      const players = (await m.query(sql, sqlParams)) as BatchPlayer[];
      if (players.length === 0) {
        await m.query(
          'UPDATE admin_bulk_operation_slices SET done = true WHERE operation_id = $1 AND slice = $2',
          [job.id, slice.slice],
        );
        return { state: 'continue', events: [] };
      }
      const outcome = await applyBatch(m, params, players, {
        operationId: job.id,
        reason: job.reason,
        actorId: job.admin_id,
      });
      if (outcome.issues.length) {
        await m.query(
          `INSERT INTO admin_bulk_operation_errors (operation_id, player_id, outcome, code, message)
           SELECT $1, * FROM unnest($2::uuid[], $3::text[], $4::text[], $5::text[])`,
          [
            job.id,
            outcome.issues.map((i) => i.player_id),
            outcome.issues.map((i) => i.outcome),
            outcome.issues.map((i) => i.code),
            outcome.issues.map((i) => i.message),
          ],
        );
      }
      const last = players[players.length - 1]!.id;
      const failed = outcome.issues.filter((i) => i.outcome === 'failed').length;
      const skipped = outcome.issues.length - failed;
      await m.query(
        `UPDATE admin_bulk_operation_slices SET cursor = $3, done = $4, batches = batches + 1
         WHERE operation_id = $1 AND slice = $2`,
        [job.id, slice.slice, last, players.length < batchSize],
      );
      const [rows] = await m.query(
        `UPDATE admin_bulk_operations
         SET processed = processed + $3, succeeded = succeeded + $4, failed = failed + $5, skipped = skipped + $6,
             batches_done = batches_done + 1, heartbeat_at = now(),
             lease_expires_at = now() + $7 * interval '1 millisecond', updated_at = now()
         WHERE id = $1 AND lease_owner = $2 AND status = 'running' AND cancel_requested_at IS NULL
         RETURNING status, total_targets, processed, succeeded, failed, skipped`,
        [
          job.id,
          this.workerId,
          players.length,
          outcome.succeeded.length,
          failed,
          skipped,
          this.config.bulkLeaseMs,
        ],
      );
      if (rows.length !== 1) throw new BatchAborted();
      // The audit row last: its chain lock is held to commit, and the cancel handler takes the job row before
      // that lock too, so both lock in the same order (job row, then audit chain) and cannot deadlock.
      await this.audit.record(m, actor, {
        action: 'bulk_ops.batch',
        targetType: 'bulk_operation',
        targetId: job.id,
        reason: job.reason,
        before: { slice: slice.slice, cursor: slice.cursor },
        after: {
          operation_type: job.operation_type,
          cursor: last,
          succeeded: outcome.succeeded.length,
          failed,
          skipped,
          changes: outcome.changes,
          issues: outcome.issues.map((i) => [i.player_id, i.outcome, i.code]),
        },
      });
      return { state: 'continue', events: [...outcome.events, this.progress(job, rows[0] as CountsRow)] };
    });
  }

  /** Ends the job (once: only the caller whose UPDATE matches publishes); completion needs every slice done. */
  private async finish(
    m: EntityManager,
    id: string,
    status: 'completed' | 'cancelled',
  ): Promise<CountsRow | undefined> {
    const [rows] = await m.query(
      `UPDATE admin_bulk_operations SET status = $2, finished_at = now(), lease_owner = NULL, updated_at = now()
       WHERE id = $1 AND status = 'running' AND lease_owner = $3
         AND ($2 = 'cancelled' OR NOT EXISTS (SELECT 1 FROM admin_bulk_operation_slices WHERE operation_id = $1 AND NOT done))
       RETURNING status, total_targets, processed, succeeded, failed, skipped`,
      [id, status, this.workerId],
    );
    return rows[0];
  }

  private async markFailed(job: ClaimedJob, err: unknown): Promise<void> {
    try {
      const [rows] = await this.dataSource.query(
        `UPDATE admin_bulk_operations SET status = 'failed', error = $3, finished_at = now(), lease_owner = NULL,
                updated_at = now()
         WHERE id = $1 AND lease_owner = $2 AND status = 'running'
         RETURNING status, total_targets, processed, succeeded, failed, skipped`,
        [job.id, this.workerId, err instanceof Error ? err.message.slice(0, 500) : 'unknown error'],
      );
      if (rows[0]) this.eventBus.publish(this.progress(job, rows[0]));
    } catch (e) {
      // Left running: its lease runs out, and a claim continues it from its cursor.
      if (!this.database.skipIfUnavailable('bulk.mark_failed', e))
        this.logger.error({ err: e, operationId: job.id }, 'Could not mark a bulk operation failed');
    }
  }

  private progress(job: ClaimedJob, r: CountsRow): BulkOperationProgressEvent {
    return new BulkOperationProgressEvent(
      job.id,
      job.operation_type,
      r.status,
      progressOf(r.status, r.processed, r.total_targets),
      {
        total: r.total_targets,
        processed: r.processed,
        succeeded: r.succeeded,
        failed: r.failed,
        skipped: r.skipped,
      },
      job.admin_id,
    );
  }
}

/** The next poll after `failures` failed claims in a row: the poll period, doubling per failure up to 10 s. */
export function pollDelay(pollMs: number, failures: number): number {
  if (failures === 0) return pollMs;
  return Math.max(pollMs, Math.min(pollMs * 2 ** Math.min(failures, 10), MAX_FAILURE_BACKOFF_MS));
}
