import { CommandHandler, EventBus, type ICommandHandler } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import { inTransaction } from '../../../infrastructure/database/transaction.js';
import { AuditService } from '../../audit/audit.service.js';
import { BulkOpsErrors } from '../domain/bulk-ops.errors.js';
import { progressOf } from '../domain/bulk-parameters.js';
import { BulkOperationProgressEvent } from '../events/bulk-operation-progress.event.js';
import {
  CancelBulkOperationCommand,
  type CancelBulkOperationResult,
} from './cancel-bulk-operation.command.js';

/**
 * A pending job (or one whose worker's lease ran out) is cancelled here and now. A running job gets a
 * cancel request that its worker reads under the job's row lock before every batch, so it stops after the
 * batch in flight (batches take milliseconds); batches already committed stay done and are counted.
 */
@CommandHandler(CancelBulkOperationCommand)
export class CancelBulkOperationHandler implements ICommandHandler<CancelBulkOperationCommand> {
  constructor(
    private readonly dataSource: DataSource,
    private readonly audit: AuditService,
    private readonly eventBus: EventBus,
  ) {}

  async execute({
    actor,
    operationId,
    reason,
  }: CancelBulkOperationCommand): Promise<CancelBulkOperationResult> {
    const out = await inTransaction(this.dataSource, async (m) => {
      const [op] = await m.query(
        `SELECT id, operation_type, status, admin_id, total_targets, processed, succeeded, failed, skipped,
                cancel_requested_at, (lease_expires_at IS NULL OR lease_expires_at < now()) AS lease_expired
         FROM admin_bulk_operations WHERE id = $1 FOR NO KEY UPDATE`,
        [operationId],
      );
      if (!op) throw BulkOpsErrors.notFound();
      if (!['pending', 'running'].includes(op.status)) throw BulkOpsErrors.notCancellable(op.status);
      const now = op.status === 'pending' || op.lease_expired;
      await m.query(
        now
          ? `UPDATE admin_bulk_operations SET status = 'cancelled', cancel_requested_at = coalesce(cancel_requested_at, now()),
                    finished_at = now(), lease_owner = NULL, updated_at = now() WHERE id = $1`
          : `UPDATE admin_bulk_operations SET cancel_requested_at = coalesce(cancel_requested_at, now()), updated_at = now()
             WHERE id = $1`,
        [operationId],
      );
      await this.audit.record(m, actor, {
        action: 'bulk_ops.cancel',
        targetType: 'bulk_operation',
        targetId: operationId,
        reason,
        before: { status: op.status },
        after: { status: now ? 'cancelled' : op.status, cancel_requested: true },
      });
      return { op, now };
    });
    const { op, now } = out;
    if (now) {
      this.eventBus.publish(
        new BulkOperationProgressEvent(
          operationId,
          op.operation_type,
          'cancelled',
          progressOf('cancelled', op.processed, op.total_targets),
          {
            total: op.total_targets,
            processed: op.processed,
            succeeded: op.succeeded,
            failed: op.failed,
            skipped: op.skipped,
          },
          op.admin_id,
        ),
      );
    }
    return { operation_id: operationId, status: now ? 'cancelled' : op.status, cancel_requested: true };
  }
}
