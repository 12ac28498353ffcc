import { Command } from '@nestjs/cqrs';
import type { Idempotent } from '../../../infrastructure/database/idempotent-transaction.js';
import type { IdempotencyRequest } from '../../../infrastructure/http/idempotency-key.js';
import type { Actor } from '../../auth/domain/actor.js';
import type { CreateBulkOperationRequestDto } from '../dto/bulk-operations.request.dto.js';

export type CreateBulkOperationResult =
  | { dry_run: false; operation_id: string; status: 'pending'; total_targets: number }
  | {
      dry_run: true;
      operation_type: string;
      total_targets: number;
      sample: { id: string; username: string; status: string; credits: string }[];
    };

export class CreateBulkOperationCommand extends Command<Idempotent<CreateBulkOperationResult>> {
  constructor(
    readonly actor: Actor,
    readonly request: CreateBulkOperationRequestDto,
    /** Ignored for a dry run, which writes nothing. */
    readonly idempotency?: IdempotencyRequest,
  ) {
    super();
  }
}
